using System.Buffers.Binary;

namespace ProtocolSim.Audio.Tests;

public sealed class WavTests
{
    private static readonly short[] Ramp = Enumerable.Range(0, 1600).Select(i => (short)((i * 41) - 32000)).ToArray();

    [Fact]
    public void Encode_PcmBytes_WritesCanonical44ByteHeader()
    {
        var pcm = Pcm.ToBytes(Ramp);

        var file = Wav.Encode(pcm, 16000);

        Assert.Equal(44 + pcm.Length, file.Length);
        Assert.Equal("RIFF"u8.ToArray(), file[..4]);
        Assert.Equal((uint)(36 + pcm.Length), BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(4)));
        Assert.Equal("WAVEfmt "u8.ToArray(), file[8..16]);
        Assert.Equal(16u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(16)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(20)));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(22)));
        Assert.Equal(16000u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(24)));
        Assert.Equal(32000u, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(28)));
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(32)));
        Assert.Equal(16, BinaryPrimitives.ReadUInt16LittleEndian(file.AsSpan(34)));
        Assert.Equal("data"u8.ToArray(), file[36..40]);
        Assert.Equal((uint)pcm.Length, BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(40)));
        Assert.Equal(pcm, file[44..]);
    }

    [Fact]
    public void Encode_Samples_EqualsByteOverload()
    {
        Assert.Equal(Wav.Encode(Pcm.ToBytes(Ramp), 8000, 2), Wav.Encode(Ramp, 8000, 2));
    }

    [Fact]
    public void Encode_PartialFrame_ThrowsNamingSizes()
    {
        var odd = Assert.Throws<ArgumentException>(() => Wav.Encode(new byte[3001], 8000));
        Assert.Contains("3001 bytes", odd.Message, StringComparison.Ordinal);

        var stereo = Assert.Throws<ArgumentException>(() => Wav.Encode(new short[3], 8000, channels: 2));
        Assert.Contains("3 samples", stereo.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => Wav.Encode(new byte[2], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Wav.Encode(new byte[2], 8000, channels: 0));
    }

    [Fact]
    public void Parse_EncodedFile_RoundTripsWithoutDefects()
    {
        var file = Wav.Encode(Ramp, 24000);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        Assert.Empty(result.Defects);
        Assert.Equal(WavFormat.Pcm16Mono(24000), result.Format);
        Assert.Equal(44, result.HeaderLength);
        Assert.Equal(Pcm.ToBytes(Ramp), result.Data.ToArray());
    }

    [Fact]
    public void Parse_EmptyFile_ReportsTruncated()
    {
        var result = Wav.Parse(ReadOnlyMemory<byte>.Empty);

        var defect = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.Truncated, defect.Kind);
        Assert.True(defect.IsFatal);
        Assert.Contains("input is 0 bytes", defect.Message, StringComparison.Ordinal);
        Assert.False(result.IsValid);
        Assert.Null(result.Format);
        Assert.True(result.Data.IsEmpty);
    }

    [Fact]
    public void Parse_EveryPrefixOfCanonicalHeader_IsFatalWithoutThrowing()
    {
        var file = Wav.Encode(Ramp, 8000);
        for (var length = 0; length < 44; length++)
        {
            var result = Wav.Parse(file.AsMemory(0, length));

            Assert.False(result.IsValid, $"a {length}-byte prefix was accepted");
            Assert.Contains(result.Defects, d => d.IsFatal);
        }

        // 44 bytes: header complete, data chunk declares 3200 bytes but none follow.
        var headerOnly = Wav.Parse(file.AsMemory(0, 44));
        Assert.True(headerOnly.IsValid);
        Assert.Equal(0, headerOnly.Data.Length);
        Assert.Contains(headerOnly.Defects, d => d.Kind == WavDefectKind.DataSizeMismatch);
    }

    [Fact]
    public void Parse_RandomAndMutatedInputs_NeverThrows()
    {
        var random = new Random(20240607);
        var valid = Wav.Encode(Ramp.AsSpan(0, 64), 8000);
        var withList = InsertChunk(valid, "LIST", new byte[7]);
        for (var i = 0; i < 30000; i++)
        {
            byte[] input;
            switch (i % 4)
            {
                case 0:
                    input = new byte[random.Next(0, 200)];
                    random.NextBytes(input);
                    break;
                case 1:
                    // Valid magic, random rest: gets past the header checks into the chunk walk.
                    input = new byte[random.Next(12, 120)];
                    random.NextBytes(input);
                    "RIFF"u8.CopyTo(input);
                    "WAVE"u8.CopyTo(input.AsSpan(8));
                    break;
                default:
                    // A valid file with a few bytes flipped and a random length.
                    var source = i % 4 == 2 ? valid : withList;
                    input = source[..random.Next(0, source.Length + 1)];
                    for (var flips = random.Next(1, 4); flips > 0 && input.Length > 0; flips--)
                    {
                        input[random.Next(input.Length)] = (byte)random.Next(256);
                    }

                    break;
            }

            var result = Wav.Parse(input);

            Assert.Equal(result.IsValid, !result.Defects.Any(d => d.IsFatal));
            if (result.IsValid)
            {
                Assert.NotNull(result.Format);
                Assert.InRange(result.HeaderLength + result.Data.Length, 0, input.Length);
            }
        }
    }

    [Fact]
    public void Parse_ExtremeChunkSizes_NeverThrows()
    {
        var file = Wav.Encode(Ramp.AsSpan(0, 8), 8000);
        foreach (var size in new uint[] { 0, 1, 15, 16, 17, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF7, 0xFFFFFFFF })
        {
            foreach (var at in new[] { 4, 16, 40 })
            {
                var copy = file.ToArray();
                BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(at), size);

                var result = Wav.Parse(copy);

                Assert.NotNull(result.Defects);
            }
        }
    }

    [Theory]
    [InlineData("RIFX", "'RIFX': big-endian")]
    [InlineData("OggS", "bytes 0-3 are 'OggS', expected 'RIFF'")]
    public void Parse_BadRiffMagic_ReportsFatal(string magic, string expected)
    {
        var file = Wav.Encode(Ramp, 8000);
        System.Text.Encoding.ASCII.GetBytes(magic).CopyTo(file, 0);

        var result = Wav.Parse(file);

        var defect = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.BadRiffMagic, defect.Kind);
        Assert.True(defect.IsFatal);
        Assert.Contains(expected, defect.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BadWaveMagic_ReportsFatalWithBytes()
    {
        var file = Wav.Encode(Ramp, 8000);
        "AVI "u8.CopyTo(file.AsSpan(8));

        var result = Wav.Parse(file);

        var defect = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.BadWaveMagic, defect.Kind);
        Assert.Equal("bytes 8-11 are 'AVI ', expected 'WAVE'", defect.Message);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Parse_RiffSizeWrong_ReportsNonFatalMismatch()
    {
        var file = Wav.Encode(Ramp, 8000);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 0xFFFFFFFF);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        var defect = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.RiffSizeMismatch, defect.Kind);
        Assert.Equal("RIFF header declares 4294967295 bytes after offset 8 but 3236 follow", defect.Message);
        Assert.Equal(3200, result.Data.Length);
    }

    [Fact]
    public void Parse_DataDeclaresMoreThanPresent_ReportsSizesAndKeepsWhatIsThere()
    {
        var file = Wav.Encode(Ramp, 8000)[..(44 + 3000)];

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        var mismatch = Assert.Single(result.Defects, d => d.Kind == WavDefectKind.DataSizeMismatch);
        Assert.Equal("data chunk at offset 36 declares 3200 bytes but 3000 follow", mismatch.Message);
        Assert.False(mismatch.IsFatal);
        Assert.Contains(result.Defects, d => d.Kind == WavDefectKind.RiffSizeMismatch);
        Assert.Equal(3000, result.Data.Length);
    }

    [Fact]
    public void Parse_StreamingPlaceholderSizes_ReadsDataPresent()
    {
        // espeak-ng --stdout (and other pipe writers) cannot seek back, so they declare 0x7FFFF000-ish sizes.
        var file = Wav.Encode(Ramp, 22050);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), 0x7FFFF024);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(40), 0x7FFFF000);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        Assert.Equal([WavDefectKind.RiffSizeMismatch, WavDefectKind.DataSizeMismatch], result.Defects.Select(d => d.Kind));
        Assert.Equal("data chunk at offset 36 declares 2147479552 bytes but 3200 follow", result.Defects[1].Message);
        Assert.Equal(3200, result.Data.Length);
    }

    [Fact]
    public void Parse_ListChunkBeforeData_ReportsExtraChunkAndFindsData()
    {
        var file = InsertChunk(Wav.Encode(Ramp, 8000), "LIST", new byte[26]);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        var extra = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.ExtraChunk, extra.Kind);
        Assert.Equal("chunk 'LIST' at offset 36 (26 bytes) ignored", extra.Message);
        Assert.Equal(44 + 34, result.HeaderLength);
        Assert.Equal(Pcm.ToBytes(Ramp), result.Data.ToArray());
    }

    [Fact]
    public void Parse_OddSizedChunk_SkipsPadByte()
    {
        // 'junk' of 5 bytes plus one pad byte: the data chunk starts at 36 + 8 + 6.
        var file = InsertChunk(Wav.Encode(Ramp, 8000), "junk", [1, 2, 3, 4, 5]);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        Assert.Equal(36 + 8 + 6 + 8, result.HeaderLength);
        Assert.Equal(Pcm.ToBytes(Ramp), result.Data.ToArray());
    }

    [Fact]
    public void Parse_Extensible_MapsToSubformat()
    {
        var file = ExtensibleFile(subformatTag: 1, channels: 2, sampleRate: 48000, bits: 16, data: new byte[400]);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid, string.Join("; ", result.Defects));
        Assert.Empty(result.Defects);
        Assert.Equal(new WavFormat(1, 2, 48000, 16), result.Format);
        Assert.True(result.Format!.IsPcm16);
        Assert.Equal(400, result.Data.Length);
    }

    [Fact]
    public void Parse_ExtensibleWithShortFmt_ReportsFmtChunkTooShort()
    {
        var file = Wav.Encode(Ramp, 8000);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(20), WavFormat.ExtensibleTag);

        var result = Wav.Parse(file);

        var defect = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.FmtChunkTooShort, defect.Kind);
        Assert.Contains("40 are needed", defect.Message, StringComparison.Ordinal);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Parse_FmtChunkTooShort_ReportsFatal()
    {
        var file = Wav.Encode(Ramp, 8000);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), 14);

        var result = Wav.Parse(file);

        var defect = Assert.Single(result.Defects, d => d.Kind == WavDefectKind.FmtChunkTooShort);
        Assert.Equal("fmt chunk at offset 12 declares 14 bytes; at least 16 are needed", defect.Message);
        Assert.False(result.IsValid);
    }

    [Fact]
    public void Parse_NoFmtChunk_ReportsMissingFmtListingChunks()
    {
        var file = Wav.Encode(Ramp, 8000);
        "abcd"u8.CopyTo(file.AsSpan(12));

        var result = Wav.Parse(file);

        var missing = Assert.Single(result.Defects, d => d.Kind == WavDefectKind.MissingFmtChunk);
        Assert.True(missing.IsFatal);
        Assert.Equal(
            "no 'fmt ' chunk; chunks found: 'abcd' at offset 12 (16 bytes), 'data' at offset 36 (3200 bytes)",
            missing.Message);
        Assert.Null(result.Format);
    }

    [Fact]
    public void Parse_NoDataChunk_ReportsMissingData()
    {
        var file = Wav.Encode(Ramp, 8000)[..36];

        var result = Wav.Parse(file);

        var missing = Assert.Single(result.Defects, d => d.Kind == WavDefectKind.MissingDataChunk);
        Assert.True(missing.IsFatal);
        Assert.Equal("no 'data' chunk; chunks found: 'fmt ' at offset 12 (16 bytes)", missing.Message);
        Assert.NotNull(result.Format);
        Assert.Equal(0, result.HeaderLength);
    }

    [Fact]
    public void Parse_OddDataLength_ReportsNonFatal()
    {
        var file = Wav.Encode(Ramp, 8000);
        var odd = file[..^1];
        BinaryPrimitives.WriteUInt32LittleEndian(odd.AsSpan(4), (uint)(odd.Length - 8));
        BinaryPrimitives.WriteUInt32LittleEndian(odd.AsSpan(40), 3199);

        var result = Wav.Parse(odd);

        Assert.True(result.IsValid);
        var defect = Assert.Single(result.Defects);
        Assert.Equal(WavDefectKind.OddDataLength, defect.Kind);
        Assert.Equal(
            "data chunk at offset 36 holds 3199 bytes, not a whole number of 2-byte frames (1 channel(s) x 16 bits); 1 trailing byte(s)",
            defect.Message);
        Assert.Equal(3199, result.Data.Length);
        Assert.Equal(3198, Wav.Decode(odd).Data.Length);
    }

    [Fact]
    public void Parse_ZeroChannelsOrBits_ReportsFatalUnexpectedFormat()
    {
        var file = Wav.Encode(Ramp, 8000);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(22), 0);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(34), 0);

        var result = Wav.Parse(file);

        Assert.False(result.IsValid);
        Assert.Equal(
            ["fmt chunk at offset 12 declares 0 channels", "fmt chunk at offset 12 declares 0 bits per sample"],
            result.Defects.Where(d => d.Kind == WavDefectKind.UnexpectedFormat).Select(d => d.Message));
    }

    [Fact]
    public void Parse_ByteRateAndBlockAlignInconsistent_ReportsNonFatalDefects()
    {
        var file = Wav.Encode(Ramp, 8000);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(28), 8000);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(32), 3);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        Assert.Equal(
            [
                "BlockAlignMismatch: fmt chunk at offset 12 declares block align 3 but 1 channel(s) x 16 bits needs 2",
                "ByteRateMismatch: fmt chunk at offset 12 declares byte rate 8000 but 8000 Hz x 2-byte frames is 16000",
            ],
            result.Defects.Select(d => d.ToString()));
    }

    [Fact]
    public void Parse_OtherFormats_ReportedNotJudged()
    {
        // mu-law, 8 bits: the parser reports the format; deciding whether it is acceptable is the caller's job.
        var file = Wav.Encode(Ramp, 8000);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(20), WavFormat.MuLawTag);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(28), 8000);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(32), 1);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(34), 8);

        var result = Wav.Parse(file);

        Assert.True(result.IsValid);
        Assert.Empty(result.Defects);
        Assert.Equal(new WavFormat(WavFormat.MuLawTag, 1, 8000, 8), result.Format);
        Assert.False(result.Format!.IsPcm16);
    }

    [Fact]
    public void Parse_SecondDataChunk_IgnoredAndReported()
    {
        var file = Wav.Encode(Ramp, 8000);
        byte[] twice = [.. file, .. "data"u8, 2, 0, 0, 0, 9, 9];

        var result = Wav.Parse(twice);

        Assert.Contains(result.Defects, d => d is { Kind: WavDefectKind.ExtraChunk, Message: "second 'data' chunk at offset 3244 (2 bytes) ignored" });
        Assert.Equal(3200, result.Data.Length);
    }

    [Fact]
    public void Parse_UnprintableChunkId_RenderedAsHex()
    {
        var file = InsertChunk(Wav.Encode(Ramp, 8000), "\u0001bc'", [0, 0]);

        var result = Wav.Parse(file);

        Assert.Equal("chunk '\\x01bc\\x27' at offset 36 (2 bytes) ignored", Assert.Single(result.Defects).Message);
    }

    [Fact]
    public void ReadFile_InvalidFile_ThrowsInvalidDataExceptionListingFatalDefects()
    {
        using var dir = new TempDirectory();
        var path = dir.File("broken.wav");
        File.WriteAllBytes(path, Wav.Encode(Ramp, 8000)[..30]);

        var error = Assert.Throws<InvalidDataException>(() => Wav.ReadFile(path));

        Assert.StartsWith($"{path} is not a usable WAV file: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Truncated (fatal): fmt chunk at offset 12 declares 16 bytes but only 10 follow", error.Message, StringComparison.Ordinal);
        Assert.Contains("MissingDataChunk (fatal)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteFile_ThenReadFile_RoundTrips()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ramp.wav");

        Wav.WriteFile(path, Pcm.ToBytes(Ramp), 16000, channels: 2);
        var audio = Wav.ReadFile(path);

        Assert.Equal(new WavFormat(1, 2, 16000, 16), audio.Format);
        Assert.Equal(Pcm.ToBytes(Ramp), audio.Data);
        Assert.Equal(TimeSpan.FromMilliseconds(50), audio.Duration);
    }

    [Fact]
    public void WavFormat_Pcm16Mono_DerivesBlockAlignAndByteRate()
    {
        var format = WavFormat.Pcm16Mono(8000);

        Assert.Equal(new WavFormat(1, 1, 8000, 16), format);
        Assert.Equal(2, format.BlockAlign);
        Assert.Equal(16000, format.ByteRate);
        Assert.Equal(6, new WavFormat(1, 2, 48000, 24).BlockAlign);
        Assert.Equal(288000, new WavFormat(1, 2, 48000, 24).ByteRate);
    }

    [Fact]
    public void WavAudio_Duration_CountsWholeFrames()
    {
        Assert.Equal(TimeSpan.FromSeconds(1), new WavAudio(WavFormat.Pcm16Mono(24000), new byte[48001]).Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(20), new WavAudio(WavFormat.Pcm16Mono(8000), new byte[320]).Duration);
    }

    private static byte[] InsertChunk(byte[] canonical, string id, byte[] payload)
    {
        var pad = payload.Length % 2;
        byte[] chunk = [.. System.Text.Encoding.Latin1.GetBytes(id), .. new byte[4], .. payload, .. new byte[pad]];
        BinaryPrimitives.WriteUInt32LittleEndian(chunk.AsSpan(4), (uint)payload.Length);
        byte[] file = [.. canonical[..36], .. chunk, .. canonical[36..]];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(file.Length - 8));
        return file;
    }

    private static byte[] ExtensibleFile(ushort subformatTag, int channels, int sampleRate, int bits, byte[] data)
    {
        var fmt = new byte[40];
        var blockAlign = channels * bits / 8;
        BinaryPrimitives.WriteUInt16LittleEndian(fmt, WavFormat.ExtensibleTag);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(2), (ushort)channels);
        BinaryPrimitives.WriteInt32LittleEndian(fmt.AsSpan(4), sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(fmt.AsSpan(8), sampleRate * blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(12), (ushort)blockAlign);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(14), (ushort)bits);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(16), 22);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(18), (ushort)bits);
        BinaryPrimitives.WriteUInt32LittleEndian(fmt.AsSpan(20), 3);
        BinaryPrimitives.WriteUInt16LittleEndian(fmt.AsSpan(24), subformatTag);
        byte[] guidTail = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];
        guidTail.CopyTo(fmt.AsSpan(26));
        byte[] file = [.. "RIFF"u8, 0, 0, 0, 0, .. "WAVEfmt "u8, 40, 0, 0, 0, .. fmt, .. "data"u8, 0, 0, 0, 0, .. data];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(4), (uint)(file.Length - 8));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(12 + 8 + 40 + 4), (uint)data.Length);
        return file;
    }
}
