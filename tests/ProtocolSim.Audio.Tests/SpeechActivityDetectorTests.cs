namespace ProtocolSim.Audio.Tests;

public sealed class SpeechActivityDetectorTests
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(20); // two 10 ms windows

    [Theory]
    [InlineData(8000)]
    [InlineData(16000)]
    [InlineData(48000)]
    public void Analyze_ToneBurstsOverLineNoise_SegmentsWithinTwoWindowsOfTruth(int sampleRate)
    {
        (double Start, double End)[] bursts = [(0.503, 1.207), (1.811, 2.654), (3.1, 3.3)];
        var pcm = Burst(sampleRate, 4.0, bursts);

        var segments = SpeechActivityDetector.Analyze(pcm, sampleRate);

        Assert.Equal(bursts.Length, segments.Count);
        for (var i = 0; i < bursts.Length; i++)
        {
            AssertNear(bursts[i].Start, segments[i].Start);
            AssertNear(bursts[i].End, segments[i].End);
        }
    }

    [Fact]
    public void Process_TwentyMillisecondFrames_EventsConfirmedAfterMinSpeechAndHangover()
    {
        const int Rate = 8000;
        var pcm = Burst(Rate, 3.0, [(0.5, 1.5)]);
        var detector = new SpeechActivityDetector(Rate);
        var seen = new List<(SpeechEvent Event, TimeSpan Position)>();

        foreach (var frame in Pcm.Frames(pcm, Pcm.BytesPer(TimeSpan.FromMilliseconds(20), Rate)))
        {
            seen.AddRange(detector.Process(frame.Span).Select(e => (e, detector.Position)));
            if (detector.Position == TimeSpan.FromSeconds(1))
            {
                Assert.True(detector.InSpeech);
            }
        }

        Assert.Empty(detector.Flush());
        Assert.False(detector.InSpeech);
        Assert.Equal(
            [(SpeechEventKind.SpeechStart, TimeSpan.FromSeconds(0.5)), (SpeechEventKind.SpeechEnd, TimeSpan.FromSeconds(1.5))],
            seen.Select(s => (s.Event.Kind, s.Event.At)));

        // Confirmation delay: MinSpeech (60 ms) resp. Hangover (350 ms), rounded up to the 20 ms frame.
        Assert.Equal(TimeSpan.FromMilliseconds(60), seen[0].Position - seen[0].Event.At);
        Assert.Equal(TimeSpan.FromMilliseconds(360), seen[1].Position - seen[1].Event.At);
    }

    [Theory]
    [InlineData(3.28, 1)]   // Gaussian, -80 dBFS
    [InlineData(30, 2)]     // -61 dBFS: a noisy line is still silence
    public void Analyze_LineNoiseOnly_FindsNoSpeech(double rmsLsb, int seed)
    {
        var pcm = Pcm.ToBytes(Signals.Noise(16000 * 5, rmsLsb, seed));

        Assert.Empty(SpeechActivityDetector.Analyze(pcm, 16000));
    }

    [Fact]
    public void Analyze_UniformThreeLsbNoise_FindsNoSpeech()
    {
        var random = new Random(5);
        var noise = Enumerable.Range(0, 8000 * 5).Select(_ => (short)random.Next(-3, 4)).ToArray();

        Assert.Empty(SpeechActivityDetector.Analyze(Pcm.ToBytes(noise), 8000));
    }

    [Fact]
    public void Analyze_BlipShorterThanMinSpeech_Ignored()
    {
        var pcm = Burst(16000, 1.0, [(0.3, 0.34)]);

        Assert.Empty(SpeechActivityDetector.Analyze(pcm, 16000));
    }

    [Theory]
    [InlineData(0.30, 1)]
    [InlineData(0.34, 1)]
    [InlineData(0.36, 2)]
    [InlineData(0.60, 2)]
    public void Analyze_PauseAroundHangover_SplitsOnlyWhenLonger(double pauseSeconds, int expectedSegments)
    {
        var pcm = Burst(16000, 3.0, [(0.5, 1.0), (1.0 + pauseSeconds, 1.8)]);

        var segments = SpeechActivityDetector.Analyze(pcm, 16000);

        Assert.Equal(expectedSegments, segments.Count);
        AssertNear(0.5, segments[0].Start);
        AssertNear(1.8, segments[^1].End);
    }

    [Fact]
    public void Flush_StreamEndsInSpeech_EmitsEndAtLastSpeechWindow()
    {
        var pcm = Burst(8000, 1.0, [(0.2, 1.0)]);
        var detector = new SpeechActivityDetector(8000);

        var events = detector.Process(pcm);
        var flushed = detector.Flush();

        Assert.Equal([new SpeechEvent(SpeechEventKind.SpeechStart, TimeSpan.FromSeconds(0.2))], events);
        Assert.Equal([new SpeechEvent(SpeechEventKind.SpeechEnd, TimeSpan.FromSeconds(1))], flushed);
        Assert.False(detector.InSpeech);
        Assert.Empty(detector.Flush());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Process_RandomChunkSizesIncludingOdd_SameSegmentsAsAnalyze(int seed)
    {
        const int Rate = 16000;
        var random = new Random(seed);
        var bursts = Enumerable.Range(0, 6)
            .Select(i => (Start: (i * 0.7) + (random.NextDouble() * 0.2), Length: 0.03 + (random.NextDouble() * 0.4)))
            .Select(b => (b.Start, b.Start + b.Length))
            .ToArray();
        var pcm = Burst(Rate, 4.5, bursts);
        var detector = new SpeechActivityDetector(Rate);
        var events = new List<SpeechEvent>();

        for (var offset = 0; offset < pcm.Length;)
        {
            var chunk = Math.Min(random.Next(0, 700), pcm.Length - offset);
            events.AddRange(detector.Process(pcm.AsSpan(offset, chunk)));
            offset += chunk;
        }

        events.AddRange(detector.Flush());

        var expected = SpeechActivityDetector.Analyze(pcm, Rate);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, ToSegments(events));
        Assert.Equal(TimeSpan.FromSeconds(4.5), detector.Position);
    }

    [Fact]
    public void Process_OneByteAtATime_SameSegmentsAsAnalyze()
    {
        var pcm = Burst(8000, 1.5, [(0.2, 0.5), (1.0, 1.3)]);
        var detector = new SpeechActivityDetector(8000);
        var events = new List<SpeechEvent>();

        for (var i = 0; i < pcm.Length; i++)
        {
            events.AddRange(detector.Process(pcm.AsSpan(i, 1)));
        }

        events.AddRange(detector.Flush());

        Assert.Equal(SpeechActivityDetector.Analyze(pcm, 8000), ToSegments(events));
        Assert.Equal(2, ToSegments(events).Count);
    }

    [Fact]
    public void Process_OddChunk_PositionCountsWholeSamplesOnly()
    {
        var detector = new SpeechActivityDetector(8000);

        detector.Process(new byte[161]);
        Assert.Equal(TimeSpan.FromMilliseconds(10), detector.Position);
        detector.Process(new byte[1]);
        Assert.Equal(Pcm.DurationOf(162, 8000), detector.Position);
    }

    [Fact]
    public void Process_NoEvents_ReturnsSharedEmptyList()
    {
        var detector = new SpeechActivityDetector(8000);

        var first = detector.Process(new byte[320]);
        var second = detector.Process([]);

        Assert.Empty(first);
        Assert.Same(first, second);
    }

    [Fact]
    public void LevelDbfs_AfterWindow_ReportsItsLevel()
    {
        var detector = new SpeechActivityDetector(8000);
        Assert.Equal(-120, detector.LevelDbfs);

        detector.Process(Pcm.ToBytes(Signals.Tones(8000, 0.01, 1, 1000)));

        Assert.InRange(detector.LevelDbfs, -3.2, -2.8);
    }

    [Fact]
    public void Analyze_CustomOptions_Honoured()
    {
        var pcm = Burst(16000, 2.0, [(0.5, 0.53), (0.7, 1.0)]);
        var options = new SpeechDetectorOptions { MinSpeech = TimeSpan.FromMilliseconds(20), Hangover = TimeSpan.FromMilliseconds(100), Window = TimeSpan.FromMilliseconds(5) };

        var segments = SpeechActivityDetector.Analyze(pcm, 16000, options);

        Assert.Equal(2, segments.Count);
        Assert.Empty(SpeechActivityDetector.Analyze(pcm, 16000, new SpeechDetectorOptions { ThresholdDbfs = -10 }));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingTheOption()
    {
        Assert.Contains("Window", Assert.Throws<ArgumentException>(() => new SpeechActivityDetector(8000, new SpeechDetectorOptions { Window = TimeSpan.Zero })).Message, StringComparison.Ordinal);
        Assert.Contains("ThresholdDbfs", Assert.Throws<ArgumentException>(() => new SpeechActivityDetector(8000, new SpeechDetectorOptions { ThresholdDbfs = double.NaN })).Message, StringComparison.Ordinal);
        Assert.Contains("Hangover", Assert.Throws<ArgumentException>(() => new SpeechActivityDetector(8000, new SpeechDetectorOptions { Hangover = TimeSpan.FromSeconds(-1) })).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SpeechActivityDetector(0));
    }

    /// <summary>-80 dBFS Gaussian line noise with 440 Hz + 1.2 kHz tone bursts (about -23 dBFS) at the given times.</summary>
    private static byte[] Burst(int sampleRate, double seconds, params (double Start, double End)[] bursts)
    {
        var samples = Signals.Noise((int)Math.Round(seconds * sampleRate), 3.28, seed: sampleRate);
        foreach (var (start, end) in bursts)
        {
            var first = (int)Math.Round(start * sampleRate);
            var last = Math.Min((int)Math.Round(end * sampleRate), samples.Length);
            for (var i = first; i < last; i++)
            {
                var t = (double)i / sampleRate;
                var tone = 2000 * (Math.Sin(2 * Math.PI * 440 * t) + Math.Sin(2 * Math.PI * 1200 * t));
                samples[i] = (short)Math.Clamp(samples[i] + Math.Round(tone), short.MinValue, short.MaxValue);
            }
        }

        return Pcm.ToBytes(samples);
    }

    private static List<SpeechSegment> ToSegments(List<SpeechEvent> events)
    {
        var segments = new List<SpeechSegment>();
        for (var i = 0; i + 1 < events.Count; i += 2)
        {
            Assert.Equal(SpeechEventKind.SpeechStart, events[i].Kind);
            Assert.Equal(SpeechEventKind.SpeechEnd, events[i + 1].Kind);
            segments.Add(new SpeechSegment(events[i].At, events[i + 1].At));
        }

        Assert.Equal(0, events.Count % 2);
        return segments;
    }

    private static void AssertNear(double expectedSeconds, TimeSpan actual)
    {
        var error = (actual - TimeSpan.FromSeconds(expectedSeconds)).Duration();
        Assert.True(error <= Tolerance, $"expected {expectedSeconds:F3} s within {Tolerance.TotalMilliseconds} ms, got {actual.TotalSeconds:F4} s");
    }
}
