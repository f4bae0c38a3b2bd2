using System.Globalization;
using ProtocolSim.Conformance;
using Reqnroll;
using ProtocolSim.Knowlarity.VoiceStream;
using static ProtocolSim.Knowlarity.Steps.VoiceStreamDriver;

namespace ProtocolSim.Knowlarity.Steps;

public sealed partial class VoiceStreamSteps
{
    // ---------------------------------------------------------------- Then: connection

    [Then("the bot accepts the WebSocket upgrade on the configured path")]
    public void ThenTheBotAcceptsTheUpgrade()
    {
        var outcome = driver.Call.Connection!;
        if (outcome.Connected)
        {
            Rules.Pass("KVS-001", $"HTTP 101 on {outcome.Url.AbsolutePath}");
        }
        else if (outcome.HttpStatus is { } status)
        {
            Rules.Fail("KVS-001", $"HTTP 101 Switching Protocols on {outcome.Url.AbsolutePath}", $"HTTP {status}");
        }
        else
        {
            throw new InconclusiveException($"The peer could not reach the bot ({outcome.Error}); see KVS-002.");
        }
    }

    [Then("the bot serves the stream over TLS")]
    public void ThenTheBotServesTls()
    {
        var outcome = driver.Call.Connection!;
        if (!outcome.Tls)
        {
            Rules.Fail("KVS-002", "a wss:// URL with a TLS handshake", $"{outcome.Url.Scheme}:// ({outcome.Error})");
        }
        else if (outcome.Connected || outcome.HttpStatus is not null)
        {
            Rules.Pass("KVS-002", $"TLS handshake with {outcome.Url.Authority} completed");
        }
        else if (outcome.TlsFailed)
        {
            Rules.Fail("KVS-002", "a TLS handshake", outcome.Error ?? "TLS failed");
        }
        else
        {
            throw new InconclusiveException($"The peer could not reach the bot at all ({outcome.Error}).");
        }
    }

    [Then("the bot accepts the WSS connection on the registered URL")]
    public void ThenTheBotAcceptsWss()
    {
        var outcome = driver.Call.Connection!;
        if (!outcome.Connected && outcome.HttpStatus is null && !outcome.TlsFailed && outcome.Tls)
        {
            throw new InconclusiveException($"The peer could not reach the bot at all ({outcome.Error}).");
        }

        Rules.Check("KVV-003", outcome.Connected && outcome.Tls, $"HTTP 101 over TLS on {outcome.Url.GetLeftPart(UriPartial.Path)}",
            outcome.Connected ? $"{outcome.Url.Scheme}:// without TLS" : outcome.HttpStatus is { } s ? $"HTTP {s}" : outcome.Error ?? "no connection",
            $"HTTP 101 over TLS on {outcome.Url.AbsolutePath}");
    }

    [Then("every call gets its own greeting and only the callers who spoke get an answer")]
    public async Task ThenEveryCallGetsItsOwnGreeting()
    {
        var calls = driver.Calls;
        if (calls.All(c => c.FirstPlayAudioAt is null && c.EndedBy != CallEndedBy.Bot))
        {
            throw new InconclusiveException("No call got a greeting; see KVS-008.");
        }

        if (calls.FirstOrDefault(c => c.FirstPlayAudioAt is null && c.EndedBy is CallEndedBy.Bot or CallEndedBy.Transport) is { } closed)
        {
            throw new InconclusiveException($"The bot ended a call before greeting it ({DescribeEnd(closed)}); see KVS-005 and KVS-013.");
        }

        var problems = new List<string>();
        for (var i = 0; i < calls.Count; i++)
        {
            var call = calls[i];
            if (call.FirstPlayAudioAt is not { } greeted || greeted - call.FirstFrameAt > GreetingWindow(call))
            {
                problems.Add($"call {i + 1} ({call.Options.CallId}) got no greeting within {GreetingWindow(call).TotalSeconds:0} s ({DescribeEnd(call)})");
            }
        }

        var speakers = calls.Where(c => c.Spoken.Count > 0).ToList();
        foreach (var call in speakers)
        {
            if (await driver.WaitForAnswerAsync(AnswerLimit, call) is null)
            {
                RequireHearsCaller(call);
                problems.Add($"call {IndexOf(call)} spoke but got no answer within {AnswerLimit.TotalSeconds:0} s");
            }
        }

        var firstSpeech = speakers.Select(c => c.Spoken[0].StartedAt ?? TimeSpan.MaxValue).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        foreach (var call in calls.Except(speakers))
        {
            // Journals share no clock: compare on wall time.
            var startedWall = speakers.Count > 0 ? speakers[0].Journal.StartedAt + firstSpeech : DateTimeOffset.MaxValue;

            // A greeting still being streamed when the others spoke (a slow bot) is not an answer: only playAudio
            // that starts a new reply (after a pause of at least Quiet) counts.
            var times = PlayAudioAfter(call, TimeSpan.Zero).Select(m => call.Journal.StartedAt + m.At).ToList();
            var firstReply = Enumerable.Range(0, times.Count).FirstOrDefault(k => times[k] > startedWall && (k == 0 || times[k] - times[k - 1] >= Quiet), -1);
            var stray = firstReply < 0 ? [] : times.Skip(firstReply).ToList();
            if (stray.Count > 0)
            {
                problems.Add($"call {IndexOf(call)} was silent but received {stray.Count} playAudio after the other callers spoke");
            }
        }

        Rules.Check("KVS-003", problems.Count == 0,
            $"each of {calls.Count} concurrent calls greeted on its own socket; answers only on the calls whose caller spoke",
            string.Join("; ", problems), $"{calls.Count} calls to {driver.Options.VirtualNumber}");

        string IndexOf(VoiceCall call) => (calls.ToList().IndexOf(call) + 1).ToString(CultureInfo.InvariantCulture);
    }

    [Then("the bot greets the new call")]
    public async Task ThenTheBotGreetsTheNewCall()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.FirstPlayAudioAt is not null || c.EndedAt is not null, GreetingWindow(call) + TimeSpan.FromMilliseconds(500), driver.Token);
        var ok = call.FirstPlayAudioAt is { } at && at - call.FirstFrameAt <= GreetingWindow(call) && !call.GreetingTimedOut;
        Rules.Check("KVS-031", ok, $"a greeting on the new call from {call.Options.CustomerNumber} after the previous call was dropped",
            call.FirstPlayAudioAt is { } late ? $"greeting after {(late - call.FirstFrameAt!.Value).TotalSeconds:0.00} s" : $"no greeting ({DescribeEnd(call)})",
            call.FirstPlayAudioAt is { } g ? $"new call greeted after {(g - call.FirstFrameAt!.Value).TotalMilliseconds:0} ms" : null);
    }

    // ---------------------------------------------------------------- Then: metadata and greeting

    [Then("the bot accepts the metadata and keeps the call open")]
    public async Task ThenTheBotAcceptsTheMetadata()
    {
        var call = driver.RequireConnected();
        var window = GreetingWindow(call);
        await call.WaitUntilAsync(c => c.EndedAt is not null
            || (c.FirstPlayAudioAt is { } g && c.Now - g >= TimeSpan.FromMilliseconds(500))
            || c.Now - c.FirstFrameAt >= window, window + TimeSpan.FromSeconds(1), driver.Token);
        ReceivedMessage? answer = null;
        if (call.FirstPlayAudioAt is null && call.EndedAt is null && call.Options.Dialect == VoiceDialect.Verloop)
        {
            // 002 requires no greeting: a Verloop bot shows it read the first message by answering the caller.
            await driver.SayAsync("question");
            answer = await driver.WaitForAnswerAsync(AnswerLimit);
        }

        var what = call.Options.Dialect == VoiceDialect.Verloop ? "first message" : $"metadata ({call.Options.MetadataEncoding})";
        var closedByBot = call.EndedBy is CallEndedBy.Bot or CallEndedBy.Transport;
        if (!closedByBot && call.FirstPlayAudioAt is null && answer is null)
        {
            // Neither a close nor a sign of life: nothing shows whether the metadata was understood.
            throw new InconclusiveException($"The bot neither spoke nor closed the call after the {what} ({DescribeEnd(call)}); see KVS-008.");
        }

        // Evidence for either outcome, from what crossed the wire: the bot's close (a FAIL), its greeting or its answer.
        var evidence = closedByBot
            ? $"{what} sent at {At(call.FirstFrameAt ?? TimeSpan.Zero)}; {DescribeEnd(call)}{(call.FirstPlayAudioAt is { } spoke ? $", after speaking at {At(spoke)}" : ", without a word")}"
            : call.FirstPlayAudioAt is { } g ? $"greeting at {At(g)}, call open 500 ms later" : answer is { } a ? $"answer at {At(a.At)}" : DescribeEnd(call);
        driver.JudgeTagged(["KVS-005", "KVS-006", "KVS-007", "KVV-004"], rule => Rules.Check(rule, !closedByBot,
            $"the bot speaks and keeps the call open after the {what}",
            DescribeEnd(call),
            evidence));
    }

    [Then("the bot sends nothing before the first frame")]
    public async Task ThenTheBotSendsNothingBeforeTheFirstFrame()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.FirstPlayAudioAt is not null || c.EndedAt is not null, TimeSpan.FromSeconds(4), driver.Token);
        var early = call.Messages.Where(m => m.At < call.FirstFrameAt).ToList();
        if (early.Count == 0 && call.Messages.Count == 0)
        {
            throw new InconclusiveException($"The bot sent nothing at all ({DescribeEnd(call)}); see KVS-008.");
        }

        driver.JudgeTagged(["KVS-009", "KVV-005"], rule => Rules.Check(rule, early.Count == 0,
            $"no message before the first frame (sent at {At(call.FirstFrameAt!.Value)})",
            early.Count == 0 ? string.Empty : $"{early.Count} message(s) before it, first: {early[0].Message.Summary} at {At(early[0].At)} (journal #{early[0].Seq})",
            $"first frame sent at {At(call.FirstFrameAt!.Value)}; first message from the bot at {(call.FirstMessageAt is { } m ? At(m) : "none")}"));
    }

    [Then("the bot sends its greeting within the greeting timeout")]
    public async Task ThenTheBotSendsItsGreetingInTime()
    {
        var call = driver.RequireConnected();
        var timeout = GreetingWindow(call);
        await call.WaitUntilAsync(c => c.FirstPlayAudioAt is not null || c.EndedAt is not null, timeout + TimeSpan.FromMilliseconds(500), driver.Token);
        if (call.FirstPlayAudioAt is null && call.EndedBy is CallEndedBy.Bot or CallEndedBy.Transport)
        {
            throw new InconclusiveException($"The bot ended the call before any greeting ({DescribeEnd(call)}); see KVS-005.");
        }

        // The peer's own decision counts: a greeting that was still arriving when the timer fired was too late.
        var latency = call.FirstPlayAudioAt - call.FirstFrameAt;
        Rules.Check("KVS-008", latency <= timeout && !call.GreetingTimedOut, $"a playAudio within {timeout.TotalSeconds:0.##} s of the metadata, before the caller speaks",
            latency is { } l ? $"first playAudio after {l.TotalSeconds:0.000} s{(call.GreetingTimedOut ? " (the greeting timer had fired)" : string.Empty)}" : $"no playAudio; {DescribeEnd(call)}",
            latency is { } ok ? $"greeting after {ok.TotalMilliseconds:0} ms" : null);
    }

    [Then("the bot greets the caller although caller audio arrived first")]
    public async Task ThenTheBotGreetsDespiteEarlyAudio()
    {
        var call = driver.RequireConnected();
        var timeout = GreetingWindow(call);
        await call.WaitUntilAsync(c => c.EndedAt is not null || (c.FirstPlayAudioAt is { } g && c.Now - g >= TimeSpan.FromMilliseconds(300)),
            timeout + TimeSpan.FromMilliseconds(800), driver.Token);
        var until = call.FirstPlayAudioAt ?? call.EndedAt ?? call.Now;
        var framesBefore = call.CallerFramesBefore(until);
        var closedByBot = call.EndedBy is CallEndedBy.Bot or CallEndedBy.Transport;
        if (framesBefore == 0)
        {
            throw new InconclusiveException($"No caller frame went out before the bot {(call.FirstPlayAudioAt is null ? "ended the call" : "greeted")}; nothing to judge.");
        }

        if (closedByBot)
        {
            Rules.Fail("KVS-013", "the bot greets and keeps the call open although caller audio arrived before its greeting", $"{DescribeEnd(call)} after {framesBefore} caller frame(s)");
        }
        else if (call.FirstPlayAudioAt is { } greeted && greeted - call.FirstFrameAt <= timeout)
        {
            Rules.Pass("KVS-013", $"greeting after {framesBefore} caller frame(s) had arrived; call open 300 ms later");
        }
        else
        {
            throw new InconclusiveException($"No greeting ({DescribeEnd(call)}); see KVS-008.");
        }
    }
}
