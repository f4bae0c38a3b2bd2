using ProtocolSim.Audio;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>Caller audio to speak: PCM 16-bit mono at the call's rate, with where its speech starts and ends.</summary>
public sealed record CallerUtterance
{
    public required string Name { get; init; }

    public required byte[] Pcm { get; init; }

    /// <summary>Speech onset within <see cref="Pcm"/> (null for silence).</summary>
    public TimeSpan? SpeechStart { get; init; }

    /// <summary>Speech end within <see cref="Pcm"/>.</summary>
    public TimeSpan? SpeechEnd { get; init; }
}

/// <summary>An utterance as it was spoken on a call: when its frames went out, on the call's timeline.</summary>
public sealed class SpokenUtterance
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal SpokenUtterance(CallerUtterance utterance) => Utterance = utterance;

    public CallerUtterance Utterance { get; }

    /// <summary>When its first frame was sent.</summary>
    public TimeSpan? StartedAt { get; private set; }

    /// <summary>When its last frame was sent.</summary>
    public TimeSpan? FinishedAt { get; private set; }

    /// <summary>
    /// When the frame holding the speech onset was sent; until then, when it is due. The pacer keeps the frames on their
    /// schedule, so after a late first frame the frames that follow go out sooner than its time says: the bot hears the
    /// onset when its frame is sent, not at the utterance's start plus the onset's offset.
    /// </summary>
    public TimeSpan? SpeechOnsetAt => SentOrDue(ref _onsetSentTicks, Utterance.SpeechStart);

    /// <summary>When the frame holding the end of speech was sent; until then, when it is due.</summary>
    public TimeSpan? SpeechEndAt => SentOrDue(ref _endSentTicks, Utterance.SpeechEnd);

    /// <summary>True when bot audio was playing at the speech onset (a barge-in); decided when <see cref="OnsetSent"/>.</summary>
    public bool BargedIn { get; private set; }

    /// <summary>The frame holding the speech onset has been sent, and <see cref="BargedIn"/> decided.</summary>
    public bool OnsetSent => Volatile.Read(ref _onsetSentTicks) >= 0;

    private long _onsetSentTicks = -1;
    private long _endSentTicks = -1;

    public Task Started => _started.Task;

    public Task Finished => _finished.Task;

    internal void MarkStarted(TimeSpan at)
    {
        StartedAt = at;
        _started.TrySetResult();
    }

    internal void MarkFinished(TimeSpan at)
    {
        FinishedAt = at;
        _finished.TrySetResult();
    }

    internal void MarkOnsetSent(TimeSpan at, bool bargedIn)
    {
        BargedIn = bargedIn;
        Volatile.Write(ref _onsetSentTicks, at.Ticks);
    }

    internal bool EndSent => Volatile.Read(ref _endSentTicks) >= 0;

    internal void MarkEndSent(TimeSpan at) => Volatile.Write(ref _endSentTicks, at.Ticks);

    private TimeSpan? SentOrDue(ref long sentTicks, TimeSpan? offset)
    {
        var sent = Volatile.Read(ref sentTicks);
        return offset is null ? null : sent >= 0 ? TimeSpan.FromTicks(sent) : StartedAt + offset;
    }

    internal void Cancel()
    {
        _started.TrySetCanceled();
        _finished.TrySetCanceled();
    }
}

/// <summary>
/// The caller's side of a call: utterances queued by the scenario, line noise between them (a real line is never
/// digitally silent), cut into frames for the pacer.
/// </summary>
internal sealed class CallerFeed
{
    private readonly Lock _gate = new();
    private readonly Queue<SpokenUtterance> _queue = new();
    private readonly int _frameBytes;
    private readonly int _sampleRate;
    private readonly byte[] _noiseBuffer;
    private int _noisePosition;
    private SpokenUtterance? _current;
    private int _position;

    public CallerFeed(int frameBytes, int sampleRate, int seed)
    {
        _frameBytes = frameBytes;
        _sampleRate = sampleRate;
        // One second of noise at the call's frame size (50 frames of 20 ms), odd-aligned so frames do not repeat in step.
        _noiseBuffer = MakeNoise(new Random(seed), (frameBytes * 50) + 2);
    }

    public int FrameBytes => _frameBytes;

    public SpokenUtterance Enqueue(CallerUtterance utterance)
    {
        var spoken = new SpokenUtterance(utterance);
        lock (_gate)
        {
            _queue.Enqueue(spoken);
        }

        return spoken;
    }

    /// <summary>True while an utterance is being spoken or waits to be.</summary>
    public bool Busy
    {
        get
        {
            lock (_gate)
            {
                return _current is not null || _queue.Count > 0;
            }
        }
    }

    /// <summary>
    /// Builds the next frame into <paramref name="frame"/> (<see cref="FrameBytes"/> long); <paramref name="at"/> is the
    /// send time on the call's timeline. <paramref name="holdsOnset"/> is true for the frame that holds the returned
    /// utterance's speech onset (the caller then calls <see cref="SpokenUtterance.MarkOnsetSent"/>).
    /// </summary>
    public SpokenUtterance? NextFrame(Span<byte> frame, TimeSpan at, out SpokenUtterance? finished, out bool holdsOnset)
    {
        finished = null;
        holdsOnset = false;
        lock (_gate)
        {
            if (_current is null && _queue.TryDequeue(out var next))
            {
                _current = next;
                _position = 0;
                next.MarkStarted(at);
            }

            if (_current is null)
            {
                FillNoise(frame);
                return null;
            }

            var spoken = _current;
            var pcm = spoken.Utterance.Pcm;
            var take = Math.Min(_frameBytes, pcm.Length - _position);
            pcm.AsSpan(_position, take).CopyTo(frame);
            if (take < _frameBytes)
            {
                FillNoise(frame[take..]);
            }

            _position += take;
            var utterance = spoken.Utterance;
            holdsOnset = utterance.SpeechStart is { } onset && !spoken.OnsetSent && Holds(Pcm.BytesPer(onset, _sampleRate), pcm.Length);
            // The last sample of speech is the one before its end.
            if (utterance.SpeechEnd is { } end && !spoken.EndSent && Holds(Pcm.BytesPer(end, _sampleRate) - 2, pcm.Length))
            {
                spoken.MarkEndSent(at);
            }

            if (_position >= pcm.Length)
            {
                _current = null;
                spoken.MarkFinished(at);
                finished = spoken;
            }

            return spoken;
        }
    }

    /// <summary>The frame just built (it ends at <see cref="_position"/>) holds the byte at <paramref name="offset"/>, or is the last.</summary>
    private bool Holds(int offset, int length) => offset < _position || _position >= length;

    public void CancelAll()
    {
        lock (_gate)
        {
            _current?.Cancel();
            _current = null;
            while (_queue.TryDequeue(out var queued))
            {
                queued.Cancel();
            }
        }
    }

    private void FillNoise(Span<byte> span)
    {
        // About -78 dBFS: ±4 LSB, little-endian, from a second of noise made once per call (the pacer thread must
        // not spend a random draw per sample).
        for (var done = 0; done < span.Length;)
        {
            var take = Math.Min(span.Length - done, _noiseBuffer.Length - _noisePosition);
            _noiseBuffer.AsSpan(_noisePosition, take).CopyTo(span[done..]);
            done += take;
            _noisePosition = (_noisePosition + take) % _noiseBuffer.Length;
        }
    }

    private static byte[] MakeNoise(Random random, int bytes)
    {
        var noise = new byte[bytes & ~1];
        for (var i = 0; i + 1 < noise.Length; i += 2)
        {
            var sample = (short)random.Next(-4, 5);
            noise[i] = (byte)sample;
            noise[i + 1] = (byte)(sample >> 8);
        }

        return noise;
    }
}
