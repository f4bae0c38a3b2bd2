using ProtocolSim.Conformance;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// A self-test fails on any harness error: a step or hook that threw something that is not a verdict, a scenario
/// that timed out, a mis-authored scenario. Whatever a reference client does, every scenario must end in verdicts,
/// and every verdict must say what it was decided on.
/// </summary>
internal static class HarnessErrors
{
    public static void AssertNone(RunResult result, string clientName, string reportDir)
    {
        var errors = result.Scenarios.Where(s => s.Status == ScenarioStatus.Error).ToList();
        Assert.True(
            errors.Count == 0,
            $"{clientName}: {errors.Count} scenario(s) ended in a harness error instead of verdicts (report: {reportDir}/report.html):\n"
            + string.Join("\n", errors.Select(s => $"  {s.Id} {s.Name}: {s.ErrorKind}: {s.Error}\n{Indent(s.StackTrace)}")));
        var bare = SelfTestSubject.WithoutEvidence(result).ToList();
        Assert.True(bare.Count == 0, $"{clientName}: {bare.Count} verdict(s) without evidence (report: {reportDir}/report.html):\n  " + string.Join("\n  ", bare));
    }

    private static string Indent(string? text) =>
        text is null ? string.Empty : string.Join("\n", text.Split('\n').Take(12).Select(l => "      " + l.TrimEnd('\r')));
}
