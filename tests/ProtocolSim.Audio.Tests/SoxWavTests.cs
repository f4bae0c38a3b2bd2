using System.Buffers.Binary;
using System.Globalization;

namespace ProtocolSim.Audio.Tests;

/// <summary>Our WAV writer and reader against sox 14.4's.</summary>
public sealed class SoxWavTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(8000, 1, 12000)]
    [InlineData(48000, 2, 48000)]
    [InlineData(24000, 1, 1)]
    public void WriteFile_ReadBySox_ReportsRateChannelsAndDuration(int sampleRate, int channels, int frames)
    {
        var path = _dir.File("ours.wav");
        var samples = Signals.Noise(frames * channels, 1000, seed: frames);

        Wav.WriteFile(path, Pcm.ToBytes(samples), sampleRate, channels);

        Assert.Equal(sampleRate.ToString(CultureInfo.InvariantCulture), Sox.Info("-r", path));
        Assert.Equal(channels.ToString(CultureInfo.InvariantCulture), Sox.Info("-c", path));
        Assert.Equal(frames.ToString(CultureInfo.InvariantCulture), Sox.Info("-s", path));
        Assert.Equal(((double)frames / sampleRate).ToString("F6", CultureInfo.InvariantCulture), Sox.Info("-D", path));
        Assert.Equal("16", Sox.Info("-b", path));
        Assert.Equal("Signed Integer PCM", Sox.Info("-e", path));

        // And sox's decoding of our file is our samples.
        Sox.Run(path, "-t", "raw", _dir.File("back.raw"));
        Assert.Equal(samples, Pcm.ToSamples(File.ReadAllBytes(_dir.File("back.raw"))));
    }

    [Fact]
    public void ReadFile_SoxWrittenPcm_MatchesSoxRawExport()
    {
        var wav = _dir.File("sox.wav");
        Sox.Run("-n", "-r", "16000", "-b", "16", "-c", "1", wav, "synth", "0.5", "sine", "440", "vol", "0.5");
        Sox.Run(wav, "-t", "raw", _dir.File("sox.raw"));

        var audio = Wav.ReadFile(wav);

        Assert.Equal(WavFormat.Pcm16Mono(16000), audio.Format);
        Assert.Equal(File.ReadAllBytes(_dir.File("sox.raw")), audio.Data);
        Assert.Equal(TimeSpan.FromSeconds(0.5), audio.Duration);
        Assert.Empty(Wav.Parse(File.ReadAllBytes(wav)).Defects);
    }

    [Theory]
    [InlineData(WavFormat.MuLawTag, "mu-law", 1)]
    [InlineData(WavFormat.ALawTag, "a-law", 2)]
    [InlineData(WavFormat.MuLawTag, "mu-law", 2)]
    public void EncodeG711_ReadBySox_SameFormatAndCodes(ushort tag, string soxEncoding, int channels)
    {
        var samples = Signals.Noise(8001 * channels, 3000, seed: channels);
        var codes = tag == WavFormat.MuLawTag ? G711.EncodeMuLaw(samples) : G711.EncodeALaw(samples);
        var path = _dir.File("g711.wav");
        File.WriteAllBytes(path, Wav.EncodeG711(codes, 8000, channels, tag));

        Assert.Equal("8000", Sox.Info("-r", path));
        Assert.Equal(channels.ToString(CultureInfo.InvariantCulture), Sox.Info("-c", path));
        Assert.Equal("8001", Sox.Info("-s", path));
        Sox.Run(path, "-t", "raw", "-e", soxEncoding, _dir.File("codes.raw"));
        Assert.Equal(codes, File.ReadAllBytes(_dir.File("codes.raw")));
        var parsed = Wav.Parse(File.ReadAllBytes(path));
        Assert.Equal(new WavFormat(tag, channels, 8000, 8), parsed.Format);
        Assert.Equal(codes, parsed.Data.ToArray());
    }

    [Fact]
    public void Parse_SoxMuLawWav_ReportsFormatAndFactChunk()
    {
        var wav = _dir.File("mulaw.wav");
        Sox.Run("-n", "-r", "8000", "-e", "mu-law", "-c", "1", wav, "synth", "0.1", "sine", "440");
        Sox.Run(wav, "-t", "raw", "-e", "mu-law", _dir.File("mulaw.raw"));

        var result = Wav.Parse(File.ReadAllBytes(wav));

        Assert.True(result.IsValid);
        Assert.Equal(new WavFormat(WavFormat.MuLawTag, 1, 8000, 8), result.Format);
        var fact = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.ExtraChunk, fact.Kind);
        Assert.StartsWith("chunk 'fact' at offset 38", fact.Message, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllBytes(_dir.File("mulaw.raw")), result.Data.ToArray());
    }

    [Fact]
    public void Parse_SoxExtensible24BitThreeChannels_MapsToPcmSubformat()
    {
        // sox writes WAVE_FORMAT_EXTENSIBLE for more than two channels or more than 16 bits.
        var wav = _dir.File("ext.wav");
        Sox.Run("-n", "-r", "48000", "-b", "24", "-c", "3", wav, "synth", "0.1", "sine", "440");

        var result = Wav.Parse(File.ReadAllBytes(wav));

        Assert.True(result.IsValid, string.Join("; ", result.Defects));
        Assert.Equal(new WavFormat(WavFormat.PcmTag, 3, 48000, 24), result.Format);
        Assert.Equal(4800 * 9, result.Data.Length);
    }

    [Fact]
    public void Parse_FileWithOddSizedListChunk_ReadsSameSamplesAsSox()
    {
        // sox 14.4.2 does not write LIST chunks (its --comment is not stored in WAV), so the file is built here the way
        // other writers do it (LIST/INFO/ISFT before data, odd payload plus pad byte), with sox as the reference reader.
        var samples = Signals.Noise(800, 2000, seed: 7);
        var canonical = Wav.Encode(samples, 8000);
        byte[] list = [.. "LIST"u8, 0, 0, 0, 0, .. "INFOISFT"u8, 9, 0, 0, 0, .. "Lavf58.7\0"u8, 0];
        BinaryPrimitives.WriteUInt32LittleEndian(list.AsSpan(4), 4 + 8 + 9);
        byte[] file = [.. canonical[..36], .. list, .. canonical[36..]];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(file.Length - 8));
        var path = _dir.File("list.wav");
        File.WriteAllBytes(path, file);
        Sox.Run(path, "-t", "raw", _dir.File("list.raw"));

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        Assert.Equal("chunk 'LIST' at offset 36 (21 bytes) ignored", Assert.Single(result.Defects).Message);
        Assert.Equal(File.ReadAllBytes(_dir.File("list.raw")), result.Data.ToArray());
        Assert.Equal(samples, Pcm.ToSamples(result.Data.Span));
    }
}
