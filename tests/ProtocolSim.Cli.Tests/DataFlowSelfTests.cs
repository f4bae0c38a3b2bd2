using ProtocolSim.Conformance.Suites;
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
    protected const int Shards = 3;

    public static IEnumerable<object[]> ClientsOfShard(int shard) =>
        DataFlowReferenceClients.All.Select((c, i) => (c, i)).Where(x => x.i % Shards == shard).Select(x => new object[] { x.c.Name });

    protected Task RunAgainstAsync(string clientName)
    {
        var info = DataFlowReferenceClients.Get(clientName);
        return ClientSuiteSelfTest.RunAsync(output, Suite, clientName, info.Conforming, info.BreaksRules,
            (environment, log, ct) => DataFlowReferenceClients.RunAsync(clientName, environment, log, ct), parallel: 6, NotApplicable(info.Transport));
    }

    /// <summary>The rules a client of one integration cannot be judged on (the other integrations' scenarios skip).</summary>
    internal static IReadOnlySet<string> NotApplicable(DataFlowTransport transport) => ProtocolSim.DataFlow.Steps.DataFlowSuite.NotApplicable(transport);

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

public sealed class DataFlowSelfTest2(ITestOutputHelper output) : DataFlowSelfTestBase(output)
{
    public static IEnumerable<object[]> Clients => ClientsOfShard(2);

    [Theory]
    [MemberData(nameof(Clients))]
    public Task Suite_AgainstReferenceClient_FailsExactlyTheRulesItBreaks(string client) => RunAgainstAsync(client);
}

/// <summary>
/// The Node.js gRPC reference client (tests/peers/dataflow-grpc-reference-client.js, on @grpc/grpc-js and stubs from
/// the proto) run as a separate process with the task environment, as <c>--client-command</c> runs it: it passes every
/// rule a gRPC client is judged on.
/// </summary>
public sealed class DataFlowSelfTestNodeGrpc(ITestOutputHelper output)
{
    [Fact]
    public Task Suite_AgainstNodeGrpcClient_PassesEveryGrpcRule() =>
        ClientSuiteSelfTest.RunAsync(output, DataFlowSelfTestBase.Suite, "dataflow-grpc-node", conforming: true, new HashSet<string>(StringComparer.Ordinal),
            RunNodeAsync, parallel: 6, DataFlowSelfTestBase.NotApplicable(DataFlowTransport.Grpc));

    private static async Task<int> RunNodeAsync(IReadOnlyDictionary<string, string> environment, TextWriter log, CancellationToken cancellationToken)
    {
        var root = Path.GetDirectoryName(RepositoryPaths.Features())!;
        var start = new System.Diagnostics.ProcessStartInfo("node")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(root, "tests", "peers", "dataflow-grpc-reference-client.js"));
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        await log.WriteAsync(await stdout + await stderr);
        return process.ExitCode;
    }
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
