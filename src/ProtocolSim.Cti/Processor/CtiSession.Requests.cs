using System.Globalization;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Processor;

public sealed partial class CtiSession
{
    // ------------------------------------------------------------------ requests

    /// <summary>Handles one session message (command, target, data) from <paramref name="from"/>.</summary>
    internal void Handle(CtiConnection from, JsonObject request, string? requestId, long entrySeq)
    {
        var reply = new Reply(this, from, request, requestId, entrySeq);
        lock (_gate)
        {
            HandleLocked(reply);
        }
    }

    private void HandleLocked(Reply r)
    {
        // 004: "context ... should not be present" in normal operation.
        if (r.Request.ContainsKey("context"))
        {
            r.Finding("CTI-032", "the request carries a debugging context", "no context member", "context: " + Compact(r.Request["context"]));
        }

        var raw = (r.Request["command"] as JsonValue)?.TryGetValue<string>(out var c) == true ? c : null;
        if (raw is null)
        {
            r.Finding("CTI-027", "the request has no command", "command, target and data", Compact(r.Request));
            r.Fail("InvalidRequest", "The request has no command.");
            return;
        }

        var command = raw.Trim();
        if (command != raw)
        {
            // 004 writes " session.request.getdirectory " with spaces in its examples; the processor trims and notes it (cti.md §4.11).
            r.Note($"the command \"{raw}\" has surrounding spaces; taken as \"{command}\"");
        }

        if (State == SessionState.Inactive)
        {
            r.Finding("CTI-037", "a request after logout (or after the session was replaced)", "nothing more to the session", command);
            r.Fail("SessionInactive", "The session is no longer active.");
            return;
        }

        if (State == SessionState.LoggingOut)
        {
            r.Finding("CTI-036", "a request while logout is in progress", "wait for the logout response, then nothing more", command);
            r.Fail("SessionInactive", "The session is logging out.");
            return;
        }

        if (State == SessionState.Prepared && command != "session.start")
        {
            // 004 §session.start: "Any request sent before session.start generates an error response."
            r.Finding("CTI-023", "a request before session.start", "session.start first", command);
            r.Fail("SessionNotStarted", "session.start has not been received.");
            return;
        }

        if (r.Request["target"] is not JsonValue targetValue || !targetValue.TryGetValue<string>(out var target))
        {
            r.Finding("CTI-027", "the request has no target", "command, target and data", Compact(r.Request));
            target = null;
        }

        if (r.Request["data"] is null)
        {
            r.Finding("CTI-027", "the request has no data", "data {} when empty", Compact(r.Request));
        }
        else if (r.Request["data"] is not JsonObject)
        {
            r.Finding("CTI-027", "data is not an object", "data {} when empty", Compact(r.Request["data"]));
            r.Fail("InvalidRequest", "data must be an object.");
            return;
        }

        if (!Commands.TryGetValue(command, out var spec))
        {
            r.Fail("UnknownCommand", $"Unknown command '{command}'.");
            return;
        }

        if (spec.Revision is { } revision && _options.CommandSet != CommandSet.Both && _options.CommandSet != revision)
        {
            r.Finding("CTI-052", $"{command} is the {revision} revision's name; this processor uses the {_options.CommandSet} names", spec.OtherName ?? command, command);
            r.Fail("UnknownCommand", $"Unknown command '{command}'.");
            return;
        }

        if (spec.Capability is { } capability && !_options.World.Capabilities.Contains(capability))
        {
            if (!_unsupported.Add((command, target ?? "")))
            {
                r.Finding("CTI-050", $"{command} was sent again after an Unsupported failure", "no retry of an unsupported command", command);
            }

            r.Fail("Unsupported", $"{command} is not supported by this processor ({capability} control is not available).");
            return;
        }

        if (spec.SessionTarget && target != Id)
        {
            r.Finding("CTI-028", $"{command} targets \"{target}\"", $"target \"{Id}\" (the session id)", target ?? "no target");
            r.Fail("InvalidTarget", $"Target '{target}' is not this session.");
            return;
        }

        if (State == SessionState.Initializing && spec.ChannelWork)
        {
            r.Finding("CTI-026", $"{command} before session.initialized", "channel and group requests only after session.initialized", command);
        }

        var data = r.Request["data"] as JsonObject ?? [];
        switch (spec.Handler)
        {
            case CommandKind.Start:
                Start(r, data);
                break;
            case CommandKind.Logout:
                Logout(r);
                break;
            case CommandKind.AddChannel:
                AddChannel(r, data);
                break;
            case CommandKind.RemoveChannel:
                RemoveChannel(r, data);
                break;
            case CommandKind.AddGroup:
                AddGroup(r, data);
                break;
            case CommandKind.RemoveGroup:
                RemoveGroup(r, data);
                break;
            case CommandKind.Directory:
                Directory(r, data);
                break;
            case CommandKind.NotReadyReasons:
                Reasons(r, data, "session.externalnotreadyreasons.updated", _options.World.NotReadyReasons);
                break;
            case CommandKind.NotReadyReasonsTypo:
                r.Finding("CTI-048", "the reason request is spelled as the document's typo", "session.request.externalnotreadyreasons", command);
                Reasons(r, data, "session.externalnotreadyreasons.updated", _options.World.NotReadyReasons);
                break;
            case CommandKind.LogoutReasons:
                Reasons(r, data, "session.externallogoutreasons.updated", _options.World.LogoutReasons);
                break;
            default:
                Telephony(r, spec.Handler, target ?? "", data, command);
                break;
        }
    }

    private void Start(Reply r, JsonObject data)
    {
        if (State != SessionState.Prepared)
        {
            r.Fail("SessionAlreadyStarted", "session.start was already received.");
            return;
        }

        var boundFor = _time.GetElapsedTime(BoundAt);
        if (boundFor > InteractionProcessor.StartPatience)
        {
            r.Finding("CTI-022", $"session.start came {boundFor.TotalMilliseconds:0} ms after the resource was bound", $"session.start immediately (within {InteractionProcessor.StartPatience.TotalSeconds:0} s)", $"{boundFor.TotalMilliseconds:0} ms");
        }

        if (data["extension"] is { } extension)
        {
            r.Note($"session.start with extension {Compact(extension)} (the processor's cti-vendor is {_options.World.CtiVendor})");
        }

        State = SessionState.Initializing;
        var events = new List<Emission>();

        // 004 §session.start: the processor reports the agent's existing channels, interactions and conversations.
        foreach (var existing in Agent.Channels)
        {
            var channel = NewChannel(existing.Endpoint, existing.Type, null);
            channel.AgentState = existing.AgentState;
            channel.LoginState = existing.LoginState;
            events.AddRange(ChannelCreated(channel));
            foreach (var call in existing.Calls)
            {
                var interaction = NewInteraction(channel, "inbound", call.Ani, TimeSpan.FromSeconds(1));
                interaction.State = call.State;
                events.AddRange(InteractionCreated(channel, interaction, preview: call.State == "ALERTING"));
                if (call.HangUpAfter is { } after)
                {
                    ScheduleHangUp(channel, interaction, after);
                }
            }

            if (_options.UnknownEvents)
            {
                events.Add(Event("channel.skills.changed", ChannelTarget(channel), new JsonObject { ["skills"] = new JsonArray("billing", "support") }));
            }
        }

        if (_options.UnknownEvents)
        {
            events.Add(Event("session.licence.updated", Id, new JsonObject { ["seats"] = 25 }));
        }

        // "session.initialized is generated whatever else happened", always last.
        events.Add(Event("session.initialized", Id, new JsonObject(), onSent: () =>
        {
            lock (_gate)
            {
                if (State == SessionState.Initializing)
                {
                    State = SessionState.Initialized;
                }

                ScheduleInbound();
            }
        }));
        r.Succeed(data: null, events);
    }

    private void Logout(Reply r)
    {
        State = SessionState.LoggingOut;
        foreach (var interaction in _channels.Values.SelectMany(c => c.Interactions.Values))
        {
            interaction.Timer?.Cancel();
        }

        // 004 §session.logout: the response is sent only after logout has completed; no secondary events.
        r.Succeed(data: null, [], delay: _options.LogoutDelay, onSent: FinishLogout);
    }

    /// <summary>Logout completed (its answer reached the client, or the client left meanwhile): the session is inert.</summary>
    internal void FinishLogout()
    {
        lock (_gate)
        {
            if (State != SessionState.LoggingOut)
            {
                return;
            }

            State = SessionState.Inactive;
        }

        _life.Cancel();
        _processor.Ended(this);
    }

    private int _ended;

    /// <summary>True the first time only: the session's end is announced once.</summary>
    internal bool MarkEnded() => Interlocked.Exchange(ref _ended, 1) == 0;

    private void AddChannel(Reply r, JsonObject data)
    {
        var channel = data["channel"] as JsonObject;
        var endpoint = Text(channel?["endpoint"]);
        var type = Text(channel?["type"]);
        if (endpoint is null || type is null || !ChannelTypes.All.Contains(type, StringComparer.Ordinal))
        {
            r.Finding("CTI-038", "session.addchannel without channel.endpoint or with a type outside Telephony, Chat, Email", "{\"channel\":{\"endpoint\":\"…\",\"type\":\"Telephony|Chat|Email\"}}", Compact(data));
            r.Fail("InvalidRequest", "channel.endpoint and channel.type (Telephony, Chat or Email) are required.");
            return;
        }

        var known = _options.World.Endpoints.FirstOrDefault(e => e.Endpoint == endpoint);
        if (known is null || known.Type != type)
        {
            r.Fail("NotFound", $"The platform has no {type} channel '{endpoint}'.");
            return;
        }

        if (_channels.Values.Any(c => c.Endpoint == endpoint))
        {
            r.Fail("InvalidRequest", $"Channel '{endpoint}' is already in the session.");
            return;
        }

        var model = NewChannel(endpoint, type, null);
        var events = ChannelCreated(model).ToList();
        if (_options.UnknownEvents)
        {
            events.Insert(1, Event("channel.skills.changed", ChannelTarget(model), new JsonObject { ["skills"] = new JsonArray("sales") }));
        }

        r.Succeed(data.DeepClone(), events);
    }

    private void RemoveChannel(Reply r, JsonObject data)
    {
        var id = Text((data["channel"] as JsonObject)?["id"]);
        if (id is null)
        {
            r.Finding("CTI-040", "session.removechannel without channel.id", "{\"channel\":{\"id\":\"<channel id>\"}}", Compact(data));
            r.Fail("InvalidRequest", "channel.id is required.");
            return;
        }

        if (!_channels.TryGetValue(id, out var channel))
        {
            NotFoundChannel(r, id);
            return;
        }

        if (channel.GroupId is { } groupId)
        {
            r.Fail("InvalidRequest", $"Channel '{id}' belongs to channel group '{groupId}'; remove the group.");
            return;
        }

        if (!channel.Initialized)
        {
            r.Finding("CTI-039", $"channel {id} was used before its channel.initialized", "use a channel only after channel.initialized", "session.removechannel");
        }

        if (channel.HasActiveInteraction)
        {
            if (channel.HasAnnouncedInteraction(_time, AnnouncementMargin))
            {
                r.Finding("CTI-041", $"channel {id} was removed while it has an active interaction", "end the interaction first", "session.removechannel");
            }

            r.Fail("ActiveInteraction", $"Channel '{id}' has an active interaction.");
            return;
        }

        var events = Dispose(channel).ToList();
        r.Succeed(data.DeepClone(), events);
    }

    private void NotFoundChannel(Reply r, string id)
    {
        if (_partiallyRemoved.Contains(id))
        {
            r.Finding("CTI-046", $"channel {id} was already disposed by the failed group removal", "resynchronise channel states from the events after a failed multi-channel operation", $"a request for {id}");
        }

        r.Fail("NotFound", $"No channel '{id}' in this session.");
    }

    private void AddGroup(Reply r, JsonObject data)
    {
        var group = data["channelgroup"] as JsonObject;
        var name = Text(group?["name"]);
        if (name is null)
        {
            r.Finding("CTI-043", "session.addchannelgroup without channelgroup.name", "{\"channelgroup\":{\"name\",\"chat\",\"email\",\"callback\"}}", Compact(data));
            r.Fail("InvalidRequest", "channelgroup.name is required.");
            return;
        }

        var flags = new[] { "chat", "email", "callback" };
        var notBoolean = flags.Where(f => group![f] is not JsonValue v || !v.TryGetValue<bool>(out _)).ToList();
        if (notBoolean.Count > 0)
        {
            r.Finding("CTI-043", $"session.addchannelgroup without the booleans {string.Join(", ", notBoolean)}", "name and the booleans chat, email, callback", Compact(data));
        }

        var known = _options.World.Groups.FirstOrDefault(g => g.Name == name);
        if (known is null)
        {
            r.Fail("NotFound", $"The platform has no channel group '{name}'.");
            return;
        }

        if (_groups.Values.Any(g => g.Name == name))
        {
            r.Fail("InvalidRequest", $"Channel group '{name}' is already in the session.");
            return;
        }

        bool Flag(string f) => group![f] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var model = new GroupModel { Id = "G" + (++_nextGroup).ToString(CultureInfo.InvariantCulture), Name = name, Chat = Flag("chat"), Email = Flag("email"), Callback = Flag("callback") };
        _groups[model.Id] = model;
        var target = Id + "." + model.Id;
        var events = new List<Emission>
        {
            Event("channelgroup.created", target, new JsonObject { ["channelgroup"] = model.Describe() }),
            Event("state.updated", target, new JsonObject { ["hasChannels"] = known.Channels.Count > 0 }),
        };
        foreach (var member in known.Channels)
        {
            var channel = NewChannel(member.Endpoint, member.Type, model.Id);
            model.ChannelIds.Add(channel.Id);
            events.AddRange(ChannelCreated(channel));
        }

        events.Add(Event("channelgroup.initialized", target, new JsonObject { ["channelgroup"] = model.Describe() }, onSent: () =>
        {
            lock (_gate)
            {
                model.Initialized = true;
            }
        }));
        r.Succeed(data.DeepClone(), events);
    }

    private void RemoveGroup(Reply r, JsonObject data)
    {
        // 004 §session.removechannelgroup puts the group id under "channel"; "channelgroup" is accepted and recorded.
        var id = Text((data["channel"] as JsonObject)?["id"]);
        if (id is null && Text((data["channelgroup"] as JsonObject)?["id"]) is { } underGroup)
        {
            r.Finding("CTI-045", "session.removechannelgroup names the group under channelgroup", "{\"channel\":{\"id\":\"<group id>\"}} (key as documented)", Compact(data));
            id = underGroup;
        }

        if (id is null)
        {
            r.Finding("CTI-045", "session.removechannelgroup without channel.id", "{\"channel\":{\"id\":\"<group id>\"}}", Compact(data));
            r.Fail("InvalidRequest", "channel.id (the channel group id) is required.");
            return;
        }

        if (!_groups.TryGetValue(id, out var group))
        {
            r.Fail("NotFound", $"No channel group '{id}' in this session.");
            return;
        }

        if (!group.Initialized)
        {
            r.Finding("CTI-044", $"group {id} was used before its channelgroup.initialized", "use a group only after channelgroup.initialized", "session.removechannelgroup");
        }

        if (_ringOnGroupRemoval && group.ChannelIds.LastOrDefault(c => _channels.TryGetValue(c, out var m) && m.Type == "Telephony") is { } ringing)
        {
            // A call reaches a member just as the removal arrives (CTI-046: the removal then fails part-way); once per session.
            _ringOnGroupRemoval = false;
            var member = _channels[ringing];
            var call = NewInteraction(member, "inbound", "+15550177", TimeSpan.FromSeconds(1));
            foreach (var e in InteractionCreated(member, call, preview: true))
            {
                Enqueue(e);
            }

            ScheduleHangUp(member, call, TimeSpan.FromMilliseconds(1500));
        }

        var events = new List<Emission>();
        foreach (var channelId in group.ChannelIds.ToList())
        {
            if (!_channels.TryGetValue(channelId, out var channel))
            {
                group.ChannelIds.Remove(channelId);
                continue;
            }

            if (channel.HasActiveInteraction)
            {
                // MB: processed in turn, stop at the first error; channels already handled keep their new state.
                if (channel.HasAnnouncedInteraction(_time, AnnouncementMargin))
                {
                    r.Finding("CTI-041", $"group {id} was removed while its channel {channelId} has an active interaction", "end the interaction first", "session.removechannelgroup");
                }

                foreach (var done in group.ChannelIds.TakeWhile(c => c != channelId).ToList())
                {
                    _partiallyRemoved.Add(done);
                    group.ChannelIds.Remove(done);
                }

                r.Fail("ActiveInteraction", $"Channel '{channelId}' of group '{id}' has an active interaction.", events);
                return;
            }

            events.AddRange(Dispose(channel));
        }

        group.ChannelIds.Clear();
        _groups.Remove(id);
        var target = Id + "." + id;
        events.Add(Event("state.updated", target, new JsonObject { ["hasChannels"] = false }));
        events.Add(Event(_options.EmitDocumentTypos ? "channelgruop.disposed" : "channelgroup.disposed", target, new JsonObject { ["channelgroup"] = new JsonObject { ["id"] = id } }));
        r.Succeed(data.DeepClone(), events);
    }

    private void Directory(Reply r, JsonObject data)
    {
        if (data.Count > 0)
        {
            r.Finding("CTI-047", "session.request.getdirectory with data", "data {}", Compact(data));
        }

        var entries = _options.World.Directory;
        r.Succeed(entries.Count == 0 ? new JsonObject() : new JsonObject
        {
            ["entries"] = new JsonArray(entries.Select(e => (JsonNode)new JsonObject { ["name"] = e.Name, ["number"] = e.Number }).ToArray()),
        }, []);
    }

    private void Reasons(Reply r, JsonObject data, string eventName, IReadOnlyList<Reason> reasons)
    {
        _ = data;

        // 004: the list comes "directly from the platform", as an event, only when supported.
        List<Emission> events = _options.World.ReasonsSupported
            ? [Event(eventName, Id, new JsonObject { ["reasons"] = new JsonArray(reasons.Select(x => (JsonNode)new JsonObject { ["code"] = x.Code, ["name"] = x.Name }).ToArray()) })]
            : [];
        r.Succeed(new JsonObject(), events);
    }
}
