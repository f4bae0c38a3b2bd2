using ProtocolSim.Conformance.Suites;
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

    protected Task RunAgainstAsync(string clientName)
    {
        var info = KnowlarityReferenceClients.Get(clientName);
        return ClientSuiteSelfTest.RunAsync(output, Suite, clientName, info.Conforming, info.BreaksRules,
            (environment, log, ct) => KnowlarityReferenceClients.RunAsync(clientName, environment, log, ct), parallel: 12);
    }

    internal static string Suite => Path.Combine(RepositoryPaths.Features(), "knowlarity", "rest");
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
    public void EveryObservableRule_IsBrokenByAtLeastOneReferenceClient() =>
        ClientSuiteSelfTest.AssertEveryObservableRuleIsBroken(KnowlaritySelfTestBase.Suite, KnowlarityReferenceClients.All.Select(c => c.BreaksRules));

    [Fact]
    public void EveryObservableRule_IsTaggedByAScenario() =>
        ClientSuiteSelfTest.AssertEveryObservableRuleIsTagged(KnowlaritySelfTestBase.Suite, typeof(ProtocolSim.Knowlarity.Steps.KnowlarityRestSteps));
}
