using System.Collections.Immutable;
using ProtocolSim.Core;

namespace ProtocolSim.Conformance;

/// <summary>A file attached to a scenario as evidence (copied into the report directory).</summary>
public sealed record FileAttachment(string Name, string Path, string MediaType);

/// <summary>A line a step logged, with its time since the scenario started.</summary>
public sealed record ScenarioLogEntry(TimeSpan At, string Message);

/// <summary>
/// The running scenario, injectable into binding constructors and hooks. One instance per scenario; thread-safe.
/// </summary>
public sealed class ConformanceContext
{
    private readonly Lock _gate = new();
    private ImmutableList<SessionJournal> _journals = [];
    private ImmutableList<FileAttachment> _files = [];
    private ImmutableList<ScenarioLogEntry> _logs = [];

    internal ConformanceContext(
        ScenarioDefinition scenario,
        int seed,
        IServiceProvider services,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        Scenario = scenario;
        Seed = seed;
        Services = services;
        CancellationToken = cancellationToken;
        var start = time.GetTimestamp();
        Elapsed = () => time.GetElapsedTime(start);
        Rules = new RuleRecorder(() => (CurrentStep, CurrentStepLine), Elapsed);
    }

    /// <summary>Name of the feature (after <c>Feature:</c>).</summary>
    public string FeatureName => Scenario.Feature.Name;

    /// <summary>Full path of the .feature file.</summary>
    public string FeatureFile => Scenario.Feature.FullPath;

    /// <summary>Path of the .feature file as reports show it, e.g. <c>knowlarity/greeting.feature</c>.</summary>
    public string FeaturePath => Scenario.Feature.DisplayPath;

    /// <summary>Name of the scenario; for an outline example, with the example's values.</summary>
    public string ScenarioName => Scenario.Name;

    /// <summary>Stable id of the scenario: feature path and line, e.g. <c>knowlarity/greeting.feature:12</c>.</summary>
    public string ScenarioId => Scenario.Id;

    /// <summary>Tags of the scenario including those inherited from the feature and its examples block, with <c>@</c>.</summary>
    public IReadOnlyList<string> Tags => Scenario.Tags;

    /// <summary>Rule ids the scenario tags (without <c>@</c>); the scenario must judge exactly these.</summary>
    public IReadOnlyList<string> RuleIds => Scenario.RuleIds;

    /// <summary>The strength of a rule of the scenario's catalogue (null when the catalogue has no such rule).</summary>
    public RuleStrength? StrengthOf(string ruleId) => Scenario.Feature.Catalogue?.Find(ruleId)?.Strength;

    /// <summary>Line of the scenario (of the example row for an outline example).</summary>
    public int Line => Scenario.Line;

    /// <summary>Whoever watches the run's sessions live (<c>protosim run --dashboard</c>); null when nobody does.</summary>
    public ISessionObserver? SessionObserver => Services.GetService(typeof(ISessionObserver)) as ISessionObserver;

    /// <summary>The scenario as a person finds it: <c>path:line name</c>.</summary>
    public string Label => $"{FeaturePath}:{Line} {ScenarioName}";

    /// <summary>Cancelled when the scenario times out or the run is cancelled.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>Where steps record rule outcomes.</summary>
    public RuleRecorder Rules { get; }

    /// <summary>The run's service provider (never null; empty when the run has none).</summary>
    public IServiceProvider Services { get; }

    /// <summary>A suite's settings from the run, or an error that tells the user what the run lacks.</summary>
    public T Required<T>(string missing)
        where T : class => Services.GetService(typeof(T)) as T ?? throw new InvalidOperationException(missing);

    /// <summary>Seed for this scenario's randomness, derived from the run seed and the scenario id.</summary>
    public int Seed { get; }

    /// <summary>Text of the step running now (keyword and text), or null between steps.</summary>
    public string? CurrentStep { get; internal set; }

    /// <summary>Line of the step running now.</summary>
    public int? CurrentStepLine { get; internal set; }

    /// <summary>Journals attached as evidence, in attach order.</summary>
    public IReadOnlyList<SessionJournal> Journals => _journals;

    /// <summary>Files attached as evidence.</summary>
    public IReadOnlyList<FileAttachment> Files => _files;

    /// <summary>Lines logged by steps.</summary>
    public IReadOnlyList<ScenarioLogEntry> Logs => _logs;

    internal ScenarioDefinition Scenario { get; }

    internal Func<TimeSpan> Elapsed { get; }

    /// <summary>Whether the scenario carries the tag (with or without <c>@</c>, case-insensitive).</summary>
    public bool HasTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var name = tag.StartsWith('@') ? tag : "@" + tag;
        return Scenario.Tags.Contains(name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>A random generator seeded with <see cref="Seed"/>.</summary>
    public Random CreateRandom() => new(Seed);

    /// <summary>Adds a session journal as evidence: reports show its timeline, findings and audio.</summary>
    public void Attach(SessionJournal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        lock (_gate)
        {
            if (!_journals.Contains(journal))
            {
                _journals = _journals.Add(journal);
            }
        }
    }

    /// <summary>Adds a file as evidence; it is copied into the report directory when the run ends.</summary>
    public void AttachFile(string name, string path, string mediaType)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(path);
        lock (_gate)
        {
            _files = _files.Add(new FileAttachment(name, System.IO.Path.GetFullPath(path), string.IsNullOrEmpty(mediaType) ? "application/octet-stream" : mediaType));
        }
    }

    /// <summary>Adds a line to the scenario's log (shown in reports, not on the console).</summary>
    public void Log(string message)
    {
        lock (_gate)
        {
            _logs = _logs.Add(new ScenarioLogEntry(Elapsed(), message ?? string.Empty));
        }
    }
}
