namespace ProtocolSim.Conformance;

/// <summary>How to run the loaded scenarios.</summary>
public sealed class RunOptions
{
    /// <summary>Cucumber tag expression selecting scenarios, e.g. <c>@KVS-008 and not @slow</c>; null or empty runs all.</summary>
    public string? TagExpression { get; init; }

    /// <summary>Where junit.xml, results.json, report.html and audio/ are written; null writes no reports.</summary>
    public string? ReportDirectory { get; init; }

    /// <summary>Run seed; each scenario's <see cref="ConformanceContext.Seed"/> derives from it and the scenario id.</summary>
    public int Seed { get; init; }

    /// <summary>How many scenarios run at once (they wait on real time, not on the CPU). A scenario tagged @serial runs alone.</summary>
    public int MaxParallelScenarios { get; init; } = 8;

    /// <summary>A scenario still running after this fails with "timed out after N s" naming the step.</summary>
    public TimeSpan ScenarioTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Time allowed for AfterScenario hooks and disposal, after the scenario ends or times out.</summary>
    public TimeSpan CleanupTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Services bindings may receive in their constructors (consulted before the per-scenario container creates a class).</summary>
    public IServiceProvider? Services { get; init; }

    /// <summary>Receives one line per finished scenario, plus a line per failed rule outcome, warning or error.</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Called as each scenario finishes (from any thread, one call at a time).</summary>
    public Action<ScenarioResult>? ScenarioCompleted { get; init; }

    /// <summary>Title of the reports.</summary>
    public string? Title { get; init; }

    /// <summary>A label for this run shown in reports (e.g. the partner and build).</summary>
    public string? RunLabel { get; init; }

    /// <summary>The client under test, shown in reports (e.g. <c>wss://127.0.0.1:8443/voice</c>).</summary>
    public string? Target { get; init; }

    /// <summary>Clock for time-outs and durations.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
