using ProtocolSim.Core.Hosting;
using ProtocolSim.DataFlow;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Projects;

[assembly: FakeHostFactory(typeof(DataFlowHostFactory))]

namespace ProtocolSim.DataFlow;

/// <summary>
/// The Data Flow mock in <c>protosim serve</c>: the projects of <c>fixtures/dataflow/projects</c>, fresh client
/// credentials, and the gRPC service of <c>--dataflow-proto</c> (setting <c>dataflow.proto</c>) when given.
/// </summary>
public sealed class DataFlowHostFactory : IFakeHostFactory
{
    /// <summary>The setting that names a .proto file to serve the gRPC integration under.</summary>
    public const string ProtoSetting = "dataflow.proto";

    /// <summary><c>--dataflow-proto FILE</c>, of <c>serve</c> and of <c>run</c> alike.</summary>
    public static ProgramOption ProtoOption { get; } = new(
        "--dataflow-proto",
        "Serve the Data Flow gRPC integration from this .proto file (the official grpcDataFlow.proto) instead of fixtures/dataflow/grpcDataFlow.proto.",
        ProtoSetting);

    public string Name => "dataflow";

    public IReadOnlyList<ProgramOption> Options { get; } = [ProtoOption];

    public FakeHostPlan Prepare(FakeHostContext context)
    {
        GrpcProtoMapping proto;
        try
        {
            proto = context.Settings.TryGetValue(ProtoSetting, out var file) ? GrpcProtoMapping.Load(file) : GrpcProtoMapping.Default;
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return FakeHostPlan.Failed([$"--dataflow-proto: {e.Message}"]);
        }

        var (projects, errors) = ProjectLoader.LoadDirectory(Path.Combine(context.Fixtures, "dataflow", "projects"));
        if (errors.Count > 0)
        {
            return FakeHostPlan.Failed(errors.Select(e => e.ToString()));
        }

        return FakeHostPlan.Ready(async cancellationToken => await DataFlowFake.StartAsync(context.Address, DataFlowFake.NewCredentials(), o =>
        {
            o.AddProjects(projects);
            o.GrpcProto = proto;
        }, cancellationToken));
    }
}
