using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace ProtocolSim.ReferenceClients;

/// <summary>What the bot is saying.</summary>
internal enum Prompt
{
    Greeting,
    Answer,
    TransferAnnouncement,
    Goodbye,
}

/// <summary>
/// Deterministic speech-like audio in place of TTS: a voiced source (fundamental near 140 Hz with slight vibrato,
/// harmonics up to about 3 kHz with a falling spectrum) amplitude-modulated at a syllable rate of 4 Hz and
/// normalised to -20 dBFS RMS, so the peer's energy detector hears speech.
/// </summary>
internal static class BotVoice
{
    private const double TargetRms = 0.1; // -20 dBFS (RMS relative to full scale)
    private const double SyllableHz = 4.0;
    private const double VibratoHz = 5.5;
    private const double VibratoDepth = 0.02;
    private const double MaxHarmonicHz = 3000;
    private const double FadeSeconds = 0.01;

    private static readonly ConcurrentDictionary<(Prompt, int), byte[]> Cache = new();

    public static TimeSpan DurationOf(Prompt prompt) => prompt switch
    {
        Prompt.Greeting => TimeSpan.FromSeconds(2.0),
        Prompt.Answer => TimeSpan.FromSeconds(3.0),
        Prompt.TransferAnnouncement => TimeSpan.FromSeconds(1.0),
        Prompt.Goodbye => TimeSpan.FromSeconds(1.0),
        _ => throw new ArgumentOutOfRangeException(nameof(prompt), prompt, null),
    };

    /// <summary>16-bit little-endian mono PCM of <paramref name="prompt"/> at <paramref name="sampleRate"/>.</summary>
    public static ReadOnlyMemory<byte> Pcm(Prompt prompt, int sampleRate) =>
        Cache.GetOrAdd((prompt, sampleRate), static key =>
        {
            // Slightly different voices per prompt make the evidence readable; each stays near 140 Hz.
            var f0 = key.Item1 switch
            {
                Prompt.Greeting => 140.0,
                Prompt.Answer => 150.0,
                Prompt.TransferAnnouncement => 130.0,
                _ => 120.0,
            };
            return Synthesize(DurationOf(key.Item1), key.Item2, f0);
        });

    /// <summary>Speech-like PCM of any length (also used by tests as caller speech).</summary>
    public static byte[] Synthesize(TimeSpan duration, int sampleRate, double fundamentalHz = 140.0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRate, 1000);
        var n = (int)Math.Round(duration.TotalSeconds * sampleRate);
        var signal = new double[n];
        var nyquistGuard = 0.45 * sampleRate;
        var phase = 0.0;
        var sumSquares = 0.0;
        for (var i = 0; i < n; i++)
        {
            var t = (double)i / sampleRate;
            var f0 = fundamentalHz * (1 + (VibratoDepth * Math.Sin(2 * Math.PI * VibratoHz * t)));
            phase += 2 * Math.PI * f0 / sampleRate;
            if (phase > 2 * Math.PI * 1000)
            {
                phase -= 2 * Math.PI * 1000; // keep precision; a whole number of cycles
            }

            var s = 0.0;
            for (var k = 1; k * f0 <= Math.Min(MaxHarmonicHz, nyquistGuard); k++)
            {
                s += Math.Sin(k * phase) / k;
            }

            // Syllables: the envelope dips but never to silence, so the peer hears one continuous utterance.
            var envelope = 0.35 + (0.65 * (0.5 - (0.5 * Math.Cos(2 * Math.PI * SyllableHz * t))));
            var fade = Math.Min(1.0, Math.Min(t, (double)(n - 1 - i) / sampleRate) / FadeSeconds);
            signal[i] = s * envelope * fade;
            sumSquares += signal[i] * signal[i];
        }

        var rms = n == 0 ? 1 : Math.Sqrt(sumSquares / n);
        var gain = rms == 0 ? 0 : TargetRms / rms;
        var pcm = new byte[n * 2];
        for (var i = 0; i < n; i++)
        {
            var v = Math.Clamp(signal[i] * gain, -1.0, 32766.0 / 32767.0);
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 2), (short)Math.Round(v * 32767));
        }

        return pcm;
    }
}
