namespace ProtocolSim.Conformance.Suites;

/// <summary>The simulator defaults a suite lets <c>--set Name=Value</c> change (several suites may share one set).</summary>
public interface ISuiteSettings
{
    /// <summary>Every setting, for <c>protosim rules --settings</c>.</summary>
    IReadOnlyList<SuiteSetting> Known { get; }

    /// <summary>
    /// What this set makes of one <c>--set</c>: <see cref="SettingCheck.Unknown"/> when the name is not one of its,
    /// else whether the value is valid (the message says why not).
    /// </summary>
    SettingCheck Check(string name, string value);
}

/// <summary>One simulator default: its name, what it means, its value when not set.</summary>
public sealed record SuiteSetting(string Name, string Meaning, string Default);

/// <summary>The answer of <see cref="ISuiteSettings.Check"/>.</summary>
/// <param name="Known">The name is one of the set's.</param>
/// <param name="Error">Why the value is not valid; null when it is (or when the name is unknown).</param>
public readonly record struct SettingCheck(bool Known, string? Error)
{
    public static SettingCheck Unknown => new(false, null);

    public static SettingCheck Valid => new(true, null);

    public static SettingCheck Invalid(string error) => new(true, error);
}
