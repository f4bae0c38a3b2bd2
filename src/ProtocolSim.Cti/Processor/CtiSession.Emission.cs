using System.Collections.Frozen;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Processor;

/// <summary>The session command table, replies, and the ordered emitter of responses and events.</summary>
public sealed partial class CtiSession
{
    private enum CommandKind
    {
        Start,
        Logout,
        AddChannel,
        RemoveChannel,
        AddGroup,
        RemoveGroup,
        Directory,
        NotReadyReasons,
        NotReadyReasonsTypo,
        LogoutReasons,
        Dial,
        Accept,
        Answer,
        ConsultTransfer,
        ConsultConference,
        RecordingStop,
        RecordingPause,
        GetScripts,
        Activate,
        DeactivateAll,
    }

    /// <summary>
    /// A session command: its handler, the revision that named it (null = both), whether it targets the session, works
    /// on channels (CTI-026), and the optional capability it needs (SR: session management is mandatory, the rest not).
    /// </summary>
    private sealed record CommandSpec(CommandKind Handler, CommandSet? Revision = null, string? OtherName = null, bool SessionTarget = true, bool ChannelWork = false, string? Capability = null);

    private static readonly FrozenDictionary<string, CommandSpec> Commands = new Dictionary<string, CommandSpec>(StringComparer.Ordinal)
    {
        ["session.start"] = new(CommandKind.Start),
        ["session.logout"] = new(CommandKind.Logout, CommandSet.Seed, "session.request.logout"),
        ["session.request.logout"] = new(CommandKind.Logout, CommandSet.Current, "session.logout"),
        ["session.addchannel"] = new(CommandKind.AddChannel, CommandSet.Seed, "session.request.addchannel", ChannelWork: true),
        ["session.request.addchannel"] = new(CommandKind.AddChannel, CommandSet.Current, "session.addchannel", ChannelWork: true),
        ["session.removechannel"] = new(CommandKind.RemoveChannel, ChannelWork: true),
        ["session.addchannelgroup"] = new(CommandKind.AddGroup, ChannelWork: true),
        ["session.removechannelgroup"] = new(CommandKind.RemoveGroup, ChannelWork: true),
        ["session.request.getdirectory"] = new(CommandKind.Directory),
        ["session.request.externalnotreadyreasons"] = new(CommandKind.NotReadyReasons),
        ["session.request.externalnotredyreasons"] = new(CommandKind.NotReadyReasonsTypo),
        ["session.request.externallogoutreasons"] = new(CommandKind.LogoutReasons),
        ["channel.dial"] = new(CommandKind.Dial, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["interaction.accept"] = new(CommandKind.Accept, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["conversation.answer"] = new(CommandKind.Answer, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["interaction.consulttransfer"] = new(CommandKind.ConsultTransfer, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["interaction.consultconference"] = new(CommandKind.ConsultConference, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["interaction.request.recording.stop"] = new(CommandKind.RecordingStop, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["interaction.request.recording.pause"] = new(CommandKind.RecordingPause, SessionTarget: false, ChannelWork: true, Capability: "Telephony"),
        ["channel.request.incontact.getscripts"] = new(CommandKind.GetScripts, SessionTarget: false, ChannelWork: true, Capability: "Multimedia"),
        ["channelgroup.request.activate"] = new(CommandKind.Activate, SessionTarget: false, ChannelWork: true, Capability: "Multimedia"),
        ["channelgroup.request.deactivateall"] = new(CommandKind.DeactivateAll, SessionTarget: false, ChannelWork: true, Capability: "Multimedia"),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Every command name the processor knows (both revisions and the typo alias).</summary>
    public static IReadOnlyCollection<string> CommandNames => Commands.Keys;

    /// <summary>A response not sent yet: identical ones outstanding (CTI-029), one of its own events already sent (CTI-030).</summary>
    private sealed class PendingResponse(string command, string target)
    {
        public string Command { get; } = command;

        public string Target { get; } = target;

        /// <summary>A secondary event of this request reached the client before the response.</summary>
        public bool OwnEventSent { get; set; }
    }

    /// <summary>
    /// One message for the emitter: a response (to one connection) or an event (to the bound client); an event may be
    /// a secondary event of a pending request (<paramref name="SecondaryOf"/>).
    /// </summary>
    private sealed record Emission(JsonObject Payload, bool IsEvent, string Summary, TimeSpan Delay, Action? OnSent = null, CtiConnection? To = null, string? RequestId = null, PendingResponse? Pending = null, PendingResponse? SecondaryOf = null);

    private Emission Event(string name, string target, JsonObject data, Action? onSent = null)
    {
        var payload = new JsonObject { ["name"] = name, ["target"] = target, ["data"] = data };
        return new Emission(payload, true, $"{name} {target}", _options.EventDelay, onSent);
    }

    /// <summary>Queues an emission; events of an inert session are dropped (004 §session.logout).</summary>
    private void Enqueue(Emission emission)
    {
        if (emission.IsEvent && State == SessionState.Inactive)
        {
            return;
        }

        _emissions.Writer.TryWrite(emission);
    }

    private async Task EmitLoopAsync()
    {
        // The emitter outlives logout and replacement: an inert session still answers (SessionInactive), it only
        // sends no events. It stops when the processor does.
        var reader = _emissions.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stopped.Token))
            {
                while (reader.TryRead(out var emission))
                {
                    if (emission.Delay > TimeSpan.Zero)
                    {
                        await Task.Delay(emission.Delay, _time, _stopped.Token);
                    }

                    try
                    {
                        Emit(emission);
                    }
#pragma warning disable CA1031 // one message's failure (a defect, or a handler that threw) must not silence the session
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        BoundBy?.Journal.AddFinding(null, "the processor failed to send a message (a defect of the mock)", emission.Summary, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Emit(Emission emission)
    {
        CtiConnection? to;
        lock (_gate)
        {
            if (emission.IsEvent)
            {
                if (State == SessionState.Inactive)
                {
                    return;
                }

                if (emission.SecondaryOf is { } owner && _pending.Contains(owner))
                {
                    owner.OwnEventSent = true;
                }

                to = BoundBy;
            }
            else
            {
                if (emission.Pending is { } pending)
                {
                    _pending.Remove(pending);
                }

                to = emission.To;
            }
        }

        if (to is not null)
        {
            var payload = emission.Payload;
            if (_options.DebugContext)
            {
                payload = (JsonObject)payload.DeepClone();
                payload["context"] = new JsonObject { ["session"] = new JsonObject { ["id"] = Id, ["agent"] = Agent.Id }, ["trace"] = "SessionResource.Dispatch" };
                payload["x-simulator"] = new JsonObject { ["sequence"] = to.Sent + 1 };
            }

            // What follows a message (a state change, the end of logout) happens when it reaches the client: for HTTP,
            // when it is polled.
            if (_processor.SendResource(to, this, payload, emission.IsEvent, emission.RequestId, emission.Summary, emission.OnSent))
            {
                return;
            }
        }

        emission.OnSent?.Invoke();
    }

    /// <summary>One request being answered: its findings go to the sender's journal, and the response through the emitter.</summary>
    private sealed class Reply(CtiSession session, CtiConnection from, JsonObject request, string? requestId, long entrySeq)
    {
        private readonly PendingResponse _pending = session.Track(request, from, entrySeq);

        public JsonObject Request { get; } = request;

        public void Finding(string rule, string message, string expected, string actual) =>
            from.Journal.AddFinding(rule, message, expected, actual, entrySeq);

        public void Note(string text) => from.Journal.Append(Direction.Internal, FrameKind.Note, text);

        public void Succeed(JsonNode? data, IReadOnlyList<Emission> events, TimeSpan? delay = null, Action? onSent = null)
        {
            var payload = new JsonObject { ["command"] = Request["command"]?.DeepClone(), ["target"] = Request["target"]?.DeepClone(), ["result"] = "success" };
            if (data is not null)
            {
                payload["data"] = data;
            }

            Respond(payload, events, delay, onSent, "success");
        }

        /// <summary>004 failure shape: failure {code, message, context} and the full original request; no events but partial effects.</summary>
        public void Fail(string code, string message, IReadOnlyList<Emission>? partial = null)
        {
            var payload = new JsonObject
            {
                ["command"] = Request["command"]?.DeepClone(),
                ["target"] = Request["target"]?.DeepClone(),
                ["result"] = "failure",
                ["failure"] = new JsonObject
                {
                    ["code"] = code,
                    ["message"] = message,
                    ["context"] = $"ProtocolSim.Cti.SessionResource: {code}\n   at SessionResource.Handle(\"{Request["command"]}\")\n   at InteractionProcessor.Dispatch()",
                },
                ["original"] = Request.DeepClone(),
            };
            Respond(payload, partial ?? [], null, null, "failure " + code);
        }

        private void Respond(JsonObject payload, IReadOnlyList<Emission> events, TimeSpan? delay, Action? onSent, string outcome)
        {
            var response = new Emission(payload, false, $"{Request["command"]} {outcome}", (delay ?? TimeSpan.Zero) + session._options.ResponseDelay, onSent, from, requestId, _pending);

            // session.start's events end with session.initialized, which itself ends initialization (CTI-025): a
            // client may go on from there without the start response, so they do not count for CTI-030.
            if (!string.Equals(_pending.Command, "session.start", StringComparison.Ordinal))
            {
                events = events.Select(e => e with { SecondaryOf = _pending }).ToList();
            }

            if (session._options.EventsBeforeResponse && events.Count > 0)
            {
                foreach (var e in events)
                {
                    session.Enqueue(e);
                }

                session.Enqueue(response);
            }
            else
            {
                session.Enqueue(response);
                foreach (var e in events)
                {
                    session.Enqueue(e);
                }
            }
        }
    }

    /// <summary>Records the request as outstanding; identical outstanding ones (CTI-029), and requests on a target whose event came before its response (CTI-030).</summary>
    private PendingResponse Track(JsonObject request, CtiConnection from, long entrySeq)
    {
        var command = request["command"] is JsonValue c && c.TryGetValue<string>(out var s) ? s.Trim() : "";
        var target = request["target"] is JsonValue t && t.TryGetValue<string>(out var tt) ? tt : "";
        lock (_gate)
        {
            if (_pending.Any(p => p.Command == command && p.Target == target))
            {
                from.Journal.AddFinding("CTI-029", $"a second {command} on {target} while the first is not answered", "no two outstanding identical requests (they cannot be told apart)", command, entrySeq);
            }
            else if (_pending.FirstOrDefault(p => p.Target == target && p.OwnEventSent) is { } earlier)
            {
                // The client went on as if the earlier request were answered, right after that request's own event.
                from.Journal.AddFinding("CTI-030", $"{command} on {target} came after the {earlier.Command} event but before the {earlier.Command} response", "a response is the message with command and result; an event (name) does not answer a request", command, entrySeq);
            }

            var pending = new PendingResponse(command, target);
            _pending.Add(pending);
            return pending;
        }
    }
}
