using ProtocolSim.Core;

namespace ProtocolSim.Conformance;

/// <summary>Why a scenario ended in a harness error (<see cref="ScenarioStatus.Error"/>) instead of verdicts.</summary>
public enum ScenarioErrorKind
{
    /// <summary>No error.</summary>
    None,

    /// <summary>A step or hook threw an exception that is not a rule outcome (an unattributed error).</summary>
    Exception,

    /// <summary>The scenario ran longer than <see cref="RunOptions.ScenarioTimeout"/>.</summary>
    Timeout,

    /// <summary>The run was cancelled while the scenario ran.</summary>
    Cancelled,

    /// <summary>The scenario judged a rule it does not tag, or left a tagged rule unjudged.</summary>
    Authoring,
}

/// <summary>What one step (or hook) did.</summary>
public sealed record StepResult
{
    /// <summary>The keyword as written (Given, When, Then, And, But, *), or "BeforeScenario"/"AfterScenario" for hooks.</summary>
    public required string Keyword { get; init; }

    public required string Text { get; init; }

    public required int Line { get; init; }

    public bool IsBackground { get; init; }

    public bool IsHook { get; init; }

    public required StepStatus Status { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>The error or inconclusive reason, when the step did not pass.</summary>
    public string? Error { get; init; }

    /// <summary>For a harness error: the exception with its stack trace (where the step or hook crashed).</summary>
    public string? StackTrace { get; init; }

    /// <summary>The binding method that ran, e.g. <c>Steps.Greeting.WhenTheCallerSpeaks</c>.</summary>
    public string? Binding { get; init; }
}

/// <summary>The result of one scenario (or outline example).</summary>
public sealed class ScenarioResult
{
    /// <summary>Feature path and line, e.g. <c>knowlarity/greeting.feature:12</c>.</summary>
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>Name of the feature.</summary>
    public required string Feature { get; init; }

    /// <summary>Feature path as reports show it.</summary>
    public required string FeaturePath { get; init; }

    public required string FeatureFile { get; init; }

    public required int Line { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Rule ids the scenario tags.</summary>
    public required IReadOnlyList<string> RuleIds { get; init; }

    public required ScenarioStatus Status { get; init; }

    /// <summary>Why the scenario was skipped (inconclusive reason, filtered out, run cancelled).</summary>
    public string? SkipReason { get; init; }

    /// <summary>The unattributed error (exception, time-out, cancellation or authoring error), if any.</summary>
    public string? Error { get; init; }

    public ScenarioErrorKind ErrorKind { get; init; }

    /// <summary>For a harness error thrown by a step or hook: the exception with its stack trace.</summary>
    public string? StackTrace { get; init; }

    public DateTimeOffset Started { get; init; }

    public TimeSpan Duration { get; init; }

    public int Seed { get; init; }

    /// <summary>Hooks and steps in execution order; steps that did not run are <see cref="StepStatus.NotRun"/>.</summary>
    public IReadOnlyList<StepResult> Steps { get; init; } = [];

    /// <summary>Outcomes that count for the rule verdicts (including those the engine added for an error).</summary>
    public IReadOnlyList<RuleOutcome> Outcomes { get; init; } = [];

    /// <summary>Outcomes for rules the scenario does not tag: they do not count, and make the scenario fail.</summary>
    public IReadOnlyList<RuleOutcome> RejectedOutcomes { get; init; } = [];

    /// <summary>Failed outcomes of SHOULD and MAY rules (the scenario may still pass).</summary>
    public IReadOnlyList<RuleOutcome> Warnings { get; init; } = [];

    /// <summary>Tagged rules that received no verdict from this scenario, because it stopped early or was skipped.</summary>
    public IReadOnlyList<string> UnjudgedRules { get; init; } = [];

    public IReadOnlyList<ScenarioLogEntry> Logs { get; init; } = [];

    public IReadOnlyList<SessionJournal> Journals { get; init; } = [];

    public IReadOnlyList<FileAttachment> Files { get; init; } = [];

    /// <summary>File-name-safe id used in report anchors and file names.</summary>
    public required string Slug { get; init; }

    /// <summary>Whether the scenario ran (it was not filtered out or skipped before starting).</summary>
    public bool Executed { get; init; }
}

/// <summary>One outcome for a rule with the scenario that recorded it.</summary>
public sealed record ScenarioOutcome(string ScenarioId, string ScenarioName, RuleOutcome Outcome);

/// <summary>The verdict on one rule for the run.</summary>
public sealed record RuleResult
{
    public required Rule Rule { get; init; }

    public required RuleVerdict Verdict { get; init; }

    /// <summary>Why: the failures, the passing evidence, the skip reasons or why it is not covered.</summary>
    public required string Evidence { get; init; }

    /// <summary>Names of the scenarios that tag the rule.</summary>
    public required IReadOnlyList<string> Scenarios { get; init; }

    /// <summary>Ids of the scenarios that tag the rule (same order as <see cref="Scenarios"/>).</summary>
    public required IReadOnlyList<string> ScenarioIds { get; init; }

    public required IReadOnlyList<ScenarioOutcome> Outcomes { get; init; }
}

/// <summary>The result of a run: scenarios, rule verdicts, and the exit code a CLI returns.</summary>
public sealed class RunResult
{
    public required string Title { get; init; }

    public string? RunLabel { get; init; }

    public string? Target { get; init; }

    public int Seed { get; init; }

    public string? TagExpression { get; init; }

    public DateTimeOffset Started { get; init; }

    public TimeSpan Duration { get; init; }

    /// <summary>Every loaded scenario in file order, including those filtered out (status skipped).</summary>
    public required IReadOnlyList<ScenarioResult> Scenarios { get; init; }

    /// <summary>Every rule of the loaded catalogues, in catalogue order.</summary>
    public required IReadOnlyList<RuleResult> Rules { get; init; }

    public required IReadOnlyList<RuleCatalogue> Catalogues { get; init; }

    /// <summary>Whether the run was cancelled before every scenario finished.</summary>
    public bool Cancelled { get; init; }

    /// <summary>Files the run wrote (reports, audio, attachments).</summary>
    public IReadOnlyList<string> ReportFiles { get; init; } = [];

    /// <summary>Problems writing reports (the verdicts stand).</summary>
    public IReadOnlyList<string> ReportErrors { get; init; } = [];

    public int Passed => Scenarios.Count(s => s.Status == ScenarioStatus.Passed);

    public int Failed => Scenarios.Count(s => s.Status == ScenarioStatus.Failed);

    public int Skipped => Scenarios.Count(s => s.Status == ScenarioStatus.Skipped);

    /// <summary>Scenarios that ended in a harness error.</summary>
    public int Errors => Scenarios.Count(s => s.Status == ScenarioStatus.Error);

    /// <summary>How many rules got the verdict.</summary>
    public int Count(RuleVerdict verdict) => Rules.Count(r => r.Verdict == verdict);

    /// <summary>1 when a MUST rule failed or a scenario ended in a harness error (its rules are unverified); otherwise 0.</summary>
    public int ExitCode => Rules.Any(r => r.Verdict == RuleVerdict.Fail) || Scenarios.Any(s => s.Error is not null) ? 1 : 0;
}
