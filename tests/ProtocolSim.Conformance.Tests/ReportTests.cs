using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ProtocolSim.Conformance.Reports;
using ProtocolSim.Core;

namespace ProtocolSim.Conformance.Tests;

public class ReportTests
{
    [Binding]
    public sealed class EvidenceSteps(ConformanceContext context)
    {
        [When("the session is journaled with {int} s of caller audio")]
        public void Journal(int seconds)
        {
            var journal = new SessionJournal("call-1", "knowlarity-voice");
            journal.SetLabel("dialect", "stream-node");
            journal.Append(Direction.ToClient, FrameKind.Open, "connected");
            journal.Append(Direction.ToClient, FrameKind.Text, "metadata <script>alert(1)</script>", text: "{\"callid\":\"x\"}", parsed: JsonNode.Parse("{\"callid\":\"x\",\"to\":\"+91\"}"));
            var audio = journal.Append(Direction.FromClient, FrameKind.Binary, "audio 320 bytes", bytes: Enumerable.Range(0, 320).Select(i => (byte)i).ToArray());
            journal.Append(Direction.FromClient, FrameKind.Text, "control \u0001 char", text: new string('x', 5000) + "\u0001");
            journal.AddFinding("TST-001", "greeting late", "within 2 s", "5 s", audio.Seq);
            var track = journal.GetOrAddAudio("caller", 8000);
            var pcm = new byte[seconds * 8000 * 2];
            for (var i = 0; i < pcm.Length / 2; i++)
            {
                var sample = (short)(Math.Sin(i * 2 * Math.PI * 440 / 8000) * 8000);
                pcm[2 * i] = (byte)sample;
                pcm[(2 * i) + 1] = (byte)(sample >> 8);
            }

            track.Append(pcm);
            context.Attach(journal);
            context.Log("log line with \u0002 control char");
            var file = Path.Combine(Path.GetDirectoryName(context.FeatureFile)!, "notes.txt");
            File.WriteAllText(file, "notes");
            context.AttachFile("notes.txt", file, "text/plain");
        }

        [When("a long session is journaled")]
        public void LongJournal()
        {
            var journal = new SessionJournal("long", "test");
            for (var i = 0; i < HtmlReport.MaxEntriesShown + 1; i++)
            {
                journal.Append(Direction.FromClient, FrameKind.Text, $"frame {i}", text: "t");
            }

            context.Attach(journal);
        }
    }

    private const string Feature = """
        Feature: Evidence <&> "quotes"

          @TST-001
          Scenario: Greeting is late
            When the session is journaled with 1 s of caller audio
            Then rule TST-001 fails

          @TST-002 @TST-003
          Scenario: Pings answered
            Then rule TST-002 passes
            And rule TST-003 fails

          @TST-005
          Scenario: Not ready
            Given the precondition is not met
            Then rule TST-005 passes
        """;

    private static async Task<(RunResult Result, string Directory)> RunAsync(TempSuite suite, string feature)
    {
        suite.Add("evidence.feature", feature);
        var result = await suite.RunAsync([typeof(JudgeSteps), typeof(EvidenceSteps)], new RunOptions
        {
            ReportDirectory = suite.ReportDirectory,
            Title = "Knowlarity <voice>",
            Target = "wss://127.0.0.1:8443/voice",
            RunLabel = "partner build 42",
            Seed = 3,
        });
        Assert.Empty(result.ReportErrors);
        return (result, suite.ReportDirectory);
    }

    [Fact]
    public async Task Run_WithReportDirectory_WritesEveryReport()
    {
        using var suite = new TempSuite();

        var (result, dir) = await RunAsync(suite, Feature);

        Assert.True(File.Exists(Path.Combine(dir, "junit.xml")));
        Assert.True(File.Exists(Path.Combine(dir, "results.json")));
        Assert.True(File.Exists(Path.Combine(dir, "report.html")));
        var wav = Assert.Single(Directory.GetFiles(Path.Combine(dir, "audio"), "*.wav"));
        Assert.Equal("suite-evidence-4-greeting-is-late-call-1-caller.wav", Path.GetFileName(wav));
        Assert.Equal("RIFF"u8.ToArray(), File.ReadAllBytes(wav)[..4]);
        var journal = Assert.Single(Directory.GetFiles(Path.Combine(dir, "journals")));
        Assert.Equal(5, File.ReadAllLines(journal).Length);
        Assert.Single(Directory.GetFiles(Path.Combine(dir, "attachments")));
        Assert.Contains(Path.Combine(dir, "report.html"), result.ReportFiles);
    }

    [Fact]
    public async Task Run_JUnit_IsValidXmlWithFailureSkippedAndWarnings()
    {
        using var suite = new TempSuite();

        var (_, dir) = await RunAsync(suite, Feature);

        var xml = XDocument.Load(Path.Combine(dir, "junit.xml"));
        var suiteElement = Assert.Single(xml.Root!.Elements("testsuite"));
        Assert.Equal("Evidence <&> \"quotes\"", suiteElement.Attribute("name")!.Value);
        Assert.Equal("3", suiteElement.Attribute("tests")!.Value);
        Assert.Equal("1", suiteElement.Attribute("failures")!.Value);
        Assert.Equal("1", suiteElement.Attribute("skipped")!.Value);
        var cases = suiteElement.Elements("testcase").ToList();
        Assert.All(cases, c => Assert.Equal("Evidence <&> \"quotes\"", c.Attribute("classname")!.Value));
        var failure = cases[0].Element("failure")!;
        Assert.Equal("TST-001: expected a greeting within 2 s but saw no greeting after 5 s", failure.Attribute("message")!.Value);
        Assert.Contains("Send the greeting within 2 s of the metadata frame", failure.Value, StringComparison.Ordinal);
        Assert.Contains(">> #3", failure.Value, StringComparison.Ordinal);
        Assert.Contains("NON-STRICT TST-003", cases[1].Element("system-out")!.Value, StringComparison.Ordinal);
        Assert.Equal("the bot never sent a greeting, see TST-001", cases[2].Element("skipped")!.Attribute("message")!.Value);
        Assert.Contains("log line with \\u0002 control char", cases[0].Element("system-out")!.Value, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_ResultsJson_HasTheContractShape()
    {
        using var suite = new TempSuite();

        var (_, dir) = await RunAsync(suite, Feature);

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "results.json")));
        var root = json.RootElement;
        var scenarios = root.GetProperty("summary").GetProperty("scenarios");
        Assert.Equal((1, 1, 1), (scenarios.GetProperty("passed").GetInt32(), scenarios.GetProperty("failed").GetInt32(), scenarios.GetProperty("skipped").GetInt32()));
        var rules = root.GetProperty("summary").GetProperty("rules");
        Assert.Equal(1, rules.GetProperty("pass").GetInt32());
        Assert.Equal(1, rules.GetProperty("fail").GetInt32());
        Assert.Equal(1, rules.GetProperty("nonStrict").GetInt32());
        Assert.Equal(0, rules.GetProperty("info").GetInt32());
        Assert.Equal(1, rules.GetProperty("skipped").GetInt32());
        Assert.Equal(2, rules.GetProperty("notCovered").GetInt32());
        var rule = root.GetProperty("rules")[0];
        Assert.Equal("TST-001", rule.GetProperty("id").GetString());
        Assert.Equal("MUST", rule.GetProperty("strength").GetString());
        Assert.Equal("FAIL", rule.GetProperty("verdict").GetString());
        Assert.Equal("Greeting is late", rule.GetProperty("scenarios")[0].GetString());
        Assert.Contains("no greeting after 5 s", rule.GetProperty("evidence").GetString(), StringComparison.Ordinal);
        Assert.Equal("NON-STRICT", root.GetProperty("rules")[2].GetProperty("verdict").GetString());
        Assert.Equal("NOT-COVERED", root.GetProperty("rules")[5].GetProperty("verdict").GetString());
        var scenario = root.GetProperty("scenarios")[1];
        Assert.Equal("Evidence <&> \"quotes\"", scenario.GetProperty("feature").GetString());
        Assert.Equal("Pings answered", scenario.GetProperty("name").GetString());
        Assert.Equal(["@TST-002", "@TST-003"], scenario.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("passed", scenario.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Number, scenario.GetProperty("durationMs").ValueKind);
        Assert.Equal(JsonValueKind.Null, scenario.GetProperty("error").ValueKind);
        Assert.Equal(1, scenario.GetProperty("warnings").GetArrayLength());
        Assert.Equal("wss://127.0.0.1:8443/voice", root.GetProperty("target").GetString());
        Assert.Equal(3, root.GetProperty("seed").GetInt32());
        Assert.Equal(1, root.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task Run_HarnessError_IsAnErrorWithItsStackTraceInEveryReport()
    {
        using var suite = new TempSuite();

        var (result, dir) = await RunAsync(suite, "Feature: Crash\n  @TST-001\n  Scenario: Step crashes\n    When the step crashes\n    Then rule TST-001 passes\n");

        Assert.Equal(1, result.ExitCode);
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dir, "results.json")));
        var root = json.RootElement;
        Assert.Equal(1, root.GetProperty("summary").GetProperty("scenarios").GetProperty("error").GetInt32());
        Assert.Equal(0, root.GetProperty("summary").GetProperty("scenarios").GetProperty("failed").GetInt32());
        Assert.Equal(1, root.GetProperty("summary").GetProperty("rules").GetProperty("error").GetInt32());
        Assert.Equal("ERROR", root.GetProperty("rules")[0].GetProperty("verdict").GetString());
        var scenario = root.GetProperty("scenarios")[0];
        Assert.Equal("error", scenario.GetProperty("status").GetString());
        Assert.Equal("Exception", scenario.GetProperty("errorKind").GetString());
        Assert.Contains($"{nameof(JudgeSteps)}.{nameof(JudgeSteps.Crash)}", scenario.GetProperty("stackTrace").GetString(), StringComparison.Ordinal);
        Assert.Equal("error", scenario.GetProperty("steps")[0].GetProperty("status").GetString());
        Assert.Contains("InvalidOperationException: boom", scenario.GetProperty("steps")[0].GetProperty("stackTrace").GetString(), StringComparison.Ordinal);

        var testSuite = Assert.Single(XDocument.Load(Path.Combine(dir, "junit.xml")).Root!.Elements("testsuite"));
        Assert.Equal(("1", "0"), (testSuite.Attribute("errors")!.Value, testSuite.Attribute("failures")!.Value));
        var error = testSuite.Element("testcase")!.Element("error")!;
        Assert.Equal("harness-exception", error.Attribute("type")!.Value);
        Assert.Contains(nameof(JudgeSteps.Crash), error.Value, StringComparison.Ordinal);

        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("<span class=\"badge s-error\">ERROR</span>", html, StringComparison.Ordinal);
        Assert.Contains("Harness error (Exception):", html, StringComparison.Ordinal);
        Assert.Contains("<summary>stack trace</summary><pre>System.InvalidOperationException: boom", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_Html_SelfContainedEscapedAndEmbedsAudio()
    {
        using var suite = new TempSuite();

        var (_, dir) = await RunAsync(suite, Feature);

        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex(@"(src|href|action)\s*=\s*[""']?\s*(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.Ordinal);
        Assert.DoesNotContain("url(", html, StringComparison.Ordinal);
        Assert.Contains("<audio controls preload=\"none\" src=\"data:audio/wav;base64,UklGR", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.Contains("metadata &lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("<title>Knowlarity &lt;voice&gt;</title>", html, StringComparison.Ordinal);
        Assert.Contains("truncated: 4,096 of 5,001 characters shown", html, StringComparison.Ordinal);
        Assert.Contains("0000  00 01 02 03", html, StringComparison.Ordinal);
        Assert.Contains("first 256 of 320 bytes shown", html, StringComparison.Ordinal);
        Assert.Contains("&quot;callid&quot;: &quot;x&quot;", html, StringComparison.Ordinal);
        Assert.Contains("class=\"entry finding\"", html, StringComparison.Ordinal);
        Assert.Contains("data-filter=\"NON-STRICT\"", html, StringComparison.Ordinal);
        Assert.Contains("@media print", html, StringComparison.Ordinal);
        Assert.Contains("beforeprint", html, StringComparison.Ordinal);
        Assert.DoesNotContain("\u0001", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_LongTrackAndLongJournal_TruncatedWithNote()
    {
        using var suite = new TempSuite();

        var (_, dir) = await RunAsync(suite, """
            Feature: Long
              @TST-001
              Scenario: Long
                When the session is journaled with 61 s of caller audio
                And a long session is journaled
                Then rule TST-001 passes
            """);

        var html = File.ReadAllText(Path.Combine(dir, "report.html"));
        Assert.Contains("embedded audio truncated to the first 60 s of 61.0 s", html, StringComparison.Ordinal);
        Assert.Contains("Showing the first 2,000 of 2,001 entries", html, StringComparison.Ordinal);
        var wav = Assert.Single(Directory.GetFiles(Path.Combine(dir, "audio"), "*.wav"));
        Assert.Equal(44 + (61 * 8000 * 2), new FileInfo(wav).Length);
    }
}
