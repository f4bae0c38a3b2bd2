using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>What the Knowlarity REST suite needs from the run: how to start the client under test, and the account fixture.</summary>
public sealed class KnowlaritySuiteSettings
{
    public required IClientLauncher Launcher { get; init; }

    /// <summary><c>fixtures/knowlarity/account.json</c>: the account every scenario's fake starts from.</summary>
    public required string AccountFixture { get; init; }

    /// <summary>How long one task run may take before the client is stopped (a scenario may change it).</summary>
    public TimeSpan ClientDeadline { get; init; } = TimeSpan.FromSeconds(25);
}

/// <summary>A call the scenario places on the SR number while a client watches the stream.</summary>
public enum PlannedCall
{
    /// <summary>Click-to-call from the panel, answered: agent leg first, two HANGUPs (agent, customer).</summary>
    OutboundAnswered,

    /// <summary>A customer calls and nobody answers: agent_number null.</summary>
    InboundMissed,

    /// <summary>A customer calls and the agent answers: the customer's HANGUP comes first.</summary>
    InboundAnswered,

    /// <summary>Two calls whose events interleave: an answered outbound call, and a missed inbound call inside it.</summary>
    Overlapping,

    /// <summary>An answered outbound call with an unlisted event type and business_call_type.</summary>
    UnknownTypes,

    /// <summary>An answered outbound call whose events carry undocumented members.</summary>
    ExtraFields,

    /// <summary>An answered outbound call framed with comment, id and retry lines.</summary>
    CommentsAndIds,
}

/// <summary>
/// Per-scenario state of the Knowlarity REST suite: the fake on an ephemeral loopback port configured by the Given
/// steps, the client under test run once with the <c>PROTOSIM_*</c> contract, the calls the scenario places while it
/// runs, and the journals the Then steps judge.
/// </summary>
public sealed class KnowlarityRestDriver : IAsyncDisposable
{
    /// <summary>How long the scenario waits for the client to act on a call before it places the next.</summary>
    private static readonly TimeSpan FollowUpPatience = TimeSpan.FromSeconds(4);

    private readonly ConformanceContext _scenario;
    private readonly List<Action<KnowlarityOptions>> _configure = [];
    private readonly List<Action<WireMock.Server.WireMockServer>> _stubs = [];
    private readonly ScenarioDirectory _directory;
    private readonly ConcurrentQueue<(DateTimeOffset At, string Uuid)> _cdrs = new();

    /// <summary>Uuids whose detailed call log the client has asked for (the driver waits on them).</summary>
    private readonly ConcurrentDictionary<string, byte> _fetched = new(StringComparer.Ordinal);
    private KnowlarityHost? _app;

    public KnowlarityRestDriver(ConformanceContext scenario)
    {
        _scenario = scenario;
        Settings = scenario.Required<KnowlaritySuiteSettings>("The Knowlarity REST suite starts your client per scenario: run with --client-command \"<command>\" (see README: the client task contract).");
        _directory = new("knowlarity");
        ClientDeadline = Settings.ClientDeadline;
    }

    public KnowlaritySuiteSettings Settings { get; }

    // ------------------------------------------------------------ configuration (Given)

    public TimeSpan ClientDeadline { get; set; }

    public string CustomerNumber { get; set; } = "+919900000001";

    /// <summary>Extra <c>PROTOSIM_*</c> values of the task.</summary>
    public Dictionary<string, string> TaskEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The registration the SR number has when the client starts: none, enabled or disabled.</summary>
    public bool? RegisteredEnabled { get; set; }

    public List<PlannedCall> Calls { get; } = [];

    /// <summary>After the first call, the server drops the stream and refuses this many reconnections.</summary>
    public int? DropAfterFirstCallRefusing { get; set; }

    /// <summary>The server ends the stream this long after the last call's CDR.</summary>
    public TimeSpan? EndStreamAfterLastCall { get; set; }

    /// <summary>While the client's own call runs, another call on the SR number: "missed" ends before it, "answered" after it.</summary>
    public string? ConcurrentCall { get; set; }

    public void Configure(Action<KnowlarityOptions> change) => _configure.Add(change);

    /// <summary>A user stub, added with WireMock.Net's fluent API when the fake starts.</summary>
    public void AddStub(Action<WireMock.Server.WireMockServer> stub) => _stubs.Add(stub);

    // ------------------------------------------------------------ the run (When)

    public string? Task { get; private set; }

    public ClientExit? Exit { get; private set; }

    public KnowlarityOptions Options => _app!.Services.GetRequiredService<KnowlarityOptions>();

    public KnowlarityApi Api => _app!.Services.GetRequiredService<KnowlarityApi>();

    /// <summary>The fake's clock: what the scenario times is on the clock its journals are stamped with.</summary>
    private TimeProvider Time => _app!.Services.GetRequiredService<TimeProvider>();

    public AccountFixture Account { get; private set; } = null!;

    /// <summary>The API's journal entries (requests and answers) of this scenario.</summary>
    public IReadOnlyList<SessionJournal> ApiJournals { get; private set; } = [];

    /// <summary>The notification stream connections the client opened, in order.</summary>
    public IReadOnlyList<SessionJournal> Streams { get; private set; } = [];

    /// <summary>The simulated calls, in order.</summary>
    public IReadOnlyList<SessionJournal> CallJournals { get; private set; } = [];

    /// <summary>Calls the scenario placed (watch tasks), with the CDR times; uuid of the client's own call for make-call.</summary>
    public List<(PlannedCall Kind, string Uuid, bool Control)> Placed { get; } = [];

    /// <summary>When each CDR was published, by uuid.</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> CdrTimes => _cdrs.GroupBy(c => c.Uuid).ToDictionary(g => g.Key, g => g.First().At, StringComparer.Ordinal);

    /// <summary>When the server dropped the stream (reconnect scenarios).</summary>
    public DateTimeOffset? DroppedAt { get; private set; }

    /// <summary>The uuid hidden in the refusal body (KNS-017): a client that takes it for an event fetches it.</summary>
    public string DecoyUuid { get; } = Guid.NewGuid().ToString();

    public CancellationToken Token => _scenario.CancellationToken;

    public RestEvidence Evidence => new(ApiJournals);

    /// <summary>What the judge reads besides the API journal (<see cref="KnowlarityRestRun"/>).</summary>
    public KnowlarityRestRun Run => new(Streams, CallJournals, [.. Placed], CdrTimes, DroppedAt, DecoyUuid, Options.RefusalStatus);

    public async Task RunTaskAsync(string task)
    {
        if (Task is not null)
        {
            throw new InvalidOperationException("This scenario already ran a task; one task per scenario.");
        }

        Task = task;
        await StartFakeAsync();
        var environment = Environment(task);
        _scenario.Log($"running the client ({Settings.Launcher.Description}) with PROTOSIM_TASK={task}, deadline {ClientDeadline.TotalSeconds:0} s");
        using var driverStop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var driver = Calls.Count > 0 ? DriveCallsAsync(driverStop.Token)
            : ConcurrentCall is not null ? EndAfterBothCallsAsync(driverStop.Token)
            : System.Threading.Tasks.Task.CompletedTask;
        Exit = await Settings.Launcher.RunAsync(environment, ClientDeadline, Token);
        _scenario.Log($"the client {Exit.Describe()}" + (Exit.Output.Length > 0 ? ":\n" + Exit.Output.TrimEnd() : string.Empty));
        await driverStop.CancelAsync();
        try
        {
            await driver;
        }
        catch (OperationCanceledException)
        {
        }

        // Streams end with the client; give the fake a moment to see them close.
        var hub = _app!.Services.GetRequiredService<NotificationHub>();
        using (var settle = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            settle.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                while (hub.Count > 0)
                {
                    await System.Threading.Tasks.Task.Delay(TimeSpan.FromMilliseconds(20), Time, settle.Token);
                }
            }
            catch (OperationCanceledException) when (!Token.IsCancellationRequested)
            {
                _scenario.Log("a notification stream was still open 3 s after the client ended");
            }
        }

        var journals = _app.Services.GetRequiredService<KnowlarityJournals>().All.OrderBy(j => j.StartedAt).ToList();
        ApiJournals = journals.Where(j => j.Protocol == "knowlarity-rest").ToList();
        Streams = journals.Where(j => j.Protocol == "knowlarity-notifications").ToList();
        CallJournals = journals.Where(j => j.Protocol == "knowlarity-call").ToList();
        foreach (var journal in journals)
        {
            _scenario.Attach(journal);
        }
    }

    private async Task StartFakeAsync()
    {
        var (fixture, errors) = Rest.AccountFixture.Load(Settings.AccountFixture);
        if (fixture is null)
        {
            throw new InvalidOperationException("The account fixture is invalid:\n" + string.Join("\n", errors));
        }

        Account = fixture;
        _app = await KnowlarityFake.StartAsync(System.Net.IPAddress.Loopback, o =>
        {
            o.Account = fixture;

            // Calls take about two seconds: long enough to interleave, short enough for a suite.
            // The CDR follows the last HANGUP by 0.6 s, so a client that takes a HANGUP for the end of the call is seen (KNS-007).
            o.Timing = new CallTiming { Ring = TimeSpan.FromMilliseconds(300), NoAnswerAfter = TimeSpan.FromMilliseconds(600), BusyAfter = TimeSpan.FromMilliseconds(200), Talk = TimeSpan.FromMilliseconds(900), Gap = TimeSpan.FromMilliseconds(100), CdrDelay = TimeSpan.FromMilliseconds(600) };
            foreach (var change in _configure)
            {
                change(o);
            }
        }, Token);
        if (_scenario.SessionObserver is { } observer)
        {
            _app.Observe(observer, _scenario.Label);
        }

        if (RegisteredEnabled is { } enabled)
        {
            lock (Api.Account.Gate)
            {
                Api.Account.Registrations.Add(new JsonObject
                {
                    ["enable"] = enabled,
                    ["expired"] = false,
                    ["id"] = 1,
                    ["k_number"] = fixture.SrNumber,
                    ["k_number_cc"] = "IN",
                    ["product"] = "SR",
                    ["resource_uri"] = "/api/v1/integrations/1",
                });
            }
        }

        foreach (var stub in _stubs)
        {
            stub(_app.WireMock);
        }

        Api.Answered += (_, request, _) =>
        {
            var raw = RawRequest.Parse(request.Text);
            if (raw.Method == "GET" && raw.Path.TrimEnd('/').EndsWith("/call/get-detailed-call-log", StringComparison.Ordinal)
                && Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(raw.Query).TryGetValue("uuid", out var uuid))
            {
                _fetched[uuid.ToString()] = 0;
            }
        };
        Api.Calls.EventPublishing += (call, message) =>
        {
            // Taken before the streams get it: a fast client fetches the call log before EventPublished would run.
            if (message["type"]?.GetValue<string>() == "CDR")
            {
                _cdrs.Enqueue((Time.GetUtcNow(), call.Uuid));
            }
        };
        Api.Calls.EventPublished += OnOwnCallEvent;
    }

    /// <summary>make-call: another call on the SR number while the client's call runs (KRS-014, KNS-018).</summary>
    private void OnOwnCallEvent(SimulatedCall call, JsonObject message)
    {
        if (ConcurrentCall is null || call.Kind != CallKind.ClickToCall || Placed.Count > 0)
        {
            return;
        }

        var type = message["event_type"]?.GetValue<string>();
        if (ConcurrentCall == "missed" && type == "AGENT_CALL" || ConcurrentCall == "answered" && type == "BRIDGE")
        {
            lock (Placed)
            {
                if (Placed.Count > 0)
                {
                    return;
                }

                var other = ConcurrentCall == "missed"
                    ? Api.Calls.Start(CallKind.Inbound, Account.SrNumber, null, "+919900000006")
                    : Api.Calls.Start(CallKind.Inbound, Account.SrNumber, Account.AgentNumber, "+919900000006");
                Placed.Add((ConcurrentCall == "missed" ? PlannedCall.InboundMissed : PlannedCall.InboundAnswered, other.Uuid, false));
                _scenario.Log($"another call on the SR number ({ConcurrentCall}) started while the client's call runs: {other.Uuid}");
            }
        }
    }

    /// <summary>watch-notifications: places the planned calls one after another once the client watches.</summary>
    private async Task DriveCallsAsync(CancellationToken cancellationToken)
    {
        var hub = _app!.Services.GetRequiredService<NotificationHub>();
        var options = Options;
        await WaitAsync(() => hub.Count > 0, TimeSpan.FromSeconds(10), cancellationToken);
        await WaitAsync(Registered, TimeSpan.FromSeconds(5), cancellationToken);
        if (!Registered())
        {
            _scenario.Log("the SR number is not registered and enabled for notifications; placing the calls anyway");
        }

        for (var i = 0; i < Calls.Count; i++)
        {
            var kind = Calls[i];
            var control = i == 0 && Calls.Count > 1 && !EndStreamAfterLastCall.HasValue && DropAfterFirstCallRefusing is null;
            var uuid = await PlaceAsync(kind, control, cancellationToken);
            await WaitAsync(() => CdrTimes.ContainsKey(uuid), TimeSpan.FromSeconds(15), cancellationToken);
            await WaitAsync(() => _fetched.ContainsKey(uuid), FollowUpPatience, cancellationToken);
            if (i == 0 && DropAfterFirstCallRefusing is { } refusals)
            {
                options.RefusalBody = $"data: {{\"type\":\"CDR\",\"uuid\":\"{DecoyUuid}\",\"Call_Type\":\"Outgoing\"}}\n\n";
                options.RefuseNextStreams = refusals;
                DroppedAt = Time.GetUtcNow();
                var dropped = hub.DropAll(null, DropMode.Close);
                _scenario.Log($"the server dropped {dropped} stream(s) and refuses the next {refusals} connection(s) with {options.RefusalStatus}");
                await WaitAsync(() => hub.Count > 0 && options.RefuseNextStreams == 0, TimeSpan.FromSeconds(15), cancellationToken);
            }
        }

        if (EndStreamAfterLastCall is { } after)
        {
            await System.Threading.Tasks.Task.Delay(after, Time, cancellationToken);
            var ended = hub.DropAll(null, DropMode.Close);
            _scenario.Log($"the server ended {ended} stream(s) {after.TotalSeconds:0} s after the last CDR");
        }

        bool Registered()
        {
            lock (Api.Account.Gate)
            {
                return Api.Account.NotificationsEnabled(Account.SrNumber);
            }
        }
    }

    /// <summary>make-call with another call: the server ends the stream 3 s after both calls' CDRs (a client that waits for the end still acts).</summary>
    private async Task EndAfterBothCallsAsync(CancellationToken cancellationToken)
    {
        await WaitAsync(() => Placed.Count > 0 && CdrTimes.Count >= 2, TimeSpan.FromSeconds(20), cancellationToken);
        await System.Threading.Tasks.Task.Delay(TimeSpan.FromSeconds(3), Time, cancellationToken);
        var ended = _app!.Services.GetRequiredService<NotificationHub>().DropAll(null, DropMode.Close);
        _scenario.Log($"the server ended {ended} stream(s) 3 s after the calls' CDRs");
    }

    private async Task<string> PlaceAsync(PlannedCall kind, bool control, CancellationToken cancellationToken)
    {
        var sr = Account.SrNumber;
        var agent = Account.AgentNumber;
        SimulatedCall Outbound(CallQuirks? quirks = null) => Api.Calls.Start(CallKind.ClickToCall, sr, agent, CustomerNumber, quirks: quirks);
        SimulatedCall call;
        switch (kind)
        {
            case PlannedCall.InboundMissed:
                call = Api.Calls.Start(CallKind.Inbound, sr, null, "+919900000005");
                break;
            case PlannedCall.InboundAnswered:
                call = Api.Calls.Start(CallKind.Inbound, sr, agent, "+919900000005");
                break;
            case PlannedCall.UnknownTypes:
                call = Outbound(new CallQuirks { UnknownTypes = true });
                break;
            case PlannedCall.ExtraFields:
                call = Outbound(new CallQuirks { ExtraFields = new JsonObject { ["sip_call_id"] = "a84b4c76e66710@pc33.knowlarity.com", ["Knowlarity_custom"] = new JsonObject { ["crm_ref"] = 42, ["tags"] = new JsonArray("vip") } } });
                break;
            case PlannedCall.CommentsAndIds:
                call = Outbound(new CallQuirks { CommentsAndIds = true });
                break;
            case PlannedCall.Overlapping:
                call = Outbound();
                var bridged = new TaskCompletionSource();
                void OnBridge(SimulatedCall c, JsonObject m)
                {
                    if (c.Uuid == call.Uuid && m["event_type"]?.GetValue<string>() == "BRIDGE")
                    {
                        bridged.TrySetResult();
                    }
                }

                Api.Calls.EventPublished += OnBridge;
                try
                {
                    await bridged.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                }
                finally
                {
                    Api.Calls.EventPublished -= OnBridge;
                }

                // A second click-to-call starts while the first is bridged: the first one's CDR comes while the second is running.
                var inner = Api.Calls.Start(CallKind.ClickToCall, sr, agent, "+919900000004");
                Placed.Add((PlannedCall.OutboundAnswered, inner.Uuid, false));
                _scenario.Log($"placed a second call {inner.Uuid} while {call.Uuid} is bridged");
                break;
            default:
                call = Outbound();
                break;
        }

        Placed.Add((kind, call.Uuid, control));
        _scenario.Log($"placed {(control ? "control " : "")}call {kind} {call.Uuid}");
        return call.Uuid;
    }

    private async Task WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            while (!condition())
            {
                await System.Threading.Tasks.Task.Delay(TimeSpan.FromMilliseconds(20), Time, limit.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    private Dictionary<string, string> Environment(string task)
    {
        var endpointsFile = _directory.File("endpoints.json");
        File.WriteAllText(endpointsFile, _app!.Endpoints().ToJsonString(JsonDefaults.Indented) + "\n");
        var baseUrl = _app!.BaseUrl;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PROTOSIM_TASK"] = task,
            ["PROTOSIM_ENDPOINTS"] = endpointsFile,
            ["PROTOSIM_KNOWLARITY_API_URL"] = baseUrl,
            ["PROTOSIM_KNOWLARITY_NOTIFICATIONS_URL"] = baseUrl,
            ["PROTOSIM_X_API_KEY"] = Options.Credentials.XApiKey,
            ["PROTOSIM_SR_API_KEY"] = Options.Credentials.SrApiKey,
            ["PROTOSIM_CHANNEL"] = Account.Channel,
            ["PROTOSIM_SR_NUMBER"] = Account.SrNumber,
            ["PROTOSIM_AGENT_NUMBER"] = Account.AgentNumber,
            ["PROTOSIM_CUSTOMER_NUMBER"] = CustomerNumber,
            ["PROTOSIM_OUTPUT_DIR"] = _directory.Path,
        };
        if (Calls.Count > 0)
        {
            environment["PROTOSIM_WATCH_CALLS"] = (Calls.Count + Calls.Count(c => c == PlannedCall.Overlapping)).ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in TaskEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        _directory.Dispose();
    }
}
