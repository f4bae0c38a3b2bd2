namespace ProtocolSim.Conformance;

/// <summary>How binding a rule is (RFC 2119 keywords).</summary>
public enum RuleStrength
{
    /// <summary>A failure makes the run fail.</summary>
    Must,

    /// <summary>A failure is a warning (NON-STRICT).</summary>
    Should,

    /// <summary>A failure is informational.</summary>
    May,
}

/// <summary>The verdict on one rule for the whole run.</summary>
public enum RuleVerdict
{
    /// <summary>Judged and never failed.</summary>
    Pass,

    /// <summary>A MUST rule failed at least once.</summary>
    Fail,

    /// <summary>
    /// Not failed, but a scenario tagging it ended in a harness error (a step or hook threw, timed out, or the suite is
    /// mis-authored) before judging it: the rule is unverified, and the defect is the harness's, not the client's.
    /// </summary>
    Error,

    /// <summary>A SHOULD rule failed at least once.</summary>
    NonStrict,

    /// <summary>A MAY rule failed, or the rule only received informational outcomes.</summary>
    Info,

    /// <summary>Every scenario tagging it was inconclusive, stopped early or filtered out.</summary>
    Skipped,

    /// <summary>Not observable from the wire, or no scenario tags it.</summary>
    NotCovered,
}

/// <summary>The status of one scenario.</summary>
public enum ScenarioStatus
{
    /// <summary>Completed with no failed MUST rule and no error (SHOULD/MAY failures are warnings).</summary>
    Passed,

    /// <summary>A MUST rule failed (judged on what the client did).</summary>
    Failed,

    /// <summary>
    /// A harness error: a step or hook threw something that is not a verdict, the scenario timed out or was cancelled,
    /// or the suite is mis-authored. Rules it had not judged get <see cref="RuleVerdict.Error"/>, never a verdict.
    /// </summary>
    Error,

    /// <summary>Inconclusive, or filtered out by the tag expression, or not started because the run was cancelled.</summary>
    Skipped,
}

/// <summary>What a step ended with.</summary>
public enum StepStatus
{
    /// <summary>Completed.</summary>
    Passed,

    /// <summary>Threw a rule violation.</summary>
    Failed,

    /// <summary>Threw something that is not a verdict (a harness error), or timed out.</summary>
    Error,

    /// <summary>Threw <see cref="InconclusiveException"/>.</summary>
    Inconclusive,

    /// <summary>Not run because an earlier step or hook stopped the scenario.</summary>
    NotRun,
}

/// <summary>The kind of one recorded rule outcome.</summary>
public enum OutcomeKind
{
    /// <summary>The rule held.</summary>
    Pass,

    /// <summary>The rule was broken.</summary>
    Fail,

    /// <summary>An observation about the rule, not a judgement.</summary>
    Info,

    /// <summary>Added by the engine: the scenario ended in a harness error before the rule was judged.</summary>
    Error,
}

/// <summary>The spellings used in reports, JSON and the CLI.</summary>
public static class ConformanceNames
{
    /// <summary>PASS, FAIL, ERROR, NON-STRICT, INFO, SKIPPED or NOT-COVERED.</summary>
    public static string ToReportString(this RuleVerdict verdict) => verdict switch
    {
        RuleVerdict.Pass => "PASS",
        RuleVerdict.Fail => "FAIL",
        RuleVerdict.Error => "ERROR",
        RuleVerdict.NonStrict => "NON-STRICT",
        RuleVerdict.Info => "INFO",
        RuleVerdict.Skipped => "SKIPPED",
        RuleVerdict.NotCovered => "NOT-COVERED",
        _ => throw new ArgumentOutOfRangeException(nameof(verdict), verdict, null),
    };

    /// <summary>MUST, SHOULD or MAY.</summary>
    public static string ToReportString(this RuleStrength strength) => strength switch
    {
        RuleStrength.Must => "MUST",
        RuleStrength.Should => "SHOULD",
        RuleStrength.May => "MAY",
        _ => throw new ArgumentOutOfRangeException(nameof(strength), strength, null),
    };

    /// <summary>passed, failed, error or skipped.</summary>
    public static string ToReportString(this ScenarioStatus status) => status switch
    {
        ScenarioStatus.Passed => "passed",
        ScenarioStatus.Failed => "failed",
        ScenarioStatus.Error => "error",
        ScenarioStatus.Skipped => "skipped",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>passed, failed, error, inconclusive or not-run.</summary>
    public static string ToReportString(this StepStatus status) => status switch
    {
        StepStatus.Passed => "passed",
        StepStatus.Failed => "failed",
        StepStatus.Error => "error",
        StepStatus.Inconclusive => "inconclusive",
        StepStatus.NotRun => "not-run",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>PASS, FAIL, INFO or ERROR.</summary>
    public static string ToReportString(this OutcomeKind kind) => kind switch
    {
        OutcomeKind.Pass => "PASS",
        OutcomeKind.Fail => "FAIL",
        OutcomeKind.Info => "INFO",
        OutcomeKind.Error => "ERROR",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses MUST, SHOULD or MAY (exact upper case, as the catalogue requires).</summary>
    public static bool TryParseStrength(string? text, out RuleStrength strength)
    {
        switch (text)
        {
            case "MUST":
                strength = RuleStrength.Must;
                return true;
            case "SHOULD":
                strength = RuleStrength.Should;
                return true;
            case "MAY":
                strength = RuleStrength.May;
                return true;
            default:
                strength = default;
                return false;
        }
    }
}
