using System.Globalization;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>
/// Per-scenario state of the voice-stream suite: the call options being built, the calls placed, and the
/// queries the steps judge with. Steps stay thin; this holds the logic.
/// </summary>
public sealed class VoiceStreamDriver : IAsyncDisposable
{
    private readonly ConformanceContext _scenario;
    private readonly List<VoiceCall> _calls = [];
    private readonly string _scenarioNumber;
    private readonly IDisposable _stallWatch;

    public VoiceStreamDriver(ConformanceContext scenario)
    {
        _scenario = scenario;
        Settings = scenario.Services.GetService(typeof(VoiceSuiteSettings)) as VoiceSuiteSettings
            ?? throw new InvalidOperationException("The voice-stream suite needs a target bot: run with --target wss://host:port/path.");
        if (Settings.Target is null)
        {
            throw new InvalidOperationException("The voice-stream suite needs a target bot: run with --target wss://host:port/path.");
        }

        Random = scenario.CreateRandom();
        _scenarioNumber = "+9180" + Random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture);
        Options = VoicePeerOverrides.Apply(new VoicePeerOptions
        {
            Target = Settings.Target,
            Insecure = Settings.Insecure,
            AllowPlainWs = Settings.AllowPlainWs,
            RateQueryParameter = Settings.RateQueryParameter,
            GreetingTimeout = Settings.GreetingTimeout,
            VirtualNumber = _scenarioNumber,
        }, Settings.Overrides);
        _stallWatch = Settings.Stalls.Watch();
    }

    public VoiceSuiteSettings Settings { get; }

    /// <summary>The last barge-in: when the caller's speech onset was sent, and whether the bot was still sending its answer then.</summary>
    public BargeInMoment? BargeIn { get; set; }

    public Random Random { get; }

    /// <summary>Options of the next call; Given steps change them.</summary>
    public VoicePeerOptions Options { get; set; }

    public IReadOnlyList<VoiceCall> Calls => _calls;

    /// <summary>The call most steps talk about: the last one placed.</summary>
    public VoiceCall Call => _calls.Count > 0 ? _calls[^1] : throw new InvalidOperationException("No call has been placed yet: add 'When the peer dials the bot'.");

    public CancellationToken Token => _scenario.CancellationToken;

    /// <summary>Places a call with the current options (plus <paramref name="adjust"/>) and dials.</summary>
    public async Task<VoiceCall> DialAsync(Func<VoicePeerOptions, VoicePeerOptions>? adjust = null)
    {
        var options = Options with
        {
            CallId = NewCallId(),
            CustomerNumber = "+9198" + Random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture),
        };
        options = adjust?.Invoke(options) ?? options;
        var journal = new SessionJournal($"call-{_calls.Count + 1}", options.Dialect == VoiceDialect.StreamNode ? "knowlarity-voice-stream" : "knowlarity-verloop", Settings.Pacer.Time);
        _scenario.Attach(journal);
        _scenario.SessionObserver?.Show("voice", journal, _scenario.Label);
        var call = new VoiceCall(options, journal, Settings.Pacer, seed: Random.Next(), stalls: Settings.Stalls);
        _calls.Add(call);
        await call.ConnectAsync(Token);
        return call;
    }

    /// <summary>When the greeting should have come: the greeting timeout, or 3 s when the timer is off (knowlarity.md §5).</summary>
    public static TimeSpan GreetingWindow(VoiceCall call) =>
        call.Options.GreetingTimeout > TimeSpan.Zero ? call.Options.GreetingTimeout : TimeSpan.FromSeconds(3);

    /// <summary>When the caller's greeting finished playing (set by the step that waits for it).</summary>
    public TimeSpan? GreetingFinishedAt { get; set; }

    /// <summary>
    /// A first call in the documented form with no early caller audio, which must be greeted and stay open: the
    /// precondition that lets a scenario blame what it varies (extra keys, early audio) and not the basics.
    /// </summary>
    public async Task RequirePlainCallGreetedAsync()
    {
        var call = await DialAsync(o => o with { MetadataEncoding = MetadataEncoding.PyReprInJsonString, ExtraMetadata = new Dictionary<string, string>(), AudioStartsAfterFirstPlayAudio = true });
        RequireConnected(call);
        var window = GreetingWindow(call);
        await call.WaitUntilAsync(c => c.EndedAt is not null || (c.FirstPlayAudioAt is { } g && c.Now - g >= TimeSpan.FromMilliseconds(300)), window + TimeSpan.FromMilliseconds(800), Token);
        if (call.FirstPlayAudioAt is null || call.EndedBy is CallEndedBy.Bot or CallEndedBy.Transport)
        {
            throw new InconclusiveException($"A plain call (documented metadata, no early caller audio) was not greeted and kept open ({DescribeEnd(call)}); see KVS-005 and KVS-008.");
        }

        await call.HangUpAsync("baseline call done", Token);
    }

    /// <summary>Throws <see cref="InconclusiveException"/> unless the call is up.</summary>
    public VoiceCall RequireConnected(VoiceCall? call = null)
    {
        call ??= Call;
        if (call.Connection is not { Connected: true })
        {
            throw new InconclusiveException($"The peer could not connect to the bot ({call.Connection?.Error}); see KVS-001/KVS-002/KVV-003.");
        }

        return call;
    }

    /// <summary>Waits for the bot's first playAudio; inconclusive when none comes.</summary>
    public async Task RequireGreetingAsync(VoiceCall? call = null)
    {
        call = RequireConnected(call);
        var limit = GreetingWindow(call) + TimeSpan.FromSeconds(1);
        await call.WaitUntilAsync(c => c.FirstPlayAudioAt is not null || c.EndedAt is not null, limit, Token);
        if (call.FirstPlayAudioAt is null)
        {
            throw new InconclusiveException($"The bot sent no greeting ({DescribeEnd(call)}); see KVS-008.");
        }
    }

    /// <summary>
    /// Waits until the bot's audio has stopped playing and no playAudio has come for <paramref name="quiet"/>, or for
    /// the bot's own cadence if that is longer (<see cref="ReplyCadence"/>: a bot that drips its chunks slowly is not
    /// taken to have finished between two of them).
    /// </summary>
    public async Task RequirePlaybackFinishedAsync(TimeSpan quiet, TimeSpan limit, VoiceCall? call = null)
    {
        call ??= Call;
        var spoken = call.Spoken;
        var since = spoken.Count > 0 ? ReplyFrom(spoken[^1]) : TimeSpan.Zero;
        TimeSpan Quiet(VoiceCall c)
        {
            var cadence = ReplyCadence(c, since);
            return cadence > quiet ? cadence : quiet;
        }

        var ok = await call.WaitUntilAsync(c => c.EndedAt is not null || (c.RemainingPlayback == TimeSpan.Zero && c.Now - LastAudioAt(c) >= Quiet(c)), limit, Token);
        if (call.EndedAt is not null)
        {
            throw new InconclusiveException($"The call ended while the bot was speaking ({DescribeEnd(call)}).");
        }

        if (!ok)
        {
            throw new InconclusiveException($"The bot's audio did not stop within {limit.TotalSeconds:0} s.");
        }
    }

    /// <summary>Speaks a recording and waits until its last frame has been sent.</summary>
    public async Task<SpokenUtterance> SayAsync(string name, VoiceCall? call = null)
    {
        call = RequireConnected(call);
        var spoken = call.Speak(Settings.Recordings.Get(name, call.Options.SampleRate));
        await WaitForUtteranceAsync(call, spoken, started: false);
        return spoken;
    }

    /// <summary>Waits until the last frame of an utterance already started has been sent.</summary>
    public Task WaitForUtteranceFinishedAsync(SpokenUtterance spoken) => WaitForUtteranceAsync(RequireConnected(), spoken, started: false);

    /// <summary>Speaks a recording and waits until its first frame has been sent.</summary>
    public async Task<SpokenUtterance> StartSayingAsync(string name)
    {
        var call = RequireConnected();
        var spoken = call.Speak(Settings.Recordings.Get(name, call.Options.SampleRate));
        await WaitForUtteranceAsync(call, spoken, started: true);
        return spoken;
    }

    /// <summary>The last utterance the caller has spoken.</summary>
    public SpokenUtterance LastUtterance(VoiceCall? call = null)
    {
        var spoken = (call ?? Call).Spoken;
        return spoken.Count > 0 ? spoken[^1] : throw new InvalidOperationException("The caller has not spoken yet: add 'When the caller says ...'.");
    }

    /// <summary>
    /// Throws <see cref="InconclusiveException"/> when the bot sent killAudio while the caller was silent: it takes
    /// line noise for speech (KVS-010), so what it does with real speech cannot be judged.
    /// </summary>
    public static void RequireHearsCaller(VoiceCall call)
    {
        var spoken = call.Spoken;
        var firstOnset = spoken.Count > 0 ? spoken[0].SpeechOnsetAt ?? call.Now : call.Now;
        var kills = call.Kills;
        if (kills.Count > 0 && kills[0] < firstOnset)
        {
            throw new InconclusiveException($"The bot sent killAudio at {At(kills[0])} while the caller was silent: it takes line noise for speech; see KVS-010.");
        }
    }

    /// <summary>playAudio messages received after <paramref name="after"/>.</summary>
    public static IEnumerable<ReceivedMessage> PlayAudioAfter(VoiceCall call, TimeSpan after) =>
        call.Messages.Where(m => m.Message.Kind == BotMessageKind.PlayAudio && m.At > after);

    /// <summary>Waits for the first playAudio after the end of the caller's last speech.</summary>
    public async Task<ReceivedMessage?> WaitForAnswerAsync(TimeSpan limit, VoiceCall? call = null)
    {
        call ??= Call;
        var spoken = LastUtterance(call);
        var end = spoken.SpeechEndAt ?? spoken.FinishedAt ?? call.Now;
        await call.WaitUntilAsync(c => PlayAudioAfter(c, end).Any() || c.EndedAt is not null, limit, Token);
        return PlayAudioAfter(call, end).FirstOrDefault();
    }

    public async Task<ReceivedMessage?> WaitForControlAsync(TimeSpan limit)
    {
        var call = Call;
        await call.WaitUntilAsync(c => c.Control is not null || c.EndedAt is not null, limit, Token);
        return call.Control;
    }

    public static TimeSpan LastAudioAt(VoiceCall call) => call.LastPlayAudioAt ?? TimeSpan.Zero;

    /// <summary>Where the bot's reply to an utterance starts: the end of its speech (or of its frames).</summary>
    public static TimeSpan ReplyFrom(SpokenUtterance utterance) => utterance.SpeechEndAt ?? utterance.FinishedAt ?? TimeSpan.Zero;

    /// <summary>
    /// How long a pause in a reply's chunks (those received after <paramref name="since"/>, up to <paramref name="until"/>)
    /// means the reply is over: three times the median gap between their arrivals, at least 200 ms. The median, so that
    /// one chunk delayed by a loaded machine does not stretch it; a bot that only paused is found out by the steps that
    /// look again afterwards.
    /// </summary>
    public static TimeSpan ReplyCadence(VoiceCall call, TimeSpan since, TimeSpan? until = null)
    {
        var arrivals = PlayAudioAfter(call, since).Where(m => until is null || m.At <= until).Select(m => m.At).ToList();
        var floor = TimeSpan.FromMilliseconds(200);
        if (arrivals.Count < 2)
        {
            return floor;
        }

        var gaps = new List<TimeSpan>(arrivals.Count - 1);
        for (var i = 1; i < arrivals.Count; i++)
        {
            gaps.Add(arrivals[i] - arrivals[i - 1]);
        }

        gaps.Sort();
        var median = gaps[gaps.Count / 2];
        return median * 3 > floor ? median * 3 : floor;
    }

    /// <summary>Judges every rule of <paramref name="candidates"/> that the scenario tags.</summary>
    public void JudgeTagged(IEnumerable<string> candidates, Action<string> judge)
    {
        var any = false;
        foreach (var rule in candidates.Where(r => _scenario.RuleIds.Contains(r)))
        {
            any = true;
            judge(rule);
        }

        if (!any)
        {
            throw new InvalidOperationException($"This step judges one of {string.Join(", ", candidates)}, but the scenario tags none of them.");
        }
    }

    /// <summary>One line on how a call ended, for messages.</summary>
    public static string DescribeEnd(VoiceCall call) => call.EndedAt is null
        ? "the call is still open"
        : $"the call ended at {call.EndedAt.Value.TotalSeconds:0.00} s: {call.EndedBy switch
        {
            CallEndedBy.Bot => $"the bot closed it ({(int?)call.CloseStatus} \"{call.CloseDescription}\")",
            CallEndedBy.Transport => $"the connection broke ({call.CloseDescription ?? call.Connection?.Error})",
            _ => $"the peer closed it ({call.CloseDescription})",
        }}";

    public static string At(TimeSpan t) => $"{t.TotalSeconds:0.000} s";

    public async ValueTask DisposeAsync()
    {
        foreach (var call in _calls)
        {
            await call.DisposeAsync();
        }

        _stallWatch.Dispose();
    }

    private async Task WaitForUtteranceAsync(VoiceCall call, SpokenUtterance spoken, bool started)
    {
        var task = started ? spoken.Started : spoken.Finished;
        var limit = TimeSpan.FromSeconds(spoken.Utterance.Pcm.Length / 2.0 / call.Options.SampleRate + 10);
        try
        {
            await task.WaitAsync(limit, Token);
        }
        catch (Exception ex) when (ex is TaskCanceledException or TimeoutException)
        {
            if (Token.IsCancellationRequested)
            {
                throw;
            }

            throw new InconclusiveException($"The caller could not finish saying \"{spoken.Utterance.Name}\": {DescribeEnd(call)}.");
        }
    }

    private string NewCallId()
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.NextBytes(bytes);
        return new Guid(bytes).ToString();
    }
}

/// <summary>A barge-in: the caller's speech onset, whether the bot's answer was still being sent then, and why we think so.</summary>
public sealed record BargeInMoment(TimeSpan Onset, bool StillSending, string Description);
