using System.Collections.Frozen;

namespace ProtocolSim.Conformance.Suites;

/// <summary>
/// A bundled reference client of a suite, conforming or deliberately broken: which rules it is built to break,
/// which do not apply to it (another integration's or transport's), and how to run it. A client of a
/// <see cref="SuiteClientRole.Client"/> suite runs one task in process (<see cref="RunTask"/>, the same as
/// <c>protosim reference-client NAME</c>); a server of a <see cref="SuiteClientRole.Server"/> suite starts on loopback
/// (<see cref="StartServer"/>).
/// </summary>
public sealed record ReferenceClient
{
    public required string Name { get; init; }

    /// <summary>True for the clients that should pass every applicable rule of the suite.</summary>
    public required bool Conforming { get; init; }

    /// <summary>Exact rule ids the client breaks (FAIL, NON-STRICT, or INFO of a MAY rule) when the whole suite runs.</summary>
    public required IReadOnlySet<string> Breaks { get; init; }

    /// <summary>One line: what the client does (differently from the conforming one).</summary>
    public required string Description { get; init; }

    /// <summary>The rules the client cannot be judged on: another integration's or transport's (their scenarios skip).</summary>
    public IReadOnlySet<string> NotApplicable { get; init; } = FrozenSet<string>.Empty;

    /// <summary>Runs one task with the <c>PROTOSIM_*</c> environment and returns the exit code.</summary>
    public Func<IReadOnlyDictionary<string, string>, TextWriter, CancellationToken, Task<int>>? RunTask { get; init; }

    /// <summary>Starts the server on loopback, on the given port (0: any free one), and gives the URL the suite's peer dials.</summary>
    public Func<int, CancellationToken, Task<IReferenceServer>>? StartServer { get; init; }

    /// <summary>
    /// For <c>protosim demo</c>: the shell command that runs this client per scenario as a partner's would, given the
    /// repository's root; null for the default, <c>protosim reference-client NAME</c>.
    /// </summary>
    public Func<string, string>? DemoCommand { get; init; }

    /// <summary>Run by <c>protosim demo</c> (the conforming client of each integration or transport).</summary>
    public bool InDemo { get; init; }

    /// <summary>Judged by the self-tests and <c>protosim selftest</c> (false for a client only the demo runs).</summary>
    public bool InSelfTest { get; init; } = true;
}

/// <summary>A reference server started for a run; disposing it stops it.</summary>
public interface IReferenceServer : IAsyncDisposable
{
    /// <summary>The URL the suite's peer dials (the path its configuration would give).</summary>
    Uri Url { get; }

    /// <summary>False when it serves plain <c>ws://</c>.</summary>
    bool Tls { get; }
}
