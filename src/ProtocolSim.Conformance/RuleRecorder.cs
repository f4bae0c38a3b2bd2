using System.Collections.Immutable;
using System.Globalization;
using ProtocolSim.Core;

namespace ProtocolSim.Conformance;

/// <summary>One judgement (or observation) about a rule, recorded by a step.</summary>
public sealed record RuleOutcome
{
    public required string RuleId { get; init; }

    public required OutcomeKind Kind { get; init; }

    /// <summary>What the rule expected (for failures and checks).</summary>
    public string? Expected { get; init; }

    /// <summary>What was seen (for failures and checks).</summary>
    public string? Actual { get; init; }

    /// <summary>Where it was seen, e.g. "journal #12 at 2.31 s".</summary>
    public string? Evidence { get; init; }

    /// <summary>Free text of an informational outcome.</summary>
    public string? Message { get; init; }

    /// <summary>The step that was running when the outcome was recorded (keyword and text), if any.</summary>
    public string? Step { get; init; }

    /// <summary>Line of that step in its feature file.</summary>
    public int? StepLine { get; init; }

    /// <summary>Time since the scenario started.</summary>
    public TimeSpan At { get; init; }

    /// <summary>One line for a person: "expected X but saw Y (evidence)", or the evidence or message.</summary>
    public string Describe()
    {
        string text = Kind switch
        {
            OutcomeKind.Fail => $"expected {Expected} but saw {Actual}",
            OutcomeKind.Pass => Evidence ?? Actual ?? Message ?? "held",
            _ => Message ?? Evidence ?? Actual ?? string.Empty,
        };
        if (Kind == OutcomeKind.Fail && !string.IsNullOrEmpty(Evidence))
        {
            text += $" ({Evidence})";
        }

        return text;
    }
}

/// <summary>
/// Records rule outcomes for the running scenario. Recording never throws; a scenario may only judge the rules it tags
/// (checked when the scenario ends). Thread-safe.
/// </summary>
public sealed class RuleRecorder
{
    private readonly Lock _gate = new();
    private readonly Func<(string? Step, int? Line)> _currentStep;
    private readonly Func<TimeSpan> _elapsed;
    private ImmutableList<RuleOutcome> _outcomes = [];

    /// <summary>A recorder of its own, for a judge run outside a scenario (offline, or in a unit test): no step, time zero.</summary>
    public RuleRecorder()
        : this(() => (null, null), () => TimeSpan.Zero)
    {
    }

    internal RuleRecorder(Func<(string? Step, int? Line)> currentStep, Func<TimeSpan> elapsed)
    {
        _currentStep = currentStep;
        _elapsed = elapsed;
    }

    /// <summary>Everything recorded so far, in order.</summary>
    public IReadOnlyList<RuleOutcome> Outcomes => _outcomes;

    /// <summary>Records that the rule held.</summary>
    public void Pass(string ruleId, string evidence) =>
        Add(ruleId, OutcomeKind.Pass, expected: null, actual: null, evidence, message: null);

    /// <summary>Records that the rule was broken. Does not throw: the scenario goes on.</summary>
    public void Fail(string ruleId, string expected, string actual, string? evidence = null) =>
        Add(ruleId, OutcomeKind.Fail, expected, actual, evidence, message: null);

    /// <summary>Records an observation about the rule that is not a judgement.</summary>
    public void Info(string ruleId, string message) =>
        Add(ruleId, OutcomeKind.Info, expected: null, actual: null, evidence: null, message);

    /// <summary>Records Pass when <paramref name="ok"/> holds, otherwise Fail; returns <paramref name="ok"/>.</summary>
    public bool Check(string ruleId, bool ok, string expected, string actual, string? evidence = null)
    {
        Add(ruleId, ok ? OutcomeKind.Pass : OutcomeKind.Fail, expected, actual, evidence, message: null);
        return ok;
    }

    /// <summary>
    /// Judges a rule from a journal's findings: one Fail per finding for <paramref name="ruleId"/>, or a Pass with
    /// <paramref name="passEvidence"/> when there are none. Returns whether the rule held.
    /// </summary>
    public bool CheckFindings(string ruleId, SessionJournal journal, string passEvidence)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var findings = journal.FindingsFor(ruleId);
        if (findings.Count == 0)
        {
            Pass(ruleId, passEvidence);
            return true;
        }

        foreach (var finding in findings)
        {
            var where = finding.EntrySeq is { } seq
                ? string.Create(CultureInfo.InvariantCulture, $"{journal.SessionId} #{seq} at {finding.Offset.TotalSeconds:0.00} s")
                : string.Create(CultureInfo.InvariantCulture, $"{journal.SessionId} at {finding.Offset.TotalSeconds:0.00} s");
            Fail(ruleId, finding.Expected ?? "no finding", finding.Actual ?? finding.Message, where);
        }

        return false;
    }

    /// <summary>Whether any outcome was recorded for the rule.</summary>
    public bool HasJudged(string ruleId) => _outcomes.Exists(o => string.Equals(o.RuleId, ruleId, StringComparison.Ordinal));

    private void Add(string ruleId, OutcomeKind kind, string? expected, string? actual, string? evidence, string? message)
    {
        var (step, line) = _currentStep();
        var outcome = new RuleOutcome
        {
            RuleId = ruleId ?? string.Empty,
            Kind = kind,
            Expected = expected,
            Actual = actual,
            Evidence = evidence,
            Message = message,
            Step = step,
            StepLine = line,
            At = _elapsed(),
        };
        lock (_gate)
        {
            _outcomes = _outcomes.Add(outcome);
        }
    }
}
