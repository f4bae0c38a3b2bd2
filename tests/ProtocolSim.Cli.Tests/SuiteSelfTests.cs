using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.ReferenceClients;
using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The self-test of the voice-stream suites: the suite of each dialect runs against every reference bot. A
/// conforming bot passes every observable rule; every broken bot fails exactly the rules it breaks and no others.
/// The bots are split over several test classes so that xunit runs the (real-time bound) suites concurrently.
/// </summary>
public abstract class SuiteSelfTestBase(ITestOutputHelper output)
{
    protected const int Shards = 6;

    public static IEnumerable<object[]> BotsOfShard(int shard) =>
        ReferenceBots.All.Select((bot, i) => (bot, i)).Where(x => x.i % Shards == shard).Select(x => new object[] { x.bot.Name });

    protected async Task RunAgainstAsync(string botName)
    {
        var info = ReferenceBots.Get(botName);
        var progress = new StringWriter();
        var errors = new StringWriter();
        var reportDir = Path.Combine(Path.GetTempPath(), "protosim-selftest", botName);
        var (exitCode, result) = await SelfTestCatalog.Get(botName).RunAsync(reportDir, $"self-test: {botName}", progress, errors, CancellationToken.None);
        output.WriteLine(progress.ToString());
        output.WriteLine(errors.ToString());
        Assert.NotNull(result);
        HarnessErrors.AssertNone(result, botName, reportDir);

        var failed = result.Rules.Where(r => r.Verdict is RuleVerdict.Fail or RuleVerdict.NonStrict).Select(r => r.Rule.Id).Order(StringComparer.Ordinal).ToList();
        var expected = info.BreaksRules.Order(StringComparer.Ordinal).ToList();
        var detail = string.Join("\n", result.Rules.Where(r => r.Verdict is not (RuleVerdict.Pass or RuleVerdict.NotCovered))
            .Select(r => $"  {r.Rule.Id} {r.Verdict}: {r.Evidence}"));
        Assert.True(expected.SequenceEqual(failed),
            $"{botName}: expected failed rules [{string.Join(", ", expected)}] but got [{string.Join(", ", failed)}]\n{detail}\nreport: {reportDir}/report.html");

        if (info.Conforming)
        {
            // Every observable rule of the suite is judged and passes (a MAY rule may be INFO).
            var notPassed = result.Rules.Where(r => r.Rule.Observable && r.Verdict != RuleVerdict.Pass
                && !(r.Rule.Strength == RuleStrength.May && r.Verdict == RuleVerdict.Info)).ToList();
            Assert.True(notPassed.Count == 0, $"{botName}: rules not passed:\n" + string.Join("\n", notPassed.Select(r => $"  {r.Rule.Id} {r.Verdict}: {r.Evidence}")));
            Assert.Equal(0, exitCode);
            Assert.Equal(0, result.Failed);
        }
        else
        {
            var mustBroken = result.Rules.Any(r => r.Verdict == RuleVerdict.Fail);
            Assert.Equal(mustBroken ? 1 : 0, exitCode);
        }
    }
}

public sealed class SuiteSelfTest0(ITestOutputHelper output) : SuiteSelfTestBase(output)
{
    public static IEnumerable<object[]> Bots => BotsOfShard(0);

    [Theory]
    [MemberData(nameof(Bots))]
    public Task Suite_AgainstReferenceBot_FailsExactlyTheRulesItBreaks(string bot) => RunAgainstAsync(bot);
}

public sealed class SuiteSelfTest1(ITestOutputHelper output) : SuiteSelfTestBase(output)
{
    public static IEnumerable<object[]> Bots => BotsOfShard(1);

    [Theory]
    [MemberData(nameof(Bots))]
    public Task Suite_AgainstReferenceBot_FailsExactlyTheRulesItBreaks(string bot) => RunAgainstAsync(bot);
}

public sealed class SuiteSelfTest2(ITestOutputHelper output) : SuiteSelfTestBase(output)
{
    public static IEnumerable<object[]> Bots => BotsOfShard(2);

    [Theory]
    [MemberData(nameof(Bots))]
    public Task Suite_AgainstReferenceBot_FailsExactlyTheRulesItBreaks(string bot) => RunAgainstAsync(bot);
}

public sealed class SuiteSelfTest3(ITestOutputHelper output) : SuiteSelfTestBase(output)
{
    public static IEnumerable<object[]> Bots => BotsOfShard(3);

    [Theory]
    [MemberData(nameof(Bots))]
    public Task Suite_AgainstReferenceBot_FailsExactlyTheRulesItBreaks(string bot) => RunAgainstAsync(bot);
}

public sealed class SuiteSelfTest4(ITestOutputHelper output) : SuiteSelfTestBase(output)
{
    public static IEnumerable<object[]> Bots => BotsOfShard(4);

    [Theory]
    [MemberData(nameof(Bots))]
    public Task Suite_AgainstReferenceBot_FailsExactlyTheRulesItBreaks(string bot) => RunAgainstAsync(bot);
}

public sealed class SuiteSelfTest5(ITestOutputHelper output) : SuiteSelfTestBase(output)
{
    public static IEnumerable<object[]> Bots => BotsOfShard(5);

    [Theory]
    [MemberData(nameof(Bots))]
    public Task Suite_AgainstReferenceBot_FailsExactlyTheRulesItBreaks(string bot) => RunAgainstAsync(bot);
}

public sealed class RuleCoverageTests
{
    [Fact]
    public void EveryObservableRule_IsBrokenByAtLeastOneReferenceBot()
    {
        // The voice suites (the REST suite's rules are broken by reference clients: KnowlaritySelfTests).
        var load = ConformanceRunner.LoadCatalogues([Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"), Path.Combine(RepositoryPaths.Features(), "knowlarity", "verloop")]);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        var broken = ReferenceBots.All.SelectMany(b => b.BreaksRules).ToHashSet(StringComparer.Ordinal);
        var observable = load.Catalogues.SelectMany(c => c.Rules).Where(r => r.Observable && r.Strength != RuleStrength.May).Select(r => r.Id).ToList();
        var unbroken = observable.Where(id => !broken.Contains(id)).ToList();
        Assert.True(unbroken.Count == 0, "No reference bot breaks: " + string.Join(", ", unbroken));
    }

    [Fact]
    public void EveryObservableRule_IsTaggedByAScenario()
    {
        var load = ConformanceRunner.Load([Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"), Path.Combine(RepositoryPaths.Features(), "knowlarity", "verloop")], [typeof(ProtocolSim.Knowlarity.Steps.VoiceStreamSteps).Assembly]);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        var tagged = load.Scenarios.SelectMany(s => s.RuleIds).ToHashSet(StringComparer.Ordinal);
        var untagged = load.Catalogues.SelectMany(c => c.Rules).Where(r => r.Observable && !tagged.Contains(r.Id)).Select(r => r.Id).ToList();
        Assert.True(untagged.Count == 0, "Observable rules without a scenario: " + string.Join(", ", untagged));
    }
}
