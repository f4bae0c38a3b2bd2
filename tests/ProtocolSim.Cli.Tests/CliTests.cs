using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Cli.Tests;

public sealed class CliTests
{
    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var root = Program.Build(output, error);
        var parse = Program.Parse(root, args);
        var code = parse.Errors.Count > 0 ? 2 : await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration(), CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Run_MissingPath_ExitsWithUsageError()
    {
        var (code, _, err) = await RunCliAsync("run", "no/such/dir", "--target", "wss://127.0.0.1:1/voice");
        Assert.Equal(2, code);
        Assert.Contains("no such feature path", err);
    }

    [Fact]
    public async Task Run_VoiceSuiteWithoutTarget_ExitsWithUsageError()
    {
        var (code, _, err) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"));
        Assert.Equal(2, code);
        Assert.Contains("--target", err);
    }

    [Fact]
    public async Task Run_BadTagExpression_ExitsWithUsageError()
    {
        var (code, _, err) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"), "--target", "wss://127.0.0.1:1/voice", "--tags", "@KVS-001 and (");
        Assert.Equal(2, code);
        Assert.Contains("--tags", err);
    }

    [Fact]
    public async Task Run_UndefinedStep_ReportsFileLineAndSnippet()
    {
        var dir = Directory.CreateTempSubdirectory("protosim-cli-");
        var suite = Path.Combine(dir.FullName, "voice");
        Directory.CreateDirectory(suite);
        File.Copy(Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream", "rules.yaml"), Path.Combine(suite, "rules.yaml"));
        File.WriteAllText(Path.Combine(suite, "x.feature"), "Feature: x\n\n  @KVS-008\n  Scenario: y\n    When the caller whistles 3 times\n");
        var (code, _, err) = await RunCliAsync("run", suite, "--target", "wss://127.0.0.1:1/voice");
        Assert.Equal(2, code);
        Assert.Contains("x.feature:5", err);
        Assert.Contains("the caller whistles", err);
    }

    /// <summary>A partner's own step, in an assembly the runner does not know until --bindings names it.</summary>
    [Reqnroll.Binding]
    public sealed class PartnerSteps(ProtocolSim.Conformance.ConformanceContext context)
    {
        [Reqnroll.Then("the partner's own step judges {word}")]
        public void Judges(string rule) => context.Rules.Pass(rule, "judged by a partner binding");
    }

    [Fact]
    public async Task Run_Bindings_AddsTheUsersStepDefinitions()
    {
        var dir = Directory.CreateTempSubdirectory("protosim-cli-");
        var suite = Path.Combine(dir.FullName, "partner");
        Directory.CreateDirectory(suite);
        File.WriteAllText(Path.Combine(suite, "rules.yaml"), """
            suite: partner-extension
            title: A partner's extension
            reference: partner.md
            rules:
              - id: PRT-001
                statement: "The partner's rule"
                strength: MUST
                source: "partner.md"
            """);
        File.WriteAllText(Path.Combine(suite, "x.feature"), "Feature: x\n\n  @PRT-001\n  Scenario: y\n    Then the partner's own step judges PRT-001\n");
        var reports = Path.Combine(dir.FullName, "reports");

        var (without, _, err) = await RunCliAsync("run", suite);
        var (with, output, _) = await RunCliAsync("run", suite, "--bindings", typeof(PartnerSteps).Assembly.Location, "--report-dir", reports);
        var (missing, _, missingErr) = await RunCliAsync("run", suite, "--bindings", Path.Combine(dir.FullName, "nope.dll"));

        Assert.Equal(2, without);
        Assert.Contains("undefined step: Then the partner's own step judges PRT-001", err, StringComparison.Ordinal);
        Assert.Equal(0, with);
        Assert.Contains("1 passed, 0 failed", output, StringComparison.Ordinal);
        Assert.Contains("cucumber-messages.ndjson", output, StringComparison.Ordinal);
        var messages = File.ReadAllLines(Path.Combine(reports, "cucumber-messages.ndjson"));
        Assert.Contains(messages, l => l.StartsWith("{\"pickle\":", StringComparison.Ordinal));
        Assert.Contains(messages, l => l.Contains("\"status\":\"PASSED\"", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(reports, "reqnroll-report.html")));
        Assert.Equal(2, missing);
        Assert.Contains("nope.dll\": no such file", missingErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AModulesOwnOptions_AreCheckedByTheModule()
    {
        // --greeting-timeout and --dataflow-proto come from the suites' modules, not from the CLI.
        var (code, _, err) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"),
            "--target", "wss://127.0.0.1:1/voice", "--greeting-timeout", "0");
        Assert.Equal(2, code);
        Assert.Contains("--greeting-timeout \"0\": give a number of seconds above 0", err, StringComparison.Ordinal);
        var (protoCode, _, protoErr) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "dataflow"),
            "--client-command", "true", "--dataflow-proto", "no/such.proto");
        Assert.Equal(2, protoCode);
        Assert.Contains("--dataflow-proto:", protoErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_BadSettings_ReportsEveryProblemAndExitsWithUsageError()
    {
        var (code, _, err) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"),
            "--target", "wss://127.0.0.1:1/voice", "--set", "Bogus=1", "--set", "TtfaWarn=abc", "--set", "Knowlarity:Stream:BargeInWarn=400");
        Assert.Equal(2, code);
        Assert.Contains("--set Bogus: unknown setting", err);
        Assert.Contains("--set TtfaWarn=abc", err);
        Assert.DoesNotContain("BargeInWarn", err.Split('\n').Where(l => !l.Contains("known:", StringComparison.Ordinal)).Aggregate(string.Empty, string.Concat));
    }

    [Fact]
    public async Task Rules_Json_ListsEveryVoiceRule()
    {
        var (code, output, _) = await RunCliAsync("rules", Path.Combine(RepositoryPaths.Features(), "knowlarity"), "--format", "json");
        Assert.Equal(0, code);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var ids = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.Equal(32, ids.Count(i => i!.StartsWith("KVS-", StringComparison.Ordinal)));
        Assert.Equal(15, ids.Count(i => i!.StartsWith("KVV-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Run_UnreachableBot_ExitsWithUsageErrorInsteadOfPassing()
    {
        // A gate must not go green when the bot is not there.
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var (code, _, err) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"), "--target", $"wss://127.0.0.1:{port}/voice");
        Assert.Equal(2, code);
        Assert.Contains("nothing accepts connections", err);
    }

    [Fact]
    public async Task Run_PlainBotDialledOverTls_FailsKvs002AndWritesReports()
    {
        await using var bot = await ProtocolSim.ReferenceClients.ReferenceBotServer.StartAsync("plain-ws");
        var wss = new UriBuilder(bot.Url) { Scheme = "wss" }.Uri;
        var reports = Directory.CreateTempSubdirectory("protosim-cli-reports-").FullName;
        var (code, output, _) = await RunCliAsync("run", Path.Combine(RepositoryPaths.Features(), "knowlarity", "voice-stream"),
            "--target", wss.ToString(), "--tags", "@KVS-002 or @KVS-008", "--report-dir", reports);
        Assert.Equal(1, code);
        Assert.Contains("KVS-002", output);
        Assert.True(File.Exists(Path.Combine(reports, "junit.xml")));
        Assert.True(File.Exists(Path.Combine(reports, "report.html")));
        using var results = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(reports, "results.json")));
        var rules = results.RootElement.GetProperty("rules").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("verdict").GetString());
        Assert.Equal("FAIL", rules["KVS-002"]);
        Assert.Equal("SKIPPED", rules["KVS-008"]);
        var junit = System.Xml.Linq.XDocument.Load(Path.Combine(reports, "junit.xml"));
        Assert.Contains(junit.Descendants("failure"), f => ((string?)f.Attribute("message") ?? string.Empty).StartsWith("KVS-002: expected a TLS handshake", StringComparison.Ordinal));
    }
}
