using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Reqnroll;
using Reqnroll.BoDi;
using Reqnroll.Bindings;

namespace ProtocolSim.Conformance;

/// <summary>
/// One run's Reqnroll runtime: its own test-runner manager (and so its own formatters), the runners' traces, and the
/// types the bindings' constructors ask for that the run's services may provide.
/// </summary>
internal sealed class RunSession : IAsyncDisposable
{
    private RunSession(ITestRunnerManager manager, IReadOnlyList<Type> serviceTypes)
    {
        Manager = manager;
        ServiceTypes = serviceTypes;
    }

    public ITestRunnerManager Manager { get; }

    public ConcurrentDictionary<ITestRunner, RunnerTrace> Traces { get; } = new();

    /// <summary>Constructor parameter types of the bindings (and of what they need, transitively): offered from the run's services first.</summary>
    public IReadOnlyList<Type> ServiceTypes { get; }

    public static async Task<RunSession> StartAsync(ReqnrollSession session)
    {
        var manager = session.Start();
        await manager.FireTestRunStartAsync().ConfigureAwait(false);
        return new RunSession(manager, ConstructorTypes(session));
    }

    public async ValueTask DisposeAsync() => await Manager.DisposeAsync().ConfigureAwait(false);

    private static List<Type> ConstructorTypes(ReqnrollSession session)
    {
        var bindings = session.BindingTypes?.ToList() ?? session.BindingAssemblies.SelectMany(Types).Where(t => t.IsDefined(typeof(BindingAttribute), inherit: true)).ToList();
        var seen = new HashSet<Type>();
        var pending = new Queue<Type>(bindings);
        var result = new List<Type>();
        while (pending.TryDequeue(out var type))
        {
            foreach (var parameter in type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).SelectMany(c => c.GetParameters()))
            {
                var wanted = parameter.ParameterType;
                if (wanted.IsByRef || wanted.ContainsGenericParameters || !seen.Add(wanted) || wanted == typeof(ConformanceContext) || wanted == typeof(RuleRecorder))
                {
                    continue;
                }

                result.Add(wanted);
                if (wanted.IsClass && !wanted.IsAbstract && wanted != typeof(string))
                {
                    pending.Enqueue(wanted);
                }
            }
        }

        return result;
    }

    private static IEnumerable<Type> Types(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.Where(t => t is not null)!;
        }
    }
}

/// <summary>
/// Runs one scenario on a runner of Reqnroll's runtime (hooks, steps, context injection, argument conversion are
/// Reqnroll's), racing each phase against the scenario's time-out so a blocking step cannot hang the run, then
/// judges what the steps recorded.
/// </summary>
internal sealed class ScenarioExecutor(ScenarioDefinition scenario, RunSession run, RunOptions options, int seed)
{
    private enum Stop
    {
        None,
        Inconclusive,
        Violation,
        Error,
        Timeout,
        Cancelled,
    }

    /// <param name="StackTrace">For a harness error: the exception with its stack trace, as it was when the phase ended.</param>
    private readonly record struct Attempt(Stop Stop, string? Message, string? ViolatedRule = null, string? StackTrace = null)
    {
        /// <summary>The phase was left running (time-out or cancellation): the runner cannot be used again.</summary>
        public bool Abandoned => Stop is Stop.Timeout or Stop.Cancelled;
    }

    public async Task<ScenarioResult> RunAsync(CancellationToken runToken)
    {
        var time = options.TimeProvider;
        var started = time.GetUtcNow();
        var startTimestamp = time.GetTimestamp();
        using var timeoutCts = new CancellationTokenSource(options.ScenarioTimeout, time);
        using var scenarioCts = CancellationTokenSource.CreateLinkedTokenSource(runToken, timeoutCts.Token);
        var services = options.Services ?? EmptyServiceProvider.Instance;
        var context = new ConformanceContext(scenario, seed, services, time, scenarioCts.Token);
        var steps = new List<StepResult>();
        var stop = new Attempt(Stop.None, null);
        var created = new List<object>();
        var abandoned = false;

        var runner = run.Manager.GetTestRunner(scenario.Feature.Info);
        var trace = RunnerTrace.For(runner, run.Traces);
        if (runner.FeatureContext is { } current && !ReferenceEquals(current.FeatureInfo, scenario.Feature.Info))
        {
            await runner.OnFeatureEndAsync().ConfigureAwait(false);
        }

        if (runner.FeatureContext is null)
        {
            await runner.OnFeatureStartAsync(scenario.Feature.Info).ConfigureAwait(false);
        }

        runner.OnScenarioInitialize(scenario.CreateInfo(), scenario.Rule);
        var container = runner.ScenarioContext.ScenarioContainer;
        Register(container, context, services, time);
        container.ObjectCreated += o =>
        {
            lock (created)
            {
                created.Add(o);
            }
        };

        var before = await RunPhaseAsync(context, "BeforeScenario hooks", null, runner, () => runner.OnScenarioStartAsync(), timeoutCts, runToken, scenarioCts.Token).ConfigureAwait(false);
        var beforeHooks = trace.TakeHooks();
        steps.AddRange(beforeHooks.Select(HookResult));
        stop = before.Attempt;
        if (stop.Stop == Stop.Error && beforeHooks.FirstOrDefault(h => h.Error is not null) is { } failedHook)
        {
            stop = stop with { Message = $"BeforeScenario hook {failedHook.Name} failed: {failedHook.Error!.GetType().Name}: {failedHook.Error.Message}", StackTrace = failedHook.Error.ToString() };
        }

        abandoned = before.Attempt.Abandoned;

        foreach (var step in scenario.Steps)
        {
            if (abandoned)
            {
                steps.Add(StepResultOf(step, StepStatus.NotRun, TimeSpan.Zero, null, null));
                continue;
            }

            if (stop.Stop != Stop.None)
            {
                // Reqnroll skips it (its formatters still list it); no step code runs.
                await InvokeStepAsync(runner, step).ConfigureAwait(false);
                steps.Add(StepResultOf(step, StepStatus.NotRun, TimeSpan.Zero, null, null));
                continue;
            }

            trace.BeginStep();
            var (attempt, duration) = await RunPhaseAsync(context, $"step '{step.Display}' (line {step.Line})", step, runner, () => InvokeStepAsync(runner, step), timeoutCts, runToken, scenarioCts.Token).ConfigureAwait(false);
            var status = attempt.Stop switch
            {
                Stop.None => StepStatus.Passed,
                Stop.Inconclusive => StepStatus.Inconclusive,
                Stop.Violation => StepStatus.Failed,
                _ => StepStatus.Error,
            };
            steps.Add(StepResultOf(step, status, duration, attempt.Message, trace.LastStepBinding) with { StackTrace = attempt.StackTrace });
            stop = attempt;
            abandoned = attempt.Abandoned;
        }

        if (!abandoned)
        {
            try
            {
                // Ends Reqnroll's last block (and its formatters' test case); the outcome was read step by step above.
                await runner.CollectScenarioErrorsAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The scenario's outcome is already known; this only reports it to Reqnroll.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        context.CurrentStep = null;
        context.CurrentStepLine = null;

        // AfterScenario hooks and disposal run whatever happened, with their own time budget.
        var cleanupErrors = new List<string>();
        using (var cleanupCts = new CancellationTokenSource(options.CleanupTimeout, time))
        {
            var after = await RunPhaseAsync(context, "AfterScenario hooks", null, runner, () => EndScenarioAsync(runner), cleanupCts, CancellationToken.None, cleanupCts.Token).ConfigureAwait(false);
            var hooks = trace.TakeHooks();
            steps.AddRange(hooks.Select(HookResult));
            cleanupErrors.AddRange(hooks.Where(h => h.Error is not null and not InconclusiveException).Select(h => $"AfterScenario hook {h.Name} failed: {h.Error!.GetType().Name}: {h.Error.Message}"));
            if (after.Attempt.Abandoned)
            {
                abandoned = true;
                cleanupErrors.Add($"AfterScenario hooks did not finish within {Seconds(options.CleanupTimeout)}");
            }
            else if (after.Attempt.Stop != Stop.None && hooks.All(h => h.Error is null))
            {
                cleanupErrors.Add(after.Attempt.Message!);
            }

            List<object> objects;
            lock (created)
            {
                objects = [.. created];
            }

            var dispose = DisposeAsync(objects);
            var finished = await Task.WhenAny(dispose, Task.Delay(Timeout.InfiniteTimeSpan, cleanupCts.Token)).ConfigureAwait(false);
            if (finished == dispose)
            {
                cleanupErrors.AddRange(await dispose.ConfigureAwait(false));
            }
            else
            {
                cleanupErrors.Add($"disposing the scenario's objects did not finish within {Seconds(options.CleanupTimeout)}");
            }
        }

        if (!abandoned)
        {
            // A runner left inside a step that never returned is not given to another scenario.
            run.Manager.ReleaseTestRunnerToPool(runner);
        }

        return Judge(context, stop, steps, cleanupErrors, started, time.GetElapsedTime(startTimestamp));
    }

    /// <summary>Offers the scenario what the bindings may ask for: the context, its recorder, the run's services.</summary>
    private void Register(IObjectContainer container, ConformanceContext context, IServiceProvider services, TimeProvider time)
    {
        container.RegisterInstanceAs(context);
        container.RegisterInstanceAs(context.Rules);
        container.RegisterInstanceAs(services);
        var timeProvided = false;
        foreach (var type in run.ServiceTypes)
        {
            if (services.GetService(type) is { } service)
            {
                container.RegisterInstanceAs(service, type, dispose: false);
                timeProvided |= type == typeof(TimeProvider);
            }
        }

        if (!timeProvided)
        {
            container.RegisterInstanceAs(time);
        }
    }

    private static async Task EndScenarioAsync(ITestRunner runner)
    {
        // Reqnroll runs the AfterScenario hooks, then disposes the scenario container (and the IDisposable objects it created).
        await runner.OnScenarioEndAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Reqnroll's container disposes what it created that is <see cref="IDisposable"/>; what is only
    /// <see cref="IAsyncDisposable"/> (the suites' scenario drivers) is disposed here, newest first.
    /// </summary>
    private static async Task<List<string>> DisposeAsync(List<object> created)
    {
        var errors = new List<string>();
        for (var i = created.Count - 1; i >= 0; i--)
        {
            if (created[i] is not IAsyncDisposable asyncDisposable || created[i] is IDisposable)
            {
                continue;
            }

            try
            {
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failing Dispose is reported with the scenario, never thrown out of the run.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                errors.Add($"disposing {created[i].GetType().Name} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        return errors;
    }

    private static Task InvokeStepAsync(ITestRunner runner, ScenarioStep step) => step.KeywordType switch
    {
        StepDefinitionKeyword.Given => runner.GivenAsync(step.Text, step.DocString, step.CreateTable(), step.Keyword),
        StepDefinitionKeyword.When => runner.WhenAsync(step.Text, step.DocString, step.CreateTable(), step.Keyword),
        StepDefinitionKeyword.Then => runner.ThenAsync(step.Text, step.DocString, step.CreateTable(), step.Keyword),
        StepDefinitionKeyword.But => runner.ButAsync(step.Text, step.DocString, step.CreateTable(), step.Keyword),
        _ => runner.AndAsync(step.Text, step.DocString, step.CreateTable(), step.Keyword),
    };

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s");

    private static StepResult StepResultOf(ScenarioStep step, StepStatus status, TimeSpan duration, string? error, string? binding) => new()
    {
        Keyword = step.Keyword.Trim(),
        Text = step.Text,
        Line = step.Line,
        IsBackground = step.IsBackground,
        Status = status,
        Duration = duration,
        Error = error,
        Binding = binding,
    };

    private static StepResult HookResult(HookRun hook) => new()
    {
        Keyword = hook.IsBefore ? "BeforeScenario" : "AfterScenario",
        Text = hook.Name,
        Line = 0,
        IsHook = true,
        Status = hook.Error switch
        {
            null => StepStatus.Passed,
            InconclusiveException => StepStatus.Inconclusive,
            _ => StepStatus.Error,
        },
        Duration = hook.Duration,
        Error = hook.Error is null ? null : $"{hook.Error.GetType().Name}: {hook.Error.Message}",
        StackTrace = hook.Error is null or InconclusiveException ? null : hook.Error.ToString(),
        Binding = hook.Binding,
    };

    /// <summary>
    /// Runs one phase (a step, or the hooks) on the thread pool, racing it against the time-out, and reads its outcome
    /// from Reqnroll's scenario context (Reqnroll catches what a step or hook throws).
    /// </summary>
    private async Task<(Attempt Attempt, TimeSpan Duration)> RunPhaseAsync(
        ConformanceContext context,
        string what,
        ScenarioStep? step,
        ITestRunner runner,
        Func<Task> body,
        CancellationTokenSource timeout,
        CancellationToken runToken,
        CancellationToken token)
    {
        var time = options.TimeProvider;
        var start = time.GetTimestamp();
        context.CurrentStep = step?.Display ?? what;
        context.CurrentStepLine = step?.Line;
        if (token.IsCancellationRequested)
        {
            return (Cancelled(what, timeout, runToken), TimeSpan.Zero);
        }

        var task = Task.Run(body, CancellationToken.None);
        var finished = await Task.WhenAny(task, Task.Delay(Timeout.InfiniteTimeSpan, token)).ConfigureAwait(false);
        var duration = time.GetElapsedTime(start);
        if (finished != task)
        {
            // Abandoned: observe its eventual exception so it is not reported as unobserved.
            _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return (Cancelled(what, timeout, runToken), duration);
        }

        // After the AfterScenario hooks Reqnroll has cleaned the scenario context up (null): their errors are in the trace.
        Exception? error = task.IsCanceled ? new OperationCanceledException() : task.Exception?.InnerException;
        if (error is null && runner.ScenarioContext is { ScenarioExecutionStatus: not ScenarioExecutionStatus.OK } scenarioContext)
        {
            error = scenarioContext.TestError ?? new InvalidOperationException($"Reqnroll reported {scenarioContext.ScenarioExecutionStatus}");
        }

        if (error is null)
        {
            return (new Attempt(Stop.None, null), duration);
        }

        while (error is TargetInvocationException { InnerException: { } inner })
        {
            error = inner;
        }

        switch (error)
        {
            case InconclusiveException inconclusive:
                return (new Attempt(Stop.Inconclusive, inconclusive.Message), duration);
            case RuleViolationException violation when !string.IsNullOrEmpty(violation.RuleId):
                context.Rules.Fail(violation.RuleId, violation.Expected, violation.Actual, violation.Evidence);
                return (new Attempt(Stop.Violation, $"{violation.RuleId}: expected {violation.Expected} but saw {violation.Actual}", violation.RuleId), duration);
            case OperationCanceledException when token.IsCancellationRequested:
                return (Cancelled(what, timeout, runToken), duration);
            default:
                return (new Attempt(Stop.Error, $"{what} failed: {error.GetType().Name}: {error.Message}", StackTrace: error.ToString()), duration);
        }
    }

    private Attempt Cancelled(string what, CancellationTokenSource timeout, CancellationToken runToken)
    {
        if (timeout.IsCancellationRequested && !runToken.IsCancellationRequested)
        {
            return new Attempt(Stop.Timeout, $"timed out after {Seconds(options.ScenarioTimeout)} in {what}");
        }

        return new Attempt(Stop.Cancelled, $"run cancelled during {what}");
    }

    private ScenarioResult Judge(ConformanceContext context, Attempt stop, List<StepResult> steps, List<string> cleanupErrors, DateTimeOffset started, TimeSpan duration)
    {
        var tagged = scenario.RuleIds;
        var outcomes = context.Rules.Outcomes;
        var accepted = outcomes.Where(o => tagged.Contains(o.RuleId, StringComparer.Ordinal)).ToList();
        var rejected = outcomes.Where(o => !tagged.Contains(o.RuleId, StringComparer.Ordinal)).ToList();
        var judged = accepted.Select(o => o.RuleId).ToHashSet(StringComparer.Ordinal);
        var unjudged = tagged.Where(id => !judged.Contains(id)).ToList();

        var authoring = rejected
            .Select(o => $"{(o.Step is null ? "a step" : $"step '{o.Step}'")}{(o.StepLine is { } l ? $" (line {l})" : string.Empty)} recorded {o.Kind.ToReportString()} for {o.RuleId}, which the scenario does not tag; each scenario judges exactly the rules it tags")
            .ToList();
        if (stop.Stop == Stop.None)
        {
            authoring.AddRange(unjudged.Select(id => $"scenario tags @{id} but no step judged it"));
        }

        string? error = null;
        var errorKind = ScenarioErrorKind.None;
        switch (stop.Stop)
        {
            case Stop.Error:
                error = stop.Message;
                errorKind = ScenarioErrorKind.Exception;
                break;
            case Stop.Timeout:
                error = stop.Message;
                errorKind = ScenarioErrorKind.Timeout;
                break;
            case Stop.Cancelled:
                error = stop.Message;
                errorKind = ScenarioErrorKind.Cancelled;
                break;
        }

        if (authoring.Count > 0)
        {
            error = error is null ? string.Join("; ", authoring) : $"{error}; {string.Join("; ", authoring)}";
            errorKind = errorKind == ScenarioErrorKind.None ? ScenarioErrorKind.Authoring : errorKind;
        }

        if (error is null && cleanupErrors.Count > 0)
        {
            error = string.Join("; ", cleanupErrors);
            errorKind = ScenarioErrorKind.Exception;
        }
        else
        {
            foreach (var cleanup in cleanupErrors)
            {
                context.Log(cleanup);
            }
        }

        var counted = new List<RuleOutcome>(accepted);
        var left = new List<string>();
        if (error is not null)
        {
            // Every tagged rule the scenario had not judged is an ERROR: unverified, and never a verdict on the client.
            foreach (var id in unjudged)
            {
                var message = stop.Stop == Stop.None && errorKind == ScenarioErrorKind.Authoring
                    ? $"harness error: scenario tags @{id} but no step judged it"
                    : $"harness error before the rule was judged: {error}";
                counted.Add(new RuleOutcome
                {
                    RuleId = id,
                    Kind = OutcomeKind.Error,
                    Message = message,
                    Evidence = scenario.Id,
                    At = duration,
                });
            }
        }
        else
        {
            left.AddRange(unjudged);
        }

        var catalogue = scenario.Feature.Catalogue;
        bool IsMust(string id) => catalogue?.Find(id)?.Strength is null or RuleStrength.Must;
        var mustFailed = counted.Any(o => o.Kind == OutcomeKind.Fail && IsMust(o.RuleId));
        var status = error is not null ? ScenarioStatus.Error
            : mustFailed ? ScenarioStatus.Failed
            : stop.Stop == Stop.Inconclusive ? ScenarioStatus.Skipped : ScenarioStatus.Passed;
        string? skipReason = stop.Stop switch
        {
            Stop.Inconclusive => stop.Message,
            Stop.Violation when left.Count > 0 => $"stopped after {stop.ViolatedRule} failed",
            _ => null,
        };

        return new ScenarioResult
        {
            Id = scenario.Id,
            Name = scenario.Name,
            Feature = scenario.Feature.Name,
            FeaturePath = scenario.Feature.DisplayPath,
            FeatureFile = scenario.Feature.FullPath,
            Line = scenario.Line,
            Tags = scenario.Tags,
            RuleIds = scenario.RuleIds,
            Status = status,
            SkipReason = skipReason,
            Error = error,
            ErrorKind = errorKind,
            StackTrace = stop.StackTrace ?? steps.FirstOrDefault(st => st.StackTrace is not null)?.StackTrace,
            Started = started,
            Duration = duration,
            Seed = seed,
            Steps = steps,
            Outcomes = counted,
            RejectedOutcomes = rejected,
            Warnings = counted.Where(o => o.Kind == OutcomeKind.Fail && !IsMust(o.RuleId)).ToList(),
            UnjudgedRules = left,
            Logs = context.Logs,
            Journals = context.Journals,
            Files = context.Files,
            Slug = scenario.Slug,
            Executed = true,
        };
    }
}

/// <summary>An empty service provider, for runs without services.</summary>
internal sealed class EmptyServiceProvider : IServiceProvider
{
    public static EmptyServiceProvider Instance { get; } = new();

    public object? GetService(Type serviceType) => null;
}
