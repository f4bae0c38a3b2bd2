using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Conformance.Suites;

/// <summary>
/// One conformance suite as a protocol project contributes it: the catalogue it drives, where its features are, its
/// step bindings, the settings and options it takes (with their validation), how the client under test meets its
/// fakes, and its reference clients. A project names its modules with <see cref="SuiteModuleAttribute"/>; the CLI
/// finds them (<see cref="SuiteModules.Discover"/>) and names none, so adding a suite touches no file of the CLI.
/// </summary>
public interface ISuiteModule
{
    /// <summary>The catalogue's suite id (<c>suite:</c> of its <c>rules.yaml</c>), e.g. <c>dataflow-websocket</c>.</summary>
    string Suite { get; }

    /// <summary>The suite's folder under <c>features/</c>, with <c>/</c>: <c>knowlarity/voice-stream</c>.</summary>
    string Folder { get; }

    /// <summary>How the client under test meets the suite's fakes.</summary>
    SuiteClientRole Role { get; }

    /// <summary>The assembly of the suite's Reqnroll step bindings.</summary>
    Assembly StepAssembly { get; }

    /// <summary>The simulator defaults that <c>--set Name=Value</c> changes for this suite; null when it has none.</summary>
    ISuiteSettings? Settings => null;

    /// <summary>The options this suite adds to <c>protosim run</c>; their values arrive in <see cref="SuiteRunContext.Settings"/>.</summary>
    IReadOnlyList<ProgramOption> Options => [];

    /// <summary>
    /// Validates what the run gives the suite and registers the settings its steps read (each step class takes them
    /// by context injection). Returns every problem at once; the run starts only when no module has one.
    /// </summary>
    IReadOnlyList<string> Configure(SuiteRunContext context, IServiceCollection services);

    /// <summary>Scenarios the self-tests run at once against one reference client (they are real-time bound).</summary>
    int SelfTestParallel { get; }

    /// <summary>The suite's reference clients, conforming and deliberately broken, in the order the self-tests run them.</summary>
    IReadOnlyList<ReferenceClient> ReferenceClients { get; }
}

/// <summary>How the client under test meets a suite's fakes (the client contract of ARCHITECTURE.md).</summary>
public enum SuiteClientRole
{
    /// <summary>It connects to the suite's fakes: started once per scenario with the <c>PROTOSIM_*</c> task environment (<c>--client-command</c>).</summary>
    Client,

    /// <summary>The suite's peer dials it (a bot at <c>--target</c>); <c>--client-command</c>, if given, starts it once for the run.</summary>
    Server,
}

/// <summary>Names a protocol project's <see cref="ISuiteModule"/> (a public parameterless class); one attribute per suite.</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class SuiteModuleAttribute(Type module) : Attribute
{
    public Type Module { get; } = module;
}
