using ProtocolSim.Conformance;
using ProtocolSim.ReferenceClients.Knowlarity;
using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The self-test of the Knowlarity REST and notifications suite: it runs against every reference client, in-process
/// through the same <c>PROTOSIM_*</c> contract as <c>--client-command</c>. The conforming client passes every
/// observable rule; every broken one fails exactly the rules it breaks. Clients are split over test classes so the
/// runs overlap.
/// </summary>
public abstract class KnowlaritySelfTestBase(ITestOutputHelper output)
{
    protected const int Shards = 2;

    public static IEnumerable<object[]> ClientsOfShard(int shard) =>
        KnowlarityReferenceClients.All.Select((c, i) => (c, i)).Where(x => x.i % Shards == shard).Select(x => new object[] { x.c.Name });

    protected async Task RunAgainstAsync(string clientName)
    {
        var info = KnowlarityReferenceClients.Get(clientName);
        var progress = new StringWriter();
        var errors = new StringWriter();
        var reportDir = Path.Combine(Path.GetTempPath(), "protosim-selftest", clientName);
        var (exitCode, result) = await ConformanceHost.RunAsync(new RunRequest
        {
            Paths = [Path.Combine(RepositoryPaths.Features(), "knowlarity", "rest")],
            ClientLauncher = new InProcessClientLauncher($"reference client {clientName} (in-process)",
                (environment, log, ct) => KnowlarityReferenceClients.RunAsync(clientName, environment, log, ct)),
            ReportDirectory = reportDir,
            Parallel = 12,
            Title = $"self-test: {clientName}",
        }, progress, errors, CancellationToken.None);
        output.WriteLine(progress.ToString());
        output.WriteLine(errors.ToString());
        Assert.NotNull(result);

        var failed = result.Rules.Where(r => r.Verdict is RuleVerdict.Fail or RuleVerdict.NonStrict).Select(r => r.Rule.Id).Order(StringComparer.Ordinal).ToList();
        var expected = info.BreaksRules.Order(StringComparer.Ordinal).ToList();
        var detail = string.Join("\n", result.Rules.Where(r => r.Verdict is not (RuleVerdict.Pass or RuleVerdict.NotCovered))
            .Select(r => $"  {r.Rule.Id} {r.Verdict}: {r.Evidence}"));
        Assert.True(expected.SequenceEqual(failed),
            $"{clientName}: expected failed rules [{string.Join(", ", expected)}] but got [{string.Join(", ", failed)}]\n{detail}\nreport: {reportDir}/report.html");

        if (info.Conforming)
        {
            var notPassed = result.Rules.Where(r => r.Rule.Observable && r.Verdict != RuleVerdict.Pass).ToList();
            Assert.True(notPassed.Count == 0, $"{clientName}: rules not passed:\n" + string.Join("\n", notPassed.Select(r => $"  {r.Rule.Id} {r.Verdict}: {r.Evidence}")));
            Assert.Equal(0, exitCode);
        }
        else
        {
            Assert.Equal(result.Rules.Any(r => r.Verdict == RuleVerdict.Fail) ? 1 : 0, exitCode);
        }
    }
}

public sealed class KnowlaritySelfTest0(ITestOutputHelper output) : KnowlaritySelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(0);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

public sealed class KnowlaritySelfTest1(ITestOutputHelper output) : KnowlaritySelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(1);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

public sealed class KnowlarityRuleCoverageTests
{
    [Fact]
    public void EveryObservableRule_IsBrokenByAtLeastOneReferenceClient()
    {
        var load = ConformanceRunner.LoadCatalogues([Path.Combine(RepositoryPaths.Features(), "knowlarity", "rest")]);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        var broken = KnowlarityReferenceClients.All.SelectMany(c => c.BreaksRules).ToHashSet(StringComparer.Ordinal);
        var unbroken = load.Catalogues.SelectMany(c => c.Rules).Where(r => r.Observable && !broken.Contains(r.Id)).Select(r => r.Id).ToList();
        Assert.True(unbroken.Count == 0, "No reference client breaks: " + string.Join(", ", unbroken));
    }

    [Fact]
    public void EveryObservableRule_IsTaggedByAScenario()
    {
        var load = ConformanceRunner.Load([Path.Combine(RepositoryPaths.Features(), "knowlarity", "rest")], [typeof(ProtocolSim.Knowlarity.Steps.KnowlarityRestSteps).Assembly]);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        var tagged = load.Scenarios.SelectMany(s => s.RuleIds).ToHashSet(StringComparer.Ordinal);
        var untagged = load.Catalogues.SelectMany(c => c.Rules).Where(r => r.Observable && !tagged.Contains(r.Id)).Select(r => r.Id).ToList();
        Assert.True(untagged.Count == 0, "Observable rules without a scenario: " + string.Join(", ", untagged));
    }
}
