using Microsoft.Extensions.Time.Testing;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.Steps;

namespace ProtocolSim.Knowlarity.Tests.Steps;

/// <summary>The REST suite's judge on an API journal fixture, read back from its file as a report keeps it: nothing runs.</summary>
public sealed class KnowlarityRestJudgeTests
{
    private const string Makecall = "POST /Basic/v1/account/call/makecall HTTP/1.1\r\nx-api-key: ***\r\nAuthorization: ***\r\n\r\n{\"k_number\":\"+918069000000\",\"agent_number\":\"+919900000001\",\"customer_number\":\"+919900000002\"}";
    private const string ErrorBody = """{"error":{"code":"permission","message":"Sent call permission request to the customer"}}""";

    private static readonly KnowlarityRestRun Run = new([], [], [], new Dictionary<string, DateTimeOffset>(), null, "decoy", 503);

    [Fact]
    public void Krs011_AnErrorBodyTakenAsAFailure_Passes()
    {
        var rules = Judge("KRS-011", Api(("POST", "/Basic/v1/account/call/makecall", Makecall, 200, ErrorBody)));
        var pass = Assert.Single(rules.Outcomes);
        Assert.Equal(OutcomeKind.Pass, pass.Kind);
    }

    [Fact]
    public void Krs011_AFollowUpOfACallNeverPlaced_Fails_NamingIt()
    {
        var rules = Judge("KRS-011", Api(
            ("POST", "/Basic/v1/account/call/makecall", Makecall, 200, ErrorBody),
            ("GET", "/Basic/v1/account/call/get-detailed-call-log?uuid=abc", "GET /Basic/v1/account/call/get-detailed-call-log?uuid=abc HTTP/1.1\r\nx-api-key: ***\r\n\r\n", 200, """{"objects":[]}""")));
        var fail = Assert.Single(rules.Outcomes);
        Assert.Equal(OutcomeKind.Fail, fail.Kind);
        Assert.Equal("GET /call/get-detailed-call-log?uuid=abc → 200 (knowlarity-api-1 #3)", fail.Actual);
        Assert.Equal("POST /call/makecall → 200 (knowlarity-api-1 #1)", fail.Evidence);
    }

    [Fact]
    public void Krs011_NoErrorAnswered_IsInconclusive()
    {
        var e = Assert.Throws<InconclusiveException>(() => Judge("KRS-011", Api(("POST", "/Basic/v1/account/call/makecall", Makecall, 200, """{"success":{"status":"success","call_id":"c-1"}}"""))));
        Assert.Equal("KRS-011: no makecall was answered with an error body", e.Message);
    }

    private static RuleRecorder Judge(string rule, SessionJournal api)
    {
        var rules = new RuleRecorder();
        new KnowlarityRestJudge(new RestEvidence([api]), Run, rules).Judge([rule]);
        return rules;
    }

    /// <summary>An API journal as the fake keeps it (request, then its answer), read back from its file.</summary>
    private static SessionJournal Api(params (string Method, string Path, string Request, int Status, string Answer)[] exchanges)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero));
        var journal = new SessionJournal("knowlarity-api-1", "knowlarity-api", time);
        foreach (var (method, path, request, status, answer) in exchanges)
        {
            var sent = journal.Append(Direction.FromClient, FrameKind.Text, $"{method} {path}", text: request);
            time.Advance(TimeSpan.FromMilliseconds(5));
            journal.Append(Direction.ToClient, FrameKind.Text, $"{status} {method} {path} (answer to #{sent.Seq})", text: answer);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        return JournalFile.Read(JournalFile.Write(journal));
    }
}
