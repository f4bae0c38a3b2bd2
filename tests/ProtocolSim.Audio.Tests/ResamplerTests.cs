using Xunit.Abstractions;

namespace ProtocolSim.Audio.Tests;

public sealed class ResamplerTests(ITestOutputHelper output)
{
    /// <summary>Our output must match sox's default (high quality, linear phase) rate effect this closely.</summary>
    private const double MinSnrVersusSoxDb = 60;

    public static TheoryData<int, int> RatePairs()
    {
        int[] rates = [8000, 16000, 24000, 32000, 48000];
        var data = new TheoryData<int, int>();
        foreach (var from in rates)
        {
            foreach (var to in rates.Where(r => r != from))
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RatePairs))]
    public void Resample_MultiToneAndSweep_MatchesSoxWithin60Db(int fromRate, int toRate)
    {
        var lowNyquist = Math.Min(fromRate, toRate) / 2.0;
        var tones = Signals.Tones(fromRate, 1, 0.5, 0.03 * lowNyquist, 0.21 * lowNyquist, 0.47 * lowNyquist, 0.66 * lowNyquist, 0.85 * lowNyquist);
        var sweep = Signals.Sweep(fromRate, 1, 0.5, 50, 0.85 * lowNyquist);
        short[] input = [.. tones, .. sweep];

        var ours = Resampler.Resample(input, fromRate, toRate);
        var sox = SoxResample(input, fromRate, toRate);

        Assert.Equal(sox.Length, ours.Length);
        var (lag, snr) = BestAlignment(sox, ours, margin: toRate / 10);
        output.WriteLine($"{fromRate} -> {toRate}: SNR versus sox {snr:F1} dB at lag {lag}");
        Assert.Equal(0, lag);
        Assert.True(snr >= MinSnrVersusSoxDb, $"{fromRate} -> {toRate}: SNR versus sox is {snr:F1} dB, below {MinSnrVersusSoxDb} dB");
    }

    [Fact]
    public void Resample_SixKilohertzTone16kTo8k_AttenuatedBelowQuantisation()
    {
        // 6 kHz is above the 4 kHz Nyquist of 8 kHz; without a low-pass it would alias to 2 kHz at full level.
        var input = Signals.Tones(16000, 1, 0.5, 6000);

        var ours = Resampler.Resample(input, 16000, 8000);
        var sox = SoxResample(input, 16000, 8000);

        var oursAttenuation = Signals.AttenuationDb(input, ours);
        var soxAttenuation = Signals.AttenuationDb(input, sox);
        output.WriteLine($"6 kHz 16k->8k: ours {oursAttenuation:F1} dB, sox {soxAttenuation:F1} dB below the input");
        Assert.True(oursAttenuation >= 80, $"6 kHz tone attenuated only {oursAttenuation:F1} dB (sox: {soxAttenuation:F1} dB)");
    }

    [Theory]
    [InlineData(48000, 8000, 4400)]
    [InlineData(16000, 8000, 4100)]
    [InlineData(48000, 16000, 8800)]
    [InlineData(32000, 24000, 12600)]
    public void Resample_ToneJustAboveNewNyquist_AttenuatedAtLeast70Db(int fromRate, int toRate, double frequency)
    {
        var input = Signals.Tones(fromRate, 1, 0.5, frequency);

        var resampled = Resampler.Resample(input, fromRate, toRate);

        var attenuation = Signals.AttenuationDb(input, resampled);
        output.WriteLine($"{frequency} Hz {fromRate}->{toRate}: attenuated {attenuation:F1} dB");
        Assert.True(attenuation >= 70, $"{frequency} Hz {fromRate}->{toRate}: attenuated {attenuation:F1} dB");
    }

    [Theory]
    [InlineData(8000, 48000)]
    [InlineData(48000, 8000)]
    [InlineData(16000, 24000)]
    public void Resample_PassBandTone_KeepsLevelWithin0Point05Db(int fromRate, int toRate)
    {
        var lowNyquist = Math.Min(fromRate, toRate) / 2.0;
        foreach (var fraction in new[] { 0.1, 0.5, 0.85 })
        {
            var input = Signals.Tones(fromRate, 1, 0.5, fraction * lowNyquist);

            var resampled = Resampler.Resample(input, fromRate, toRate);

            // Middle half only: the ends fade against the silence outside the signal.
            var gainDb = 20 * Math.Log10(Signals.MiddleRms(resampled) / Signals.MiddleRms(input));
            Assert.True(Math.Abs(gainDb) < 0.05, $"{fraction * lowNyquist} Hz {fromRate}->{toRate}: gain {gainDb:F3} dB");
        }
    }

    [Fact]
    public void Resample_SameRate_ReturnsCopy()
    {
        short[] input = [1, -2, 3, short.MaxValue, short.MinValue];

        var resampled = Resampler.Resample(input, 16000, 16000);

        Assert.Equal(input, resampled);
        Assert.NotSame(input, resampled);
    }

    [Theory]
    [InlineData(24000, 16000, 1000, 667)]
    [InlineData(24000, 16000, 1001, 667)]
    [InlineData(16000, 24000, 5, 8)]
    [InlineData(16000, 24000, 1001, 1502)]
    [InlineData(48000, 8000, 1003, 167)]
    [InlineData(48000, 8000, 1005, 168)]
    [InlineData(8000, 48000, 7, 42)]
    [InlineData(44100, 48000, 1001, 1090)]
    [InlineData(8000, 16000, 0, 0)]
    public void Resample_Length_RoundsHalfUpLikeSox(int fromRate, int toRate, int inputLength, int expectedLength)
    {
        var resampled = Resampler.Resample(new short[inputLength], fromRate, toRate);

        Assert.Equal(expectedLength, resampled.Length);
    }

    [Fact]
    public void Resample_DcAtFullScale_StaysInRangeWithoutOverflow()
    {
        var input = Enumerable.Repeat(short.MaxValue, 4000).Concat(Enumerable.Repeat(short.MinValue, 4000)).ToArray();

        var resampled = Resampler.Resample(input, 8000, 48000);

        // The step overshoots (Gibbs) and must clip, not wrap around.
        Assert.Equal(short.MaxValue, resampled[12000]);
        Assert.Equal(short.MinValue, resampled[36000]);
        Assert.True(resampled.Take(23000).Skip(1000).All(s => s > 30000));
    }

    [Theory]
    [MemberData(nameof(RatePairs))]
    public void StreamingResampler_RandomChunks_EqualsBatch(int fromRate, int toRate)
    {
        var input = Signals.Sweep(fromRate, 0.5, 0.7, 20, Math.Min(fromRate, toRate) / 2.0);
        var random = new Random(fromRate + toRate);
        var streaming = new StreamingResampler(fromRate, toRate);
        var collected = new List<short>();

        for (var offset = 0; offset < input.Length;)
        {
            var chunk = Math.Min(random.Next(0, fromRate / 25), input.Length - offset);
            collected.AddRange(streaming.Process(input.AsSpan(offset, chunk)));
            offset += chunk;
        }

        collected.AddRange(streaming.Flush());

        Assert.Equal(Resampler.Resample(input, fromRate, toRate), collected);
    }

    [Fact]
    public void StreamingResampler_AfterFlush_StartsANewStream()
    {
        var input = Signals.Tones(8000, 0.1, 0.5, 440);
        var streaming = new StreamingResampler(8000, 16000);
        var first = streaming.Process(input).Concat(streaming.Flush()).ToArray();

        var second = streaming.Process(input).Concat(streaming.Flush()).ToArray();

        Assert.Equal(first, second);
        Assert.True(streaming.Latency > TimeSpan.Zero && streaming.Latency < TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public void StreamingResampler_SameRate_PassesThrough()
    {
        var streaming = new StreamingResampler(16000, 16000);

        Assert.Equal(new short[] { 1, 2, 3 }, streaming.Process([1, 2, 3]));
        Assert.Empty(streaming.Flush());
        Assert.Equal(TimeSpan.Zero, streaming.Latency);
    }


    private static short[] SoxResample(short[] input, int fromRate, int toRate)
    {
        using var dir = new TempDirectory();
        Wav.WriteFile(dir.File("in.wav"), Pcm.ToBytes(input), fromRate);
        Sox.Run("-D", dir.File("in.wav"), "-r", toRate.ToString(), dir.File("out.wav"));
        var audio = Wav.ReadFile(dir.File("out.wav"));
        Assert.Equal(WavFormat.Pcm16Mono(toRate), audio.Format);
        return Pcm.ToSamples(audio.Data);
    }

    /// <summary>Best lag in -4..4 samples and the SNR of <paramref name="test"/> against <paramref name="reference"/>
    /// over the middle (edges of <paramref name="margin"/> samples excluded).</summary>
    private static (int Lag, double Snr) BestAlignment(short[] reference, short[] test, int margin)
    {
        var best = (Lag: 0, Snr: double.NegativeInfinity);
        for (var lag = -4; lag <= 4; lag++)
        {
            double signal = 0, noise = 0;
            for (var i = margin; i < reference.Length - margin; i++)
            {
                var other = test[i + lag];
                signal += (double)reference[i] * reference[i];
                noise += (double)(reference[i] - other) * (reference[i] - other);
            }

            var snr = noise == 0 ? 200 : 10 * Math.Log10(signal / noise);
            if (snr > best.Snr)
            {
                best = (lag, snr);
            }
        }

        return best;
    }
}
