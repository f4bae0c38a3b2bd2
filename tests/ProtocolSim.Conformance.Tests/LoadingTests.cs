namespace ProtocolSim.Conformance.Tests;

public class LoadingTests
{
    [Binding]
    public sealed class RecordingSteps(ConformanceContext context, Probe probe)
    {
        [Given("the bot is up")]
        public void BotUp() => probe.Record(context.ScenarioName, "bot up");

        [Given("the caller dials {int}")]
        public void Dials(int number) => probe.Record(context.ScenarioName, $"dial {number}");

        [When("the caller speaks {string}")]
        public void Speaks(string words) => probe.Record(context.ScenarioName, $"speaks {words}");

        [Then("the bot answers {string} within {int} ms")]
        public void Answers(string words, int ms) => probe.Record(context.ScenarioName, $"answers {words} {ms}");

        [Given("these frames:")]
        public void Frames(Table table) =>
            probe.Record(context.ScenarioName, $"frames {string.Join(",", table.Header)}: " + string.Join(";", table.Rows.Select(r => $"{r["kind"]}={int.Parse(r["size"], System.Globalization.CultureInfo.InvariantCulture)}")));

        [When("the bot sends:")]
        public void Sends(string docString) => probe.Record(context.ScenarioName, $"doc [{docString}]");

        [Then("rule {word} is judged")]
        public void Judged(string id) => context.Rules.Pass(id, "ok");
    }

    [Binding]
    public sealed class AmbiguousSteps
    {
        [When("the caller speaks {string}")]
        public void First(string words) => _ = words;

        [When("^the caller speaks \"(.*)\"$")]
        public void Second(string words) => _ = words;
    }

    [Binding]
    public sealed class BadBindings
    {
        [Given("two {int} and {int}")]
        public void TooFew(int a) => _ = a;

        [Given("an object {word}")]
        public void Unsupported(Probe probe) => _ = probe;
    }

    [Binding]
    public sealed class InvalidExpression
    {
        [Given("a {unknown} thing")]
        public void Unknown(string a) => _ = a;
    }

    [Binding]
    public sealed class WhenOnly
    {
        [When("the caller hangs up")]
        public void HangUp()
        {
        }

        [StepDefinition("anything at all")]
        public void Any()
        {
        }
    }

    private static RunOptions With(Probe probe) => new() { Services = new TestServices(probe), MaxParallelScenarios = 1 };

    [Fact]
    public async Task Run_Background_RunsBeforeEachScenario()
    {
        using var suite = new TempSuite();
        suite.Add("bg.feature", """
            Feature: Background
              Background:
                Given the bot is up

              @TST-001
              Scenario: First
                Given the caller dials 100
                Then rule TST-001 is judged

              @TST-002
              Scenario: Second
                When the caller speaks "hi"
                Then rule TST-002 is judged
            """);
        var probe = new Probe();

        var result = await suite.RunAsync([typeof(RecordingSteps)], With(probe));

        Assert.Equal(["bot up", "dial 100"], probe.ByScenario["First"]);
        Assert.Equal(["bot up", "speaks hi"], probe.ByScenario["Second"]);
        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
        Assert.True(result.Scenarios[0].Steps[0].IsBackground);
        Assert.False(result.Scenarios[0].Steps[1].IsBackground);
    }

    [Fact]
    public async Task Run_ScenarioOutline_EachExampleIsAScenarioNamedWithItsValues()
    {
        using var suite = new TempSuite();
        suite.Add("outline.feature", """
            @feature-tag
            Feature: Outline

              @TST-001
              Scenario Outline: Answer to <words>
                When the caller speaks "<words>"
                Then the bot answers "<answer>" within <ms> ms
                And rule TST-001 is judged

                @fast
                Examples: quick
                  | words | answer | ms  |
                  | hello | hi     | 300 |
                  | bye   | ciao   | 200 |

              @TST-002
              Scenario Outline: Without placeholders
                When the caller speaks "<words>"
                Then rule TST-002 is judged

                Examples:
                  | words |
                  | one   |
                  | two   |
            """);
        var probe = new Probe();

        var result = await suite.RunAsync([typeof(RecordingSteps)], With(probe));

        var names = result.Scenarios.Select(s => s.Name).ToList();
        Assert.Equal(["Answer to hello", "Answer to bye", "Without placeholders (words: one)", "Without placeholders (words: two)"], names);
        Assert.Equal(["speaks hello", "answers hi 300"], probe.ByScenario["Answer to hello"]);
        Assert.Equal(["speaks bye", "answers ciao 200"], probe.ByScenario["Answer to bye"]);
        Assert.Equal([13, 14, 23, 24], result.Scenarios.Select(s => s.Line));
        Assert.Equal("suite/outline.feature:13", result.Scenarios[0].Id);
        Assert.Equal(["@feature-tag", "@TST-001", "@fast"], result.Scenarios[0].Tags);
        Assert.Equal(["TST-001"], result.Scenarios[0].RuleIds);
        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
    }

    [Fact]
    public async Task Run_Rule_ScenariosInheritItsTagsAndBackground()
    {
        using var suite = new TempSuite();
        suite.Add("rule.feature", """
            Feature: Rules
              Background:
                Given the bot is up

              @TST-001
              Scenario: Outside
                Then rule TST-001 is judged

              @rule-tag
              Rule: Speaking
                Background:
                  Given the caller dials 5

                @TST-002
                Scenario: Inside
                  When the caller speaks "hi"
                  Then rule TST-002 is judged
            """);
        var probe = new Probe();

        var result = await suite.RunAsync([typeof(RecordingSteps)], With(probe));

        Assert.Equal(["Outside", "Inside"], result.Scenarios.Select(s => s.Name));
        Assert.Equal(["bot up"], probe.ByScenario["Outside"]);
        Assert.Equal(["bot up", "dial 5", "speaks hi"], probe.ByScenario["Inside"]);
        Assert.Equal(["@rule-tag", "@TST-002"], result.Scenarios[1].Tags);
        Assert.Equal(["TST-002"], result.Scenarios[1].RuleIds);
        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
    }

    [Fact]
    public async Task Run_DataTableAndDocString_StepsReceiveThem()
    {
        using var suite = new TempSuite();
        suite.Add("args.feature", """"
            Feature: Arguments
              @TST-001
              Scenario: Tables
                Given these frames:
                  | kind   | size |
                  | text   | 12   |
                  | binary | 320  |
                When the bot sends:
                  """json
                  {"event": "playAudio"}
                  """
                Then rule TST-001 is judged
            """");
        var probe = new Probe();

        await suite.RunAsync([typeof(RecordingSteps)], With(probe));

        Assert.Equal(["frames kind,size: text=12;binary=320", "doc [{\"event\": \"playAudio\"}]"], probe.ByScenario["Tables"]);
    }

    [Fact]
    public void Load_GherkinSyntaxError_ReportsLineAndColumn()
    {
        using var suite = new TempSuite();
        suite.Add("bad.feature", """
            Feature: Broken
              Scenario: S
                Given the bot is up
              this line is not gherkin
                | a |
            """);

        var load = suite.Load(typeof(RecordingSteps));

        var error = Assert.Single(load.Errors);
        Assert.Equal(LoadErrorKind.Gherkin, error.Kind);
        Assert.Equal("suite/bad.feature", error.File);
        Assert.Equal(4, error.Line);
        Assert.Equal(3, error.Column);
        Assert.Contains("got 'this line is not gherkin'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UndefinedStep_ReportsFileLineTextAndSnippet()
    {
        using var suite = new TempSuite();
        suite.Add("undefined.feature", """
            Feature: Undefined
              Scenario: S
                Given the bot is up
                When the caller whispers "psst" twice
                And the caller waits 300 ms
            """);

        var load = suite.Load(typeof(RecordingSteps));

        Assert.Equal(2, load.Errors.Count);
        var first = load.Errors[0];
        Assert.Equal(LoadErrorKind.UndefinedStep, first.Kind);
        Assert.Equal("suite/undefined.feature", first.File);
        Assert.Equal(4, first.Line);
        Assert.Equal("undefined step: When the caller whispers \"psst\" twice", first.Message);
        Assert.StartsWith("[When(\"the caller whispers {string} twice\")]", first.Snippet, StringComparison.Ordinal);
        Assert.Contains("public void WhenTheCallerWhispersTwice(string psst)", first.Snippet, StringComparison.Ordinal);
        Assert.StartsWith("[When(\"the caller waits {int} ms\")]", load.Errors[1].Snippet, StringComparison.Ordinal);
        Assert.Contains("suite/undefined.feature:4: undefined step", first.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AmbiguousStep_ListsEachMatchingMethod()
    {
        using var suite = new TempSuite();
        suite.Add("ambiguous.feature", """
            Feature: Ambiguous
              Scenario: S
                When the caller speaks "hi"
            """);

        var load = suite.Load(typeof(RecordingSteps), typeof(AmbiguousSteps));

        var error = Assert.Single(load.Errors);
        Assert.Equal(LoadErrorKind.AmbiguousStep, error.Kind);
        Assert.Equal(3, error.Line);
        Assert.Contains("matches 3 bindings", error.Message, StringComparison.Ordinal);
        Assert.Contains("RecordingSteps.Speaks", error.Message, StringComparison.Ordinal);
        Assert.Contains("AmbiguousSteps.First", error.Message, StringComparison.Ordinal);
        Assert.Contains("AmbiguousSteps.Second", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_AndAfterWhen_MatchesOnlyWhenBindings()
    {
        using var suite = new TempSuite();
        suite.Add("keywords.feature", """
            Feature: Keywords
              Scenario: S
                Given the bot is up
                And the caller hangs up
                When the caller hangs up
                But anything at all
                * anything at all
            """);

        var load = suite.Load(typeof(RecordingSteps), typeof(WhenOnly));

        var error = Assert.Single(load.Errors);
        Assert.Equal(4, error.Line);
        Assert.Equal("undefined step: And the caller hangs up", error.Message);
        Assert.StartsWith("[Given(\"the caller hangs up\")]", error.Snippet, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_BadBindings_ReportedAtTheStepsThatUseThem()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", "Feature: F\n  Scenario: S\n    Given two 1 and 2\n    And an object probe\n    And anything at all\n");

        var load = suite.Load(typeof(BadBindings), typeof(WhenOnly));

        // Reqnroll takes a method whose parameters cannot receive a step's arguments and fails the step when it runs;
        // the loader asks Reqnroll's matcher about every step first, so each is a load error at the step's line.
        Assert.Equal(2, load.Errors.Count);
        Assert.All(load.Errors, e => Assert.Equal(LoadErrorKind.Binding, e.Kind));
        Assert.Contains(load.Errors, e => e.Line == 3 && e.Message.Contains("BadBindings.TooFew", StringComparison.Ordinal));
        Assert.Contains(load.Errors, e => e.Line == 4 && e.Message.Contains("BadBindings.Unsupported", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_InvalidExpression_ReportedOnce()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", "Feature: F\n  Scenario: S\n    Given anything at all\n    And anything at all\n");

        var load = suite.Load(typeof(InvalidExpression), typeof(WhenOnly));

        var error = Assert.Single(load.Errors);
        Assert.Equal(LoadErrorKind.Binding, error.Kind);
        Assert.Contains("{unknown}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_StepWithTableButBindingWithout_ReportsMismatch()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", "Feature: F\n  Scenario: S\n    Given the bot is up\n      | a |\n      | 1 |\n");

        var load = suite.Load(typeof(RecordingSteps));

        var error = Assert.Single(load.Errors);
        Assert.Equal(LoadErrorKind.Binding, error.Kind);
        Assert.Contains("(with a data table) matches", error.Message, StringComparison.Ordinal);
        Assert.Contains("RecordingSteps.BotUp", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralProblems_AllReportedAtOnce()
    {
        using var suite = new TempSuite();
        suite.Add("a.feature", "Feature: A\n  @TST-404\n  Scenario: S\n    Given nobody binds this\n");
        suite.Add("b.feature", "Feature: B\n  Scenario: S\n    Given the bot is up\n  not gherkin here\n");

        var load = suite.Load(typeof(RecordingSteps));

        Assert.Contains(load.Errors, e => e.Kind == LoadErrorKind.Tag);
        Assert.Contains(load.Errors, e => e.Kind == LoadErrorKind.UndefinedStep);
        Assert.Contains(load.Errors, e => e.Kind == LoadErrorKind.Gherkin && e.File == "suite/b.feature");
        Assert.Throws<ArgumentException>(() => new ConformanceRunner(load));
    }
}
