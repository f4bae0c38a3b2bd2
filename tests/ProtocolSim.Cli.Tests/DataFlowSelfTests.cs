using ProtocolSim.ReferenceClients.DataFlow;
using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The self-test of the Data Flow suite: it runs against every reference client, in-process through the same
/// <c>PROTOSIM_*</c> contract as <c>--client-command</c>. The conforming client passes every observable rule; every
/// broken one fails exactly the rules it breaks. Clients are split over test classes so the runs overlap.
/// </summary>
public abstract class DataFlowSelfTestBase(ITestOutputHelper output)
{
    protected const int Shards = 2;

    public static IEnumerable<object[]> ClientsOfShard(int shard) =>
        DataFlowReferenceClients.All.Select((c, i) => (c, i)).Where(x => x.i % Shards == shard).Select(x => new object[] { x.c.Name });

    protected Task RunAgainstAsync(string clientName)
    {
        var info = DataFlowReferenceClients.Get(clientName);
        return ClientSuiteSelfTest.RunAsync(output, Suite, clientName, info.Conforming, info.BreaksRules,
            (environment, log, ct) => DataFlowReferenceClients.RunAsync(clientName, environment, log, ct), parallel: 6);
    }

    internal static string Suite => Path.Combine(RepositoryPaths.Features(), "dataflow");
}

public sealed class DataFlowSelfTest0(ITestOutputHelper output) : DataFlowSelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(0);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

public sealed class DataFlowSelfTest1(ITestOutputHelper output) : DataFlowSelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(1);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

public sealed class DataFlowRuleCoverageTests
{
    [Fact]
    public void EveryObservableRule_IsBrokenByAtLeastOneReferenceClient() =>
        ClientSuiteSelfTest.AssertEveryObservableRuleIsBroken(DataFlowSelfTestBase.Suite, DataFlowReferenceClients.All.Select(c => c.BreaksRules));

    [Fact]
    public void EveryObservableRule_IsTaggedByAScenario() =>
        ClientSuiteSelfTest.AssertEveryObservableRuleIsTagged(DataFlowSelfTestBase.Suite, typeof(ProtocolSim.DataFlow.Steps.DataFlowSteps));
}
