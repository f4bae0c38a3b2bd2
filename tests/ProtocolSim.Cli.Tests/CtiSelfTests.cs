using ProtocolSim.Conformance.Suites;
using ProtocolSim.ReferenceClients.Cti;
using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The self-test of the CTI suite: it runs against every reference desktop client (socket, HTTP and WebSocket), in
/// process through the same <c>PROTOSIM_*</c> contract as <c>--client-command</c>. A conforming client passes every
/// observable rule of the transports it uses; every broken one fails exactly the rules it breaks. Clients are split
/// over test classes so the runs overlap.
/// </summary>
public abstract class CtiSelfTestBase(ITestOutputHelper output)
{
    protected const int Shards = 2;

    public static IEnumerable<object[]> ClientsOfShard(int shard) =>
        CtiReferenceClients.All.Select((c, i) => (c, i)).Where(x => x.i % Shards == shard).Select(x => new object[] { x.c.Name });

    protected Task RunAgainstAsync(string clientName)
    {
        var info = CtiReferenceClients.Get(clientName);
        var notApplicable = ProtocolSim.Cti.Steps.CtiSuite.NotApplicable(info.Transport);
        return ClientSuiteSelfTest.RunAsync(output, Suite, clientName, info.Conforming, info.BreaksRules,
            (environment, log, ct) => CtiReferenceClients.RunAsync(clientName, environment, log, ct), parallel: 8, notApplicable);
    }

    internal static string Suite => Path.Combine(RepositoryPaths.Features(), "cti");
}

public sealed class CtiSelfTest0(ITestOutputHelper output) : CtiSelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(0);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

public sealed class CtiSelfTest1(ITestOutputHelper output) : CtiSelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(1);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

public sealed class CtiRuleCoverageTests
{
    [Fact]
    public void EveryObservableRule_IsBrokenByAtLeastOneReferenceClient() =>
        ClientSuiteSelfTest.AssertEveryObservableRuleIsBroken(CtiSelfTestBase.Suite, CtiReferenceClients.All.Select(c => c.BreaksRules));

    [Fact]
    public void EveryObservableRule_IsTaggedByAScenario() =>
        ClientSuiteSelfTest.AssertEveryObservableRuleIsTagged(CtiSelfTestBase.Suite, typeof(ProtocolSim.Cti.Steps.CtiSteps));
}
