using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.Cti.Steps;

namespace ProtocolSim.Cti.Tests.Steps;

/// <summary>The CTI judge on journal fixtures (the report's <c>journals/*.jsonl</c> format): nothing runs.</summary>
public sealed class CtiJudgeTests
{
    private static readonly CtiRun Run = new("login", new Dictionary<string, string>(), new ClientExit(0, ""), "Generic");

    [Fact]
    public void Cti007_OneSocketConnection_Passes_TwoFail_NamingThem()
    {
        var (rules, _) = Judge(["CTI-007"], Socket("cti-1", Sent(1, """{"messageType":"coreRequest","requestId":"1","command":"getServices"}""")));
        Assert.Equal(OutcomeKind.Pass, Assert.Single(rules.Outcomes).Kind);

        (rules, _) = Judge(["CTI-007"], Socket("cti-1", Sent(1, "{}")), Socket("cti-2", Sent(1, "{}")));
        var fail = Assert.Single(rules.Outcomes);
        Assert.Equal(OutcomeKind.Fail, fail.Kind);
        Assert.Equal("2 connections: cti-1 (), cti-2 ()", fail.Actual);
    }

    [Fact]
    public void Cti002_TheProcessorsFinding_Fails_WithItsEntry()
    {
        var finding = """{"ruleId":"CTI-002","message":"frame without the ~!OM boundary","expected":"7E 21 4F 4D","actual":"00 00 00 00","entrySeq":1,"offsetMs":1}""";
        var (rules, _) = Judge(["CTI-002"], Socket("cti-1", Sent(1, "{}"), finding));
        var fail = Assert.Single(rules.Outcomes);
        Assert.Equal((OutcomeKind.Fail, "7E 21 4F 4D", "frame without the ~!OM boundary: 00 00 00 00"), (fail.Kind, fail.Expected, fail.Actual));
        Assert.Equal("desk (cti-1) entry #1", fail.Evidence);

        (rules, _) = Judge(["CTI-002"], Socket("cti-1", Sent(1, "{}")));
        Assert.Equal(("1 message(s) as documented", OutcomeKind.Pass), (Assert.Single(rules.Outcomes).Evidence, rules.Outcomes[0].Kind));
    }

    [Fact]
    public void NothingToJudge_IsInconclusive_WithTheReason_AfterTheOtherVerdicts()
    {
        // An HTTP client: the socket-transport rule CTI-002 is vacuous, CTI-014 (any transport) is judged.
        var (rules, inconclusive) = Judge(["CTI-002", "CTI-014"], Http("cti-1", Sent(1, """{"messageType":"coreRequest","requestId":"1","command":"getServices"}""")));
        Assert.Equal(("CTI-014", OutcomeKind.Pass), (Assert.Single(rules.Outcomes).RuleId, rules.Outcomes[0].Kind));
        Assert.Equal("CTI-002: a socket transport rule; the client used http", inconclusive);
    }

    private static (RuleRecorder Rules, string? Inconclusive) Judge(string[] ruleIds, params string[] journals)
    {
        var rules = new RuleRecorder();
        var evidence = new CtiEvidence([.. journals.Select(JournalFile.Read)]);
        try
        {
            new CtiJudge(evidence, Run, rules).Judge(ruleIds);
            return (rules, null);
        }
        catch (InconclusiveException e)
        {
            return (rules, e.Message);
        }
    }

    private static string Socket(string session, string entries, string findings = "") => Journal(session, "socket", entries, findings);

    private static string Http(string session, string entries) => Journal(session, "http", entries, "");

    private static string Journal(string session, string transport, string entries, string findings) =>
        $$"""{"sessionId":"{{session}}","protocol":"cti","startedAt":"2026-12-08T00:00:00+00:00","labels":{"client":"desk","transport":"{{transport}}"},"findings":[{{findings}}]}""" + "\n" + entries;

    private static string Sent(long seq, string json) =>
        $$"""{"seq":{{seq}},"offsetMs":{{seq}},"time":"2026-12-08T00:00:00.00{{seq}}+00:00","direction":"FromClient","kind":"Text","summary":"client message","length":{{json.Length}},"text":{{System.Text.Json.JsonSerializer.Serialize(json)}},"parsed":{{json}}}""" + "\n";
}
