using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Audio;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Steps;

/// <summary>The audio a task streams: a caller recording in the format a scenario asks for.</summary>
/// <param name="Encoding">pcm, ulaw or alaw.</param>
public sealed record TaskAudio(string Recording, int SampleRate, int Channels, string Encoding)
{
    /// <summary>Bytes of one sample frame of all channels.</summary>
    public int FrameBytes => (Encoding == "pcm" ? 2 : 1) * Channels;

    public override string ToString() => $"{Encoding} {SampleRate} Hz {(Channels == 1 ? "mono" : "stereo")} ({Recording})";
}

/// <summary>
/// Per-scenario state of the Data Flow suite: the mock (identity + WebSocket integration) on an ephemeral loopback
/// port, configured by the Given steps; the client under test run with the <c>PROTOSIM_*</c> contract; and the
/// journals the Then steps judge.
/// </summary>
public sealed class DataFlowDriver : IAsyncDisposable
{
    private readonly ConformanceContext _scenario;
    private readonly List<ProjectDefinition> _inlineProjects = [];
    private readonly Dictionary<string, string> _responses = new(StringComparer.Ordinal);
    private readonly ScenarioDirectory _directory;
    private DataFlowHost? _app;

    public DataFlowDriver(ConformanceContext scenario)
    {
        _scenario = scenario;
        Settings = scenario.Required<DataFlowSuiteSettings>("The Data Flow suite starts your client per scenario: run with --client-command \"<command>\" (see README: the client task contract).");
        _directory = new("dataflow");
        OutputDirectory = _directory.File("output");
        Directory.CreateDirectory(OutputDirectory);
        ClientDeadline = Settings.ClientDeadline;
    }

    public DataFlowSuiteSettings Settings { get; }

    // ------------------------------------------------------------ configuration (Given)

    public string Project { get; set; } = "call-analytics";

    public TaskAudio Audio { get; set; } = new("question", 8000, 1, "pcm");

    public TimeSpan StartDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time from FinalizeResponse/StopResponse to FinalResult.</summary>
    public TimeSpan FinalizeDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    public IncidentShape IncidentShape { get; set; } = IncidentShape.Nested;

    public TimeSpan ClientDeadline { get; set; }

    /// <summary>How long the mock waits for the client to close after FinalResult before it closes (DFW-030).</summary>
    public TimeSpan CloseAfterFinalResult { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Whether the gRPC TLS listener presents a certificate from the CA the client is given (false: from another CA).</summary>
    public bool GrpcCertificateTrusted { get; set; } = true;

    /// <summary>Extra <c>PROTOSIM_*</c> values of the task (event text, update parameters, sessions, output encoding).</summary>
    public Dictionary<string, string> TaskEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>The first request of a name gets this OperationResult (a scripted answer of the project).</summary>
    public void ScriptResponse(string request, string result) => _responses[request] = result;

    /// <summary>Adds a project defined in the feature file (YAML, validated as the fixtures are).</summary>
    public void AddProject(string yaml, string source)
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load(source, yaml, errors);
        if (project is null || errors.Count > 0)
        {
            throw new InvalidOperationException("The scenario's project is invalid:\n" + string.Join("\n", errors));
        }

        _inlineProjects.Add(project);
        Project = project.Name;
    }

    // ------------------------------------------------------------ the run (When)

    public IdentityClient? Credentials { get; private set; }

    public string OutputDirectory { get; }

    /// <summary>The raw audio the task's WAV holds (what the client must send, DFW-007/008).</summary>
    public byte[] ExpectedAudio { get; private set; } = [];

    public string? AudioPath { get; private set; }

    public string? Task { get; private set; }

    public ClientExit? Exit { get; private set; }

    public SessionJournal? Identity { get; private set; }

    /// <summary>The streaming sessions the client opened (WebSocket connections and gRPC Stream calls), in order.</summary>
    public IReadOnlyList<SessionJournal> Sessions { get; private set; } = [];

    /// <summary>The HTTP batch requests the client made, in order.</summary>
    public IReadOnlyList<SessionJournal> Batches { get; private set; } = [];

    /// <summary>gRPC calls of methods other than dataflow/Stream (DFG-002).</summary>
    public IReadOnlyList<SessionJournal> OtherGrpcCalls { get; private set; } = [];

    /// <summary>Connections to the gRPC TLS port whose handshake never completed (DFG-003).</summary>
    public IReadOnlyList<SessionJournal> FailedTlsHandshakes { get; private set; } = [];

    /// <summary>Whether the client's sessions were gRPC calls (the DFW rules then also judge DFG-001).</summary>
    public bool UsedGrpc => Sessions.Count > 0 && Sessions.All(j => j.Protocol == "dataflow-grpc");

    /// <summary>The integrations the client used, for messages: "WebSocket", "gRPC", "HTTP batch" or "no integration".</summary>
    public string Integrations
    {
        get
        {
            var used = Sessions.Select(j => j.Protocol == "dataflow-grpc" ? "gRPC" : "WebSocket").Concat(Batches.Select(_ => "HTTP batch"))
                .Concat(OtherGrpcCalls.Select(_ => "gRPC")).Distinct(StringComparer.Ordinal).ToList();
            return used.Count == 0 ? "no integration" : string.Join(" and ", used);
        }
    }

    public DataFlowOptions? Options { get; private set; }

    public CancellationToken Token => _scenario.CancellationToken;

    /// <summary>Starts the mock, runs the task once in the client under test, waits for every connection to end.</summary>
    public async Task RunTaskAsync(string task)
    {
        if (Task is not null)
        {
            throw new InvalidOperationException("This scenario already ran a task; one task per scenario.");
        }

        Task = task;
        await StartMockAsync();
        AudioPath = WriteAudio();
        var environment = Environment(task);
        _scenario.Log($"running the client ({Settings.Launcher.Description}) with PROTOSIM_TASK={task}, audio {Audio}, deadline {ClientDeadline.TotalSeconds:0} s");
        Exit = await Settings.Launcher.RunAsync(environment, ClientDeadline, Token);
        _scenario.Log($"the client {Exit.Describe()}" + (Exit.Output.Length > 0 ? ":\n" + Exit.Output.TrimEnd() : string.Empty));

        // The client has ended; its connections end with it. Wait until the mock has seen every one end.
        var journals = _app!.Services.GetRequiredService<DataFlowJournals>();
        using var settle = CancellationTokenSource.CreateLinkedTokenSource(Token);
        settle.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            await journals.WhenIdleAsync(settle.Token);
        }
        catch (OperationCanceledException) when (!Token.IsCancellationRequested)
        {
            _scenario.Log("a connection was still open 5 s after the client ended; judging what was received");
        }

        Identity = _app.Services.GetRequiredService<IdentityJournal>().Journal;
        List<SessionJournal> Of(string protocol) => journals.All.Where(j => j.Protocol == protocol).OrderBy(j => j.StartedAt).ToList();
        Sessions = journals.All.Where(j => j.Protocol is "dataflow-ws" or "dataflow-grpc").OrderBy(j => j.StartedAt).ToList();
        Batches = Of("dataflow-http");
        OtherGrpcCalls = Of("dataflow-grpc-method");
        FailedTlsHandshakes = Of("dataflow-grpc-tls");
        _scenario.Attach(Identity);
        foreach (var journal in journals.All.OrderBy(j => j.StartedAt))
        {
            _scenario.Attach(journal);
        }
    }

    private async Task StartMockAsync()
    {
        var (projects, errors) = ProjectLoader.LoadDirectory(Settings.ProjectsDirectory);
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The Data Flow projects are invalid:\n" + string.Join("\n", errors));
        }

        var all = projects.Where(p => _inlineProjects.TrueForAll(i => i.Name != p.Name)).Concat(_inlineProjects)
            .Select(p => p.Name == Project && _responses.Count > 0 ? p with { Responses = new Dictionary<string, string>(_responses, StringComparer.Ordinal) } : p)
            .ToList();
        if (all.TrueForAll(p => p.Name != Project))
        {
            throw new InvalidOperationException($"No project \"{Project}\" in {Settings.ProjectsDirectory} or the scenario.");
        }

        // Fresh credentials per scenario: nothing secret is fixed, and the secret is known to the redactor.
        Credentials = DataFlowFake.NewCredentials();
        _app = await DataFlowFake.StartAsync(System.Net.IPAddress.Loopback, Credentials, o =>
        {
            o.AddProjects(all);
            o.StartDelay = StartDelay;
            o.FinalizeDuration = FinalizeDuration;
            o.IncidentShape = IncidentShape;
            o.GrpcProto = Settings.GrpcProto;

            // The suite's patience after FinalResult (DFW-030) is above the mock's 1 s default, so that a busy machine
            // does not make a conforming client look slow.
            o.CloseAfterFinalResult = CloseAfterFinalResult;
        }, Token, GrpcCertificates.Create(TimeProvider.System, GrpcCertificateTrusted));
        Options = _app.Services.GetRequiredService<DataFlowOptions>();
        if (_scenario.SessionObserver is { } observer)
        {
            _app.Observe(observer, _scenario.Label);
        }
    }

    private Dictionary<string, string> Environment(string task)
    {
        var credentials = Credentials!;
        var ws = _app!.WebSocketUrl;
        var identity = _app!.IdentityUrl;
        var endpointsFile = _directory.File("endpoints.json");
        var caFile = _directory.File("dataflow-grpc-ca.pem");
        File.WriteAllText(caFile, _app!.GrpcCaPem);
        var endpoints = _app!.Endpoints(Project);
        File.WriteAllText(endpointsFile, endpoints.ToJsonString(JsonDefaults.Indented) + "\n");
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PROTOSIM_TASK"] = task,
            ["PROTOSIM_AUDIO"] = AudioPath!,
            ["PROTOSIM_ENDPOINTS"] = endpointsFile,
            ["PROTOSIM_DATAFLOW_WS_URL"] = ws,
            ["PROTOSIM_DATAFLOW_GRPC_URL"] = _app!.GrpcUrl,
            ["PROTOSIM_DATAFLOW_GRPC_CLEARTEXT_URL"] = _app!.GrpcCleartextUrl,
            ["PROTOSIM_DATAFLOW_GRPC_CA"] = caFile,
            ["PROTOSIM_DATAFLOW_HTTP_URL"] = _app!.HttpUrl,
            ["PROTOSIM_IDENTITY_URL"] = identity,
            ["PROTOSIM_CLIENT_ID"] = credentials.ClientId,
            ["PROTOSIM_CLIENT_SECRET"] = credentials.ClientSecret,
            ["PROTOSIM_TENANT"] = credentials.Tenant,
            ["PROTOSIM_PROJECT"] = Project,
            ["PROTOSIM_OUTPUT_DIR"] = OutputDirectory,
        };
        foreach (var (key, value) in TaskEnvironment)
        {
            environment[key] = value;
        }

        return environment;
    }

    /// <summary>Writes the task's WAV: the recording at the rate, the second channel another recording, G.711 encoded when asked.</summary>
    private string WriteAudio()
    {
        var first = Recording(Audio.Recording);
        short[] samples;
        if (Audio.Channels == 1)
        {
            samples = first;
        }
        else
        {
            // Channel 0 the agent, channel 1 the customer (call-analytics): different voices, so a swap or a
            // planar layout is visible sample by sample.
            var second = Recording(Audio.Recording == "goodbye" ? "question" : "goodbye");
            var frames = Math.Max(first.Length, second.Length);
            samples = new short[frames * 2];
            for (var i = 0; i < frames; i++)
            {
                samples[2 * i] = i < first.Length ? first[i] : (short)0;
                samples[(2 * i) + 1] = i < second.Length ? second[i] : (short)0;
            }
        }

        byte[] file;
        switch (Audio.Encoding)
        {
            case "ulaw":
                ExpectedAudio = G711.EncodeMuLaw(samples);
                file = Wav.EncodeG711(ExpectedAudio, Audio.SampleRate, Audio.Channels, WavFormat.MuLawTag);
                break;
            case "alaw":
                ExpectedAudio = G711.EncodeALaw(samples);
                file = Wav.EncodeG711(ExpectedAudio, Audio.SampleRate, Audio.Channels, WavFormat.ALawTag);
                break;
            default:
                ExpectedAudio = Pcm.ToBytes(samples);
                file = Wav.Encode(ExpectedAudio, Audio.SampleRate, Audio.Channels);
                break;
        }

        var path = _directory.File(string.Create(CultureInfo.InvariantCulture, $"{Audio.Recording}-{Audio.Encoding}-{Audio.SampleRate}-{Audio.Channels}ch.wav"));
        File.WriteAllBytes(path, file);
        return path;
    }

    private short[] Recording(string name)
    {
        var path = Path.Combine(Settings.RecordingsDirectory, string.Create(CultureInfo.InvariantCulture, $"{name}-{Audio.SampleRate / 1000}k.wav"));
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"No recording {path}: the recordings exist at 8, 16, 24, 32 and 48 kHz.");
        }

        return Pcm.ToSamples(Wav.ReadFile(path).Data);
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
