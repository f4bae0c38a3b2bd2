using System.Globalization;
using System.Reflection;
using System.Text;
using ProtocolSim.Conformance.Reports;

namespace ProtocolSim.Conformance;

/// <summary>
/// Loads features, catalogues and bindings (reporting every error at once), then runs the scenarios concurrently and
/// turns what their steps recorded into a verdict per rule.
/// </summary>
/// <example>
/// <code>
/// var load = ConformanceRunner.Load(["features/knowlarity"], [typeof(KnowlaritySteps).Assembly]);
/// if (!load.Success) { foreach (var e in load.Errors) Console.Error.WriteLine(e); return 2; }
/// var result = await new ConformanceRunner(load).RunAsync(new RunOptions { ReportDirectory = "out", Progress = Console.Out }, ct);
/// return result.ExitCode;
/// </code>
/// </example>
public sealed class ConformanceRunner
{
    /// <summary>Reqnroll's Cucumber Messages formatter output in the report directory.</summary>
    public const string MessagesFileName = "cucumber-messages.ndjson";

    /// <summary>Reqnroll's HTML formatter output in the report directory.</summary>
    public const string ReqnrollHtmlFileName = "reqnroll-report.html";

    private readonly LoadResult _load;

    /// <summary>A runner for a successful load; throws <see cref="ArgumentException"/> when the load has errors.</summary>
    public ConformanceRunner(LoadResult load)
    {
        ArgumentNullException.ThrowIfNull(load);
        if (!load.Success || load.Session is null)
        {
            throw new ArgumentException($"cannot run a load with {load.Errors.Count} error(s); report LoadResult.Errors and exit with 2", nameof(load));
        }

        _load = load;
    }

    /// <summary>
    /// Loads the given paths (directories are searched recursively for *.feature; each feature belongs to the nearest
    /// rules.yaml at or above its directory within that path) and matches their steps, with Reqnroll's matcher, to the
    /// Reqnroll <c>[Binding]</c> classes of the assemblies. Never throws for bad input: every problem is in
    /// <see cref="LoadResult.Errors"/>.
    /// </summary>
    public static LoadResult Load(IReadOnlyList<string> paths, IReadOnlyList<Assembly> bindingAssemblies)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(bindingAssemblies);
        return FeatureLoader.Load(paths, new ReqnrollSession { BindingAssemblies = [.. bindingAssemblies.Distinct()] });
    }

    /// <summary>Like <see cref="Load"/>, with an explicit set of binding classes (tests, or a CLI that picks bindings).</summary>
    internal static LoadResult LoadTypes(IReadOnlyList<string> paths, IReadOnlyList<Type> bindingTypes) =>
        FeatureLoader.Load(paths, new ReqnrollSession { BindingAssemblies = [.. bindingTypes.Select(t => t.Assembly).Distinct()], BindingTypes = bindingTypes.ToHashSet() });

    /// <summary>Loads only the rule catalogues of the suites under the paths (for listing rules); features are not parsed.</summary>
    public static LoadResult LoadCatalogues(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        return FeatureLoader.Load(paths, null);
    }

    /// <summary>
    /// Runs the scenarios the tag expression selects and writes the reports. An invalid tag expression throws
    /// <see cref="ArgumentException"/> (check it first with <see cref="TagExpression.TryParse"/>). Cancelling stops new
    /// scenarios, fails the running ones as cancelled, and still returns a result and writes the reports.
    /// </summary>
    public async Task<RunResult> RunAsync(RunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!TagExpression.TryParse(options.TagExpression, out var filter, out var tagError))
        {
            throw new ArgumentException(tagError, nameof(options));
        }

        if (options.MaxParallelScenarios < 1)
        {
            throw new ArgumentException("MaxParallelScenarios must be at least 1", nameof(options));
        }

        var time = options.TimeProvider;
        var started = time.GetUtcNow();
        var startTimestamp = time.GetTimestamp();
        var scenarios = _load.ScenarioDefinitions;
        var results = new ScenarioResult?[scenarios.Count];
        var selected = new List<int>();
        for (var i = 0; i < scenarios.Count; i++)
        {
            if (filter.Evaluate(scenarios[i].Tags))
            {
                selected.Add(i);
            }
            else
            {
                results[i] = NotRun(scenarios[i], $"filtered out by tag expression '{options.TagExpression}'", options.Seed);
            }
        }

        // The load's bindings, with Reqnroll's formatters writing beside our reports.
        var reqnroll = options.ReportDirectory is { } directory
            ? _load.Session! with { MessagesFile = Path.GetFullPath(Path.Combine(directory, MessagesFileName)), HtmlFile = Path.GetFullPath(Path.Combine(directory, ReqnrollHtmlFileName)) }
            : _load.Session!;
        var session = await RunSession.StartAsync(reqnroll).ConfigureAwait(false);
        var progress = new ProgressReporter(options, selected.Count);
        using var gate = new SemaphoreSlim(options.MaxParallelScenarios);
        var running = new List<Task>();
        foreach (var index in selected)
        {
            var scenario = scenarios[index];
            if (cancellationToken.IsCancellationRequested)
            {
                results[index] = NotRun(scenario, "run cancelled before the scenario started", options.Seed);
                continue;
            }

            var executor = new ScenarioExecutor(scenario, session, options, DeriveSeed(options.Seed, scenario.Id));
            if (scenario.IsSerial)
            {
                // @serial: wait for everything running, run alone, then go on.
                await Task.WhenAll(running).ConfigureAwait(false);
                results[index] = await executor.RunAsync(cancellationToken).ConfigureAwait(false);
                progress.Report(results[index]!);
                continue;
            }

            try
            {
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                results[index] = NotRun(scenario, "run cancelled before the scenario started", options.Seed);
                continue;
            }

            running.Add(Task.Run(
                async () =>
                {
                    try
                    {
                        results[index] = await executor.RunAsync(cancellationToken).ConfigureAwait(false);
                        progress.Report(results[index]!);
                    }
                    finally
                    {
                        gate.Release();
                    }
                },
                CancellationToken.None));
        }

        await Task.WhenAll(running).ConfigureAwait(false);

        // Ends Reqnroll's test run: its formatters write the Cucumber Messages NDJSON and the HTML report now.
        var reqnrollErrors = new List<string>();
        try
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A formatter or AfterTestRun failure is a report error, not a lost run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            reqnrollErrors.Add($"Reqnroll's test run did not end cleanly: {ex.GetType().Name}: {ex.Message}");
        }

        var scenarioResults = results.Select(r => r!).ToList();
        var result = new RunResult
        {
            Title = options.Title ?? DefaultTitle(_load.Catalogues),
            RunLabel = options.RunLabel,
            Target = options.Target,
            Seed = options.Seed,
            TagExpression = string.IsNullOrWhiteSpace(options.TagExpression) ? null : options.TagExpression,
            Started = started,
            Duration = time.GetElapsedTime(startTimestamp),
            Scenarios = scenarioResults,
            Rules = Verdicts.Aggregate(_load.Catalogues, scenarioResults),
            Catalogues = _load.Catalogues,
            Cancelled = cancellationToken.IsCancellationRequested,
        };

        if (options.ReportDirectory is not null)
        {
            var (files, errors) = await ConformanceReports.WriteAsync(result, options.ReportDirectory, CancellationToken.None).ConfigureAwait(false);
            string[] reqnrollFiles = [reqnroll.MessagesFile!, reqnroll.HtmlFile!];
            result = CopyWith(result, [.. files, .. reqnrollFiles.Where(File.Exists)], [.. errors, .. reqnrollErrors]);
            progress.Summary(result);
        }
        else
        {
            progress.Summary(result);
        }

        return result;
    }

    /// <summary>A per-scenario seed from the run seed and the scenario id (stable across runs and machines).</summary>
    internal static int DeriveSeed(int runSeed, string scenarioId)
    {
        // FNV-1a over the id, mixed with the run seed (murmur3 finaliser): string.GetHashCode is randomised per process.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(scenarioId))
        {
            hash = (hash ^ b) * 16777619u;
        }

        var h = hash ^ unchecked((uint)runSeed * 0x9E3779B1u);
        h ^= h >> 16;
        h *= 0x85EBCA6Bu;
        h ^= h >> 13;
        h *= 0xC2B2AE35u;
        h ^= h >> 16;
        return unchecked((int)(h & 0x7FFFFFFF));
    }

    private static string DefaultTitle(IReadOnlyList<RuleCatalogue> catalogues) =>
        catalogues.Count == 0 ? "Conformance run" : $"Conformance: {string.Join(", ", catalogues.Select(c => c.Title))}";

    private static ScenarioResult NotRun(ScenarioDefinition scenario, string reason, int runSeed) => new()
    {
        Id = scenario.Id,
        Name = scenario.Name,
        Feature = scenario.Feature.Name,
        FeaturePath = scenario.Feature.DisplayPath,
        FeatureFile = scenario.Feature.FullPath,
        Line = scenario.Line,
        Tags = scenario.Tags,
        RuleIds = scenario.RuleIds,
        Status = ScenarioStatus.Skipped,
        SkipReason = reason,
        Seed = DeriveSeed(runSeed, scenario.Id),
        Steps = scenario.Steps.Select(s => new StepResult { Keyword = s.Keyword.Trim(), Text = s.Text, Line = s.Line, IsBackground = s.IsBackground, Status = StepStatus.NotRun }).ToList(),
        UnjudgedRules = scenario.RuleIds,
        Slug = scenario.Slug,
        Executed = false,
    };

    private static RunResult CopyWith(RunResult r, IReadOnlyList<string> files, IReadOnlyList<string> errors) => new()
    {
        Title = r.Title,
        RunLabel = r.RunLabel,
        Target = r.Target,
        Seed = r.Seed,
        TagExpression = r.TagExpression,
        Started = r.Started,
        Duration = r.Duration,
        Scenarios = r.Scenarios,
        Rules = r.Rules,
        Catalogues = r.Catalogues,
        Cancelled = r.Cancelled,
        ReportFiles = files,
        ReportErrors = errors,
    };

    /// <summary>One line per finished scenario, then its failures; serialised across scenarios.</summary>
    private sealed class ProgressReporter(RunOptions options, int total)
    {
        private readonly Lock _gate = new();
        private readonly int _width = total.ToString(CultureInfo.InvariantCulture).Length;
        private int _done;

        public void Report(ScenarioResult result)
        {
            lock (_gate)
            {
                _done++;
                var writer = options.Progress;
                if (writer is not null)
                {
                    var word = result.Status switch
                    {
                        ScenarioStatus.Passed => "PASS",
                        ScenarioStatus.Failed => "FAIL",
                        ScenarioStatus.Error => "ERROR",
                        _ => "SKIP",
                    };
                    var counter = _done.ToString(CultureInfo.InvariantCulture).PadLeft(_width);
                    var totalText = total.ToString(CultureInfo.InvariantCulture);
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{counter}/{totalText}] {word,-5} {result.Id}  {result.Name}  ({result.Duration.TotalSeconds:0.0} s)"));
                    foreach (var outcome in result.Outcomes.Where(o => o.Kind == OutcomeKind.Fail))
                    {
                        var label = result.Warnings.Contains(outcome) ? "WARN" : "FAIL";
                        writer.WriteLine($"        {label} {outcome.RuleId}: expected {outcome.Expected}, actual {outcome.Actual}{(outcome.Evidence is null ? string.Empty : $" ({outcome.Evidence})")}");
                    }

                    if (result.Error is not null)
                    {
                        writer.WriteLine($"        ERROR (harness, {result.ErrorKind}) {result.Error}");
                    }

                    if (result.SkipReason is not null)
                    {
                        writer.WriteLine($"        {(result.Status == ScenarioStatus.Skipped ? "SKIP" : "NOTE")} {result.SkipReason}");
                    }

                    writer.Flush();
                }

                options.ScenarioCompleted?.Invoke(result);
            }
        }

        public void Summary(RunResult result)
        {
            var writer = options.Progress;
            if (writer is null)
            {
                return;
            }

            lock (_gate)
            {
                var verdicts = string.Join(", ", Enum.GetValues<RuleVerdict>().Select(v => $"{result.Count(v)} {v.ToReportString()}"));
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{result.Passed} passed, {result.Failed} failed, {result.Errors} harness errors, {result.Skipped} skipped; rules: {verdicts}"));
                foreach (var error in result.ReportErrors)
                {
                    writer.WriteLine($"report error: {error}");
                }

                writer.Flush();
            }
        }
    }
}
