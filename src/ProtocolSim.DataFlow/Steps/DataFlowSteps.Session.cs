using System.Text.Json.Nodes;
using ProtocolSim.Audio;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using Reqnroll;
using static ProtocolSim.DataFlow.Steps.SessionEvidence;

namespace ProtocolSim.DataFlow.Steps;

public sealed partial class DataFlowSteps
{
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
}
