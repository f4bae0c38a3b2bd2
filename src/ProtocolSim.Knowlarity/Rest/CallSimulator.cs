using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>What kind of call the simulator runs (knowlarity.md §2.4 event orders).</summary>
public enum CallKind
{
    /// <summary>makecall: agent leg first, then the customer (003-R Make Outbound Call).</summary>
    ClickToCall,

    /// <summary>A customer calls the SR number (injected through the admin API).</summary>
    Inbound,

    /// <summary>otpcall: an IVR call to the customer only.</summary>
    Otp,
}

/// <summary>One simulated call, as the admin API lists it.</summary>
public sealed record SimulatedCall
{
    public required string Uuid { get; init; }

    public required CallKind Kind { get; init; }

    public required string KnowlarityNumber { get; init; }

    public string? AgentNumber { get; init; }

    public required string CustomerNumber { get; init; }

    public bool Whatsapp { get; init; }

    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>What this call's events carry beyond the defaults (suite scenarios on KNS-004, -008, -013).</summary>
    public CallQuirks Quirks { get; init; } = CallQuirks.None;
}

/// <summary>Departures from the plain event stream that a consumer must tolerate (knowlarity.md §3.4).</summary>
public sealed record CallQuirks
{
    public static readonly CallQuirks None = new();

    /// <summary>Members added to every event and the CDR (KNS-008: unknown fields).</summary>
    public JsonObject? ExtraFields { get; init; }

    /// <summary>An event of an unlisted type and an unlisted business_call_type (KNS-013).</summary>
    public bool UnknownTypes { get; init; }

    /// <summary>Each event framed with a comment line and an <c>id:</c> line (KNS-004).</summary>
    public bool CommentsAndIds { get; init; }
}

/// <summary>
/// Runs calls on the simulation clock and publishes their events to the notifications stream: AGENT_CALL,
/// AGENT_ANSWER, CUSTOMER_CALL, CUSTOMER_ANSWER, BRIDGE, a HANGUP per leg, then the CDR, all with <c>uuid</c> = the
/// call id (knowlarity.md §2.4, §4.3). Outcomes follow the fixture's number behaviours; every call ends with a
/// call-log record and a detailed call log.
/// </summary>
public sealed partial class CallSimulator(KnowlarityOptions options, KnowlarityJournals journals, NotificationHub hub, TimeProvider time, ILogger<CallSimulator> logger) : IDisposable
{
    private readonly KnowlarityOptions _options = options;
    private readonly NotificationHub _hub = hub;
    private readonly TimeProvider _time = time;
    private readonly ConcurrentDictionary<string, SimulatedCall> _active = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<Task, byte> _running = new();

    internal KnowlarityAccount Account { get; set; } = null!;

    public IReadOnlyCollection<SimulatedCall> Active => (IReadOnlyCollection<SimulatedCall>)_active.Values;

    /// <summary>Raised after every published event or CDR (scenario waits).</summary>
    public event Action<SimulatedCall, JsonObject>? EventPublished;

    /// <summary>
    /// Raised just before an event goes to the streams: the moment a judge may take as "sent", since a client can act
    /// on the event (and be journaled doing so) before <see cref="EventPublished"/> runs.
    /// </summary>
    public event Action<SimulatedCall, JsonObject>? EventPublishing;

    /// <summary>Starts a call in the background; its events follow on the simulation clock.</summary>
    public SimulatedCall Start(CallKind kind, string knowlarityNumber, string? agentNumber, string customerNumber, bool whatsapp = false, string? uuid = null, CallQuirks? quirks = null)
    {
        var call = new SimulatedCall
        {
            Uuid = uuid ?? Guid.NewGuid().ToString(),
            Kind = kind,
            KnowlarityNumber = knowlarityNumber,
            AgentNumber = agentNumber,
            CustomerNumber = customerNumber,
            Whatsapp = whatsapp,
            StartedAt = _time.GetUtcNow(),
            Quirks = quirks ?? CallQuirks.None,
        };
        _active[call.Uuid] = call;
        var task = Task.Run(() => RunAsync(call, _stopping.Token));
        _running[task] = 0;
        task.ContinueWith(t => _running.TryRemove(t, out _), TaskScheduler.Default);
        return call;
    }

    /// <summary>Waits for every running call to end (tests, and before a state reset).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Keys);

    private async Task RunAsync(SimulatedCall call, CancellationToken cancellationToken)
    {
        var journal = journals.Start(call.Uuid, "knowlarity-call", _time);
        journal.SetLabel("kind", call.Kind.ToString());
        journal.Append(Direction.Internal, FrameKind.Open, $"{call.Kind} call {call.KnowlarityNumber}: agent {call.AgentNumber ?? "-"}, customer {call.CustomerNumber}");
        var script = new CallScript(this, call, journal, cancellationToken);
        try
        {
            switch (call.Kind)
            {
                case CallKind.ClickToCall:
                    await script.ClickToCallAsync();
                    break;
                case CallKind.Inbound:
                    await script.InboundAsync();
                    break;
                default:
                    await script.OtpAsync();
                    break;
            }

            journal.Append(Direction.Internal, FrameKind.Close, "call ended");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            journal.Append(Direction.Internal, FrameKind.Close, "call cut short: the fake is stopping");
        }
        catch (Exception e)
        {
            // A defect in the simulator must not pass silently or take the host down.
            journal.Append(Direction.Internal, FrameKind.Error, "simulator defect: " + e.Message);
            LogSimulatorDefect(logger, e, call.Uuid);
        }
        finally
        {
            journal.End();
            _active.TryRemove(call.Uuid, out _);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Error, Message = "Call simulator failed for call {CallId}")]
    private static partial void LogSimulatorDefect(ILogger logger, Exception exception, string callId);

    /// <summary>The running script of one call: legs, events, and the record it leaves.</summary>
    private sealed class CallScript(CallSimulator simulator, SimulatedCall call, SessionJournal journal, CancellationToken cancellationToken)
    {
        private readonly CallTiming _timing = simulator._options.Timing;
        private DateTimeOffset? _bridgedAt;

        private DateTimeOffset Now => simulator._time.GetUtcNow();

        private string Recording => $"http://kservices.knowlarity.com/kstorage/read?uuid={call.Uuid}_0_1_r.mp3&base_dir=recording";

        private NumberBehaviour Behaviour(string? number) => number is null ? NumberBehaviour.Answer : simulator.Account.Behaviour(number);

        public async Task ClickToCallAsync()
        {
            // 003-R Make Outbound Call: the agent leg first; if the agent misses, the customer is never called.
            const string Type = "Outbound";
            Event("AGENT_CALL", Type);
            var agent = await RingAsync(call.AgentNumber);
            if (!agent)
            {
                Event("HANGUP", "Unanswered", leg: "agent");
                await Cdr("Outgoing", "Unanswered", caller: call.AgentNumber, destination: call.CustomerNumber);
                return;
            }

            Event("AGENT_ANSWER", Type);
            Unlisted();
            Event("CUSTOMER_CALL", Type);
            if (!await RingAsync(call.CustomerNumber))
            {
                Event("HANGUP", "Unanswered", leg: "customer");
                await DelayAsync(_timing.Gap);
                Event("HANGUP", "Unanswered", leg: "agent");
                await Cdr("Outgoing", "Unanswered", caller: call.AgentNumber, destination: call.CustomerNumber);
                return;
            }

            Event("CUSTOMER_ANSWER", Type);
            await BridgeAndHangUpAsync(Type, firstLeg: "agent", secondLeg: "customer");
            await Cdr("Outgoing", "Phone", caller: call.AgentNumber, destination: call.CustomerNumber);
        }

        public async Task InboundAsync()
        {
            Event("ORIGINATE", "Phone");
            Unlisted();
            if (call.AgentNumber is null || !await RingAsync(call.AgentNumber, agentLeg: true))
            {
                Event("HANGUP", "Missed Call", leg: "customer");
                await Cdr("Incoming", "Missed Call", caller: call.CustomerNumber, destination: call.AgentNumber ?? call.KnowlarityNumber);
                return;
            }

            Event("AGENT_ANSWER", "Phone");
            await BridgeAndHangUpAsync("Phone", firstLeg: "customer", secondLeg: "agent");
            await Cdr("Incoming", "Phone", caller: call.CustomerNumber, destination: call.AgentNumber);
        }

        public async Task OtpAsync()
        {
            const string Type = "Outbound";
            Event("CUSTOMER_CALL", Type);
            if (!await RingAsync(call.CustomerNumber))
            {
                Event("HANGUP", "Unanswered", leg: "customer");
                await Cdr("Outgoing", "Unanswered", caller: call.KnowlarityNumber, destination: call.CustomerNumber);
                return;
            }

            Event("CUSTOMER_ANSWER", Type);
            _bridgedAt = Now;
            await DelayAsync(_timing.Talk);
            Event("HANGUP", Type, leg: "customer");
            await Cdr("Outgoing", "Phone", caller: call.KnowlarityNumber, destination: call.CustomerNumber, recorded: false);
        }

        private async Task BridgeAndHangUpAsync(string type, string firstLeg, string secondLeg)
        {
            Event("BRIDGE", type);
            _bridgedAt = Now;
            await DelayAsync(_timing.Talk);
            Event("HANGUP", type, leg: firstLeg, recording: true);
            await DelayAsync(_timing.Gap);
            Event("HANGUP", type, leg: secondLeg, recording: true);
        }

        /// <summary>Rings a leg; true when it is answered. Inbound, the AGENT_CALL is sent here.</summary>
        private async Task<bool> RingAsync(string? number, bool agentLeg = false)
        {
            if (agentLeg)
            {
                Event("AGENT_CALL", "Phone");
            }

            switch (Behaviour(number))
            {
                case NumberBehaviour.Busy:
                    await DelayAsync(_timing.BusyAfter);
                    journal.Append(Direction.Internal, FrameKind.Note, $"{number} is busy");
                    return false;
                case NumberBehaviour.NoAnswer:
                    await DelayAsync(_timing.NoAnswerAfter);
                    journal.Append(Direction.Internal, FrameKind.Note, $"{number} did not answer");
                    return false;
                default:
                    await DelayAsync(_timing.Ring);
                    return true;
            }
        }

        /// <summary>KNS-013: an event type and a business_call_type the published lists do not have.</summary>
        private void Unlisted()
        {
            if (call.Quirks.UnknownTypes)
            {
                Event("AGENT_WHISPER", "Voicemail");
            }
        }

        private Task DelayAsync(TimeSpan step) => Task.Delay(_timing.Scaled(step), simulator._time, cancellationToken);

        /// <summary>A telephony event in the field order of knowlarity.md §4.3; AGENT_* carry customer_number null (KNS-011).</summary>
        private void Event(string type, string businessCallType, string? leg = null, bool recording = false)
        {
            var message = new JsonObject
            {
                ["event_type"] = type,
                ["call_direction"] = call.Kind == CallKind.Inbound ? "Inbound" : "Outbound",
                ["business_call_type"] = businessCallType,
                ["agent_number"] = call.AgentNumber,
                ["customer_number"] = type is "AGENT_CALL" or "AGENT_ANSWER" ? null : call.CustomerNumber,
                ["knowlarity_number"] = call.KnowlarityNumber,
                ["k_number"] = call.KnowlarityNumber,
                ["uuid"] = call.Uuid,
                ["call_recording"] = recording ? Recording : null,
                ["call_type"] = null,
                ["called"] = PhoneNumbers.National(call.Kind == CallKind.Inbound ? call.KnowlarityNumber : call.CustomerNumber),
                ["event_date_local"] = Now.ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            };
            if (leg is not null)
            {
                message["leg_identifier"] = leg;
                message["hangup_cause"] = recording ? "NORMAL_CLEARING" : "NO_ANSWER";
            }

            Publish(message, $"{type}{(leg is null ? "" : " (" + leg + ")")}");
        }

        /// <summary>The CDR (003-N): <c>type</c> "CDR", <c>Call_Type</c> with its capital C, end_time with microseconds; then the call-log record.</summary>
        private async Task Cdr(string callType, string businessCallType, string? caller, string? destination, bool recorded = true)
        {
            var end = Now;
            await DelayAsync(_timing.CdrDelay);
            var duration = _bridgedAt is { } b ? (int)Math.Round((end - b).TotalSeconds) : 0;
            var bridged = _bridgedAt is not null;
            var cdr = new JsonObject
            {
                ["dispnumber"] = call.KnowlarityNumber,
                ["business_call_type"] = businessCallType,
                ["caller_id"] = caller,
                ["Call_Type"] = callType,
                ["start_time"] = KnowlarityAccount.Ist8601(call.StartedAt),
                ["uuid"] = call.Uuid,
                ["call_duration"] = (int)Math.Round((end - call.StartedAt).TotalSeconds),
                ["destination"] = destination,
                ["end_time"] = end.ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture),
                ["resource_url"] = bridged && recorded ? Recording : null,
                ["type"] = "CDR",
                ["timezone_offset"] = "+0530",
            };
            var record = new JsonObject
            {
                ["uuid"] = call.Uuid,
                ["ref_call_uuid"] = "",
                ["start_time"] = KnowlarityAccount.Ist8601(call.StartedAt),
                ["end_time"] = KnowlarityAccount.Ist8601(end),
                ["call_duration"] = duration,
                ["knowlarity_number"] = call.KnowlarityNumber,
                ["agent_number"] = call.AgentNumber,
                ["customer_number"] = call.CustomerNumber,
                ["call_type"] = callType,
                ["solution_type"] = call.Kind switch { CallKind.Inbound => "IBD", CallKind.Otp => "OBD", _ => "C2C" },
                ["business_call_type"] = businessCallType,
                ["destination"] = bridged ? "Agent" : "Abandoned",
                ["call_status"] = bridged ? "Connected" : "Missed",
                ["agent_status"] = bridged || call.Kind == CallKind.Otp ? "Answered" : "Not Answered",
                ["customer_status"] = bridged ? "Answered" : "Not Answered",
                ["call_recording"] = bridged && recorded ? Recording : null,
                ["campaign_id"] = "",
                ["disposition"] = "",
                ["action"] = "",
                ["agent_device"] = call.Whatsapp ? "whatsapp" : "phone",
            };
            lock (simulator.Account.Gate)
            {
                simulator.Account.AddCallRecord(record);
            }

            Publish(cdr, "CDR " + callType);
        }

        private void Publish(JsonObject message, string summary)
        {
            foreach (var (name, value) in call.Quirks.ExtraFields ?? [])
            {
                message[name] = value?.DeepClone();
            }

            bool enabled;
            lock (simulator.Account.Gate)
            {
                enabled = simulator.Account.NotificationsEnabled(call.KnowlarityNumber);
            }

            // 003-N: events reach only SR numbers registered and enabled for notifications (KNS-001).
            simulator.EventPublishing?.Invoke(call, message);
            var streams = enabled ? simulator._hub.Publish(simulator._options.Credentials.SrApiKey, message, call.Quirks.CommentsAndIds) : 0;
            journal.Append(Direction.Internal, FrameKind.Text, enabled ? $"{summary} to {streams} stream(s)" : $"{summary} not delivered: {call.KnowlarityNumber} is not registered and enabled for notifications", text: message.ToJsonString(), parsed: message);
            simulator.EventPublished?.Invoke(call, message);
        }
    }
}
