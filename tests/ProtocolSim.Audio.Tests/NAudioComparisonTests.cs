using NAudio.Codecs;
using NAudio.Wave;
using NAudio.Wave.SampleProviders;
using Xunit.Abstractions;

namespace ProtocolSim.Audio.Tests;

/// <summary>
/// Why ProtocolSim.Audio keeps three things of its own beside NAudio.Core (docs/audio.md): G.711 bit-exact with
/// <c>sox -D</c>, a resampler that rejects aliases below 16-bit quantisation, and a WAV parser that names defects.
/// Each test measures NAudio against ours and prints the figures; it fails if NAudio catches up (then use NAudio).
/// </summary>
public sealed class NAudioComparisonTests(ITestOutputHelper output)
{
    private static readonly short[] AllSamples = Enumerable.Range(short.MinValue, 65536).Select(i => (short)i).ToArray();
    private static readonly byte[] AllCodes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

    [Theory]
    [InlineData("mu-law")]
    [InlineData("a-law")]
    public void G711Encode_NAudioDiffersFromSox_OursDoesNot(string encoding)
    {
        var sox = Sox.EncodeG711(AllSamples, encoding);

        var naudio = AllSamples.Select(s => encoding == "mu-law" ? MuLawEncoder.LinearToMuLawSample(s) : ALawEncoder.LinearToALawSample(s)).ToArray();
        var ours = encoding == "mu-law" ? G711.EncodeMuLaw(AllSamples) : G711.EncodeALaw(AllSamples);
        var naudioDiffers = Enumerable.Range(0, 65536).Count(i => naudio[i] != sox[i]);
        var oursDiffers = Enumerable.Range(0, 65536).Count(i => ours[i] != sox[i]);
        output.WriteLine($"{encoding} encode, all 65,536 16-bit values: NAudio.Core differs from sox -D on {naudioDiffers:N0}, ours on {oursDiffers:N0}");
        Assert.Equal(0, oursDiffers);
        Assert.True(naudioDiffers > 0, $"NAudio's {encoding} encoder now matches sox bit for bit: use it instead of ours");
    }

    [Theory]
    [InlineData("mu-law")]
    [InlineData("a-law")]
    public void G711Decode_NAudioAgainstSox(string encoding)
    {
        var sox = Sox.DecodeG711(AllCodes, encoding);

        var naudio = AllCodes.Select(c => encoding == "mu-law" ? MuLawDecoder.MuLawToLinearSample(c) : ALawDecoder.ALawToLinearSample(c)).ToArray();
        var ours = encoding == "mu-law" ? G711.DecodeMuLaw(AllCodes) : G711.DecodeALaw(AllCodes);
        var naudioDiffers = Enumerable.Range(0, 256).Count(i => naudio[i] != sox[i]);
        output.WriteLine($"{encoding} decode, all 256 codes: NAudio.Core differs from sox -D on {naudioDiffers}, ours on {Enumerable.Range(0, 256).Count(i => ours[i] != sox[i])}");
        Assert.Equal(sox, ours);
    }

    [Theory]
    [InlineData(16000, 8000, 6000)]
    [InlineData(48000, 8000, 4400)]
    [InlineData(48000, 16000, 8800)]
    public void Resample_ToneAboveTheNewNyquist_NAudioWdlPassesFarMoreAlias(int fromRate, int toRate, double frequency)
    {
        var input = Signals.Tones(fromRate, 1, 0.5, frequency);
        var ours = Resampler.Resample(input, fromRate, toRate);

        var wdl = new WdlResamplingSampleProvider(new FloatSource(input, fromRate), toRate);
        var floats = new float[(input.Length * (long)toRate / fromRate) + 4096];
        var read = 0;
        int n;
        while ((n = wdl.Read(floats.AsSpan(read, Math.Min(4096, floats.Length - read)))) > 0)
        {
            read += n;
        }

        var naudio = floats.Take(read).Select(f => (short)Math.Clamp(Math.Round(f * 32768.0), short.MinValue, short.MaxValue)).ToArray();
        var oursDb = Signals.AttenuationDb(input, ours);
        var naudioDb = Signals.AttenuationDb(input, naudio);
        output.WriteLine($"{frequency} Hz tone {fromRate} -> {toRate} Hz (above the new Nyquist {toRate / 2} Hz): attenuated {oursDb:F1} dB by ours, {naudioDb:F1} dB by NAudio.Core's WdlResamplingSampleProvider");
        Assert.True(oursDb >= 70, $"ours attenuated only {oursDb:F1} dB");
        Assert.True(naudioDb < oursDb - 20, $"NAudio's WDL resampler now rejects aliases within 20 dB of ours ({naudioDb:F1} dB against {oursDb:F1} dB): consider it");
    }

    [Fact]
    public void MalformedWav_NAudioThrows_OursNamesTheDefect()
    {
        // A data chunk that declares 1,000 bytes more than the file holds, as a bot's truncated WAV does.
        var file = Wav.Encode(new short[800], 8000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(40), 1600 + 1000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 15);

        string naudio;
        try
        {
            using var reader = new WaveFileReader(new MemoryStream(file));
            naudio = $"read {reader.Length} bytes without a complaint";
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or EndOfStreamException or ArgumentException)
        {
            naudio = $"{e.GetType().Name}: {e.Message}";
        }

        var ours = Wav.Parse(file);
        output.WriteLine($"NAudio.Core WaveFileReader: {naudio}");
        output.WriteLine($"ours: {string.Join("; ", ours.Defects.Select(d => d.ToString()))}");
        Assert.Contains(ours.Defects, d => d.Message.Contains("fmt", StringComparison.Ordinal) && d.Message.Contains("15", StringComparison.Ordinal));
        Assert.DoesNotContain("offset", naudio, StringComparison.Ordinal);
    }

    [Fact]
    public void WellFormedFiles_AreWrittenAndReadByNAudio_WithTheCanonicalHeader()
    {
        short[] samples = [1, -2, 3, -4, 5, -6];
        using var dir = new TempDirectory();
        File.WriteAllBytes(dir.File("pcm.wav"), Wav.Encode(samples, 16000, channels: 2));
        var pcm = File.ReadAllBytes(dir.File("pcm.wav"));
        Assert.Equal(Wav.CanonicalHeaderLength + 12, pcm.Length);
        var read = Wav.ReadFile(dir.File("pcm.wav"));
        Assert.Equal(new WavFormat(WavFormat.PcmTag, 2, 16000, 16), read.Format);
        Assert.Equal(samples, Pcm.ToSamples(read.Data));

        // G.711 as sox writes it: an 18-byte fmt chunk, a fact chunk, an odd data chunk padded to a word.
        var ulaw = Wav.EncodeG711([0xFF, 0x7F, 0x00], 8000, 1, WavFormat.MuLawTag);
        Assert.Equal(12 + 8 + 18 + 12 + 8 + 3 + 1, ulaw.Length);
        File.WriteAllBytes(dir.File("ulaw.wav"), ulaw);
        Sox.Run("--i", dir.File("ulaw.wav"));
        var back = Wav.ReadFile(dir.File("ulaw.wav"));
        Assert.Equal(WavFormat.MuLawTag, back.Format.FormatTag);
        Assert.Equal(new byte[] { 0xFF, 0x7F, 0x00 }, back.Data);
    }

    /// <summary>Samples as an NAudio sample provider (IEEE float, mono).</summary>
    private sealed class FloatSource(short[] samples, int rate) : ISampleProvider
    {
        private int _position;

        public WaveFormat WaveFormat { get; } = WaveFormat.CreateIeeeFloatWaveFormat(rate, 1);

        public int Read(Span<float> buffer)
        {
            var n = Math.Min(buffer.Length, samples.Length - _position);
            for (var i = 0; i < n; i++)
            {
                buffer[i] = samples[_position + i] / 32768f;
            }

            _position += n;
            return n;
        }
    }
}
