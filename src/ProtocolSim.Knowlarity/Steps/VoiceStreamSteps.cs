using ProtocolSim.Conformance;
using Reqnroll;
using ProtocolSim.Knowlarity.VoiceStream;
using static ProtocolSim.Knowlarity.Steps.VoiceStreamDriver;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>
/// Step definitions of the voice-stream suites (features/knowlarity/voice-stream and verloop). Thin: each step
/// delegates to <see cref="VoiceStreamDriver"/> and judges the rules the scenario tags.
/// </summary>
[Binding]
public sealed partial class VoiceStreamSteps(VoiceStreamDriver driver, ConformanceContext scenario)
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
