using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Core.Hosting;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Steps;
using ProtocolSim.ReferenceClients.DataFlow;

[assembly: SuiteModule(typeof(DataFlowSuite))]

namespace ProtocolSim.DataFlow.Steps;

/// <summary>
/// The Knovvu Data Flow suite (WebSocket, gRPC and HTTP batch integrations, the token endpoint): the client under
/// test calls the mock, once per scenario; <c>--dataflow-proto</c> serves the gRPC integration from another .proto.
/// </summary>
public sealed class DataFlowSuite : ISuiteModule
{
    /// <summary>The Node.js gRPC reference client (tests/peers, on @grpc/grpc-js), run by the demo with node.</summary>
    public const string NodeGrpcClient = "dataflow-grpc-node";

    private static readonly Lazy<IReadOnlyList<string>> RuleIds = new(() =>
        ConformanceRunner.LoadCatalogues([Path.Combine(RepositoryPaths.Features(), "dataflow")]).Catalogues.SelectMany(c => c.Rules).Select(r => r.Id).ToList());

    // Built when first asked for: the rules that do not apply are read from the suite's catalogue.
    private readonly Lazy<IReadOnlyList<ReferenceClient>> _clients = new(() =>
    [
        .. DataFlowReferenceClients.All.Select(c => new ReferenceClient
        {
            Name = c.Name,
            Conforming = c.Conforming,
            Breaks = c.BreaksRules,
            Description = c.Description,
            NotApplicable = NotApplicable(c.Transport),
            InDemo = c.Conforming,
            RunTask = (environment, log, ct) => DataFlowReferenceClients.RunAsync(c.Name, environment, log, ct),
        }),
        new ReferenceClient
        {
            Name = NodeGrpcClient,
            Conforming = true,
            Breaks = new HashSet<string>(StringComparer.Ordinal),
            Description = "Conforming Data Flow gRPC client on @grpc/grpc-js (tests/peers/dataflow-grpc-reference-client.js; needs node).",
            InDemo = true,
            InSelfTest = false,
            DemoCommand = root => "node " + ShellClientLauncher.Quote(Path.Combine(root, "tests", "peers", "dataflow-grpc-reference-client.js")),
        },
    ]);

    public string Suite => "dataflow-websocket";

    public string Folder => "dataflow";

    public SuiteClientRole Role => SuiteClientRole.Client;

    public Assembly StepAssembly => typeof(DataFlowSteps).Assembly;

    public IReadOnlyList<ProgramOption> Options { get; } = [DataFlowHostFactory.ProtoOption];

    public int SelfTestParallel => 6;

    public IReadOnlyList<ReferenceClient> ReferenceClients => _clients.Value;

    /// <summary>The rules a Data Flow client of one integration cannot be judged on (the other integrations' scenarios skip).</summary>
    public static IReadOnlySet<string> NotApplicable(DataFlowTransport transport)
    {
        static bool Of(string id, string family) => id.StartsWith(family, StringComparison.Ordinal);
        var ids = RuleIds.Value;
        return transport switch
        {
            DataFlowTransport.WebSocket => ids.Where(id => Of(id, "DFG-") || Of(id, "DFH-")).ToHashSet(StringComparer.Ordinal),
            DataFlowTransport.Grpc => ids.Where(id => id == "DFW-002" || Of(id, "DFH-")).ToHashSet(StringComparer.Ordinal),

            // HTTP: the streaming rules, except the two with scope H that its own scenario judges.
            _ => ids.Where(id => Of(id, "DFG-") || (Of(id, "DFW-") && id is not ("DFW-013" or "DFW-033"))).ToHashSet(StringComparer.Ordinal),
        };
    }

    public IReadOnlyList<string> Configure(SuiteRunContext context, IServiceCollection services)
    {
        var errors = new List<string>();
        if (context.Recordings is null)
        {
            errors.Add("recordings/audio not found above the current directory or the program; run from the repository");
        }

        var proto = GrpcProtoMapping.Default;
        try
        {
            if (context.Settings.TryGetValue(DataFlowHostFactory.ProtoSetting, out var file))
            {
                proto = GrpcProtoMapping.Load(file);
            }
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            errors.Add($"--dataflow-proto: {e.Message}");
        }

        if (errors.Count == 0)
        {
            services.AddSingleton(new DataFlowSuiteSettings
            {
                GrpcProto = proto,
                Launcher = context.Launcher!,
                ProjectsDirectory = Path.Combine(context.Fixtures, "dataflow", "projects"),
                RecordingsDirectory = context.Recordings!,
            });
        }

        return errors;
    }
}
