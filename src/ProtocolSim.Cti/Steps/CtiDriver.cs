using System.Text.Json.Nodes;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Steps;

/// <summary>What the CTI suite needs from the run: how to start the client under test, and the agent world.</summary>
public sealed class CtiSuiteSettings
{
    public required IClientLauncher Launcher { get; init; }

    /// <summary><c>fixtures/cti/default.yaml</c>: the world every scenario's processor starts from.</summary>
    public required string WorldFile { get; init; }

    /// <summary>How long one task run may take before the client is stopped (a scenario may change it).</summary>
    public TimeSpan ClientDeadline { get; init; } = TimeSpan.FromSeconds(25);
}

/// <summary>
/// Per-scenario state of the CTI suite: the mock processor on ephemeral loopback ports (socket, HTTP, WebSocket)
/// configured by the Given steps, the client under test run once with the <c>PROTOSIM_*</c> contract, and the
/// journals the Then step judges.
/// </summary>
public sealed class CtiDriver : IAsyncDisposable
{
    private readonly ConformanceContext _scenario;
    private readonly List<Action<CtiOptions>> _configure = [];
    private readonly List<Func<AgentWorld, AgentWorld>> _world = [];
    private readonly ScenarioDirectory _directory;
    private CtiHost? _host;

    public CtiDriver(ConformanceContext scenario)
    {
        _scenario = scenario;
        Settings = scenario.Required<CtiSuiteSettings>("The CTI suite starts your desktop client per scenario: run with --client-command \"<command>\" (see README: the client task contract).");
        _directory = new("cti");
        ClientDeadline = Settings.ClientDeadline;
    }

    public CtiSuiteSettings Settings { get; }

    // ------------------------------------------------------------ configuration (Given)

    public TimeSpan ClientDeadline { get; set; }

    /// <summary>The agent the client logs in as.</summary>
    public string AgentId { get; set; } = "agent1001";

    /// <summary>Extra <c>PROTOSIM_*</c> values of the task.</summary>
    public Dictionary<string, string> TaskEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The processor ends the HTTP client as soon as its session has logged out (CTI-012: endSession gets 404).</summary>
    public bool EndHttpClientAtLogout { get; set; }

    /// <summary>A task variable as the client will get it (null when unset).</summary>
    /// <summary>What the judge reads besides the journals: the task, its environment, the client's exit, the vendor.</summary>
    public CtiRun Run => new(Task, new Dictionary<string, string>(TaskEnvironment, StringComparer.Ordinal), Exit, World.CtiVendor);

    public void Configure(Action<CtiOptions> change) => _configure.Add(change);

    public void ChangeWorld(Func<AgentWorld, AgentWorld> change) => _world.Add(change);

    // ------------------------------------------------------------ the run (When)

    public string? Task { get; private set; }

    public ClientExit? Exit { get; private set; }

    public AgentWorld World { get; private set; } = null!;

    public CtiOptions Options => _host!.Processor.Options;

    /// <summary>The processor's journals of this scenario.</summary>
    public CtiEvidence Evidence { get; private set; } = new([]);

    public CancellationToken Token => _scenario.CancellationToken;

    public async Task RunTaskAsync(string task)
    {
        if (Task is not null)
        {
            throw new InvalidOperationException("This scenario already ran a task; one task per scenario.");
        }

        Task = task;
        var (world, errors) = AgentWorldLoader.Load(Settings.WorldFile);
        if (world is null)
        {
            throw new InvalidOperationException("The agent world is invalid:\n" + string.Join("\n", errors));
        }

        World = _world.Aggregate(world, (w, change) => change(w));
        _host = await CtiFake.StartAsync(System.Net.IPAddress.Loopback, o =>
        {
            o.World = World;
            foreach (var change in _configure)
            {
                change(o);
            }
        }, Token);
        if (_scenario.SessionObserver is { } observer)
        {
            _host.Observe(observer, _scenario.Label);
        }

        if (EndHttpClientAtLogout)
        {
            _host.Processor.SessionEnded += session =>
            {
                if (session.BoundBy is { Transport: Processor.CtiTransportKind.Http } client && _host.Http.End(client.ClientId, "the processor ended the client at logout"))
                {
                    _scenario.Log($"the processor ended HTTP client {client.ClientId} when its session logged out");
                }
            };
        }

        var environment = Environment(task);
        _scenario.Log($"running the client ({Settings.Launcher.Description}) with PROTOSIM_TASK={task} as {AgentId}, deadline {ClientDeadline.TotalSeconds:0} s");
        Exit = await Settings.Launcher.RunAsync(environment, ClientDeadline, Token);
        _scenario.Log($"the client {Exit.Describe()}" + (Exit.Output.Length > 0 ? ":\n" + Exit.Output.TrimEnd() : string.Empty));

        // Connections end with the client; give the processor a moment to see them close.
        using (var settle = CancellationTokenSource.CreateLinkedTokenSource(Token))
        {
            settle.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                await _host.Processor.Journals.WhenIdleAsync(settle.Token);
            }
            catch (OperationCanceledException) when (!Token.IsCancellationRequested)
            {
                _scenario.Log($"{_host.Processor.Journals.Active} client connection(s) still open 3 s after the client ended");
            }
        }

        var journals = _host.Processor.Journals.All.OrderBy(j => j.StartedAt).ToList();
        Evidence = new CtiEvidence(journals);
        foreach (var journal in journals)
        {
            _scenario.Attach(journal);
        }
    }

    private Dictionary<string, string> Environment(string task)
    {
        var agent = World.FindAgent(AgentId) ?? throw new InvalidOperationException($"the agent world has no agent \"{AgentId}\"");
        var endpoints = _host!.Endpoints();
        endpoints["credentials"]!["cti"] = new JsonObject { ["agentId"] = agent.Id, ["password"] = agent.Password, ["model"] = World.Model };
        var endpointsFile = _directory.File("endpoints.json");
        File.WriteAllText(endpointsFile, endpoints.ToJsonString(JsonDefaults.Indented) + "\n");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PROTOSIM_TASK"] = task,
            ["PROTOSIM_ENDPOINTS"] = endpointsFile,
            ["PROTOSIM_CTI_TCP"] = _host.TcpUrl,
            ["PROTOSIM_CTI_HTTP_URL"] = _host.BaseUrl,
            ["PROTOSIM_CTI_WS_URL"] = _host.WebSocketUrl,
            ["PROTOSIM_AGENT_ID"] = agent.Id,
            ["PROTOSIM_AGENT_PASSWORD"] = agent.Password,
            ["PROTOSIM_CTI_MODEL"] = World.Model,
            ["PROTOSIM_CLIENT_NAME"] = "ProtoSim desktop",
            ["PROTOSIM_CONFIRM_OVERRIDE"] = "no",
            ["PROTOSIM_CTI_COMMANDS"] = "seed",
            ["PROTOSIM_OUTPUT_DIR"] = _directory.Path,
        };
        if (agent.Extension is { } extension)
        {
            environment["PROTOSIM_CTI_EXTENSION"] = extension;
        }

        foreach (var (key, value) in TaskEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _directory.Dispose();
    }
}
