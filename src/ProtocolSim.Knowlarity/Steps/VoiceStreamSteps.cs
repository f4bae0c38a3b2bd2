using System.Globalization;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using Reqnroll;
using ProtocolSim.Knowlarity.VoiceStream;
using static ProtocolSim.Knowlarity.Steps.VoiceStreamDriver;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>
/// Step definitions of the voice-stream suites (features/knowlarity/voice-stream and verloop). Thin: each step
/// delegates to <see cref="VoiceStreamDriver"/> and judges the rules the scenario tags.
/// </summary>
[Binding]
public sealed class VoiceStreamSteps(VoiceStreamDriver driver, ConformanceContext scenario)
{
    private static readonly TimeSpan AnswerLimit = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan ControlLimit = TimeSpan.FromSeconds(8);
    // How long without a chunk (and nothing queued) means the bot has finished a reply, at the least: long enough that
    // a bot stalled for a moment by a loaded machine is not taken to have finished (see also ReplyCadence).
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(600);
    private static readonly TimeSpan PlaybackLimit = TimeSpan.FromSeconds(15);

    private string? _bargeInRecording;

    private RuleRecorder Rules => scenario.Rules;

    // ---------------------------------------------------------------- Given

    [Given("a Stream-Node call at {int} Hz")]
    public void GivenAStreamNodeCall(int rate) =>
        driver.Options = driver.Options with { Dialect = VoiceDialect.StreamNode, SampleRate = CheckRate(rate) };

    [Given("a Verloop call at {int} Hz")]
    public void GivenAVerloopCall(int rate) =>
        // 002 documents no greeting deadline: the timer is off for Verloop unless set (knowlarity.md §5).
        driver.Options = driver.Options with
        {
            Dialect = VoiceDialect.Verloop,
            SampleRate = CheckRate(rate),
            GreetingTimeout = VoicePeerOverrides.VerloopGreetingTimeout(driver.Settings.Overrides),
        };

    [Given("the metadata is sent as {word}")]
    public void GivenTheMetadataIsSentAs(MetadataEncoding encoding) => driver.Options = driver.Options with { MetadataEncoding = encoding };

    [Given("the metadata carries these extra keys:")]
    public void GivenExtraMetadataKeys(Table table) =>
        driver.Options = driver.Options with { ExtraMetadata = table.Rows.ToDictionary(r => r["key"], r => r["value"], StringComparer.Ordinal) };

    [Given("the first frame is sent {int} ms after the socket opens")]
    public void GivenTheFirstFrameIsDelayed(int ms) => driver.Options = driver.Options with { FirstFrameDelay = TimeSpan.FromMilliseconds(ms) };

    [Given("the caller's audio starts only after the bot's first playAudio")]
    public void GivenAudioStartsAfterFirstPlayAudio() => driver.Options = driver.Options with { AudioStartsAfterFirstPlayAudio = true };

    [Given("the caller's audio starts right after the first frame")]
    public void GivenAudioStartsAtOnce() => driver.Options = driver.Options with { AudioStartsAfterFirstPlayAudio = false };

    [Given("caller frames of {int} ms")]
    public void GivenCallerFramesOf(int ms) => driver.Options = driver.Options with { FrameDuration = TimeSpan.FromMilliseconds(ms) };

    // ---------------------------------------------------------------- When

    [When("the peer dials the bot")]
    public Task WhenThePeerDialsTheBot() => driver.DialAsync();

    [When("{int} calls to the same number are placed at once")]
    public Task WhenCallsArePlacedAtOnce(int count) => Task.WhenAll(Enumerable.Range(0, count).Select(_ => driver.DialAsync()));

    [When("the callers of calls {int} and {int} say {string} after the greeting")]
    public async Task WhenTheCallersOfCallsSay(int first, int second, string recording)
    {
        // Wait for every greeting to finish (a call without one is judged by the Then step), then speak at once.
        await Task.WhenAll(driver.Calls.Where(c => c.Connection?.Connected == true).Select(async c =>
        {
            await c.WaitUntilAsync(x => x.FirstPlayAudioAt is not null || x.EndedAt is not null, GreetingWindow(c) + TimeSpan.FromSeconds(1), driver.Token);
            await c.WaitUntilAsync(x => x.EndedAt is not null || (x.FirstPlayAudioAt is not null && x.RemainingPlayback == TimeSpan.Zero && x.Now - LastAudioAt(x) >= Quiet), PlaybackLimit, driver.Token);
        }));
        var speakers = new[] { first, second }.Select(n => driver.Calls[n - 1]).Where(c => c.IsOpen);
        await Task.WhenAll(speakers.Select(c => driver.SayAsync(recording, c)));
    }

    [When("a plain call with the documented metadata is greeted first")]
    public Task WhenAPlainCallIsGreetedFirst() => driver.RequirePlainCallGreetedAsync();

    [When("the bot has greeted the caller")]
    public Task WhenTheBotHasGreeted() => driver.RequireGreetingAsync();

    [When("the bot's greeting has finished playing")]
    public async Task WhenTheGreetingHasFinished()
    {
        var call = driver.RequireConnected();
        if (call.Options.Dialect == VoiceDialect.Verloop)
        {
            // 002 does not require a greeting: wait for one a while, then go on without it.
            await call.WaitUntilAsync(c => c.FirstPlayAudioAt is not null || c.EndedAt is not null, GreetingWindow(call), driver.Token);
        }
        else
        {
            await driver.RequireGreetingAsync();
        }

        await driver.RequirePlaybackFinishedAsync(Quiet, PlaybackLimit);
        driver.GreetingFinishedAt = call.Now;
    }

    [When("the bot's answer has finished playing")]
    public Task WhenTheAnswerHasFinished() => driver.RequirePlaybackFinishedAsync(Quiet, PlaybackLimit);

    [When("the peer drops the connection without a close frame")]
    public void WhenThePeerDropsTheConnection() => driver.RequireConnected().Abort();

    [When("the same caller calls again")]
    public Task WhenTheSameCallerCallsAgain()
    {
        var customer = driver.Call.Options.CustomerNumber;
        return driver.DialAsync(o => o with { CustomerNumber = customer });
    }

    [When("the caller says {string}")]
    public Task WhenTheCallerSays(string recording) => driver.SayAsync(recording);

    [When("the caller stays silent for {float} seconds")]
    public async Task WhenTheCallerStaysSilent(double seconds)
    {
        // The silence counts from the end of the greeting. If the bot sends more audio soon after its greeting seemed
        // over (within a second of the greeting's last chunk: a bot stalled by a loaded machine resumes its greeting),
        // that is taken as the rest of the greeting, and the silence starts again once it has played, up to three
        // times. Audio that comes later, or again after that, is what KVS-010 judges as an answer to line noise.
        var call = driver.RequireConnected();
        var silence = TimeSpan.FromSeconds(seconds);
        for (var attempt = 1; ; attempt++)
        {
            var from = driver.GreetingFinishedAt ?? call.Now;
            var lastGreetingChunk = LastAudioAt(call);
            await call.WaitUntilAsync(c => c.EndedAt is not null || c.Now >= from + silence, silence + TimeSpan.FromSeconds(1), driver.Token);
            var resumed = PlayAudioAfter(call, from).FirstOrDefault();
            if (attempt == 3 || driver.GreetingFinishedAt is null || call.EndedAt is not null || resumed is null || resumed.At - lastGreetingChunk > TimeSpan.FromSeconds(1))
            {
                return;
            }

            scenario.Log($"the bot sent more audio at {At(resumed.At)}, {(resumed.At - lastGreetingChunk).TotalMilliseconds:0} ms after its greeting's last chunk: taken as the rest of the greeting; the silence starts again when it has played");
            await driver.RequirePlaybackFinishedAsync(Quiet, PlaybackLimit);
            driver.GreetingFinishedAt = call.Now;
        }
    }

    [When("the bot answers")]
    public async Task WhenTheBotAnswers()
    {
        if (await driver.WaitForAnswerAsync(AnswerLimit + TimeSpan.FromSeconds(2)) is null)
        {
            throw new InconclusiveException($"The bot did not answer the caller ({DescribeEnd(driver.Call)}); see KVS-010 and KVS-022.");
        }
    }

    [When("the bot interrupts itself with killAudio")]
    public async Task WhenTheBotInterruptsItself()
    {
        var (call, _, kill) = await WaitForKillAsync();
        if (kill is null)
        {
            throw new InconclusiveException($"No killAudio within the barge-in deadline ({DescribeEnd(call)}); see KVS-023.");
        }
    }

    [When("the peer sends the text frame:")]
    public Task WhenThePeerSendsTheTextFrame(string text) =>
        driver.RequireConnected().SendTextAsync(text, "unexpected text frame (scenario)", driver.Token);

    [When("the caller barges in with {string} while the bot is still sending its answer")]
    public async Task WhenTheCallerBargesInWhileSending(string recording)
    {
        _bargeInRecording = recording;
        // KVS-023: "while bot audio is playing or queued", whatever the queue depth: a bot that streams its reply at
        // about real time (100 ms chunks every 80 ms) never has much queued, yet it is talking. The onset lands a fixed
        // time into the answer's playback, chosen from what the bot has shown so far: at most half its greeting.
        var call = driver.RequireConnected();
        var question = driver.LastUtterance();
        var answerFrom = ReplyFrom(question);
        var answer = PlayAudioAfter(call, answerFrom).FirstOrDefault()
            ?? throw new InconclusiveException($"The bot did not answer the caller ({DescribeEnd(call)}); see KVS-010 and KVS-022.");
        var playStart = call.Playback.FirstOrDefault(p => p.Seq == answer.Seq)?.Start ?? answer.At;
        var greeting = call.Messages.Where(m => m.Message.Kind == BotMessageKind.PlayAudio && m.At < (question.StartedAt ?? answer.At)).Sum(m => m.Message.AudioDuration.Ticks);
        var into = greeting > 0 ? TimeSpan.FromTicks(Math.Min(call.Options.BargeInInto.Ticks, greeting / 2)) : call.Options.BargeInInto;
        var speechStart = driver.Settings.Recordings.Get(recording, call.Options.SampleRate).SpeechStart ?? TimeSpan.Zero;
        var startAt = playStart + into - speechStart;
        await call.WaitUntilAsync(c => c.EndedAt is not null || c.Now >= startAt, startAt - call.Now + TimeSpan.FromSeconds(1), driver.Token);
        if (call.EndedAt is not null)
        {
            throw new InconclusiveException($"The call ended while the bot answered ({DescribeEnd(call)}).");
        }

        var spoken = await BargeInAsync(recording, $"{into.TotalMilliseconds:0} ms into the playback of the answer that started at {At(playStart)}");

        // Whether the answer was still being sent at the onset (KVS-025 needs more of it to come): its last chunk came
        // within the bot's own cadence (ReplyCadence: three times the median gap between its chunks, at least 200 ms).
        var onset = spoken.SpeechOnsetAt!.Value;
        var cadence = ReplyCadence(call, answerFrom, onset);
        var last = PlayAudioAfter(call, answerFrom).LastOrDefault(m => m.At <= onset)?.At ?? answer.At;
        driver.BargeIn = new BargeInMoment(onset, onset - last <= cadence, $"last chunk of the answer at {At(last)}, {(onset - last).TotalMilliseconds:0} ms before the onset at {At(onset)} (the bot's cadence: {cadence.TotalMilliseconds:0} ms)");
    }

    [When("the caller barges in with {string} after the bot has sent its whole answer but while it is still playing")]
    public async Task WhenTheCallerBargesInAfterSending(string recording)
    {
        // KVS-026: the bot has stopped sending (nothing for its ReplyCadence: three times the median gap between its
        // chunks, at least 200 ms) while enough of its answer is queued for the onset to land in it. A bot that only paused (it sends
        // more before the onset: a stall under load looks like the end of a reply) is tried again on its next answer,
        // up to three times, so the verdict does not depend on one pause.
        var call = driver.RequireConnected();
        var speechStart = driver.Settings.Recordings.Get(recording, call.Options.SampleRate).SpeechStart ?? TimeSpan.Zero;
        var needed = speechStart + TimeSpan.FromMilliseconds(200);
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var since = ReplyFrom(driver.LastUtterance());
            TimeSpan Quiet(VoiceCall c) => ReplyCadence(c, since);
            var over = await call.WaitUntilAsync(
                c => c.EndedAt is not null || (PlayAudioAfter(c, since).Any() && c.Now - LastAudioAt(c) >= Quiet(c)),
                TimeSpan.FromSeconds(8), driver.Token);
            if (!over || call.EndedAt is not null)
            {
                throw new InconclusiveException($"The bot never stopped sending its answer within 8 s ({DescribeEnd(call)}).");
            }

            if (call.RemainingPlayback < needed)
            {
                // Its queue was too short by the time the reply looked over (a late chunk under load drains it): ask again.
                var shallow = $"{call.RemainingPlayback.TotalMilliseconds:0} ms of the answer was still queued when it looked over, less than the {needed.TotalMilliseconds:0} ms the onset needs";
                if (attempt == Attempts)
                {
                    throw new InconclusiveException($"In {Attempts} answers the bot's queue at the end of sending was never deep enough to speak into: {shallow}.");
                }

                scenario.Log($"barge-in after the whole answer, attempt {attempt}: {shallow}; asking again");
                await driver.SayAsync("question");
                if (await driver.WaitForAnswerAsync(AnswerLimit + TimeSpan.FromSeconds(2)) is null)
                {
                    throw new InconclusiveException($"The bot did not answer the caller again ({DescribeEnd(call)}).");
                }

                continue;
            }

            var lastChunk = LastAudioAt(call);
            var quiet = Quiet(call);
            var spoken = await BargeInAsync(recording, $"after the whole answer was sent (last chunk at {At(lastChunk)}, then {quiet.TotalMilliseconds:0} ms without one)");
            var onset = spoken.SpeechOnsetAt!.Value;
            if (PlayAudioAfter(call, lastChunk).FirstOrDefault(m => m.At <= onset) is not { } resumed)
            {
                driver.BargeIn = new BargeInMoment(onset, StillSending: false, $"last chunk at {At(lastChunk)}, onset at {At(onset)}");
                return;
            }

            // The bot had only paused: this onset was not after its whole answer, so it cannot tell KVS-026 apart.
            var paused = $"the bot sent more of its answer at {At(resumed.At)} after {(resumed.At - lastChunk).TotalMilliseconds:0} ms without a chunk, before the caller's onset at {At(onset)}";
            if (attempt == Attempts)
            {
                throw new InconclusiveException($"In {Attempts} attempts the bot never stopped sending for good before the caller spoke: {paused}.");
            }

            scenario.Log($"barge-in after the whole answer, attempt {attempt}: {paused}; trying again on the bot's next answer");
            if (await driver.WaitForAnswerAsync(AnswerLimit + TimeSpan.FromSeconds(2)) is null)
            {
                throw new InconclusiveException($"The bot did not answer the caller again after attempt {attempt} ({DescribeEnd(call)}): {paused}.");
            }
        }
    }

    /// <summary>Bot audio queued on the peer's playback at <paramref name="at"/>, as it was before any killAudio cut it.</summary>
    private static TimeSpan QueuedAt(VoiceCall call, TimeSpan at)
    {
        var end = call.Playback.Where(p => p.ReceivedAt <= at).Select(p => p.Start + p.Duration).DefaultIfEmpty(at).Max();
        return end > at ? end - at : TimeSpan.Zero;
    }

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

    // ---------------------------------------------------------------- Then: audio

    [Then("every playAudio the bot sent passes the audio checks")]
    public void ThenEveryPlayAudioPassesTheAudioChecks()
    {
        var call = driver.RequireConnected();
        var plays = call.Messages.Where(m => m.Message.Kind == BotMessageKind.PlayAudio).ToList();
        if (plays.Count == 0)
        {
            throw new InconclusiveException("The bot sent no playAudio.");
        }

        driver.JudgeTagged(["KVS-015", "KVS-016", "KVS-017", "KVS-018", "KVS-019", "KVS-020", "KVV-007", "KVV-009", "KVV-010"], rule =>
        {
            var applicable = rule is "KVS-016" or "KVS-017" or "KVS-019" or "KVV-007"
                ? plays.Count(p => p.Message.Format is not null)
                : plays.Count;
            JudgeFindings(call, rule, applicable, $"{applicable} of {plays.Count} playAudio checked at {call.Options.SampleRate} Hz",
                rule is "KVV-007" ? "no playAudio carried a WAV header, so its rate cannot be seen on the wire" : "no playAudio carried a parsable WAV header");
        });
    }

    [Then("every message the bot sent is a JSON text frame with a type")]
    public void ThenEveryMessageIsJsonWithType()
    {
        var call = driver.RequireConnected();
        if (call.Messages.Count == 0)
        {
            throw new InconclusiveException("The bot sent no message.");
        }

        JudgeFindings(call, "KVS-014", call.Messages.Count, $"{call.Messages.Count} messages checked", "no message");
    }

    [Then("the bot's audio played back without gaps")]
    public void ThenTheAudioPlayedWithoutGaps()
    {
        var call = driver.RequireConnected();
        var plays = call.Messages.Count(m => m.Message.Kind == BotMessageKind.PlayAudio);
        JudgeFindings(call, "KVS-021", plays >= 3 ? plays : 0, $"{plays} chunks played back-to-back", "fewer than 3 chunks: no gap between chunks can be seen");
    }

    // ---------------------------------------------------------------- Then: conversation

    [Then("the bot does not take line noise for speech")]
    public void ThenLineNoiseIsNotSpeech()
    {
        var call = driver.RequireConnected();
        var question = driver.LastUtterance();
        var onset = question.SpeechOnsetAt ?? call.Now;
        var falseKills = call.Kills.Where(k => k < onset).ToList();
        // A bot that took noise for speech after its greeting answers it ("Sorry, I didn't catch that").
        var quietFrom = (driver.GreetingFinishedAt ?? onset) + TimeSpan.FromMilliseconds(200);
        var falseAnswers = call.Messages.Where(m => m.Message.Kind == BotMessageKind.PlayAudio && m.At > quietFrom && m.At < onset).ToList();
        var problems = new List<string>();
        if (falseKills.Count > 0)
        {
            problems.Add($"killAudio at {string.Join(", ", falseKills.Select(At))}");
        }

        if (falseAnswers.Count > 0)
        {
            problems.Add($"{falseAnswers.Count} playAudio from {At(falseAnswers[0].At)} (journal #{falseAnswers[0].Seq})");
        }

        Rules.Check("KVS-010", problems.Count == 0, "no killAudio and no answer while the caller is silent (line noise at about -78 dBFS)",
            string.Join("; ", problems) + " before the caller spoke",
            $"no reaction to {(onset - quietFrom).TotalSeconds:0.0} s of line noise after the greeting");
    }

    [Then("the bot answers the caller")]
    public async Task ThenTheBotAnswersTheCaller()
    {
        var call = driver.RequireConnected();
        var answer = await driver.WaitForAnswerAsync(AnswerLimit);
        var end = driver.LastUtterance().SpeechEndAt;
        if (answer is null && scenario.RuleIds.Contains("KVS-011"))
        {
            RequireHearsCaller(call);
        }

        driver.JudgeTagged(["KVS-010", "KVS-011", "KVV-008"], rule => Rules.Check(rule, answer is not null,
            $"an answer within {AnswerLimit.TotalSeconds:0} s of the end of the caller's speech ({call.Options.FrameDuration.TotalMilliseconds:0} ms frames of {call.Options.SampleRate} Hz PCM)",
            $"no playAudio; {DescribeEnd(call)}",
            answer is null ? null : $"answer at {At(answer.At)}, {(answer.At - end)?.TotalMilliseconds:0} ms after the speech ended"));
    }

    [Then("the first answer audio arrives within the time-to-first-audio target")]
    public async Task ThenTheFirstAnswerAudioArrivesInTime()
    {
        // A late answer is the bot's only if the harness did not lose the time itself: a stall of this process delays
        // the stamp of whatever arrived in it (and a bot in the same process). When the stall explains the lateness,
        // the caller asks again, up to three times; a stall can only lengthen what is measured, never shorten it.
        var call = driver.RequireConnected();
        var retaken = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            var answer = await driver.WaitForAnswerAsync(TimeSpan.FromSeconds(6));
            var end = driver.LastUtterance().SpeechEndAt;
            if (answer is null || end is null)
            {
                throw new InconclusiveException($"The bot did not answer within 6 s ({DescribeEnd(call)}); see KVS-010.");
            }

            var ttfa = answer.At - end.Value;
            if (JudgeLatency("KVS-022", ttfa, call.HarnessStalled(end.Value, answer.At), call.Options.TtfaWarn,
                $"first answer audio within {call.Options.TtfaWarn.TotalSeconds:0.0} s of the end of caller speech",
                $"time to first audio {ttfa.TotalMilliseconds:0} ms (journal #{answer.Seq})", retaken, attempt, "answers", "the late answer"))
            {
                return;
            }

            scenario.Log($"KVS-022, attempt {attempt}: {retaken[^1]}; asking again");
            await driver.RequirePlaybackFinishedAsync(Quiet, PlaybackLimit);
            await driver.SayAsync("question");
        }
    }

    [Then("the bot keeps the call going and answers the caller")]
    public async Task ThenTheBotKeepsTheCallGoing()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.EndedAt is not null || (c.RemainingPlayback == TimeSpan.Zero && c.Now - LastAudioAt(c) >= Quiet), PlaybackLimit, driver.Token);
        if (call.EndedAt is not null)
        {
            Rules.Fail("KVS-032", "the call goes on after unexpected text frames from the peer", DescribeEnd(call));
            return;
        }

        RequireHearsCaller(call);
        await driver.SayAsync("question");
        var answer = await driver.WaitForAnswerAsync(AnswerLimit);
        Rules.Check("KVS-032", answer is not null, "the bot still answers after unexpected text frames", $"no answer; {DescribeEnd(call)}",
            answer is null ? null : $"answer at {At(answer.At)}");
    }

    // ---------------------------------------------------------------- Then: barge-in

    [Then("the bot sends killAudio within the barge-in deadline")]
    public async Task ThenTheBotSendsKillAudioInTime()
    {
        var (call, onset, kill) = await WaitForKillAsync();
        var deadline = call.Options.BargeInDeadline;
        if (kill is null && call.EndedBy is CallEndedBy.Bot or CallEndedBy.Transport)
        {
            throw new InconclusiveException($"The call ended during the barge-in ({DescribeEnd(call)}).");
        }

        driver.JudgeTagged(["KVS-023", "KVS-026"], rule => Rules.Check(rule, kill - onset <= deadline,
            $"killAudio within {deadline.TotalMilliseconds:0} ms of the caller's speech onset at {At(onset)} (bot audio playing then, {QueuedAt(call, onset).TotalMilliseconds:0} ms of it queued)",
            kill is { } k ? $"killAudio {(k - onset).TotalMilliseconds:0} ms after the onset" : $"no killAudio within {deadline.TotalMilliseconds:0} ms",
            kill is { } ok ? $"killAudio {(ok - onset).TotalMilliseconds:0} ms after the onset" : null));
    }

    [Then("the barge-in latency is within the target")]
    public async Task ThenTheBargeInLatencyIsWithinTarget()
    {
        // As for KVS-022: a late killAudio the harness's own stall can explain is measured again on the bot's next
        // answer (the caller barges in the same way), up to three times.
        var retaken = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            var (call, onset, kill) = await WaitForKillAsync();
            if (kill is null)
            {
                throw new InconclusiveException($"No killAudio within the barge-in deadline ({DescribeEnd(call)}); see KVS-023.");
            }

            var latency = kill.Value - onset;
            if (JudgeLatency("KVS-024", latency, call.HarnessStalled(onset, kill.Value), call.Options.BargeInWarn,
                $"killAudio within {call.Options.BargeInWarn.TotalMilliseconds:0} ms of speech onset",
                $"barge-in latency {latency.TotalMilliseconds:0} ms", retaken, attempt, "barge-ins", "the late killAudio"))
            {
                return;
            }

            scenario.Log($"KVS-024, attempt {attempt}: {retaken[^1]}; barging in again on the bot's next answer");
            await driver.WaitForUtteranceFinishedAsync(driver.LastUtterance());
            if (await driver.WaitForAnswerAsync(AnswerLimit) is null)
            {
                throw new InconclusiveException($"The bot did not answer the barge-in ({DescribeEnd(call)}).");
            }

            await WhenTheCallerBargesInWhileSending(_bargeInRecording ?? "bargein");
        }
    }

    /// <summary>
    /// Judges a latency against its window (KVS-022, KVS-024) unless the harness's own stall in the window explains a
    /// late one: then it notes why in <paramref name="retaken"/> and returns false (measure again), and after the last
    /// of three attempts the rule cannot be judged. A stall only lengthens what is measured, so a latency in time
    /// passes at once and one too late even without the stall fails at once.
    /// </summary>
    private bool JudgeLatency(string rule, TimeSpan latency, TimeSpan stalled, TimeSpan warn, string expected, string evidence,
        List<string> retaken, int attempt, string measurements, string late)
    {
        const int Attempts = 3;
        if (latency <= warn || latency - stalled > warn)
        {
            var history = retaken.Count > 0 ? $"; measured again after {string.Join(", ", retaken)}" : string.Empty;
            Rules.Check(rule, latency <= warn, expected,
                $"{latency.TotalMilliseconds:0} ms{(stalled > TimeSpan.Zero ? $" (the harness lost {stalled.TotalMilliseconds:0} ms of it)" : string.Empty)}{history}",
                evidence + history);
            return true;
        }

        retaken.Add($"{latency.TotalMilliseconds:0} ms with {stalled.TotalMilliseconds:0} ms of it lost by the harness itself");
        if (attempt == Attempts)
        {
            throw new InconclusiveException($"In {Attempts} {measurements} the harness itself was stalled long enough to explain {late}: {string.Join(", ", retaken)}.");
        }

        return false;
    }

    [Then("the bot sends no audio of the interrupted answer after killAudio")]
    public async Task ThenNoStaleChunks()
    {
        var (call, _, kill) = await WaitForKillAsync();
        if (kill is null)
        {
            throw new InconclusiveException($"No killAudio within the barge-in deadline ({DescribeEnd(call)}); see KVS-023.");
        }

        var barge = driver.LastUtterance();
        try
        {
            await barge.Finished.WaitAsync(TimeSpan.FromSeconds(10), driver.Token);
        }
        catch (Exception ex) when (ex is TaskCanceledException or TimeoutException && !driver.Token.IsCancellationRequested)
        {
            throw new InconclusiveException($"The call ended before the caller finished speaking ({DescribeEnd(call)}).");
        }

        var end = barge.SpeechEndAt ?? call.Now;
        await call.WaitUntilAsync(c => c.Now >= end, TimeSpan.FromSeconds(5), driver.Token);
        var stale = call.Messages.Where(m => m.Message.Kind == BotMessageKind.PlayAudio && m.At > kill && m.At < end).ToList();
        if (stale.Count == 0 && driver.BargeIn is { StillSending: false } moment)
        {
            // The whole answer had been sent before the caller spoke: no chunk of it was left to send after killAudio.
            // (Chunks after killAudio would show it was still sending, whatever its cadence looked like before.)
            throw new InconclusiveException($"The bot had sent its whole answer before the barge-in ({moment.Description}); KVS-025 is vacuous for that reply.");
        }

        Rules.Check("KVS-025", stale.Count == 0, $"no playAudio between killAudio at {At(kill.Value)} and the end of the caller's speech at {At(end)}",
            stale.Count == 0 ? string.Empty : $"{stale.Count} chunk(s), {stale.Sum(s => s.Message.AudioDuration.TotalMilliseconds):0} ms of audio, first journal #{stale[0].Seq} at {At(stale[0].At)}",
            stale.Count == 0 ? $"no playAudio from killAudio at {At(kill.Value)} to the end of the caller's speech at {At(end)}{(driver.BargeIn is { } at ? $" ({at.Description})" : string.Empty)}" : null);
    }

    // ---------------------------------------------------------------- Then: control

    [Then("the bot transfers the call to an E.164 number")]
    public async Task ThenTheBotTransfersToE164()
    {
        var control = await RequireControlAsync(BotMessageKind.Transfer, "transfer");
        JudgeFindings(driver.Call, "KVS-027", 1, $"transfer to {control.Message.Destination}", "no transfer");
    }

    [Then("the bot announces the transfer before sending it")]
    public async Task ThenTheBotAnnouncesTheTransfer()
    {
        var control = await RequireControlAsync(BotMessageKind.Transfer, "transfer");
        var end = driver.LastUtterance().SpeechEndAt ?? TimeSpan.Zero;
        var prompt = PlayAudioAfter(driver.Call, end).Where(m => m.At < control.At).ToList();
        if (prompt.Count > 0)
        {
            Rules.Pass("KVS-028", $"{prompt.Sum(p => p.Message.AudioDuration.TotalMilliseconds):0} ms of audio announced the transfer");
        }
        else
        {
            Rules.Info("KVS-028", "The bot transferred without a spoken announcement.");
        }
    }

    [Then("the bot ends the stream with disconnect")]
    public async Task ThenTheBotEndsWithDisconnect()
    {
        var control = await driver.WaitForControlAsync(ControlLimit);
        var call = driver.Call;
        if (control is null && call.EndedBy is not (CallEndedBy.Bot or CallEndedBy.Transport))
        {
            // Judged is how the bot ends the stream; a bot that does not end it here shows nothing to judge.
            throw new InconclusiveException($"The bot did not end the call within {ControlLimit.TotalSeconds:0} s of the caller's goodbye ({DescribeEnd(call)}).");
        }

        if (control?.Message.Kind == BotMessageKind.Transfer)
        {
            throw new InconclusiveException($"The bot transferred the call instead of ending it ({control.Message.Summary}).");
        }

        Rules.Check("KVS-029", control?.Message.Kind == BotMessageKind.Disconnect, "{\"type\":\"disconnect\"} to end the stream after the caller said goodbye",
            control is not null ? control.Message.Summary : $"no disconnect: {DescribeEnd(call)}",
            control is not null ? $"{control.Message.Summary} at {At(control.At)} (journal #{control.Seq})" : null);
    }

    [Then("the bot sends nothing after ending the stream")]
    public async Task ThenNothingAfterTheEnd()
    {
        var call = driver.Call;
        var control = await driver.WaitForControlAsync(ControlLimit);
        if (control is null)
        {
            throw new InconclusiveException($"The bot did not end the stream within {ControlLimit.TotalSeconds:0} s ({DescribeEnd(call)}); see KVS-029/KVV-011.");
        }

        await call.WaitUntilAsync(c => c.EndedAt is not null, call.Options.ControlGrace + TimeSpan.FromSeconds(3), driver.Token);
        var rule = call.Options.Dialect == VoiceDialect.StreamNode ? "KVS-030" : "KVV-014";
        JudgeFindings(call, rule, 1, $"nothing in the {call.Options.ControlGrace.TotalMilliseconds:0} ms after {control.Message.Summary}", "no control message");
    }

    [Then("the bot ends the call with asr_disconnect")]
    public async Task ThenTheBotEndsWithAsrDisconnect()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.Control is not null || c.EndedAt is not null || c.Journal.FindingsFor("KVV-011").Count > 0, ControlLimit, driver.Token);
        var findings = call.Journal.FindingsFor("KVV-011");
        var wrong = findings.Count > 0 ? findings[0] : null;
        if (wrong is null && call.Control?.Message.Kind == BotMessageKind.Transfer)
        {
            throw new InconclusiveException($"The bot transferred the call instead of ending it ({call.Control.Message.Summary}).");
        }

        if (wrong is null && call.Control is null && call.EndedBy is not (CallEndedBy.Bot or CallEndedBy.Transport))
        {
            throw new InconclusiveException($"The bot did not end the call within {ControlLimit.TotalSeconds:0} s of the caller's goodbye ({DescribeEnd(call)}).");
        }

        var ok = call.Control?.Message.Kind == BotMessageKind.Disconnect && wrong is null;
        Rules.Check("KVV-011", ok, "playAudio with audioContent \"None\" and textContent \"asr_disconnect=true\"",
            wrong?.Actual ?? call.Control?.Message.Summary ?? $"nothing within {ControlLimit.TotalSeconds:0} s; {DescribeEnd(call)}",
            call.Control is { } c ? $"{c.Message.Summary} at {At(c.At)} (journal #{c.Seq})" : null);
    }

    [Then("the bot transfers the call with asr_disconnect and parameter1=default")]
    public async Task ThenTheBotTransfersWithAsrDisconnect()
    {
        var call = driver.RequireConnected();
        await call.WaitUntilAsync(c => c.Control is not null || c.EndedAt is not null || c.Journal.FindingsFor("KVV-012").Count > 0, ControlLimit, driver.Token);
        var findings = call.Journal.FindingsFor("KVV-012");
        var wrong = findings.Count > 0 ? findings[0] : null;
        if (wrong is null && call.Control is null)
        {
            throw new InconclusiveException($"The bot did not transfer within {ControlLimit.TotalSeconds:0} s ({DescribeEnd(call)}).");
        }

        if (wrong is null && call.Control!.Message.Kind == BotMessageKind.Disconnect)
        {
            throw new InconclusiveException($"The bot ended the call instead of transferring it ({call.Control.Message.Summary}).");
        }

        Rules.Check("KVV-012", wrong is null && call.Control?.Message.Kind == BotMessageKind.Transfer,
            "playAudio with audioContent \"None\" and textContent asr_disconnect=true,parameter1=default",
            wrong?.Actual ?? call.Control!.Message.Summary,
            call.Control is { } c ? $"{c.Message.Summary} at {At(c.At)} (journal #{c.Seq})" : null);
    }

    [Then("the transfer's textContent is written as canonical key=value pairs")]
    public async Task ThenTheTextContentIsCanonical()
    {
        var control = await RequireControlAsync(BotMessageKind.Transfer, "asr_disconnect transfer");
        JudgeFindings(driver.Call, "KVV-013", 1, $"textContent \"{control.Message.TextContent}\"", "no transfer");
    }

    // ---------------------------------------------------------------- helpers

    private async Task<SpokenUtterance> BargeInAsync(string recording, string when)
    {
        var call = driver.Call;
        var spoken = await driver.StartSayingAsync(recording);
        if (spoken.Utterance.SpeechStart is null)
        {
            throw new InvalidOperationException($"Recording {recording} has no speech.");
        }

        await call.WaitUntilAsync(c => spoken.OnsetSent || c.EndedAt is not null, TimeSpan.FromSeconds(5), driver.Token);
        if (!spoken.OnsetSent)
        {
            throw new InconclusiveException($"The call ended before the caller's speech onset ({DescribeEnd(call)}).");
        }

        if (!spoken.BargedIn)
        {
            // The bot's answer was over before the onset (it is shorter than the barge-in point): nothing to interrupt.
            throw new InconclusiveException($"The bot's audio had stopped playing at the caller's speech onset ({At(spoken.SpeechOnsetAt!.Value)}, {when}); no barge-in to judge.");
        }

        scenario.Log($"barge-in: the caller's speech onset at {At(spoken.SpeechOnsetAt!.Value)}, {when}, with {call.RemainingPlayback.TotalMilliseconds:0} ms of bot audio queued");
        return spoken;
    }

    private async Task<(VoiceCall Call, TimeSpan Onset, TimeSpan? Kill)> WaitForKillAsync()
    {
        var call = driver.RequireConnected();
        var barge = driver.LastUtterance();
        var onset = barge.SpeechOnsetAt ?? throw new InvalidOperationException("The barge-in utterance has not started.");
        var deadline = call.Options.BargeInDeadline;
        await call.WaitUntilAsync(c => c.Kills.Any(k => k >= onset) || c.EndedAt is not null || c.Now > onset + deadline + TimeSpan.FromMilliseconds(100), deadline + TimeSpan.FromSeconds(2), driver.Token);
        var kill = call.Kills.Where(k => k >= onset).Cast<TimeSpan?>().FirstOrDefault();
        return (call, onset, kill);
    }

    private async Task<ReceivedMessage> RequireControlAsync(BotMessageKind kind, string what)
    {
        var control = await driver.WaitForControlAsync(ControlLimit);
        if (control?.Message.Kind != kind)
        {
            throw new InconclusiveException($"The bot did not send a {what} within {ControlLimit.TotalSeconds:0} s of the caller's request (saw {control?.Message.Summary ?? DescribeEnd(driver.Call)}).");
        }

        return control;
    }

    /// <summary>Judges a rule from the peer's findings: FAIL with the first finding, PASS when checked and clean, INFO when it could not apply.</summary>
    private void JudgeFindings(VoiceCall call, string rule, int applicable, string passEvidence, string notApplicable)
    {
        var findings = call.Journal.FindingsFor(rule);
        if (findings.Count > 0)
        {
            var first = findings[0];
            Rules.Fail(rule, first.Expected ?? first.Message, first.Actual ?? first.Message,
                $"{findings.Count} violation(s); first at {At(first.Offset)} (journal #{first.EntrySeq}): {first.Message}");
        }
        else if (applicable > 0)
        {
            Rules.Pass(rule, passEvidence);
        }
        else
        {
            Rules.Info(rule, "Not judged: " + notApplicable + ".");
        }
    }

    private static int CheckRate(int rate) => rate is 8000 or 16000 or 24000 or 32000 or 48000
        ? rate
        : throw new ArgumentOutOfRangeException(nameof(rate), rate, "The Stream Node sampling-rate is one of 8000, 16000, 24000, 32000, 48000.");
}
