using System.Text.Json.Nodes;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using Reqnroll;
using static ProtocolSim.DataFlow.Steps.SessionEvidence;

namespace ProtocolSim.DataFlow.Steps;

/// <summary>
/// The steps of the gRPC and HTTP batch features (dataflow.md §3.3 DFG, §3.4 DFH). A client uses one integration for
/// every task; a scenario about another integration is inconclusive for it (skipped), as the CTI transports are.
/// </summary>
public sealed partial class DataFlowSteps
{
    /// <summary>DFG-003: the TLS listener's certificate comes from a CA other than the one in PROTOSIM_DATAFLOW_GRPC_CA.</summary>
    [Given("the gRPC server presents a certificate from another CA")]
    public void GivenAnUntrustedCertificate() => df.GrpcCertificateTrusted = false;

    [Then("the client used the gRPC integration")]
    public void ThenTheClientUsedGrpc() => RequireGrpc();

    [Then("the client streamed its session over gRPC as documented")]
    public void ThenTheClientStreamedOverGrpc()
    {
        var calls = RequireGrpc();
        var expected = Sessions();

        // DFG-002: one Stream call of service dataflow per session, no other method.
        var other = df.OtherGrpcCalls.SelectMany(j => j.FindingsFor("DFG-002").Select(f => (j, f))).ToList();
        var withoutStart = calls.Where(s => s.FirstRequest("Start") is null).ToList();
        Check("DFG-002", other.Count == 0 && withoutStart.Count == 0 && calls.Count == expected,
            $"{expected} call(s) of /dataflow/Stream, one per session, each opening with its Start",
            other.Count > 0 ? $"called {other[0].f.Actual} ({other.Count} call(s) of another method)"
            : withoutStart.Count > 0 ? $"{calls.Count} Stream call(s), {withoutStart.Count} without a Start (a session split over calls)"
            : $"{calls.Count} Stream call(s)",
            other.Count > 0 ? other[0].j.SessionId : null);

        foreach (var s in calls)
        {
            // DFG-003: over TLS (the cleartext port is the simulator's convenience, not production Data Flow's).
            var channel = s.Journal.Labels.GetValueOrDefault("channel");
            Check("DFG-003", channel == "tls", "the call over TLS (PROTOSIM_DATAFLOW_GRPC_URL, the CA of PROTOSIM_DATAFLOW_GRPC_CA)",
                channel == "tls" ? "TLS" : "cleartext HTTP/2 (PROTOSIM_DATAFLOW_GRPC_CLEARTEXT_URL)", s.Name);

            // DFG-004: the Start JSON in the first StreamInput (json), audio in later ones (audio).
            var first = s.ClientMessages.Count > 0 ? s.ClientMessages[0] : null;
            var startFirst = first is { Kind: FrameKind.Text } && first.Parsed is JsonObject o && RequestName(o) == "Start";
            if (Check("DFG-004", startFirst, "the first StreamInput holds the Start JSON in its json field",
                first is null ? "no StreamInput" : startFirst ? "Start" : first.Kind == FrameKind.Binary ? $"{first.Length} B in the audio field" : first.Summary, first is null ? s.Name : s.At(first)))
            {
                CheckFindings("DFG-004", s.Journal, $"{s.Name}: JSON in json fields, audio in audio fields");
            }

            if (CheckFindings("DFG-008", s.Journal, $"{s.Name}: every StreamInput is the proto's message"))
            {
                var unparsable = s.Journal.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient && e.Summary.StartsWith("a message that is not a StreamInput", StringComparison.Ordinal));
                Check("DFG-008", unparsable is null, "StreamInput messages of grpcDataFlow.proto", unparsable is null ? "parsed" : "a message that does not parse as StreamInput", unparsable is null ? null : s.At(unparsable));
            }
        }

        // The rest needs a session that started: DFG-005 is seen in what the client does after StartResponse.
        foreach (var s in calls)
        {
            var started = s.Responses("StartResponse").FirstOrDefault(r => r.Result == "Success");
            if (started.Entry is null)
            {
                throw new InconclusiveException($"{s.Name}: the session never started (StartResponse: {s.Responses("StartResponse").Select(r => r.Result).FirstOrDefault() ?? "none"}; see DFG-004), so reading StreamOutput (DFG-005) and the call's end (DFG-006) cannot be judged.");
            }

            // DFG-005: the client read the JSON of StreamOutput: it streamed only once StartResponse Success had come, or
            // it ended the session only once FinalResult had come (a client that never parses does neither).
            var audio = s.AudioFrames;
            var firstAudio = audio.Count > 0 ? audio[0] : null;
            var waitedForStart = firstAudio is not null && firstAudio.Seq > started.Entry.Seq;
            var readFinalResult = s.FinalResult is { } final && s.ClientDone is { } done && done.Seq > final.Seq;
            Check("DFG-005", waitedForStart || readFinalResult, "the client acts on StreamOutput's JSON: it streams after StartResponse Success, or ends the session after FinalResult",
                waitedForStart || readFinalResult ? $"{(waitedForStart ? "audio after StartResponse Success" : "audio before StartResponse")}; the client {DescribeEnd(s)}{(readFinalResult ? " after FinalResult" : "")}"
                : $"{(firstAudio is null ? "no audio" : "audio before StartResponse")}, and the client {DescribeEnd(s)} {(s.FinalResult is null ? "with no FinalResult sent" : "before FinalResult")}",
                s.At(started.Entry));
            JudgeHalfClose(s);
        }
    }

    [Then("the client refused the gRPC server's certificate")]
    public void ThenTheClientRefusedTheCertificate()
    {
        var calls = df.Sessions.Where(j => j.Protocol == "dataflow-grpc").Concat(df.OtherGrpcCalls).ToList();
        var tls = calls.Where(j => j.Labels.GetValueOrDefault("channel") == "tls").ToList();
        var cleartext = calls.Where(j => j.Labels.GetValueOrDefault("channel") != "tls").ToList();
        var refused = df.FailedTlsHandshakes.Where(j => j.Labels.GetValueOrDefault("clientHello") == "yes").ToList();
        var notTls = df.FailedTlsHandshakes.Where(j => j.Labels.GetValueOrDefault("clientHello") != "yes").ToList();
        if (tls.Count > 0)
        {
            Fail("DFG-003", "the TLS handshake refused: the server's certificate is not from the CA in PROTOSIM_DATAFLOW_GRPC_CA",
                $"the client completed the handshake and opened {tls.Count} call(s) (it does not validate the certificate)", tls[0].SessionId);
        }
        else if (cleartext.Count > 0)
        {
            Fail("DFG-003", "a TLS channel with a validated certificate", "the client called the cleartext port", cleartext[0].SessionId);
        }
        else if (refused.Count > 0)
        {
            Check("DFG-003", true, "the TLS handshake refused", $"{refused.Count} TLS connection(s) that began a handshake and carried no request", refused[0].SessionId);
        }
        else if (notTls.Count > 0)
        {
            Fail("DFG-003", "a TLS channel with a validated certificate", "the client sent no TLS ClientHello to the TLS port (cleartext, or nothing)", notTls[0].SessionId);
        }
        else
        {
            throw new InconclusiveException($"A gRPC rule; the client used {df.Integrations} ({df.Exit?.Describe()}).");
        }
    }

    // ---------------------------------------------------------------- HTTP batch (DFH)

    [Then("the client posted the audio file as documented")]
    public void ThenTheClientPostedTheFile()
    {
        foreach (var batch in RequireBatches())
        {
            var name = batch.SessionId;
            CheckFindings("DFH-001", batch, $"{name}: a multipart/form-data body");
            CheckFindings("DFH-002", batch, $"{name}: Authorization: Bearer with a valid token");
            CheckFindings("DFA-004", batch, $"{name}: the token in Authorization: Bearer");
            CheckFindings("DFH-003", batch, $"{name}: Tenant and ProjectName headers");
            CheckFindings("DFA-005", batch, $"{name}: the Tenant header holds the tenant of the token");
            CheckFindings("DFH-004", batch, $"{name}: a Parameters part with Start-shaped JSON");
            CheckFindings("DFH-005", batch, $"{name}: an Audio part holding a WAV file in pcm, alaw or ulaw");
            CheckFindings("DFH-006", batch, $"{name}: Parameters.Audio absent or matching the WAV header");
            CheckFindings("DFH-010", batch, $"{name}: no Token in Parameters");
            CheckFindings("DFW-013", batch, $"{name}: Settings hold primitives");
            CheckFindings("DFW-033", batch, $"{name}: Language, CallStartTime and Direction as documented");

            // DFH-005: the Audio part is the task's file (its samples reached the project).
            if (batch.FindingsFor("DFH-005").Count == 0 && Answer(batch) is { Status: 200 })
            {
                var parts = batch.Entries.FirstOrDefault(e => e.Kind == FrameKind.Note && e.Summary.StartsWith("parts: ", StringComparison.Ordinal))?.Summary ?? "parts: none";
                Check("DFH-005", parts.Contains("Audio (file", StringComparison.Ordinal), "the audio as a file part named Audio", parts, name);
            }
        }
    }

    [Then("the client sent its initial event in Parameters.Events")]
    public void ThenTheClientSentParametersEvents()
    {
        var batch = RequireBatches()[0];
        var parameters = batch.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient && e.Summary == "Parameters")?.Parsed as JsonObject;
        if (parameters is null)
        {
            throw new InconclusiveException($"{batch.SessionId}: no Parameters part to read (see DFH-004).");
        }

        var events = parameters["Events"] as JsonArray;
        if (events is { Count: > 0 })
        {
            Check("DFH-007", true, "the task's event in Parameters.Events", $"{events.Count} event(s): {Excerpt(events.ToJsonString())}", batch.SessionId);
        }
        else if (Tagged("DFH-007"))
        {
            scenario.Rules.Info("DFH-007", $"{batch.SessionId}: the task's event was not sent in Parameters.Events (MAY: HTTP is the one integration that takes initial events)");
        }
    }

    [Then("the client waited for the whole file to be processed")]
    public void ThenTheClientWaitedForProcessing()
    {
        foreach (var batch in RequireBatches())
        {
            var gaveUp = batch.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient && e.Kind == FrameKind.Close);
            var answer = Answer(batch);
            Check("DFH-008", gaveUp is null && answer is not null, $"the request kept open until the answer (processing took about {(df.StartDelay + df.FinalizeDuration).TotalSeconds:0} s)",
                gaveUp is not null ? $"the client closed the request at {Seconds(gaveUp.Offset)}, before the answer" : answer is null ? "no answer was sent" : $"answer {answer.Value.Status} read at {Seconds(answer.Value.Entry.Offset)}",
                batch.SessionId);
        }
    }

    [Then("the client reported the Error incident of the 200 answer")]
    public void ThenTheClientReportedTheIncident()
    {
        var batch = RequireBatches()[0];
        var answer = Answer(batch);
        if (answer is not { Status: 200 } ok || ok.Body["Incidents"] is not JsonArray incidents
            || !incidents.OfType<JsonObject>().Any(i => (Str(i, "Level") ?? Str(i, "IncidentLevel")) == "Error"))
        {
            throw new InconclusiveException($"{batch.SessionId}: no 200 answer with an Error incident ({answer?.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no answer"}).");
        }

        var exit = df.Exit!;
        Check("DFH-009", exit.ExitCode is not (null or 0), "the task fails (non-zero exit) naming the Error incident of the 200 answer",
            exit.ExitCode == 0 ? "the client exited 0, as if the results were complete" : $"the client {exit.Describe()}", batch.SessionId);
    }

    // ---------------------------------------------------------------- helpers

    private void JudgeHalfClose(SessionEvidence s)
    {
        // DFG-006: half-close only after Finalize/Stop; keep reading until FinalResult and the final status.
        if (!CheckFindings("DFG-006", s.Journal, $"{s.Name}: half-closed after Finalize/Stop"))
        {
            return;
        }

        var ending = s.Requests().FirstOrDefault(r => RequestName(r.Request) is "Finalize" or "Stop");
        if (ending.Entry is null)
        {
            Check("DFG-006", false, "Finalize or Stop, then the half-close", $"no Finalize or Stop; the client {DescribeEnd(s)}", s.Name);
            return;
        }

        var trailers = s.Journal.Entries.FirstOrDefault(e => e.Direction == Direction.ToClient && e.Kind == FrameKind.Close);
        var cancel = s.ClientEnd;
        var ok = cancel is null || (trailers is not null && cancel.Seq > trailers.Seq);
        Check("DFG-006", ok, "the call read to its end: FinalResult, then the trailers with grpc-status",
            ok ? $"the client {DescribeEnd(s)}; {trailers?.Summary ?? "no trailers"}" : $"the client cancelled the call at {Seconds(cancel!.Offset)}, before {(s.FinalResult is { } f && f.Seq < cancel.Seq ? "the trailers" : "FinalResult")}",
            cancel is null ? s.At(ending.Entry) : s.At(cancel));
    }

    private List<SessionEvidence> RequireGrpc()
    {
        if (!df.UsedGrpc)
        {
            if (df.OtherGrpcCalls.Count > 0 && df.Sessions.Count == 0)
            {
                var call = df.OtherGrpcCalls[0];
                Fail("DFG-002", "calls of /dataflow/Stream", call.FindingsFor("DFG-002") is [var f, ..] ? f.Actual ?? f.Message : "another method", call.SessionId);
                throw new InconclusiveException("The client called no Stream method, so the other gRPC rules cannot be judged; see DFG-002.");
            }

            throw new InconclusiveException($"A gRPC rule; the client used {df.Integrations} ({df.Exit?.Describe()}).");
        }

        return df.Sessions.Select(j => new SessionEvidence(j)).ToList();
    }

    private List<SessionJournal> RequireBatches() =>
        df.Batches.Count > 0 ? [.. df.Batches] : throw new InconclusiveException($"An HTTP batch rule; the client used {df.Integrations} ({df.Exit?.Describe()}).");

    private int Sessions() => df.TaskEnvironment.TryGetValue("PROTOSIM_SESSIONS", out var n) ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : 1;

    /// <summary>The batch answer: its status, body and journal entry.</summary>
    private static (int Status, JsonObject Body, JournalEntry Entry)? Answer(SessionJournal batch)
    {
        var entry = batch.Entries.LastOrDefault(e => e.Direction == Direction.ToClient && e.Kind == FrameKind.Text);
        return entry?.Parsed is JsonObject body && int.TryParse(entry.Summary.AsSpan(0, Math.Min(3, entry.Summary.Length)), out var status)
            ? (status, body, entry)
            : null;
    }
}
