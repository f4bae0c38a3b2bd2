namespace ProtocolSim.Conformance;

/// <summary>
/// Thrown by a step when a precondition was not met (e.g. "the bot never sent a greeting, see KVS-008"): the scenario
/// stops, its status is "skipped" with this message as the reason, and rules it tags that were not judged yet get no
/// verdict from it.
/// </summary>
public sealed class InconclusiveException : Exception
{
    public InconclusiveException()
        : this("the scenario could not be judged")
    {
    }

    public InconclusiveException(string message)
        : base(message)
    {
    }

    public InconclusiveException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// Thrown by a step to record a failed outcome for a rule and stop the scenario at once. The rule must be one the
/// scenario tags.
/// </summary>
public sealed class RuleViolationException : Exception
{
    public RuleViolationException()
        : this("rule violated")
    {
    }

    public RuleViolationException(string message)
        : base(message)
    {
        RuleId = string.Empty;
        Expected = string.Empty;
        Actual = message;
    }

    public RuleViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
        RuleId = string.Empty;
        Expected = string.Empty;
        Actual = message;
    }

    public RuleViolationException(string ruleId, string expected, string actual)
        : this(ruleId, expected, actual, null)
    {
    }

    public RuleViolationException(string ruleId, string expected, string actual, string? evidence)
        : base($"{ruleId}: expected {expected} but saw {actual}")
    {
        RuleId = ruleId;
        Expected = expected;
        Actual = actual;
        Evidence = evidence;
    }

    /// <summary>The violated rule; empty when the exception was built without one (then it is an unattributed error).</summary>
    public string RuleId { get; }

    public string Expected { get; }

    public string Actual { get; }

    /// <summary>Where it was seen, e.g. "journal #12 at 2.31 s".</summary>
    public string? Evidence { get; }
}
