namespace ProtocolSim.DataFlow.Sessions;

/// <summary>Incident wire shape (dataflow.md §2.5, §5 <c>DataFlow:IncidentShape</c>).</summary>
public enum IncidentShape
{
    /// <summary><c>{"Incident":{...,"Level"}}</c> (000 §Incident).</summary>
    Nested,

    /// <summary><c>{"MessageName":"Incident","IncidentLevel":...}</c> (INC).</summary>
    Flat,

    /// <summary>Both, one after the other.</summary>
    Both,
}

/// <summary>Options of the Data Flow mock's sessions; defaults are dataflow.md §5.</summary>
public sealed class DataFlowOptions : ProtocolSim.Core.Hosting.IFakeOptions
{
    /// <summary>Projects the tenant has (a real Data Flow project decides which nodes run).</summary>
    public HashSet<string> Projects { get; } = new(StringComparer.Ordinal) { "call-analytics" };

    /// <summary>Scripts of the projects that have one (fixtures/dataflow/projects/*.yaml); others emit only FinalResult.</summary>
    public Dictionary<string, Projects.ProjectDefinition> Scripts { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds loaded project definitions (their names become projects).</summary>
    public void AddProjects(IEnumerable<Projects.ProjectDefinition> projects)
    {
        foreach (var project in projects)
        {
            Projects.Add(project.Name);
            Scripts[project.Name] = project;
        }
    }

    /// <summary>Simulated project build time before <c>StartResponse</c>.</summary>
    public TimeSpan StartDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time from <c>FinalizeResponse</c>/<c>StopResponse</c> to <c>FinalResult</c>.</summary>
    public TimeSpan FinalizeDuration { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The server closes with 1000 this long after <c>FinalResult</c> if the client has not (§5); zero = never.</summary>
    public TimeSpan CloseAfterFinalResult { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest WebSocket message accepted (§5 <c>MaxFrameBytes</c>); larger ones close with 1009.</summary>
    public int MaxFrameBytes { get; set; } = 1024 * 1024;

    public IncidentShape IncidentShape { get; set; } = IncidentShape.Nested;

    /// <summary>The gRPC method and the fields of its messages (§5 <c>DataFlow:Grpc:ProtoFile</c>): the assumed proto, or one loaded with <see cref="Grpc.GrpcProtoMapping.Load"/>.</summary>
    public Grpc.GrpcProtoMapping GrpcProto { get; set; } = Grpc.GrpcProtoMapping.Default;

    /// <summary>
    /// Audio a session keeps as its journal's tracks (each input channel and the TTS speech, decoded to 16-bit PCM) for
    /// the dashboard and the report; audio past it is still handled, not kept. With <see cref="KeepJournals"/> this
    /// bounds a long-running serve's memory.
    /// </summary>
    public TimeSpan MaxCapturedAudio { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Journals kept for reports and the dashboard, newest first (0 = all); bounds a long-running serve's memory.</summary>
    public int KeepJournals { get; set; } = 1000;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Projects.Count == 0)
        {
            errors.Add("DataFlow: at least one project is needed.");
        }

        if (StartDelay < TimeSpan.Zero || FinalizeDuration < TimeSpan.Zero || CloseAfterFinalResult < TimeSpan.Zero)
        {
            errors.Add("DataFlow: StartDelay, FinalizeDuration and CloseAfterFinalResult cannot be negative.");
        }

        if (KeepJournals < 0)
        {
            errors.Add($"DataFlow: KeepJournals {KeepJournals} cannot be negative.");
        }

        if (MaxFrameBytes < 1024)
        {
            errors.Add($"DataFlow: MaxFrameBytes {MaxFrameBytes} is below 1024.");
        }

        return errors;
    }
}
