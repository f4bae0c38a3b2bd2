using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ProtocolSim.Audio;
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

    // ---------------------------------------------------------------- Then: opening the session

    [Then("the client opened the session as documented")]
    public void ThenTheClientOpenedTheSession()
    {
        var sessions = RequireConnections();
        foreach (var s in sessions)
        {
            // DFW-001: the first message is Start (a Start in a binary frame is judged by DFW-002).
            var first = s.ClientMessages.Count > 0 ? s.ClientMessages[0] : null;
            var firstRequest = s.Requests().FirstOrDefault();
            var firstIsStart = first is not null && firstRequest.Entry?.Seq == first.Seq && RequestName(firstRequest.Request) == "Start";
            if (first is not null && Check("DFW-001", firstIsStart, "Start as the first message", firstIsStart ? "Start" : Describe(first), s.At(first)))
            {
                CheckFindings("DFW-001", s.Journal, $"{s.Name}: Start first");
            }

            CheckFindings("DFW-003", s.Journal, $"{s.Name}: Start has MessageName, Tenant, Token, Audio and a project");
            CheckFindings("DFW-011", s.Journal, $"{s.Name}: no Events in Start");
            CheckFindings("DFW-013", s.Journal, $"{s.Name}: Settings and Parameters hold primitives; ChannelTags customer/agent");
            CheckFindings("DFW-024", s.Journal, $"{s.Name}: request names Start, Update, Finalize, Stop exactly");
            CheckFindings("DFW-034", s.Journal, $"{s.Name}: one Start");
            if (s.FirstRequest("Start") is { } start)
            {
                JudgeCallProperties(s, start.Entry, start.Request);
            }
        }

        if (sessions.All(s => s.ClientMessages.Count == 0))
        {
            throw new InconclusiveException("The client connected but sent nothing.");
        }
    }

    [Then("the client sent JSON in text frames and audio in binary frames")]
    public void ThenTheClientFramedItsMessages()
    {
        var sessions = RequireConnections();
        if (df.UsedGrpc)
        {
            // gRPC has no frame kinds: the json and audio fields are DFG-004's.
            throw new InconclusiveException("A WebSocket rule; the client used gRPC (see DFG-004 for its json and audio fields).");
        }

        foreach (var s in sessions)
        {
            CheckFindings("DFW-002", s.Journal, $"{s.Name}: every JSON message in a text frame, audio in binary frames");
        }
    }

    [Then("Start.Audio describes the audio file")]
    public void ThenStartAudioDescribesTheFile()
    {
        var (s, start) = RequireStart();
        var audio = start.Request["Audio"] as JsonObject;
        var expected = df.Audio;
        var encoding = audio is null ? null : Str(audio, "Encoding");
        var rate = audio is null ? null : Number(audio["SampleRate"]);
        var channels = audio is null ? null : Number(audio["ChannelCount"]);
        Check("DFW-004", encoding == expected.Encoding && rate == expected.SampleRate && channels == expected.Channels,
            $"Audio {{Encoding {expected.Encoding}, SampleRate {expected.SampleRate}, ChannelCount {expected.Channels}}} (the file: {expected})",
            audio?.ToJsonString() ?? "no Audio object", s.At(start.Entry));
    }

    [Then("the client waited for StartResponse before streaming")]
    public void ThenTheClientWaitedForStartResponse()
    {
        var s = RequireAudio();
        CheckFindings("DFW-005", s.Journal, $"{s.Name}: the first audio followed StartResponse Success");
    }

    [Then("the client allowed time for the project build")]
    public void ThenTheClientAllowedTimeForTheBuild()
    {
        var (s, start) = RequireStart();
        var response = s.Responses("StartResponse").FirstOrDefault();
        var end = s.ClientDone;
        var gaveUp = response.Entry is null
            ? end is not null && end.Offset < start.Entry.Offset + df.StartDelay
            : s.EndedBefore(response.Entry);
        if (response.Entry is null && !gaveUp)
        {
            throw new InconclusiveException($"The mock sent no StartResponse (the Start was not a text message; see DFW-002); the client {DescribeEnd(s)}.");
        }

        Check("DFW-035", !gaveUp, $"the connection kept open until StartResponse (the build takes {df.StartDelay.TotalMilliseconds:0} ms; a start timeout of at least 10 s)",
            gaveUp ? $"the client {DescribeEnd(s)}, {Seconds(end!.Offset - start.Entry.Offset)} after Start, before StartResponse" : "waited", s.At(start.Entry));
    }

    [Then("after the {word} StartResponse the client sent no audio and closed the connection")]
    public void ThenAfterTheFailedStartResponse(string result)
    {
        var (s, _) = RequireStart();
        var response = s.Responses("StartResponse").FirstOrDefault(r => r.Result == result);
        if (response.Entry is null)
        {
            throw new InconclusiveException($"The mock sent no StartResponse {result}.");
        }

        var after = s.ClientMessagesAfter(response.Entry).ToList();
        var audio = after.Count(e => e.Kind == FrameKind.Binary);
        var requests = after.Where(e => e.Kind == FrameKind.Text).Select(e => e.Summary).ToList();
        var closed = s.ClientDone is { } end && end.Seq > response.Entry.Seq && s.ServerClose is null && end.Offset - response.Entry.Offset <= CloseWithin;
        var ok = audio == 0 && requests.Count == 0 && closed;
        var actual = audio > 0 ? $"{audio} audio frame(s) after it" : requests.Count > 0 ? $"sent {string.Join(", ", requests)} after it" : $"the client {DescribeEnd(s)}";
        foreach (var rule in new[] { "DFW-006", "DFW-023" })
        {
            Check(rule, ok, $"no audio or request after StartResponse {result}; the client closes within {CloseWithin.TotalSeconds:0} s", actual, s.At(response.Entry));
        }
    }

    // ---------------------------------------------------------------- Then: audio

    [Then("the audio received is exactly the file's samples")]
    public void ThenTheAudioIsTheFilesSamples()
    {
        var s = RequireAudio();

        // The session's audio: what came before Finalize/Stop (audio after them is DFW-019's business).
        var end = s.Requests().Where(r => RequestName(r.Request) is "Finalize" or "Stop").Select(r => r.Entry.Seq).DefaultIfEmpty(long.MaxValue).First();
        var frames = s.AudioFrames.Where(f => f.Seq < end).ToList();
        if (frames.Count == 0)
        {
            throw new InconclusiveException("No audio before Finalize/Stop.");
        }

        var received = frames.SelectMany(f => f.Bytes!.Value.ToArray()).ToArray();
        var expected = df.ExpectedAudio;
        var frameBytes = df.Audio.FrameBytes;

        // DFW-007: no container in the stream.
        var header = received.Length >= 12 && received.AsSpan(0, 4).SequenceEqual("RIFF"u8);
        var payload = received;
        if (header && Wav.Parse(received).Data is { Length: > 0 } data && data.Length <= received.Length)
        {
            payload = received[(received.Length - data.Length)..];
        }

        Check("DFW-007", !header, $"raw {df.Audio.Encoding} without a WAV header", header ? "the stream starts with a RIFF/WAVE header" : "raw audio", s.At(frames[0]));
        if (df.Audio.Channels == 1 && !header)
        {
            Check("DFW-007", payload.AsSpan().SequenceEqual(expected), $"the file's {expected.Length} B of {df.Audio.Encoding} samples", Difference(payload, expected));
        }

        // DFW-008: stereo interleaved sample by sample.
        if (df.Audio.Channels == 2)
        {
            var same = payload.AsSpan().SequenceEqual(expected);
            Check("DFW-008", same, $"the file's {expected.Length} B of interleaved stereo samples",
                Difference(payload, expected) + (!same && LooksPlanar(payload, expected, frames) ? " (channels sent one after the other within each chunk, not interleaved)" : string.Empty));
        }

        // DFW-009: every chunk a whole number of sample frames.
        var misaligned = frames.Where(f => f.Bytes!.Value.Length % frameBytes != 0).ToList();
        Check("DFW-009", misaligned.Count == 0, $"every chunk a multiple of {frameBytes} B ({df.Audio})",
            misaligned.Count == 0 ? $"{frames.Count} aligned chunks" : $"{misaligned.Count} of {frames.Count} chunks misaligned, e.g. {misaligned[0].Bytes!.Value.Length} B",
            misaligned.Count == 0 ? null : s.At(misaligned[0]));

        // DFW-010: small chunks (20-200 ms); the last may be shorter.
        var bytesPerSecond = (double)frameBytes * df.Audio.SampleRate;
        var sizes = frames.Select(f => f.Bytes!.Value.Length / bytesPerSecond * 1000).ToList();
        var bad = sizes.Select((ms, i) => (ms, i)).Where(x => x.ms > 200.5 || (x.ms < 19.5 && x.i < sizes.Count - 1)).ToList();
        Check("DFW-010", bad.Count == 0, "chunks of about 20-200 ms",
            bad.Count == 0 ? $"{frames.Count} chunks of {sizes.Min():0}-{sizes.Max():0} ms" : $"{bad.Count} chunk(s) outside, e.g. {bad[0].ms:0} ms",
            bad.Count == 0 ? null : s.At(frames[bad[0].i]));
    }

    // ---------------------------------------------------------------- Then: requests during the session

    [Then("the client sent its event as documented")]
    public void ThenTheClientSentItsEvent()
    {
        var s = RequireStarted();
        var events = s.ClientEvents().ToList();
        var asRequest = s.Requests().Where(r => RequestName(r.Request) == "Event").ToList();
        if (events.Count == 0 && asRequest.Count == 0)
        {
            Fail("DFW-012", "a {\"Event\":{…}} message (task send-event)", "no client event was sent");
            return;
        }

        CheckFindings("DFW-012", s.Journal, $"{s.Name}: {events.Count} event(s) with Name, Channel, StartMsec, EndMsec, GroupId, Tags, Data and no MessageName");
        foreach (var (entry, request) in asRequest)
        {
            if (request["Event"] is not null && !s.Journal.FindingsFor("DFW-012").Any(f => f.EntrySeq == entry.Seq))
            {
                Fail("DFW-012", "{\"Event\":{…}} without MessageName", Excerpt(request.ToJsonString()), s.At(entry));
            }
        }
    }

    [Then("the client updated the settings as documented")]
    public void ThenTheClientUpdatedTheSettings()
    {
        var s = RequireSession();
        var update = s.FirstRequest("Update");
        if (update is null && s.Journal.FindingsFor("DFW-014").Count == 0 && s.Journal.FindingsFor("DFW-013").Count == 0)
        {
            throw new InconclusiveException("No Update arrived (see DFW-024 for misspelt names).");
        }

        CheckFindings("DFW-014", s.Journal, $"{s.Name}: Update {{\"MessageName\":\"Update\",\"Parameters\":{{…}}}} after StartResponse Success");
        CheckFindings("DFW-013", s.Journal, $"{s.Name}: Update.Parameters holds primitives");
    }

    // ---------------------------------------------------------------- Then: ending the session

    [Then("the client finalized after its last audio and read until FinalResult")]
    public void ThenTheClientFinalized()
    {
        var s = RequireAudio();
        CheckFindings("DFW-019", s.Journal, $"{s.Name}: no audio after Finalize");
        CheckFindings("DFW-020", s.Journal, $"{s.Name}: one Finalize");
        var finalize = s.FirstRequest("Finalize");
        var lastAudio = s.AudioFrames[^1];
        if (Check("DFW-016", finalize is not null, "Finalize after the last audio chunk", finalize is null ? $"no Finalize; the client {DescribeEnd(s)}" : "Finalize", s.At(lastAudio)))
        {
            CheckFindings("DFW-016", s.Journal, $"{s.Name}: Finalize ended the session");
        }

        JudgeReadUntilFinalResult(s, "Finalize", "FinalizeResponse", "DFW-017");
        JudgeCloseAfterFinalResult(s);
    }

    [Then("the client stopped and read until FinalResult")]
    public void ThenTheClientStopped()
    {
        var s = RequireSession();
        CheckFindings("DFW-019", s.Journal, $"{s.Name}: no audio after Stop");
        JudgeReadUntilFinalResult(s, "Stop", "StopResponse", "DFW-018");
        JudgeCloseAfterFinalResult(s);
    }

    [Then("after Busy the client waited for the running operation's FinalResult")]
    public void ThenAfterBusyTheClientWaited()
    {
        var s = RequireSession();
        var busy = s.ServerMessages.FirstOrDefault(m => Str(m.Message, "OperationResult") == "Busy" && Str(m.Message, "MessageName") is "FinalizeResponse" or "StopResponse");
        if (busy.Entry is null)
        {
            throw new InconclusiveException("The mock sent no Busy FinalizeResponse/StopResponse (the client sent no Finalize).");
        }

        CheckFindings("DFW-020", s.Journal, $"{s.Name}: no second Finalize/Stop while one was running");
        var final = s.FinalResult;
        var waited = final is not null && !s.EndedBefore(final);
        Check("DFW-021", waited, "the connection kept open until the FinalResult of the running operation",
            final is null ? $"no FinalResult was sent; the client {DescribeEnd(s)}" : waited ? $"FinalResult read at {Seconds(final.Offset)}; the client {DescribeEnd(s)}" : $"the client {DescribeEnd(s)} before FinalResult", s.At(busy.Entry));
    }

    [Then("after NoActiveOperation the client treated the session as ended")]
    public void ThenAfterNoActiveOperation()
    {
        var s = RequireSession();
        var none = s.ServerMessages.FirstOrDefault(m => Str(m.Message, "OperationResult") == "NoActiveOperation" && Str(m.Message, "MessageName") is "FinalizeResponse" or "StopResponse");
        if (none.Entry is null)
        {
            throw new InconclusiveException("The mock sent no NoActiveOperation FinalizeResponse/StopResponse (the client sent no Finalize).");
        }

        // Messages that crossed the answer on the wire cannot be told from later ones; audio after Finalize is DFW-019's.
        var end = s.ClientDone;
        var ok = end is not null && end.Seq > none.Entry.Seq && end.Offset - none.Entry.Offset <= CloseWithin;
        Check("DFW-022", ok, $"the connection closed within {CloseWithin.TotalSeconds:0} s, without waiting for a FinalResult that will not come",
            end is null ? "the client never closed" : $"the client {DescribeEnd(s)} ({Seconds(end.Offset - none.Entry.Offset)} after NoActiveOperation)",
            s.At(none.Entry));
    }

    // ---------------------------------------------------------------- Then: server messages the client must take

    [Then("the client completed the session normally")]
    public void ThenTheClientCompletedTheSession()
    {
        var s = RequireStarted();
        var sent = s.AudioFrames.Sum(f => f.Bytes!.Value.Length);
        var final = s.FinalResult;
        var end = s.ClientDone;

        // Kept going: every byte of audio streamed and the connection ended on purpose (a close frame), or after FinalResult.
        var cut = s.IsGrpc ? s.ClientEnd : end is { Kind: FrameKind.Error } ? end : null;
        var dropped = cut is not null && (final is null || cut.Seq < final.Seq);
        var ok = sent >= df.ExpectedAudio.Length && !dropped && end is not null;
        var incidents = s.ServerMessages.Count(m => m.Message["Incident"] is not null || Str(m.Message, "MessageName") == "Incident");
        var events = s.ServerMessages.Count(m => m.Message["Event"] is not null);
        var actual = ok
            ? $"all {sent} B of audio streamed through {events} event(s) and {incidents} incident(s); the client {DescribeEnd(s)}"
            : sent < df.ExpectedAudio.Length ? $"{sent} of {df.ExpectedAudio.Length} B of audio sent; the client {DescribeEnd(s)}"
            : $"the client {DescribeEnd(s)}";
        foreach (var rule in new[] { "DFW-025", "DFW-026", "DFW-027", "DFW-028", "DFW-029" })
        {
            Check(rule, ok, "the session kept going: all audio streamed, the session ended by the client's own choice", actual, end is not null ? s.At(end) : null);
        }
    }

    [Then("the client saved every TTS fragment it received")]
    public void ThenTheClientSavedEveryTtsFragment()
    {
        var s = RequireStarted();
        if (s.FirstRequest("Finalize") is null && s.FirstRequest("Stop") is null)
        {
            throw new InconclusiveException($"The client ended without Finalize (see DFW-016), so it may not have read its output audio; the client {DescribeEnd(s)}.");
        }

        var fragments = TtsFragments(s);
        if (fragments.Count == 0)
        {
            throw new InconclusiveException("The mock sent no TTS fragment (the client sent no event with Data.Text).");
        }

        var files = Directory.GetFiles(df.OutputDirectory, "tts-*.wav").OrderBy(f => f.Length).ThenBy(f => f, StringComparer.Ordinal).ToList();
        if (!Check("DFW-031", files.Count == fragments.Count, $"{fragments.Count} fragment(s) saved as tts-1.wav… in PROTOSIM_OUTPUT_DIR (binary frames tied to Start/End Of TTS Fragment)",
            $"{files.Count} file(s): {string.Join(", ", files.Select(Path.GetFileName))}"))
        {
            throw new InconclusiveException("The fragments were not saved, so their decoding (DFW-032) cannot be judged; see DFW-031.");
        }

        var encoding = s.FirstRequest("Start") is { } start && start.Request["Audio"]?["Output"] is JsonObject o ? Str(o, "Encoding") ?? "pcm" : "pcm";
        for (var i = 0; i < files.Count; i++)
        {
            // HasWaveHeader true or absent (001: absent means true): the fragment is a WAV file; its samples are the audio.
            var (raw, hasHeader) = fragments[i];
            if (hasHeader)
            {
                raw = Wav.Parse(raw).Data.ToArray();
            }

            var expected = encoding switch
            {
                "ulaw" => G711.DecodeMuLaw(raw),
                "alaw" => G711.DecodeALaw(raw),
                _ => Pcm.ToSamples(raw),
            };
            var parsed = Wav.Parse(File.ReadAllBytes(files[i]));
            var actual = parsed.IsValid && parsed.Format is { IsPcm16: true } ? Pcm.ToSamples(parsed.Data.Span) : [];
            var same = actual.AsSpan().SequenceEqual(expected);
            Check("DFW-032", same,
                $"{Path.GetFileName(files[i])}: the fragment's {raw.Length} B of {encoding} decoded to {expected.Length} PCM16 samples",
                !parsed.IsValid ? "not a readable WAV file"
                : same ? $"{Path.GetFileName(files[i])}: the same {actual.Length} samples"
                : $"{actual.Length} samples{(actual.Length == expected.Length ? " that differ" : string.Empty)} ({parsed.Format!.SampleRate} Hz, {parsed.Format.BitsPerSample} bit, tag {parsed.Format.FormatTag})");
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
