using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using Reqnroll;
using ProtocolSim.DataFlow.Sessions;
using static ProtocolSim.DataFlow.Steps.SessionEvidence;

namespace ProtocolSim.DataFlow.Steps;

/// <summary>
/// Step definitions of the Data Flow WebSocket suite (features/dataflow). Given steps configure the scenario's mock,
/// the When step runs one task in the client under test, Then steps judge the rules the scenario tags from the
/// journals (the mock's findings plus checks of what arrived on the wire).
/// </summary>
[Binding]
public sealed partial class DataFlowSteps(DataFlowDriver df, ConformanceContext scenario)
{
    /// <summary>How soon after an answer that ends the session the client must close (DFW-006, DFW-022).</summary>
    private static readonly TimeSpan CloseWithin = TimeSpan.FromSeconds(3);

    // Each scenario judges exactly the rules it tags: a check of an untagged rule is computed but not recorded. In a
    // scenario tagging DFG-001 ("apply every DFW rule with scope G to the gRPC stream", grpc.feature) every DFW check
    // of a gRPC client's session is DFG-001's verdict too when the DFW rule is a MUST (DFG-001 is one); a SHOULD
    // broken on gRPC stays that rule's warning, as on WebSocket. The WebSocket-only DFW-002 has a scenario of its own,
    // inconclusive for gRPC.
    private bool Tagged(string rule) => scenario.RuleIds.Contains(rule, StringComparer.Ordinal);

    private bool Check(string rule, bool ok, string expected, string actual, string? evidence = null)
    {
        if (Tagged(rule))
        {
            scenario.Rules.Check(rule, ok, expected, actual, evidence);
        }

        if (df.UsedGrpc && rule.StartsWith("DFW-", StringComparison.Ordinal) && scenario.StrengthOf(rule) == RuleStrength.Must && Tagged("DFG-001"))
        {
            scenario.Rules.Check("DFG-001", ok, $"{rule} on the gRPC stream: {expected}", actual, evidence);
        }

        return ok;
    }

    private bool CheckFindings(string rule, SessionJournal journal, string passEvidence)
    {
        var findings = journal.FindingsFor(rule);
        if (findings.Count == 0)
        {
            return Check(rule, true, passEvidence, passEvidence);
        }

        foreach (var finding in findings)
        {
            Check(rule, false, finding.Expected ?? "no finding", finding.Actual ?? finding.Message, finding.EntrySeq is { } seq ? $"{journal.SessionId} #{seq} at {Seconds(finding.Offset)}" : journal.SessionId);
        }

        return false;
    }

    private void Fail(string rule, string expected, string actual, string? evidence = null) => Check(rule, false, expected, actual, evidence);

    // ---------------------------------------------------------------- Given

    [Given("the Data Flow project {string}")]
    public void GivenTheProject(string project) => df.Project = project;

    [Given("a Data Flow project defined as:")]
    public void GivenAProjectDefinedAs(string yaml) => df.AddProject(yaml, $"{scenario.FeaturePath}:{scenario.Line}");

    [Given("the audio {string} as {word} at {int} Hz {word}")]
    public void GivenTheAudio(string recording, string encoding, int rate, string layout)
    {
        if (encoding is not ("pcm" or "ulaw" or "alaw") || layout is not ("mono" or "stereo"))
        {
            throw new InvalidOperationException($"audio \"{encoding}\" \"{layout}\": write pcm, ulaw or alaw, and mono or stereo");
        }

        df.Audio = new TaskAudio(recording, rate, layout == "mono" ? 1 : 2, encoding);
    }

    [Given("the project takes {int} ms to build")]
    public void GivenTheProjectTakesToBuild(int ms) => df.StartDelay = TimeSpan.FromMilliseconds(ms);

    [Given("finishing takes {int} ms")]
    public void GivenFinishingTakes(int ms) => df.FinalizeDuration = TimeSpan.FromMilliseconds(ms);

    [Given("the server answers the first {word} with {word}")]
    public void GivenTheServerAnswers(string request, string result) => df.ScriptResponse(request, result);

    [Given("incidents are sent in the {word} shape")]
    public void GivenIncidentsAreSentIn(IncidentShape shape) => df.IncidentShape = shape;

    [Given("the client asks for output audio as {word}")]
    public void GivenOutputEncoding(string encoding) => df.TaskEnvironment["PROTOSIM_OUTPUT_ENCODING"] = encoding;

    [Given("the event text is {string}")]
    public void GivenTheEventText(string text) => df.TaskEnvironment["PROTOSIM_EVENT_TEXT"] = text;

    [Given("the update parameters are {string}")]
    public void GivenTheUpdateParameters(string json) => df.TaskEnvironment["PROTOSIM_UPDATE_PARAMETERS"] = json;

    [Given("the task runs {int} sessions")]
    public void GivenSessions(int count) => df.TaskEnvironment["PROTOSIM_SESSIONS"] = count.ToString(CultureInfo.InvariantCulture);

    [Given("the client is given {int} seconds")]
    public void GivenTheClientIsGiven(int seconds) => df.ClientDeadline = TimeSpan.FromSeconds(seconds);

    // ---------------------------------------------------------------- When

    [When("the client runs the task {string}")]
    public Task WhenTheClientRuns(string task) => df.RunTaskAsync(task);

    // ---------------------------------------------------------------- Then: authentication (DFA)

    [Then("the client obtained its token with client credentials from the configured identity server")]
    public void ThenTheTokenWasObtained()
    {
        var identity = df.Identity!;
        var requests = identity.Entries.Where(e => e.Direction == Direction.FromClient).ToList();
        if (!Check("DFA-003", requests.Count > 0, "a token request at PROTOSIM_IDENTITY_URL (the identity host differs per installation)",
            requests.Count == 0 ? "no request reached the identity URL given to the client" : $"{requests.Count} request(s)"))
        {
            throw new InconclusiveException("No token request arrived, so DFA-001/DFA-002 cannot be judged; see DFA-003.");
        }

        var issued = identity.Entries.Count(e => e.Direction == Direction.ToClient && e.Summary.StartsWith("200 ", StringComparison.Ordinal));
        if (CheckFindings("DFA-001", identity, $"{requests.Count} form-encoded client_credentials request(s); {issued} token(s) issued") && issued == 0)
        {
            var answer = identity.Entries.LastOrDefault(e => e.Direction == Direction.ToClient)?.Summary ?? "no answer";
            Fail("DFA-001", "a token issued for client_id and client_secret", $"no token issued ({answer})");
        }

        CheckFindings("DFA-002", identity, "scope=Wagtail requested");
    }

    [Then("Start carried the token and the tenant")]
    public void ThenStartCarriedTokenAndTenant()
    {
        if (df.Sessions.Count == 0 && df.Batches.Count > 0)
        {
            // HTTP: the token in Authorization: Bearer, the tenant in the Tenant header (DFA-004, DFA-005 scope H).
            foreach (var batch in df.Batches)
            {
                CheckFindings("DFA-004", batch, $"{batch.SessionId}: Authorization: Bearer held a valid access token");
                CheckFindings("DFA-005", batch, $"{batch.SessionId}: the Tenant header held the tenant GUID of the token");
            }

            return;
        }

        foreach (var s in RequireStarts())
        {
            if (!s.Responses("StartResponse").Any())
            {
                throw new InconclusiveException($"{s.Name}: the mock never answered the Start (the client {DescribeEnd(s)}).");
            }

            CheckFindings("DFA-004", s.Journal, $"{s.Name}: Start.Token held a valid access token");
            CheckFindings("DFA-005", s.Journal, $"{s.Name}: Start.Tenant held the tenant GUID of the token");
        }
    }

    [Then("one token served every session")]
    public void ThenOneTokenServedEverySession()
    {
        // The token each session presented: Start.Token (streaming) or the bearer header (HTTP batch).
        var presented = df.Sessions.Select(j => new SessionEvidence(j)).Where(s => s.FirstRequest("Start") is not null)
            .Select(s => Str(s.FirstRequest("Start")!.Value.Request, "Token"))
            .Concat(df.Batches.Select(b => b.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient)?.Text?.Split('\n')
                .FirstOrDefault(h => h.StartsWith("Authorization: ", StringComparison.OrdinalIgnoreCase))))
            .ToList();
        if (presented.Count < 2)
        {
            throw new InconclusiveException($"The task ran {presented.Count} session(s); token reuse needs two (PROTOSIM_SESSIONS=2).");
        }

        var issued = df.Identity!.Entries.Count(e => e.Direction == Direction.ToClient && e.Summary.StartsWith("200 ", StringComparison.Ordinal));
        var tokens = presented.Distinct(StringComparer.Ordinal).Count();
        Check("DFA-006", issued == 1 && tokens == 1, $"one token (valid for a year) reused by all {presented.Count} sessions",
            $"{issued} token request(s) answered, {tokens} distinct token(s) in {presented.Count} sessions");
    }

    [Then("the client secret never reached Data Flow")]
    public void ThenTheSecretNeverReachedDataFlow()
    {
        if (df.Sessions.Count == 0 && df.Batches.Count == 0)
        {
            throw new InconclusiveException($"The client opened no Data Flow connection ({df.Exit?.Describe()}).");
        }

        foreach (var session in df.Sessions.Concat(df.Batches))
        {
            CheckFindings("DFA-007", session, $"{session.SessionId}: no client_secret in the upgrade request or any message");
        }
    }

    // ---------------------------------------------------------------- helpers

    private void JudgeReadUntilFinalResult(SessionEvidence s, string request, string responseName, string rule)
    {
        var response = s.Responses(responseName).FirstOrDefault(r => r.Result == "Success");
        if (response.Entry is null)
        {
            throw new InconclusiveException($"No {responseName} Success was sent (the client sent no {request}); {rule} cannot be judged.");
        }

        var final = s.FinalResult;
        var waited = final is not null && !s.EndedBefore(final);
        Check(rule, waited, $"after {responseName} Success, the connection kept open until FinalResult",
            final is null ? $"no FinalResult was sent; the client {DescribeEnd(s)}" : waited ? $"FinalResult read at {Seconds(final.Offset)}; the client {DescribeEnd(s)}" : $"the client {DescribeEnd(s)} before FinalResult", s.At(response.Entry));
    }

    private void JudgeCloseAfterFinalResult(SessionEvidence s)
    {
        if (s.FinalResult is not { } final || s.EndedBefore(final))
        {
            throw new InconclusiveException("The client did not read until FinalResult, so closing after it (DFW-030) cannot be judged.");
        }

        var done = s.ClientDone;
        var lingered = s.ServerClose is { } close && (done is null || close.Seq < done.Seq);
        var expected = s.IsGrpc
            ? "the client half-closes the call by FinalResult (the mock completes it 2 s later otherwise)"
            : $"the client closes after FinalResult (the mock closes after {df.Options!.CloseAfterFinalResult.TotalSeconds:0} s otherwise)";
        Check("DFW-030", !lingered && done is not null, expected,
            lingered ? $"the mock had to {(s.IsGrpc ? "complete the call" : "close the connection")}" : done is null ? "the client never ended the session" : $"the client {DescribeEnd(s)} ({Seconds(done.Offset - final.Offset)} from FinalResult)", s.At(final));
    }

    private void JudgeCallProperties(SessionEvidence s, JournalEntry entry, JsonObject start)
    {
        var problems = new List<string>();
        if (start["Language"] is JsonValue language && (!language.TryGetValue<string>(out var tag) || !IetfTag().IsMatch(tag)))
        {
            problems.Add($"Language {language.ToJsonString()} is not an IETF tag");
        }

        if (start["CallProperties"] is JsonObject call)
        {
            if (call["CallStartTime"] is JsonValue time && (!time.TryGetValue<string>(out var text) || !Iso8601().IsMatch(text)))
            {
                problems.Add($"CallStartTime {time.ToJsonString()} is not ISO 8601");
            }

            if (call["Direction"] is { } direction && Number(direction) is not (>= 1 and <= 6))
            {
                problems.Add($"Direction {direction.ToJsonString()} is not 1-6");
            }
        }

        Check("DFW-033", problems.Count == 0, "Language an IETF tag, CallStartTime ISO 8601, Direction 1-6 (when given)",
            problems.Count == 0 ? "as documented" : string.Join("; ", problems), s.At(entry));
    }

    /// <summary>The raw output audio of each TTS fragment (binary frames between Start and End Of TTS Fragment).</summary>
    private static List<(byte[] Audio, bool HasWaveHeader)> TtsFragments(SessionEvidence s)
    {
        var fragments = new List<(byte[], bool)>();
        List<byte>? current = null;
        var header = false;
        foreach (var entry in s.Journal.Entries.Where(e => e.Direction == Direction.ToClient))
        {
            if (entry.Kind == FrameKind.Text && Json(entry) is { } o && o["Event"] is JsonObject e)
            {
                switch (Str(e, "Name"))
                {
                    case "Start Of TTS Fragment":
                        current = [];
                        header = e["Data"]?["HasWaveHeader"] is not JsonValue h || !h.TryGetValue<bool>(out var given) || given;
                        break;
                    case "End Of TTS Fragment" when current is not null:
                        fragments.Add(([.. current], header));
                        current = null;
                        break;
                }
            }
            else if (entry.Kind == FrameKind.Binary && current is not null && entry.Bytes is { } bytes)
            {
                current.AddRange(bytes.ToArray());
            }
        }

        return fragments;
    }

    private List<SessionEvidence> RequireConnections()
    {
        if (df.Sessions.Count == 0 && (df.Batches.Count > 0 || df.OtherGrpcCalls.Count > 0))
        {
            throw new InconclusiveException($"A streaming rule (WebSocket or gRPC Stream); the client used {df.Integrations}.");
        }

        if (df.Sessions.Count == 0)
        {
            var tokens = df.Identity?.Entries.Count(e => e.Direction == Direction.FromClient) ?? 0;
            throw new InconclusiveException($"The client opened no Data Flow connection ({tokens} token request(s); the client {df.Exit?.Describe()}); see DFA-001 and DFA-003.");
        }

        return df.Sessions.Select(j => new SessionEvidence(j)).ToList();
    }

    private SessionEvidence RequireSession() => RequireConnections()[0];

    private List<SessionEvidence> RequireStarts()
    {
        var sessions = RequireConnections().Where(s => s.FirstRequest("Start") is not null).ToList();
        return sessions.Count > 0 ? sessions : throw new InconclusiveException("The client sent no Start message.");
    }

    private (SessionEvidence Session, (JournalEntry Entry, JsonObject Request) Start) RequireStart()
    {
        var s = RequireStarts()[0];
        return (s, s.FirstRequest("Start")!.Value);
    }

    private SessionEvidence RequireStarted()
    {
        var s = RequireSession();
        var result = s.Responses("StartResponse").Select(r => r.Result).FirstOrDefault();
        return result == "Success" ? s : throw new InconclusiveException($"The session did not start (StartResponse: {result ?? "none"}; the client {DescribeEnd(s)}).");
    }

    private SessionEvidence RequireAudio()
    {
        var s = RequireSession();
        if (s.AudioFrames.Count == 0)
        {
            var start = s.Responses("StartResponse").Select(r => r.Result).FirstOrDefault() ?? "none";
            throw new InconclusiveException($"The client sent no audio (StartResponse: {start}; the client {DescribeEnd(s)}).");
        }

        return s;
    }

    private static string DescribeEnd(SessionEvidence s) => s.ClientDone switch
    {
        null when s.ServerClose is not null => s.IsGrpc ? "had its call completed by the mock" : "was closed by the mock",
        null => s.IsGrpc ? "never half-closed the call" : "never closed the connection",
        { Kind: FrameKind.Close } end when s.IsGrpc && end == s.HalfClose => $"half-closed the call at {Seconds(end.Offset)}" + (s.ClientEnd is { } cancel ? $" and cancelled it at {Seconds(cancel.Offset)}" : string.Empty),
        { Kind: FrameKind.Close } end when s.IsGrpc => $"cancelled the call at {Seconds(end.Offset)}",
        { Kind: FrameKind.Close } end => $"closed the connection at {Seconds(end.Offset)}",
        var end => $"dropped the connection at {Seconds(end.Offset)}",
    };

    private static string Describe(JournalEntry entry) => entry.Kind == FrameKind.Binary ? $"a {entry.Length} B binary frame" : $"{entry.Summary}";

    private static string Difference(byte[] actual, byte[] expected)
    {
        var n = Math.Min(actual.Length, expected.Length);
        var i = 0;
        while (i < n && actual[i] == expected[i])
        {
            i++;
        }

        return i == n && actual.Length == expected.Length ? "the same bytes" : $"{actual.Length} B that differ from the file's {expected.Length} B at byte {i}";
    }

    /// <summary>Whether each chunk holds one channel's samples after the other's (a planar layout instead of interleaved).</summary>
    private bool LooksPlanar(byte[] payload, byte[] expected, List<JournalEntry> frames)
    {
        if (payload.Length != expected.Length || frames.Count == 0)
        {
            return false;
        }

        var sample = df.Audio.Encoding == "pcm" ? 2 : 1;
        var chunk = frames[0].Bytes!.Value.Length;
        var half = chunk / 2;
        for (var i = 0; i + (2 * sample) <= half; i += sample)
        {
            // Left sample k of the chunk at k*sample in the first half; in the file at 2*k*sample.
            if (!payload.AsSpan(i, sample).SequenceEqual(expected.AsSpan(2 * i, sample)))
            {
                return false;
            }
        }

        return half > 0;
    }

    private static string Excerpt(string text) => text.Length <= 160 ? text : string.Concat(text.AsSpan(0, 160), "…");

    [GeneratedRegex(@"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex IetfTag();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$")]
    private static partial Regex Iso8601();
}
