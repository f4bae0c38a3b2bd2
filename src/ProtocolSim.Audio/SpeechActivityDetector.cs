namespace ProtocolSim.Audio;

/// <summary>
/// Energy-based speech activity detector for 16-bit mono PCM. The audio is cut into windows
/// (<see cref="SpeechDetectorOptions.Window"/>); a window is speech when its RMS level exceeds
/// <see cref="SpeechDetectorOptions.ThresholdDbfs"/>, so line noise around -80 dBFS is silence. A start is confirmed
/// after <see cref="SpeechDetectorOptions.MinSpeech"/> of consecutive speech windows, an end after
/// <see cref="SpeechDetectorOptions.Hangover"/> of non-speech; event times are audio times, not arrival times.
/// Streaming: feed chunks of any size to <see cref="Process"/>, then call <see cref="Flush"/>. Not thread-safe.
/// </summary>
public sealed class SpeechActivityDetector
{
    private static readonly SpeechEvent[] NoEvents = [];

    private readonly int _sampleRate;
    private readonly int _windowSamples;
    private readonly int _minSpeechWindows;
    private readonly int _hangoverWindows;
    private readonly double _thresholdMeanSquare;
    private readonly List<SpeechEvent> _pending = new(2);

    private long _samples;            // whole samples consumed
    private int _danglingByte = -1;   // low byte of a sample split across Process calls
    private long _windowSumOfSquares;
    private int _windowFill;
    private long _windowIndex;        // index of the window being filled
    private int _speechRun;           // consecutive speech windows while not in speech
    private long _speechRunStart;     // first window of that run
    private int _silenceRun;          // consecutive non-speech windows while in speech
    private long _lastSpeechWindow;   // last speech window while in speech

    /// <summary>Creates a detector for mono 16-bit PCM at <paramref name="sampleRate"/> Hz.</summary>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    public SpeechActivityDetector(int sampleRate, SpeechDetectorOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        options ??= SpeechDetectorOptions.Default;
        if (!double.IsFinite(options.ThresholdDbfs) || options.ThresholdDbfs > 0)
        {
            throw new ArgumentException(
                $"ThresholdDbfs is {options.ThresholdDbfs}; it must be a finite level of 0 dBFS or below", nameof(options));
        }

        _windowSamples = (int)Math.Round(options.Window.TotalSeconds * sampleRate);
        if (_windowSamples < 1 || options.Window > TimeSpan.FromSeconds(10))
        {
            throw new ArgumentException(
                $"Window is {options.Window}; at {sampleRate} Hz it must hold between 1 sample and 10 seconds", nameof(options));
        }

        if (options.MinSpeech < TimeSpan.Zero || options.Hangover < TimeSpan.Zero)
        {
            throw new ArgumentException(
                $"MinSpeech ({options.MinSpeech}) and Hangover ({options.Hangover}) must not be negative", nameof(options));
        }

        _sampleRate = sampleRate;
        Options = options;
        _minSpeechWindows = Math.Max(1, WindowsIn(options.MinSpeech));
        _hangoverWindows = Math.Max(1, WindowsIn(options.Hangover));
        var threshold = 32768.0 * Math.Pow(10, options.ThresholdDbfs / 20);
        _thresholdMeanSquare = threshold * threshold;
        LevelDbfs = Pcm.SilenceDbfs;
    }

    /// <summary>The options in force.</summary>
    public SpeechDetectorOptions Options { get; }

    /// <summary>True between an emitted <see cref="SpeechEventKind.SpeechStart"/> and the matching end.</summary>
    public bool InSpeech { get; private set; }

    /// <summary>Audio time consumed so far (whole samples passed to <see cref="Process"/>, including a partly filled window).</summary>
    public TimeSpan Position => SamplesToTime(_samples);

    /// <summary>RMS level of the last complete window in dBFS (-120 before the first).</summary>
    public double LevelDbfs { get; private set; }

    /// <summary>
    /// Finds the speech segments of a whole recording (the same result as one <see cref="Process"/> call and
    /// <see cref="Flush"/>).
    /// </summary>
    public static IReadOnlyList<SpeechSegment> Analyze(ReadOnlySpan<byte> pcm16le, int sampleRate, SpeechDetectorOptions? options = null)
    {
        var detector = new SpeechActivityDetector(sampleRate, options);
        var segments = new List<SpeechSegment>();
        TimeSpan? start = null;
        foreach (var e in detector.Process(pcm16le).Concat(detector.Flush()))
        {
            if (e.Kind == SpeechEventKind.SpeechStart)
            {
                start = e.At;
            }
            else if (start is { } s)
            {
                segments.Add(new SpeechSegment(s, e.At));
                start = null;
            }
        }

        return segments;
    }

    /// <summary>
    /// Consumes the next chunk of audio (any byte count: a dangling odd byte is kept for the next call) and returns the
    /// events confirmed by it, in order; a shared empty list when there are none.
    /// </summary>
    public IReadOnlyList<SpeechEvent> Process(ReadOnlySpan<byte> pcm16le)
    {
        if (pcm16le.IsEmpty)
        {
            return NoEvents;
        }

        if (_danglingByte >= 0)
        {
            Add((short)(_danglingByte | (pcm16le[0] << 8)));
            _danglingByte = -1;
            pcm16le = pcm16le[1..];
        }

        var whole = pcm16le.Length & ~1;
        for (var i = 0; i < whole; i += 2)
        {
            Add((short)(pcm16le[i] | (pcm16le[i + 1] << 8)));
        }

        if (whole < pcm16le.Length)
        {
            _danglingByte = pcm16le[whole];
        }

        return TakePending();
    }

    /// <summary>
    /// Ends the stream: emits the <see cref="SpeechEventKind.SpeechEnd"/> of speech still open (at the end of its last
    /// speech window). A partly filled window and a dangling byte are discarded; positions continue, so the detector
    /// can go on with more audio.
    /// </summary>
    public IReadOnlyList<SpeechEvent> Flush()
    {
        if (InSpeech)
        {
            EndSpeech();
        }

        _speechRun = 0;
        _silenceRun = 0;
        _danglingByte = -1;
        if (_windowFill > 0)
        {
            _windowFill = 0;
            _windowSumOfSquares = 0;
            _windowIndex++;
        }

        return TakePending();
    }

    private void Add(short sample)
    {
        _samples++;
        _windowSumOfSquares += sample * sample;
        if (++_windowFill == _windowSamples)
        {
            var meanSquare = (double)_windowSumOfSquares / _windowSamples;
            _windowSumOfSquares = 0;
            _windowFill = 0;
            LevelDbfs = Pcm.MeanSquareToDbfs(meanSquare);
            OnWindow(meanSquare > _thresholdMeanSquare);
            _windowIndex++;
        }
    }

    private void OnWindow(bool speech)
    {
        if (InSpeech)
        {
            if (speech)
            {
                _lastSpeechWindow = _windowIndex;
                _silenceRun = 0;
            }
            else if (++_silenceRun >= _hangoverWindows)
            {
                EndSpeech();
            }

            return;
        }

        if (!speech)
        {
            _speechRun = 0;
            return;
        }

        if (_speechRun++ == 0)
        {
            _speechRunStart = _windowIndex;
        }

        if (_speechRun >= _minSpeechWindows)
        {
            InSpeech = true;
            _speechRun = 0;
            _silenceRun = 0;
            _lastSpeechWindow = _windowIndex;
            _pending.Add(new SpeechEvent(SpeechEventKind.SpeechStart, WindowStart(_speechRunStart)));
        }
    }

    private void EndSpeech()
    {
        InSpeech = false;
        _silenceRun = 0;
        _speechRun = 0;
        _pending.Add(new SpeechEvent(SpeechEventKind.SpeechEnd, WindowStart(_lastSpeechWindow + 1)));
    }

    private SpeechEvent[] TakePending()
    {
        if (_pending.Count == 0)
        {
            return NoEvents;
        }

        var events = _pending.ToArray();
        _pending.Clear();
        return events;
    }

    private int WindowsIn(TimeSpan duration) =>
        (int)Math.Ceiling(Math.Round(duration.TotalSeconds * _sampleRate) / _windowSamples);

    private TimeSpan WindowStart(long window) => SamplesToTime(window * _windowSamples);

    private TimeSpan SamplesToTime(long samples) =>
        TimeSpan.FromTicks((long)((((Int128)samples * TimeSpan.TicksPerSecond) + (_sampleRate / 2)) / _sampleRate));
}
