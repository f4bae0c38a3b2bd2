using System.Globalization;
using System.Reflection;
using System.Runtime.ExceptionServices;

namespace ProtocolSim.Conformance;

/// <summary>Runs one scenario: hooks, steps, time-out, disposal, then judges what the steps recorded.</summary>
internal sealed class ScenarioExecutor(ScenarioDefinition scenario, BindingRegistry registry, RunOptions options, int seed)
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

    private readonly record struct Attempt(Stop Stop, string? Message, string? ViolatedRule = null);

    public async Task<ScenarioResult> RunAsync(CancellationToken runToken)
    {
        var time = options.TimeProvider;
        var started = time.GetUtcNow();
        var startTimestamp = time.GetTimestamp();
        using var timeoutCts = new CancellationTokenSource(options.ScenarioTimeout, time);
        using var scenarioCts = CancellationTokenSource.CreateLinkedTokenSource(runToken, timeoutCts.Token);
        var services = options.Services ?? EmptyServiceProvider.Instance;
        var context = new ScenarioContext(scenario, seed, services, time, scenarioCts.Token);
        var container = new ScenarioContainer(context, services, time);
        var steps = new List<StepResult>();
        var stop = new Attempt(Stop.None, null);

        foreach (var hook in registry.Hooks.Where(h => h.IsBefore && h.AppliesTo(scenario.Tags)))
        {
            var (attempt, duration) = await RunPhaseAsync(context, $"BeforeScenario hook {hook.Describe()}", null, ct => InvokeHook(hook, container, ct), timeoutCts, runToken, scenarioCts.Token).ConfigureAwait(false);
            steps.Add(HookResult("BeforeScenario", hook, attempt, duration));
            if (attempt.Stop != Stop.None)
            {
                stop = attempt;
                break;
            }
        }

        foreach (var step in scenario.Steps)
        {
            if (stop.Stop != Stop.None)
            {
                steps.Add(StepResultOf(step, StepStatus.NotRun, TimeSpan.Zero, null));
                continue;
            }

            var (attempt, duration) = await RunPhaseAsync(context, $"step '{step.Display}' (line {step.Line})", step, ct => InvokeStep(step, container, ct), timeoutCts, runToken, scenarioCts.Token).ConfigureAwait(false);
            var status = attempt.Stop switch
            {
                Stop.None => StepStatus.Passed,
                Stop.Inconclusive => StepStatus.Inconclusive,
                _ => StepStatus.Failed,
            };
            steps.Add(StepResultOf(step, status, duration, attempt.Message));
            stop = attempt;
        }

        context.CurrentStep = null;
        context.CurrentStepLine = null;

        // AfterScenario hooks and disposal run whatever happened, with their own time budget.
        var cleanupErrors = new List<string>();
        using (var cleanupCts = new CancellationTokenSource(options.CleanupTimeout, time))
        {
            foreach (var hook in registry.Hooks.Where(h => !h.IsBefore && h.AppliesTo(scenario.Tags)))
            {
                var (attempt, duration) = await RunPhaseAsync(context, $"AfterScenario hook {hook.Describe()}", null, ct => InvokeHook(hook, container, ct), cleanupCts, CancellationToken.None, cleanupCts.Token).ConfigureAwait(false);
                steps.Add(HookResult("AfterScenario", hook, attempt, duration));
                if (attempt.Stop is Stop.Error or Stop.Timeout or Stop.Violation)
                {
                    cleanupErrors.Add(attempt.Stop == Stop.Timeout ? $"AfterScenario hook {hook.Describe()} did not finish within {Seconds(options.CleanupTimeout)}" : attempt.Message!);
                }
            }

            var dispose = container.DisposeAsync();
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

        return Judge(context, stop, steps, cleanupErrors, started, time.GetElapsedTime(startTimestamp));
    }

    private static string Seconds(TimeSpan span) => string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0.###} s");

    private static StepResult StepResultOf(ScenarioStep step, StepStatus status, TimeSpan duration, string? error) => new()
    {
        Keyword = step.Keyword.Trim(),
        Text = step.Text,
        Line = step.Line,
        IsBackground = step.IsBackground,
        Status = status,
        Duration = duration,
        Error = error,
        Binding = step.Match is { } m ? $"{m.Binding.Method.DeclaringType!.Name}.{m.Binding.Method.Name}" : null,
    };

    private static StepResult HookResult(string keyword, HookBinding hook, Attempt attempt, TimeSpan duration) => new()
    {
        Keyword = keyword,
        Text = hook.Describe(),
        Line = 0,
        IsHook = true,
        Status = attempt.Stop switch
        {
            Stop.None => StepStatus.Passed,
            Stop.Inconclusive => StepStatus.Inconclusive,
            _ => StepStatus.Failed,
        },
        Duration = duration,
        Error = attempt.Message,
        Binding = $"{hook.Method.DeclaringType!.Name}.{hook.Method.Name}",
    };

    /// <summary>Runs one step or hook on the thread pool, racing it against the time-out so a blocking step cannot hang the run.</summary>
    private async Task<(Attempt Attempt, TimeSpan Duration)> RunPhaseAsync(
        ScenarioContext context,
        string what,
        ScenarioStep? step,
        Func<CancellationToken, Task> body,
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

        var task = Task.Run(() => body(token), CancellationToken.None);
        var finished = await Task.WhenAny(task, Task.Delay(Timeout.InfiniteTimeSpan, token)).ConfigureAwait(false);
        var duration = time.GetElapsedTime(start);
        if (finished != task)
        {
            // Abandoned: observe its eventual exception so it is not reported as unobserved.
            _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return (Cancelled(what, timeout, runToken), duration);
        }

        if (task.Exception is null && !task.IsCanceled)
        {
            return (new Attempt(Stop.None, null), duration);
        }

        Exception error = task.IsCanceled ? new OperationCanceledException() : task.Exception!.InnerException ?? task.Exception!;
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
                return (new Attempt(Stop.Error, $"{what} failed: {error.GetType().Name}: {error.Message}"), duration);
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

    private static async Task InvokeStep(ScenarioStep step, ScenarioContainer container, CancellationToken token)
    {
        var match = step.Match ?? throw new InvalidOperationException($"step '{step.Display}' has no binding");
        var method = match.Binding.Method;
        var instance = method.IsStatic ? null : container.Resolve(method.DeclaringType!, token);
        var parameters = method.GetParameters();
        var arguments = new object?[parameters.Length];
        var positional = 0;
        for (var i = 0; i < parameters.Length; i++)
        {
            var p = parameters[i];
            if (p.ParameterType == typeof(CancellationToken))
            {
                arguments[i] = token;
                continue;
            }

            if (positional < match.Arguments.Length)
            {
                if (!ArgumentConverter.TryConvert(match.Arguments[positional], p.ParameterType, out var value, out var error))
                {
                    throw new ArgumentException($"argument {positional + 1} of '{step.Text}': {error} for parameter '{p.Name}' of {method.DeclaringType!.Name}.{method.Name}");
                }

                arguments[i] = value;
            }
            else
            {
                arguments[i] = step.ArgumentKind == StepArgumentKind.DataTable ? step.CreateTable() : step.DocString;
            }

            positional++;
        }

        await InvokeAsync(method, instance, arguments).ConfigureAwait(false);
    }

    private static async Task InvokeHook(HookBinding hook, ScenarioContainer container, CancellationToken token)
    {
        var method = hook.Method;
        var instance = method.IsStatic ? null : container.Resolve(method.DeclaringType!, token);
        var arguments = method.GetParameters().Select(p => container.Resolve(p.ParameterType, token)).ToArray();
        await InvokeAsync(method, instance, arguments).ConfigureAwait(false);
    }

    private static async Task InvokeAsync(MethodInfo method, object? instance, object?[] arguments)
    {
        object? result;
        try
        {
            result = method.Invoke(instance, arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        switch (result)
        {
            case Task task:
                await task.ConfigureAwait(false);
                break;
            case ValueTask valueTask:
                await valueTask.ConfigureAwait(false);
                break;
            case not null when result.GetType() is { IsGenericType: true } t && t.GetGenericTypeDefinition() == typeof(ValueTask<>):
                var asTask = (Task)t.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(result, null)!;
                await asTask.ConfigureAwait(false);
                break;
        }
    }

    private ScenarioResult Judge(ScenarioContext context, Attempt stop, List<StepResult> steps, List<string> cleanupErrors, DateTimeOffset started, TimeSpan duration)
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
            // Every tagged rule the scenario had not judged fails with the error: nothing may pass unverified.
            foreach (var id in unjudged)
            {
                var message = stop.Stop == Stop.None && errorKind == ScenarioErrorKind.Authoring
                    ? $"scenario tags @{id} but no step judged it"
                    : $"scenario failed before the rule was judged: {error}";
                counted.Add(new RuleOutcome
                {
                    RuleId = id,
                    Kind = OutcomeKind.Fail,
                    Expected = "the scenario to judge the rule",
                    Actual = message,
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
        var status = mustFailed || error is not null
            ? ScenarioStatus.Failed
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
