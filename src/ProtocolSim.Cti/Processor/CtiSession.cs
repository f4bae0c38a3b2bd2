using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Core;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Processor;

/// <summary>
/// One agent's session resource (004): the model of channels, groups and interactions, the session commands with
/// their success and failure shapes, and the secondary events in the documented orders. Requests are handled at once
/// under the session's lock; the response and events go through one ordered emitter that applies the configured
/// delays, so a slow platform, events before the response and the delayed logout are all one queue.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The life and stop tokens are cancelled, never disposed: timers linked from them may still be unwinding.")]
public sealed partial class CtiSession
{
    private readonly InteractionProcessor _processor;
    private readonly CtiOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Channel<Emission> _emissions = Channel.CreateUnbounded<Emission>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _life = new();
    private readonly CancellationTokenSource _stopped = new();
    private readonly Dictionary<string, ChannelModel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupModel> _groups = new(StringComparer.Ordinal);
    private readonly List<PendingResponse> _pending = [];
    private readonly HashSet<string> _partiallyRemoved = new(StringComparer.Ordinal);
    private readonly HashSet<(string Command, string Target)> _unsupported = [];
    private readonly HashSet<InboundCall> _rung = [];
    /// <summary>How long the client has had an interaction.created before removing its channel counts against it (CTI-041).</summary>
    private static readonly TimeSpan AnnouncementMargin = TimeSpan.FromMilliseconds(500);

    private bool _ringOnGroupRemoval;
    private int _nextChannel;
    private int _nextGroup;
    private int _nextInteraction;

    internal CtiSession(string id, Agent agent, string preparedBy, InteractionProcessor processor, CtiOptions options, TimeProvider time)
    {
        Id = id;
        Agent = agent;
        PreparedBy = preparedBy;
        _processor = processor;
        _options = options;
        _time = time;
        _ringOnGroupRemoval = options.RingOnGroupRemoval;
        _ = EmitLoopAsync();
    }

    public string Id { get; }

    public Agent Agent { get; }

    /// <summary>Client id that called prepareSession (CTI-021).</summary>
    public string PreparedBy { get; }

    public SessionState State { get; private set; } = SessionState.Prepared;

    /// <summary>When the current client bound the resource (CTI-022).</summary>
    internal long BoundAt { get; set; }

    /// <summary>The connection that holds the resource (one bound client, SR).</summary>
    public CtiConnection? BoundBy { get; internal set; }

    /// <summary>The logout request arrived and its response is not sent yet (CTI-036).</summary>
    public bool LogoutPending => State == SessionState.LoggingOut;

    public bool Inactive => State == SessionState.Inactive;

    /// <summary>The endpoint of every channel of the session (admin API, tests).</summary>
    public IReadOnlyList<string> Endpoints
    {
        get
        {
            lock (_gate)
            {
                return _channels.Values.Select(c => c.Endpoint).ToList();
            }
        }
    }

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

    // ------------------------------------------------------------------ model and event sequences

    private ChannelModel NewChannel(string endpoint, string type, string? groupId)
    {
        var channel = new ChannelModel { Id = "C" + (++_nextChannel).ToString(CultureInfo.InvariantCulture), Endpoint = endpoint, Type = type, GroupId = groupId };
        _channels[channel.Id] = channel;
        return channel;
    }

    private InteractionModel NewInteraction(ChannelModel channel, string direction, string ani, TimeSpan talk)
    {
        var n = (++_nextInteraction).ToString(CultureInfo.InvariantCulture);
        var interaction = new InteractionModel { Id = "I" + n, ConversationId = "V" + n, ChannelId = channel.Id, Direction = direction, Ani = ani, Dnis = channel.Endpoint, Talk = talk };
        channel.Interactions[interaction.Id] = interaction;
        return interaction;
    }

    private string ChannelTarget(ChannelModel channel) => channel.GroupId is null ? $"{Id}.{channel.Id}" : $"{Id}.{channel.GroupId}.{channel.Id}";

    private string InteractionTarget(ChannelModel channel, InteractionModel interaction) => $"{ChannelTarget(channel)}.{interaction.Id}";

    private string ConversationTarget(ChannelModel channel, InteractionModel interaction) => $"{InteractionTarget(channel, interaction)}.{interaction.ConversationId}";

    /// <summary>004 §session.addchannel: channel.created, state.updated, channel.initialized.</summary>
    private IEnumerable<Emission> ChannelCreated(ChannelModel channel)
    {
        var target = ChannelTarget(channel);
        yield return Event("channel.created", target, new JsonObject { ["channel"] = channel.Describe() });
        yield return Event("state.updated", target, ChannelState(channel));
        yield return Event("channel.initialized", target, new JsonObject { ["channel"] = channel.Describe() }, onSent: () =>
        {
            lock (_gate)
            {
                channel.Initialized = true;
                ScheduleInbound();
            }
        });
    }

    /// <summary>004 §session.removechannel: channel.infochanged and state.updated if still active, then channel.disposed.</summary>
    private IEnumerable<Emission> Dispose(ChannelModel channel)
    {
        var target = ChannelTarget(channel);
        _channels.Remove(channel.Id);
        if (channel.LoginState == "Active")
        {
            channel.LoginState = "Inactive";
            yield return Event("channel.infochanged", target, new JsonObject { ["channel"] = new JsonObject { ["id"] = channel.Id, ["endpoint"] = channel.Endpoint, ["type"] = channel.Type, ["loginState"] = "Inactive" } });
            yield return Event("state.updated", target, ChannelState(channel));
        }

        yield return Event("channel.disposed", target, new JsonObject { ["channel"] = new JsonObject { ["id"] = channel.Id } });
    }

    private static JsonObject ChannelState(ChannelModel channel) => new() { ["loginState"] = channel.LoginState, ["agentState"] = channel.AgentState };

    /// <summary>The inbound-call sequence (TEL, as channel.dial's without the channel's own changes).</summary>
    private IEnumerable<Emission> InteractionCreated(ChannelModel channel, InteractionModel interaction, bool preview)
    {
        var target = InteractionTarget(channel, interaction);
        var conversation = ConversationTarget(channel, interaction);
        yield return Event("interaction.created", target, new JsonObject { ["interaction"] = interaction.Describe() }, onSent: () =>
        {
            lock (_gate)
            {
                interaction.AnnouncedAt = _time.GetTimestamp();
            }
        });
        yield return Event("state.updated", target, new JsonObject { ["state"] = interaction.State });
        yield return Event("conversation.created", conversation, new JsonObject { ["conversation"] = new JsonObject { ["id"] = interaction.ConversationId } });
        yield return Event("state.updated", conversation, new JsonObject { ["state"] = interaction.State });
        yield return Event("conversation.member.added", conversation, new JsonObject { ["member"] = new JsonObject { ["address"] = interaction.Ani, ["role"] = interaction.Direction == "inbound" ? "customer" : "destination" } });
        yield return Event("conversation.initialized", conversation, new JsonObject());
        yield return Event("interaction.datachanged", target, new JsonObject { ["data"] = new JsonObject { ["ani"] = interaction.Ani, ["dnis"] = interaction.Dnis, ["queue"] = "Support" } });
        if (preview)
        {
            yield return Event("interaction.preview", target, new JsonObject { ["interaction"] = interaction.Describe() });
        }

        yield return Event("interaction.initialized", target, new JsonObject());
    }

    /// <summary>The caller hangs up: conversation ended and disposed, interaction ended.</summary>
    private IEnumerable<Emission> InteractionEnded(ChannelModel channel, InteractionModel interaction)
    {
        interaction.State = "ENDED";
        interaction.Timer?.Cancel();
        channel.Interactions.Remove(interaction.Id);
        var target = InteractionTarget(channel, interaction);
        var conversation = ConversationTarget(channel, interaction);
        yield return Event("state.updated", conversation, new JsonObject { ["state"] = "ENDED" });
        yield return Event("conversation.disposed", conversation, new JsonObject());
        yield return Event("state.updated", target, new JsonObject { ["state"] = "ENDED" });
        yield return Event("interaction.ended", target, new JsonObject());
    }

    // ------------------------------------------------------------------ inbound calls

    /// <summary>Scripted inbound calls of this agent whose channel is now initialized (called under the lock).</summary>
    private void ScheduleInbound()
    {
        if (State != SessionState.Initialized)
        {
            return;
        }

        foreach (var call in _options.World.Inbound.Where(c => c.Agent == Agent.Id && !_rung.Contains(c)))
        {
            if (_channels.Values.FirstOrDefault(ch => ch.Endpoint == call.Endpoint && ch.Initialized) is not null)
            {
                _rung.Add(call);
                _ = AfterAsync(call.After, () => Ring(call.Endpoint, call.Ani, call.Talk, call.Ring));
            }
        }
    }

    /// <summary>An inbound call rings on the channel with <paramref name="endpoint"/> (first Telephony channel when null).</summary>
    public string? Ring(string? endpoint, string ani, TimeSpan talk, TimeSpan ring)
    {
        lock (_gate)
        {
            if (State is not (SessionState.Initialized or SessionState.Initializing))
            {
                return null;
            }

            var channel = _channels.Values.FirstOrDefault(c => endpoint is null ? c.Type == "Telephony" : c.Endpoint == endpoint);
            if (channel is null)
            {
                return null;
            }

            var interaction = NewInteraction(channel, "inbound", ani, talk);
            BoundBy?.Journal.Append(Direction.Internal, FrameKind.Note, $"an inbound call from {ani} rings on {channel.Endpoint} ({InteractionTarget(channel, interaction)})");
            foreach (var e in InteractionCreated(channel, interaction, preview: true))
            {
                Enqueue(e);
            }

            ScheduleHangUp(channel, interaction, ring);
            return interaction.Id;
        }
    }

    private void ScheduleHangUp(ChannelModel channel, InteractionModel interaction, TimeSpan after)
    {
        interaction.Timer?.Cancel();
        // Not linked to the session's life (AfterAsync links both): no registration is left behind per call.
        var timer = new CancellationTokenSource();
        interaction.Timer = timer;
        _ = AfterAsync(after, () =>
        {
            lock (_gate)
            {
                if (interaction.State == "ENDED" || !_channels.ContainsKey(channel.Id) || State is SessionState.Inactive or SessionState.LoggingOut)
                {
                    return;
                }

                foreach (var e in InteractionEnded(channel, interaction))
                {
                    Enqueue(e);
                }
            }
        }, timer.Token);
    }

    private async Task AfterAsync(TimeSpan delay, Action action, CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_life.Token, cancellationToken);
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, linked.Token);
            }

            action();
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ------------------------------------------------------------------ lifetime

    /// <summary>The session is replaced by an override, or the processor stops: inert, no more events.</summary>
    internal void Dispose(string reason)
    {
        lock (_gate)
        {
            if (State == SessionState.Inactive)
            {
                return;
            }

            State = SessionState.Inactive;
        }

        BoundBy?.Journal.Append(Direction.Internal, FrameKind.Note, $"session {Id} ended: {reason}");
        _life.Cancel();
    }

    /// <summary>The processor stops: the emitter ends too.</summary>
    internal void Stop()
    {
        Dispose("the processor stopped");
        _stopped.Cancel();
        _emissions.Writer.TryComplete();
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    internal static string Compact(JsonNode? node) => node?.ToJsonString() ?? "null";
}
