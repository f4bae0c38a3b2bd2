using System.Text.Json.Nodes;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Cli.Tests;

/// <summary>The Data Flow suite through the command line: the real <c>--client-command</c> process path and its usage errors.</summary>
public sealed class DataFlowCliTests
{
    private static string DataFlowFeatures => Path.Combine(RepositoryPaths.Features(), "dataflow");

    /// <summary>This build's protosim, started again as a separate process (as a partner's client command would be).</summary>
    private static string ReferenceClientCommand(string client) =>
        $"dotnet '{Path.Combine(AppContext.BaseDirectory, "protosim.dll")}' reference-client {client}";

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var parse = Program.Parse(Program.Build(output, error), args);
        var code = parse.Errors.Count > 0 ? 2 : await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration(), CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Run_DataFlowSuiteWithoutClientCommand_ExitsWithUsageError()
    {
        var (code, _, err) = await RunCliAsync("run", DataFlowFeatures);
        Assert.Equal(2, code);
        Assert.Contains("--client-command", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_VoiceAndDataFlowWithOneClientCommand_ExitsWithUsageError()
    {
        var (code, _, err) = await RunCliAsync("run", RepositoryPaths.Features(), "--target", "wss://127.0.0.1:1/voice", "--client-command", "true");
        Assert.Equal(2, code);
        Assert.Contains("run them separately", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReferenceClient_List_NamesEveryClientAndTheRulesItBreaks()
    {
        var (code, output, _) = await RunCliAsync("reference-client", "--list");
        Assert.Equal(0, code);
        Assert.Contains("dataflow-conforming", output, StringComparison.Ordinal);
        Assert.Contains("dataflow-wav-header", output, StringComparison.Ordinal);
        Assert.Contains("breaks DFW-007", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReferenceClient_WithoutTheEnvironment_SaysWhatIsMissing()
    {
        var (code, output, _) = await RunCliAsync("reference-client", "dataflow-conforming");
        Assert.Equal(1, code);
        Assert.Contains("PROTOSIM_TASK is not set", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ConformingClientCommand_PassesThroughARealProcessPerScenario()
    {
        var reports = Directory.CreateTempSubdirectory("protosim-df-cli-");
        var (code, output, err) = await RunCliAsync("run", DataFlowFeatures, "--client-command", ReferenceClientCommand("dataflow-conforming"),
            "--tags", "@DFA-001 or @DFW-007 or @DFW-031", "--report-dir", reports.FullName);
        Assert.True(code == 0, output + err);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(reports.FullName, "results.json")))!;
        var verdicts = results["rules"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>(), r => r!["verdict"]!.GetValue<string>());
        Assert.Equal("PASS", verdicts["DFA-001"]);
        Assert.Equal("PASS", verdicts["DFW-007"]);
        Assert.Equal("PASS", verdicts["DFW-031"]);
    }

    [Fact]
    public async Task Run_BrokenClientCommand_FailsItsRuleAndExitsOne()
    {
        var (code, output, _) = await RunCliAsync("run", DataFlowFeatures, "--client-command", ReferenceClientCommand("dataflow-wav-header"),
            "--tags", "@DFW-007 and not @DFW-008");
        Assert.Equal(1, code);
        Assert.Contains("FAIL DFW-007", output, StringComparison.Ordinal);
        Assert.Contains("RIFF/WAVE header", output, StringComparison.Ordinal);
    }
}
