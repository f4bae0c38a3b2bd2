using System.Collections.ObjectModel;
using System.Net;

namespace ProtocolSim.Core.Hosting;

/// <summary>
/// Makes one system's <see cref="IFakeHost"/> for <c>protosim serve</c>. A protocol project names its factory with
/// <see cref="FakeHostFactoryAttribute"/>; the CLI finds every one without naming any (<see cref="FakeHostFactories"/>).
/// </summary>
public interface IFakeHostFactory
{
    /// <summary>The system's short name, as <see cref="IFakeHost.Name"/>.</summary>
    string Name { get; }

    /// <summary>The options this fake adds to <c>protosim serve</c>; their values arrive in <see cref="FakeHostContext.Settings"/>.</summary>
    IReadOnlyList<ProgramOption> Options => [];

    /// <summary>
    /// Loads and validates what the fake needs (its fixtures, its settings), with every error at once; nothing
    /// listens yet, so that <c>serve</c> starts no fake while another's fixture is wrong (STYLE.md: exit 2).
    /// </summary>
    FakeHostPlan Prepare(FakeHostContext context);
}

/// <summary>Where and with what the fakes of <c>protosim serve</c> start.</summary>
/// <param name="Address">The address every fake binds (port 0 each).</param>
/// <param name="Fixtures">The repository's <c>fixtures</c> directory.</param>
/// <param name="Recordings">The caller recordings (<c>recordings/audio</c>), when they are here.</param>
public sealed record FakeHostContext(IPAddress Address, string Fixtures, string? Recordings)
{
    /// <summary>Settings of the command line for one fake, keyed <c>{system}.{name}</c> (<c>dataflow.proto</c> from <c>--dataflow-proto</c>).</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = ReadOnlyDictionary<string, string>.Empty;
}

/// <summary>A fake ready to start, or the errors that keep it from starting.</summary>
public sealed class FakeHostPlan
{
    private readonly Func<CancellationToken, Task<IFakeHost>>? _start;

    private FakeHostPlan(Func<CancellationToken, Task<IFakeHost>>? start, IReadOnlyList<string> errors)
    {
        _start = start;
        Errors = errors;
    }

    /// <summary>What is wrong with the fixtures or settings; empty when the fake can start.</summary>
    public IReadOnlyList<string> Errors { get; }

    public static FakeHostPlan Ready(Func<CancellationToken, Task<IFakeHost>> start) => new(start, []);

    public static FakeHostPlan Failed(IEnumerable<string> errors) => new(null, errors.ToList());

    /// <summary>From a fixture loader's answer: ready with the fixture when it loaded, failed with its errors when it did not.</summary>
    public static FakeHostPlan For<T>(T? fixture, IEnumerable<object> errors, Func<T, CancellationToken, Task<IFakeHost>> start)
        where T : class =>
        fixture is null ? Failed(errors.Select(e => e.ToString() ?? "")) : Ready(cancellationToken => start(fixture, cancellationToken));

    /// <summary>Starts the fake; only a plan without errors starts.</summary>
    public Task<IFakeHost> StartAsync(CancellationToken cancellationToken) =>
        _start is { } start ? start(cancellationToken) : throw new InvalidOperationException("a plan with errors does not start: " + string.Join("; ", Errors));
}

/// <summary>Names a protocol project's <see cref="IFakeHostFactory"/> (a public parameterless class).</summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class FakeHostFactoryAttribute(Type factory) : Attribute
{
    public Type Factory { get; } = factory;
}

/// <summary>The fake host factories of the protocol assemblies beside the running program (<c>ProtocolSim.*.dll</c>).</summary>
public static class FakeHostFactories
{
    private static readonly Lazy<IReadOnlyList<IFakeHostFactory>> Beside = new(() => Discover());

    /// <summary>The factories beside the running program, found once (as <c>SuiteModules.All</c> finds the suites).</summary>
    public static IReadOnlyList<IFakeHostFactory> All => Beside.Value;

    /// <summary>Every factory found, ordered by name, so that the endpoints file and the banner read the same in every run.</summary>
    public static IReadOnlyList<IFakeHostFactory> Discover(string? directory = null) =>
        ProtocolAssemblies.Instances<FakeHostFactoryAttribute, IFakeHostFactory>(a => a.Factory, directory)
            .OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
}
