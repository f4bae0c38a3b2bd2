using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Cti.Steps;
using ProtocolSim.Cti.World;
using ProtocolSim.ReferenceClients.Cti;

[assembly: SuiteModule(typeof(CtiSuite))]

namespace ProtocolSim.Cti.Steps;

/// <summary>The CTI interaction processor suite: the agent desktop under test calls the processor, once per scenario.</summary>
public sealed class CtiSuite : ISuiteModule
{
    private static readonly HashSet<string> SocketRules = ["CTI-002", "CTI-003", "CTI-004", "CTI-005", "CTI-006", "CTI-007"];
    private static readonly HashSet<string> HttpRules = ["CTI-008", "CTI-009", "CTI-010", "CTI-011", "CTI-012", "CTI-013"];

    public string Suite => "cti";

    public string Folder => "cti";

    public SuiteClientRole Role => SuiteClientRole.Client;

    public Assembly StepAssembly => typeof(CtiSteps).Assembly;

    public int SelfTestParallel => 8;

    public IReadOnlyList<ReferenceClient> ReferenceClients { get; } = [.. CtiReferenceClients.All.Select(c => new ReferenceClient
    {
        Name = c.Name,
        Conforming = c.Conforming,
        Breaks = c.BreaksRules,
        Description = c.Description,
        NotApplicable = NotApplicable(c.Transport),

        // The WebSocket transport is the simulator's convenience, not the processor's (CTI-001): the demo runs the two real ones.
        InDemo = c.Conforming && c.Transport != CtiTransportKind.WebSocket,
        RunTask = (environment, log, ct) => CtiReferenceClients.RunAsync(c.Name, environment, log, ct),
    })];

    /// <summary>The rules of the transports a CTI client does not use.</summary>
    public static IReadOnlySet<string> NotApplicable(CtiTransportKind transport) => transport switch
    {
        CtiTransportKind.Socket => HttpRules.ToHashSet(StringComparer.Ordinal),
        CtiTransportKind.Http => SocketRules.ToHashSet(StringComparer.Ordinal),
        _ => SocketRules.Union(HttpRules).ToHashSet(StringComparer.Ordinal),
    };

    public IReadOnlyList<string> Configure(SuiteRunContext context, IServiceCollection services)
    {
        services.AddSingleton(new CtiSuiteSettings
        {
            Launcher = context.Launcher!,
            WorldFile = AgentWorld.DefaultPath(context.Fixtures),
        });
        return [];
    }
}
