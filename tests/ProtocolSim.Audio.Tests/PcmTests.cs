namespace ProtocolSim.Audio.Tests;

public sealed class PcmTests
{
    [Fact]
    public void ToSamples_LittleEndianBytes_DecodesSigned()
    {
        Assert.Equal(new short[] { 1, -1, short.MinValue, short.MaxValue }, Pcm.ToSamples([0x01, 0x00, 0xFF, 0xFF, 0x00, 0x80, 0xFF, 0x7F]));
    }

    [Fact]
    public void ToBytes_ThenToSamples_RoundTrips()
    {
        var samples = Signals.Noise(1001, 5000, seed: 3);

        Assert.Equal(samples, Pcm.ToSamples(Pcm.ToBytes(samples)));
        Assert.Equal(new byte[] { 0x34, 0x12 }, Pcm.ToBytes([0x1234]));
    }

    [Fact]
    public void ToSamples_OddByteCount_ThrowsNamingCount()
    {
        var error = Assert.Throws<ArgumentException>(() => Pcm.ToSamples(new byte[5]));

        Assert.Contains("5 bytes", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(20, 8000, 1, 320)]
    [InlineData(20, 16000, 1, 640)]
    [InlineData(20, 48000, 2, 3840)]
    [InlineData(1000, 24000, 1, 48000)]
    [InlineData(0, 8000, 1, 0)]
    public void BytesPer_Duration_GivesWholeFrames(int milliseconds, int sampleRate, int channels, int expected)
    {
        Assert.Equal(expected, Pcm.BytesPer(TimeSpan.FromMilliseconds(milliseconds), sampleRate, channels));
    }

    [Fact]
    public void BytesPer_FractionalFrame_RoundsToNearestFrame()
    {
        // 1/24000 s is 416.67 ticks: 416 ticks is still the nearest whole frame.
        Assert.Equal(2, Pcm.BytesPer(TimeSpan.FromTicks(416), 24000));
        Assert.Equal(0, Pcm.BytesPer(TimeSpan.FromTicks(200), 24000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pcm.BytesPer(TimeSpan.FromSeconds(-1), 8000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pcm.BytesPer(TimeSpan.FromDays(1), 48000, 2));
    }

    [Fact]
    public void DurationOf_ByteCount_CountsWholeFrames()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(20), Pcm.DurationOf(320, 8000));
        Assert.Equal(TimeSpan.FromMilliseconds(20), Pcm.DurationOf(321, 8000));
        Assert.Equal(TimeSpan.FromMilliseconds(10), Pcm.DurationOf(1920, 48000, 2));
        Assert.Equal(TimeSpan.Zero, Pcm.DurationOf(3, 8000, 2));
    }

    [Theory]
    [InlineData(8000, 1)]
    [InlineData(24000, 1)]
    [InlineData(44100, 2)]
    [InlineData(48000, 2)]
    public void DurationOf_ThenBytesPer_RoundTrips(int sampleRate, int channels)
    {
        var frameBytes = 2 * channels;
        for (var bytes = 0; bytes < 20000; bytes += frameBytes)
        {
            Assert.Equal(bytes, Pcm.BytesPer(Pcm.DurationOf(bytes, sampleRate, channels), sampleRate, channels));
        }
    }

    [Fact]
    public void Frames_UnevenLength_SlicesWithShortLastFrame()
    {
        var pcm = Enumerable.Range(0, 700).Select(i => (byte)i).ToArray();

        var frames = Pcm.Frames(pcm, 320).ToList();

        Assert.Equal([320, 320, 60], frames.Select(f => f.Length));
        Assert.Equal(pcm, frames.SelectMany(f => f.ToArray()));
        Assert.Empty(Pcm.Frames(ReadOnlyMemory<byte>.Empty, 320));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pcm.Frames(pcm, 0));
    }

    [Fact]
    public void RmsDbfs_ReferenceSignals_GiveExpectedLevels()
    {
        var fullScale = Enumerable.Repeat(short.MinValue, 1000).ToArray();
        var sine = Signals.Tones(8000, 1, 1, 1000);
        var half = Signals.Tones(8000, 1, 0.5, 1000);

        Assert.Equal(0, Pcm.RmsDbfs(Pcm.ToBytes(fullScale)), precision: 6);
        Assert.Equal(-3.01, Pcm.RmsDbfs(Pcm.ToBytes(sine)), precision: 2);
        Assert.Equal(-9.03, Pcm.RmsDbfs(Pcm.ToBytes(half)), precision: 2);
    }

    [Fact]
    public void RmsDbfs_SilenceAndLineNoise_AreVeryLow()
    {
        Assert.Equal(-120, Pcm.RmsDbfs(new byte[320]));
        Assert.Equal(-120, Pcm.RmsDbfs([]));
        Assert.Equal(-120, Pcm.RmsDbfs([0x05]));
        var noise = Pcm.RmsDbfs(Pcm.ToBytes(Signals.Noise(16000, 3.28, seed: 1)));
        Assert.InRange(noise, -81, -79);
    }
}
