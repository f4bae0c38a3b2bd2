using ProtocolSim.Conformance;
using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// Verdicts that once went wrong for a kind of client, each pinned down with the evidence the report must show
/// (issue 17). The bots are reference bots, so the self-tests also run them through the whole suite.
/// </summary>
public sealed class SuiteSelfTestRegressions(ITestOutputHelper output)
{
    [Fact]
    public async Task MetadataThenClose_Kvs007_FailsWithTheBotsCloseAsEvidence()
    {
        // Once, the step dereferenced the answer it never got and KVS-007 was "failed before the rule was judged".
        var result = await RunAsync("repr-values-close", "metadata.feature", "@KVS-007");

        var scenario = Assert.Single(result.Scenarios, s => s.Executed);
        Assert.Equal(ScenarioStatus.Failed, scenario.Status);
        Assert.Null(scenario.Error);
        var fail = Assert.Single(scenario.Outcomes);
        Assert.Equal(("KVS-007", OutcomeKind.Fail), (fail.RuleId, fail.Kind));
        Assert.Contains("the bot closed it (1011 \"bad metadata\")", fail.Actual, StringComparison.Ordinal);
        Assert.Contains("without a word", fail.Evidence, StringComparison.Ordinal);
        Assert.Equal(RuleVerdict.Fail, result.Rules.Single(r => r.Rule.Id == "KVS-007").Verdict);
    }

    [Theory]
    [InlineData("streaming-tts", "@KVS-023", "KVS-023", OutcomeKind.Pass)]
    [InlineData("streaming-no-killaudio", "@KVS-023", "KVS-023", OutcomeKind.Fail)]
    [InlineData("streaming-tts", "@KVS-025", "KVS-025", OutcomeKind.Pass)]
    [InlineData("streaming-stale-chunks", "@KVS-025", "KVS-025", OutcomeKind.Fail)]
    public async Task StreamingBot_BargeIn_IsJudged(string botName, string tags, string rule, OutcomeKind expected)
    {
        // Once, a bot that streams at about real time never had 1 s queued, and every barge-in rule went SKIPPED.
        var result = await RunAsync(botName, "barge-in.feature", tags);

        var scenario = Assert.Single(result.Scenarios, s => s.Executed);
        Assert.True(scenario.SkipReason is null || scenario.Status != ScenarioStatus.Skipped, $"{rule} was not judged: {scenario.SkipReason}");
        var outcome = Assert.Single(scenario.Outcomes, o => o.RuleId == rule);
        Assert.Equal(expected, outcome.Kind);
        Assert.Contains(scenario.Logs, l => l.Message.StartsWith("barge-in: the caller's speech onset at", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("conforming", OutcomeKind.Pass)]
    [InlineData("crash-on-early-audio", OutcomeKind.Fail)]
    public async Task CallerFramesNotJournaled_Kvs013_IsJudgedTheSame(string botName, OutcomeKind expected)
    {
        // --set JournalCallerFrames=false keeps 50 entries a second per call out of the journal; KVS-013 counts the
        // caller frames sent before the greeting from the call's own record, so it is judged as with them.
        var subject = SelfTestCatalog.Get(botName);
        await using var bot = await subject.Client.StartServer!(0, CancellationToken.None);
        var progress = new StringWriter();
        var errors = new StringWriter();
        var reports = Directory.CreateTempSubdirectory("protosim-kvs013-").FullName;
        var (_, result) = await ConformanceHost.RunAsync(new RunRequest
        {
            Paths = [Path.Combine(ProtocolSim.Conformance.Suites.RepositoryPaths.Features(), "knowlarity", "voice-stream", "greeting.feature")],
            Target = bot.Url,
            Insecure = true,
            Tags = "@KVS-013",
            ReportDirectory = reports,
            Overrides = new Dictionary<string, string> { ["JournalCallerFrames"] = "false" },
        }, progress, errors, CancellationToken.None);
        output.WriteLine(progress.ToString());
        output.WriteLine(errors.ToString());
        Assert.NotNull(result);
        HarnessErrors.AssertNone(result, botName, reports);
        var scenario = Assert.Single(result.Scenarios, s => s.Executed);
        Assert.Equal(expected, Assert.Single(scenario.Outcomes, o => o.RuleId == "KVS-013").Kind);
        var journals = Directory.GetFiles(Path.Combine(reports, "journals"), "*.jsonl").Select(File.ReadAllText).ToList();
        Assert.NotEmpty(journals);
        Assert.All(journals, j => Assert.DoesNotContain("caller audio ", j, StringComparison.Ordinal));
    }

    private async Task<RunResult> RunAsync(string botName, string feature, string tags)
    {
        var progress = new StringWriter();
        var errors = new StringWriter();
        var (_, result) = await SelfTestCatalog.Get(botName).RunAsync(null, $"regression: {botName}", progress, errors, CancellationToken.None, feature, tags);
        output.WriteLine(progress.ToString());
        output.WriteLine(errors.ToString());
        Assert.NotNull(result);
        HarnessErrors.AssertNone(result, botName, "(no report directory)");
        return result;
    }
}
