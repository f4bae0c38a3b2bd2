namespace ProtocolSim.Conformance.Tests;

public class VerdictTests
{
    private static async Task<(RunResult Result, string Progress)> RunAsync(string feature, string? tags = null)
    {
        using var suite = new TempSuite();
        suite.Add("verdicts.feature", feature);
        using var progress = new StringWriter();
        var result = await suite.RunAsync([typeof(JudgeSteps)], new RunOptions { Progress = progress, TagExpression = tags });
        return (result, progress.ToString());
    }

    private static RuleResult Rule(RunResult result, string id) => result.Rules.Single(r => r.Rule.Id == id);

    [Fact]
    public async Task Run_MustRulePasses_VerdictPassAndExitZero()
    {
        var (result, progress) = await RunAsync("Feature: F\n  @TST-001\n  Scenario: S\n    Then rule TST-001 passes\n");

        Assert.Equal(RuleVerdict.Pass, Rule(result, "TST-001").Verdict);
        Assert.Equal("TST-001 seen ok", Rule(result, "TST-001").Evidence);
        Assert.Equal(["S"], Rule(result, "TST-001").Scenarios);
        Assert.Equal(ScenarioStatus.Passed, result.Scenarios[0].Status);
        Assert.Equal(0, result.ExitCode);
        Assert.Matches(@"^\[1/1\] PASS  suite/verdicts\.feature:3  S  \(\d+\.\d s\)", progress);
    }

    [Fact]
    public async Task Run_MustRuleFails_VerdictFailScenarioFailedExitOne()
    {
        var (result, progress) = await RunAsync("Feature: F\n  @TST-001\n  Scenario: S\n    Then rule TST-001 fails\n    And rule TST-001 passes\n");

        var rule = Rule(result, "TST-001");
        Assert.Equal(RuleVerdict.Fail, rule.Verdict);
        Assert.Equal("suite/verdicts.feature:3: expected a greeting within 2 s but saw no greeting after 5 s (journal #3 at 5.00 s)", rule.Evidence);
        Assert.Equal(ScenarioStatus.Failed, result.Scenarios[0].Status);
        Assert.Null(result.Scenarios[0].Error);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAIL  suite/verdicts.feature:3  S", progress, StringComparison.Ordinal);
        Assert.Contains("FAIL TST-001: expected a greeting within 2 s, actual no greeting after 5 s (journal #3 at 5.00 s)", progress, StringComparison.Ordinal);
        var outcome = result.Scenarios[0].Outcomes[0];
        Assert.Equal("Then rule TST-001 fails", outcome.Step);
        Assert.Equal(4, outcome.StepLine);
    }

    [Fact]
    public async Task Run_ShouldRuleFails_NonStrictAndScenarioPassesWithWarning()
    {
        var (result, progress) = await RunAsync("Feature: F\n  @TST-003\n  Scenario: S\n    Then rule TST-003 fails\n");

        Assert.Equal(RuleVerdict.NonStrict, Rule(result, "TST-003").Verdict);
        Assert.Equal(ScenarioStatus.Passed, result.Scenarios[0].Status);
        Assert.Single(result.Scenarios[0].Warnings);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("WARN TST-003", progress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MayRuleFails_Info()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-004\n  Scenario: S\n    Then rule TST-004 is checked as false\n");

        Assert.Equal(RuleVerdict.Info, Rule(result, "TST-004").Verdict);
        Assert.Equal(ScenarioStatus.Passed, result.Scenarios[0].Status);
        Assert.Equal(0, result.ExitCode);
    }

    [Fact]
    public async Task Run_OnlyInfoOutcomes_Info()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-002\n  Scenario: S\n    Then rule TST-002 is noted\n");

        Assert.Equal(RuleVerdict.Info, Rule(result, "TST-002").Verdict);
        Assert.Equal("observed something", Rule(result, "TST-002").Evidence);
        Assert.Equal(ScenarioStatus.Passed, result.Scenarios[0].Status);
    }

    [Fact]
    public async Task Run_FailInOneScenarioPassInAnother_Fail()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-001\n  Scenario: A\n    Then rule TST-001 passes\n  @TST-001\n  Scenario: B\n    Then rule TST-001 is checked as false\n");

        Assert.Equal(RuleVerdict.Fail, Rule(result, "TST-001").Verdict);
        Assert.Equal(["A", "B"], Rule(result, "TST-001").Scenarios);
        Assert.Equal([ScenarioStatus.Passed, ScenarioStatus.Failed], result.Scenarios.Select(s => s.Status));
    }

    [Fact]
    public async Task Run_Inconclusive_ScenarioSkippedRuleSkippedWithReason()
    {
        var (result, progress) = await RunAsync("Feature: F\n  @TST-001 @TST-002\n  Scenario: S\n    Given rule TST-002 passes\n    When the precondition is not met\n    Then rule TST-001 passes\n");

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Skipped, scenario.Status);
        Assert.Equal("the bot never sent a greeting, see TST-001", scenario.SkipReason);
        Assert.Equal([StepStatus.Passed, StepStatus.Inconclusive, StepStatus.NotRun], scenario.Steps.Select(s => s.Status));
        Assert.Equal(["TST-001"], scenario.UnjudgedRules);
        Assert.Equal(RuleVerdict.Skipped, Rule(result, "TST-001").Verdict);
        Assert.Equal("suite/verdicts.feature:3: the bot never sent a greeting, see TST-001", Rule(result, "TST-001").Evidence);
        Assert.Equal(RuleVerdict.Pass, Rule(result, "TST-002").Verdict);
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("SKIP  suite/verdicts.feature:3", progress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnobservableOrUntaggedRules_NotCovered()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-001\n  Scenario: S\n    Then rule TST-001 passes\n");

        Assert.Equal(RuleVerdict.NotCovered, Rule(result, "TST-009").Verdict);
        Assert.Equal("not observable: needs the bot's own logs", Rule(result, "TST-009").Evidence);
        Assert.Equal(RuleVerdict.NotCovered, Rule(result, "TST-005").Verdict);
        Assert.Equal("no scenario in this run tags it", Rule(result, "TST-005").Evidence);
        Assert.Equal(5, result.Count(RuleVerdict.NotCovered));
    }

    [Fact]
    public async Task Run_TaggedRuleLeftUnjudged_ScenarioIsAHarnessErrorWithAuthoringKind()
    {
        var (result, progress) = await RunAsync("Feature: F\n  @TST-001 @TST-002\n  Scenario: S\n    Then rule TST-001 passes\n");

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Error, scenario.Status);
        Assert.Equal(ScenarioErrorKind.Authoring, scenario.ErrorKind);
        Assert.Equal("scenario tags @TST-002 but no step judged it", scenario.Error);
        Assert.Equal(RuleVerdict.Error, Rule(result, "TST-002").Verdict);
        Assert.Equal(RuleVerdict.Pass, Rule(result, "TST-001").Verdict);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal(1, result.Errors);
        Assert.Contains("ERROR (harness, Authoring) scenario tags @TST-002 but no step judged it", progress, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_OutcomeForUntaggedRule_ScenarioFailsAndOutcomeDoesNotCount()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-001\n  Scenario: S\n    Then rule TST-001 passes\n    And rule TST-002 fails\n");

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Error, scenario.Status);
        Assert.Equal(ScenarioErrorKind.Authoring, scenario.ErrorKind);
        Assert.Contains("step 'And rule TST-002 fails' (line 5) recorded FAIL for TST-002, which the scenario does not tag", scenario.Error, StringComparison.Ordinal);
        Assert.Single(scenario.RejectedOutcomes);
        Assert.Equal(RuleVerdict.NotCovered, Rule(result, "TST-002").Verdict);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Run_UnattributedException_IsAHarnessErrorWithItsStackTraceAndKeepsJudgedRules()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-001 @TST-002\n  Scenario: S\n    Given rule TST-001 passes\n    When the step crashes\n    Then rule TST-002 passes\n");

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Error, scenario.Status);
        Assert.Equal(ScenarioErrorKind.Exception, scenario.ErrorKind);
        Assert.Equal("step 'When the step crashes' (line 5) failed: InvalidOperationException: boom", scenario.Error);
        Assert.Equal([StepStatus.Passed, StepStatus.Error, StepStatus.NotRun], scenario.Steps.Select(s => s.Status));
        Assert.Equal(RuleVerdict.Pass, Rule(result, "TST-001").Verdict);
        Assert.Equal(RuleVerdict.Error, Rule(result, "TST-002").Verdict);
        var synthesized = scenario.Outcomes.Single(o => o.RuleId == "TST-002");
        Assert.Equal(OutcomeKind.Error, synthesized.Kind);
        Assert.Equal("harness error before the rule was judged: step 'When the step crashes' (line 5) failed: InvalidOperationException: boom", synthesized.Message);

        // Where it crashed: the exception with the step method's frame, on the scenario and on the step.
        Assert.StartsWith("System.InvalidOperationException: boom", scenario.StackTrace, StringComparison.Ordinal);
        Assert.Contains($"{nameof(JudgeSteps)}.{nameof(JudgeSteps.Crash)}", scenario.StackTrace, StringComparison.Ordinal);
        Assert.Equal(scenario.StackTrace, scenario.Steps[1].StackTrace);
        Assert.Null(scenario.Steps[0].StackTrace);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Run_RuleFailedInOneScenarioAndErrorInAnother_IsFail_PassAndErrorIsError()
    {
        var (result, _) = await RunAsync(
            "Feature: F\n  @TST-002\n  Scenario: A\n    Then rule TST-002 fails\n  @TST-002\n  Scenario: B\n    When the step crashes\n"
            + "  @TST-001\n  Scenario: C\n    Then rule TST-001 passes\n  @TST-001\n  Scenario: D\n    When the step crashes\n");

        Assert.Equal([ScenarioStatus.Failed, ScenarioStatus.Error, ScenarioStatus.Passed, ScenarioStatus.Error], result.Scenarios.Select(s => s.Status));
        Assert.Equal(RuleVerdict.Fail, Rule(result, "TST-002").Verdict);
        Assert.Equal(RuleVerdict.Error, Rule(result, "TST-001").Verdict);
        Assert.Contains("harness error before the rule was judged", Rule(result, "TST-001").Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_RuleViolationException_RecordsFailAndStops()
    {
        var (result, _) = await RunAsync("Feature: F\n  @TST-002 @TST-001\n  Scenario: S\n    When rule TST-002 is violated\n    Then rule TST-001 passes\n");

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Failed, scenario.Status);
        Assert.Null(scenario.Error);
        Assert.Equal([StepStatus.Failed, StepStatus.NotRun], scenario.Steps.Select(s => s.Status));
        Assert.Equal("stopped after TST-002 failed", scenario.SkipReason);
        var fail = Assert.Single(scenario.Outcomes);
        Assert.Equal(("TST-002", "a pong", "nothing"), (fail.RuleId, fail.Expected, fail.Actual));
        Assert.Equal(RuleVerdict.Fail, Rule(result, "TST-002").Verdict);
        Assert.Equal(RuleVerdict.Skipped, Rule(result, "TST-001").Verdict);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Run_ScenarioFilteredOutByTags_SkippedAndItsRulesSkipped()
    {
        var (result, progress) = await RunAsync(
            "Feature: F\n  @TST-001\n  Scenario: A\n    Then rule TST-001 passes\n  @TST-002 @slow\n  Scenario: B\n    Then rule TST-002 passes\n",
            tags: "not @slow");

        Assert.Equal([ScenarioStatus.Passed, ScenarioStatus.Skipped], result.Scenarios.Select(s => s.Status));
        Assert.Equal("filtered out by tag expression 'not @slow'", result.Scenarios[1].SkipReason);
        Assert.False(result.Scenarios[1].Executed);
        Assert.Equal(RuleVerdict.Skipped, Rule(result, "TST-002").Verdict);
        Assert.Contains("filtered out", Rule(result, "TST-002").Evidence, StringComparison.Ordinal);
        Assert.Contains("[1/1] PASS", progress, StringComparison.Ordinal);
        Assert.Equal("not @slow", result.TagExpression);
    }

    [Fact]
    public async Task RunAsync_InvalidTagExpression_ThrowsArgumentException()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", "Feature: F\n  @TST-001\n  Scenario: S\n    Then rule TST-001 passes\n");
        var runner = new ConformanceRunner(suite.Load(typeof(JudgeSteps)));

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => runner.RunAsync(new RunOptions { TagExpression = "@a and" }, CancellationToken.None));
        Assert.Contains("invalid tag expression", ex.Message, StringComparison.Ordinal);
    }
}
