using ProtocolSim.Core;

namespace ProtocolSim.Conformance.Tests;

public class RuleRecorderTests
{
    private static RuleRecorder Recorder() => new(() => ("When x", 7), () => TimeSpan.FromSeconds(1));

    [Fact]
    public void CheckFindings_NoFinding_PassesWithEvidence()
    {
        var recorder = Recorder();
        var journal = new SessionJournal("call-1", "test");

        Assert.True(recorder.CheckFindings("TST-001", journal, "no malformed frame"));

        var outcome = Assert.Single(recorder.Outcomes);
        Assert.Equal((OutcomeKind.Pass, "no malformed frame", "When x", 7), (outcome.Kind, outcome.Evidence, outcome.Step, outcome.StepLine));
    }

    [Fact]
    public void CheckFindings_Findings_OneFailEachPointingAtTheEntry()
    {
        var recorder = Recorder();
        var journal = new SessionJournal("call-1", "test");
        var entry = journal.Append(Direction.FromClient, FrameKind.Text, "bad");
        journal.AddFinding("TST-001", "bad frame", "JSON", "garbage", entry.Seq);
        journal.AddFinding("TST-002", "other rule");

        Assert.False(recorder.CheckFindings("TST-001", journal, "unused"));

        var outcome = Assert.Single(recorder.Outcomes);
        Assert.Equal(OutcomeKind.Fail, outcome.Kind);
        Assert.Equal(("JSON", "garbage"), (outcome.Expected, outcome.Actual));
        Assert.StartsWith("call-1 #1 at ", outcome.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void Names_Verdicts_UseReportSpellings()
    {
        Assert.Equal(["PASS", "FAIL", "ERROR", "NON-STRICT", "INFO", "SKIPPED", "NOT-COVERED"], Enum.GetValues<RuleVerdict>().Select(v => v.ToReportString()));
        Assert.Equal(["MUST", "SHOULD", "MAY"], Enum.GetValues<RuleStrength>().Select(v => v.ToReportString()));
        Assert.Equal(["passed", "failed", "error", "skipped"], Enum.GetValues<ScenarioStatus>().Select(v => v.ToReportString()));
        Assert.Equal(["passed", "failed", "error", "inconclusive", "not-run"], Enum.GetValues<StepStatus>().Select(v => v.ToReportString()));
        Assert.Equal(["PASS", "FAIL", "INFO", "ERROR"], Enum.GetValues<OutcomeKind>().Select(v => v.ToReportString()));
    }
}
