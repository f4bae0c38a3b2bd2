using System.Collections.ObjectModel;

namespace ProtocolSim.Conformance.Suites;

/// <summary>What one run gives the suites it runs: the client under test, the command line's settings, the repository's data.</summary>
public sealed record SuiteRunContext
{
    /// <summary>The server under test that a <see cref="SuiteClientRole.Server"/> suite dials (<c>--target</c>).</summary>
    public Uri? Target { get; init; }

    /// <summary>Accept self-signed certificates of the target (<c>--insecure</c>).</summary>
    public bool Insecure { get; init; }

    /// <summary>Dial a plain <c>ws://</c> target (<c>--allow-plain-ws</c>).</summary>
    public bool AllowPlainWs { get; init; }

    /// <summary>Starts the client of a <see cref="SuiteClientRole.Client"/> suite once per scenario.</summary>
    public IClientLauncher? Launcher { get; init; }

    /// <summary>Simulator defaults changed with <c>--set</c>, validated by <see cref="SuiteModules.ValidateOverrides"/>.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Values of the modules' own options, keyed as <see cref="Core.Hosting.ProgramOption.Key"/>.</summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = ReadOnlyDictionary<string, string>.Empty;

    /// <summary>The repository's <c>fixtures</c> directory.</summary>
    public required string Fixtures { get; init; }

    /// <summary>The caller recordings (<c>recordings/audio</c>), when they are here.</summary>
    public string? Recordings { get; init; }
}
