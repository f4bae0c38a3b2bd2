using System.Text.Json.Nodes;
using ProtocolSim.Audio;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using Reqnroll;
using static ProtocolSim.DataFlow.Steps.SessionEvidence;

namespace ProtocolSim.DataFlow.Steps;

public sealed partial class DataFlowSteps
{
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
}
