namespace ProtocolSim.Conformance.Tests;

public class CatalogueTests
{
    private const string Feature = """
        Feature: F
          @TST-001
          Scenario: S
            Given rule TST-001 passes
        """;

    [Fact]
    public void Load_CatalogueWithSeveralErrors_ReportsEveryErrorWithItsLine()
    {
        const string Rules = """
            suite: broken
            title: Broken
            rules:
              - id: TST-001
                statement: "ok"
                strength: MUST
                source: "s"
              - id: TST-001
                statement: "duplicate"
                strength: MUST
                source: "s"
              - id: tst-2
                statement: "bad id"
                strength: MUST
                source: "s"
              - id: TST-003
                statement: "bad strength"
                strength: MUSTN'T
                source: "s"
              - id: TST-004
                statement: ""
                strength: SHOULD
                source: "s"
              - id: TST-005
                statement: "no source"
                strength: MAY
                source: "  "
              - id: TST-006
                statement: "unobservable without reason"
                strength: MUST
                source: "s"
                observable: false
              - id: TST-007
                statment: "typo"
                strength: MUST
                source: "s"
            """;
        using var suite = new TempSuite(Rules);
        suite.Add("f.feature", Feature);

        var load = suite.Load(typeof(JudgeSteps));

        var errors = load.Errors.Where(e => e.Kind == LoadErrorKind.Catalogue).ToList();
        Assert.All(errors, e => Assert.EndsWith("rules.yaml", e.File, StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 8 && e.Message.Contains("duplicate rule id TST-001 (first defined on line 4)", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 12 && e.Message.Contains("rule id 'tst-2' does not match", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 18 && e.Message.Contains("strength 'MUSTN'T' is not MUST, SHOULD or MAY", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 21 && e.Message.Contains("rule TST-004: 'statement' is missing or empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 27 && e.Message.Contains("rule TST-005: 'source' is missing or empty", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 32 && e.Message.Contains("rule TST-006: 'reason' is required", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 34 && e.Message.Contains("unknown key 'statment'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Message.Contains("rule TST-007: 'statement' is missing", StringComparison.Ordinal));
        Assert.Equal(8, errors.Count);
        Assert.False(load.Success);
    }

    [Fact]
    public void Load_YamlSyntaxError_ReportsFileAndLine()
    {
        using var suite = new TempSuite("suite: x\nrules:\n  - id: TST-001\n    statement: \"unterminated\n");
        suite.Add("f.feature", Feature);

        var load = suite.Load(typeof(JudgeSteps));

        var error = Assert.Single(load.Errors, e => e.Kind == LoadErrorKind.Catalogue);
        Assert.StartsWith("YAML syntax error", error.Message, StringComparison.Ordinal);
        Assert.True(error.Line >= 4, error.ToString());
    }

    [Fact]
    public void Load_FeatureTagNotInCatalogue_ReportsFileAndLineOfTheTag()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", """
            Feature: F

              @TST-001 @TST-077 @slow
              Scenario: S
                Given rule TST-001 passes
            """);

        var load = suite.Load(typeof(JudgeSteps));

        var error = Assert.Single(load.Errors);
        Assert.Equal(LoadErrorKind.Tag, error.Kind);
        Assert.Equal("suite/f.feature", error.File);
        Assert.Equal(3, error.Line);
        Assert.Equal(12, error.Column);
        Assert.Contains("@TST-077 looks like a rule id but suite 'test-suite'", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("suite/f.feature:3:12: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ScenarioTagsUnobservableRule_ReportsError()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", """
            Feature: F
              @TST-009
              Scenario: S
                Given nothing happens
            """);

        var load = suite.Load(typeof(JudgeSteps));

        var error = Assert.Single(load.Errors);
        Assert.Contains("tags @TST-009, which is not observable (needs the bot's own logs)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FeatureWithoutCatalogue_ReportsError()
    {
        using var suite = new TempSuite(rules: string.Empty);
        suite.Add("f.feature", Feature);

        var load = suite.Load(typeof(JudgeSteps));

        Assert.Contains(load.Errors, e => e.Kind == LoadErrorKind.Tag && e.Message.Contains("no rules.yaml for this feature", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_FeatureInSubdirectory_UsesNearestCatalogueAbove()
    {
        using var suite = new TempSuite();
        suite.Add("voice/deep/f.feature", Feature);

        var load = suite.Load(typeof(JudgeSteps));

        Assert.True(load.Success, string.Join("\n", load.Errors));
        Assert.Equal("suite/voice/deep/f.feature:3", load.Scenarios[0].Id);
    }

    [Fact]
    public void LoadCatalogues_ValidSuite_ListsRulesWithoutParsingFeatures()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", "this is not gherkin at all");

        var load = ConformanceRunner.LoadCatalogues([suite.Root]);

        Assert.True(load.Success, string.Join("\n", load.Errors));
        var catalogue = Assert.Single(load.Catalogues);
        Assert.Equal("test-suite", catalogue.Suite);
        Assert.Equal("Test suite", catalogue.Title);
        Assert.Equal(6, catalogue.Rules.Count);
        var rule = catalogue.Find("TST-003")!;
        Assert.Equal(RuleStrength.Should, rule.Strength);
        Assert.Equal("doc ch.3", rule.Source);
        Assert.Equal(13, rule.Line);
        Assert.False(catalogue.Find("TST-009")!.Observable);
    }

    [Fact]
    public void Load_MissingPath_ReportsPathError()
    {
        var load = ConformanceRunner.LoadTypes(["/nonexistent/protosim/features"], [typeof(JudgeSteps)]);

        var error = Assert.Single(load.Errors);
        Assert.Equal(LoadErrorKind.Path, error.Kind);
    }

    [Fact]
    public async Task Load_CatalogueWithoutFeatures_ListedAndItsRulesNotCovered()
    {
        using var suite = new TempSuite();
        suite.Add("f.feature", Feature);
        var other = Path.Combine(suite.Root, "rest");
        Directory.CreateDirectory(other);
        File.WriteAllText(Path.Combine(other, "rules.yaml"), "suite: rest\ntitle: REST\nrules:\n  - id: API-001\n    statement: s\n    strength: MUST\n    source: x\n");

        var catalogues = ConformanceRunner.LoadCatalogues([suite.Root]);
        var result = await suite.RunAsync([typeof(JudgeSteps)]);

        Assert.Equal(["test-suite", "rest"], catalogues.Catalogues.Select(c => c.Suite).Order(StringComparer.Ordinal).Reverse());
        var rule = result.Rules.Single(r => r.Rule.Id == "API-001");
        Assert.Equal(RuleVerdict.NotCovered, rule.Verdict);
        Assert.Equal("rest", rule.Rule.Suite);
    }
}
