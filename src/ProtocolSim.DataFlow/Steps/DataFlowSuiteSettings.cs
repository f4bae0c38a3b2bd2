using ProtocolSim.Conformance;

namespace ProtocolSim.DataFlow.Steps;

/// <summary>What the Data Flow suite needs from the run: how to start the client under test, and the fixtures.</summary>
public sealed class DataFlowSuiteSettings
{
    /// <summary>Starts the client under test once per task run (<c>--client-command</c>, or in-process reference clients).</summary>
    public required IClientLauncher Launcher { get; init; }

    /// <summary><c>fixtures/dataflow/projects</c>: the projects every scenario's mock has.</summary>
    public required string ProjectsDirectory { get; init; }

    /// <summary><c>recordings/audio</c>: the caller recordings the tasks stream.</summary>
    public required string RecordingsDirectory { get; init; }

    /// <summary>The gRPC method and message fields the mock serves (the assumed proto, or <c>--dataflow-proto</c>).</summary>
    public Grpc.GrpcProtoMapping GrpcProto { get; init; } = Grpc.GrpcProtoMapping.Default;

    /// <summary>How long one task run may take before the client is stopped (a scenario may shorten it).</summary>
    public TimeSpan ClientDeadline { get; init; } = TimeSpan.FromSeconds(25);
}
