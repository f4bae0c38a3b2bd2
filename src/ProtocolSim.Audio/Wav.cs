using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using NAudio.Wave;

namespace ProtocolSim.Audio;

/// <summary>
/// RIFF/WAVE files: well-formed ones written and read with NAudio (canonical 44-byte header for 16-bit PCM), and a
/// tolerant parser of our own for the files clients and bots send, which never throws and reports every defect it
/// finds with offsets and sizes (a conformance verdict says exactly what is wrong with a WAV; NAudio's reader throws).
/// </summary>
public static class Wav
{
    /// <summary>Length of the canonical header <see cref="Encode(ReadOnlySpan{byte}, int, int)"/> writes.</summary>
    public const int CanonicalHeaderLength = 44;

    private const int RiffHeaderLength = 12;
    private const int ChunkHeaderLength = 8;
    private const int MinFmtLength = 16;
    private const int ExtensibleFmtLength = 40;

    // KSDATAFORMAT_SUBTYPE_xxx = {0000tttt-0000-0010-8000-00AA00389B71}; bytes 2..15 of the GUID as stored.
    private static ReadOnlySpan<byte> KsDataFormatSuffix => [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71];

    /// <summary>Wraps 16-bit little-endian PCM in a canonical 44-byte RIFF/WAVE header.</summary>
    /// <exception cref="ArgumentException">The data is not a whole number of frames.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Sample rate or channel count out of range.</exception>
    public static byte[] Encode(ReadOnlySpan<byte> pcm16le, int sampleRate, int channels = 1)
    {
        ValidateFormat(sampleRate, channels, pcm16le.Length, nameof(pcm16le));
        var blockAlign = 2 * channels;
        if (pcm16le.Length % blockAlign != 0)
        {
            throw new ArgumentException(
                $"pcm16le holds {pcm16le.Length} bytes, not a whole number of {blockAlign}-byte frames ({channels} channel(s) x 16 bits)",
                nameof(pcm16le));
        }

        return Write(new WaveFormat(sampleRate, 16, channels), pcm16le);
    }

    /// <summary>Wraps 16-bit samples (interleaved when <paramref name="channels"/> &gt; 1) in a canonical 44-byte RIFF/WAVE header.</summary>
    /// <exception cref="ArgumentException">The sample count is not a multiple of the channel count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Sample rate or channel count out of range.</exception>
    public static byte[] Encode(ReadOnlySpan<short> samples, int sampleRate, int channels = 1)
    {
        ValidateFormat(sampleRate, channels, (long)samples.Length * 2, nameof(samples));
        if (samples.Length % channels != 0)
        {
            throw new ArgumentException(
                $"samples holds {samples.Length} samples, not a whole number of {channels}-channel frames",
                nameof(samples));
        }

        var pcm = new byte[samples.Length * 2];
        Pcm.WriteSamples(samples, pcm);
        return Write(new WaveFormat(sampleRate, 16, channels), pcm);
    }

    /// <summary>
    /// Wraps G.711 codes (interleaved when <paramref name="channels"/> &gt; 1) in a RIFF/WAVE file with an 18-byte
    /// <c>fmt </c> chunk (<paramref name="formatTag"/> <see cref="WavFormat.MuLawTag"/> or <see cref="WavFormat.ALawTag"/>,
    /// 8 bits, <c>cbSize</c> 0) and a <c>fact</c> chunk, as sox writes them.
    /// </summary>
    public static byte[] EncodeG711(ReadOnlySpan<byte> codes, int sampleRate, int channels, ushort formatTag)
    {
        ValidateFormat(sampleRate, channels, codes.Length, nameof(codes));
        if (formatTag is not (WavFormat.MuLawTag or WavFormat.ALawTag))
        {
            throw new ArgumentOutOfRangeException(nameof(formatTag), formatTag, "G.711 WAV files are mu-law (7) or A-law (6)");
        }

        if (codes.Length % channels != 0)
        {
            throw new ArgumentException($"codes holds {codes.Length} bytes, not a whole number of {channels}-channel frames", nameof(codes));
        }

        return Write(formatTag == WavFormat.MuLawTag ? WaveFormat.CreateMuLawFormat(sampleRate, channels) : WaveFormat.CreateALawFormat(sampleRate, channels), codes);
    }

    /// <summary>
    /// A well-formed file written by NAudio's <see cref="WaveFileWriter"/>: the 16-byte <c>fmt </c> of PCM (a canonical
    /// 44-byte header), or for G.711 the 18-byte one with a <c>fact</c> chunk; an odd data chunk padded to a word.
    /// </summary>
    private static byte[] Write(WaveFormat format, ReadOnlySpan<byte> data)
    {
        using var file = new MemoryStream(CanonicalHeaderLength + 16 + data.Length + 1);
        using (var writer = new WaveFileWriter(file, format))
        {
            writer.Write(data);
        }

        return file.ToArray();
    }

    /// <summary>Writes <see cref="Encode(ReadOnlySpan{byte}, int, int)"/>'s output to <paramref name="path"/>, replacing any file.</summary>
    public static void WriteFile(string path, ReadOnlySpan<byte> pcm16le, int sampleRate, int channels = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        File.WriteAllBytes(path, Encode(pcm16le, sampleRate, channels));
    }

    /// <summary>
    /// Reads a well-formed WAV file (a recording, a fixture) with NAudio's <see cref="WaveFileReader"/>. A file NAudio
    /// refuses is parsed again by <see cref="Parse"/>, whose defects name what is wrong with it.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a WAV file NAudio reads; the message lists its defects.</exception>
    public static WavAudio ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = File.ReadAllBytes(path);
        try
        {
            using var reader = new WaveFileReader(new MemoryStream(bytes, writable: false));
            var format = reader.WaveFormat;
            if (format.BlockAlign <= 0)
            {
                // Not a whole number of frames can be read: our parser says what is wrong with the header.
                return Decode(bytes, path);
            }

            var tag = format is WaveFormatExtensible extensible ? (ushort)extensible.ToStandardWaveFormat().Encoding : (ushort)format.Encoding;
            var data = new byte[reader.Length - (reader.Length % format.BlockAlign)];
            reader.ReadExactly(data);
            return new WavAudio(new WavFormat(tag, format.Channels, format.SampleRate, format.BitsPerSample), data);
        }
        catch (Exception e) when (e is FormatException or EndOfStreamException or InvalidDataException or ArgumentException or IOException)
        {
            return Decode(bytes, path);
        }
    }

    /// <summary>Parses WAV bytes already in memory, like <see cref="ReadFile"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes have fatal defects; the message lists them.</exception>
    public static WavAudio Decode(ReadOnlyMemory<byte> bytes) => Decode(bytes, "input");

    /// <summary>
    /// Parses RIFF/WAVE bytes. Never throws: whatever cannot be read is reported in
    /// <see cref="WavParseResult.Defects"/>, and <see cref="WavParseResult.IsValid"/> says whether the result is usable.
    /// </summary>
    // Over ~100 lines on purpose: a validating parser of a WAV file (every defect) that collects every error at once, checks in the order the document gives them.
    public static WavParseResult Parse(ReadOnlyMemory<byte> bytes)
    {
        var span = bytes.Span;
        var defects = new List<WavDefect>();
        var length = span.Length;

        if (length < RiffHeaderLength)
        {
            if (length >= 4 && !span[..4].SequenceEqual("RIFF"u8))
            {
                defects.Add(BadRiffMagic(span));
            }

            defects.Add(Fatal(
                WavDefectKind.Truncated,
                $"input is {length} bytes; the RIFF/WAVE header needs 12 (a canonical PCM file has at least {CanonicalHeaderLength})"));
            return new WavParseResult { Defects = defects };
        }

        if (!span[..4].SequenceEqual("RIFF"u8))
        {
            defects.Add(BadRiffMagic(span));
            return new WavParseResult { Defects = defects };
        }

        if (!span[8..12].SequenceEqual("WAVE"u8))
        {
            defects.Add(Fatal(WavDefectKind.BadWaveMagic, $"bytes 8-11 are {Render(span[8..12])}, expected 'WAVE'"));
            return new WavParseResult { Defects = defects };
        }

        var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(span[4..]);
        if (riffSize != length - 8)
        {
            defects.Add(NonFatal(
                WavDefectKind.RiffSizeMismatch,
                $"RIFF header declares {riffSize} bytes after offset 8 but {length - 8} follow"));
        }

        WavFormat? format = null;
        var fmtSeen = false;
        var dataOffset = -1;
        var dataLength = 0;
        var chunks = new List<string>();
        long pos = RiffHeaderLength;
        while (pos < length)
        {
            var at = (int)pos;
            var remaining = length - at;
            if (remaining < ChunkHeaderLength)
            {
                defects.Add(NonFatal(
                    WavDefectKind.Truncated,
                    $"{remaining} byte(s) at offset {at} are too short for an 8-byte chunk header; ignored"));
                break;
            }

            var id = span.Slice(at, 4);
            var name = Render(id);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(span[(at + 4)..]);
            var payload = at + ChunkHeaderLength;
            long available = length - payload;
            chunks.Add($"{name} at offset {at} ({size} bytes)");

            if (id.SequenceEqual("fmt "u8))
            {
                if (fmtSeen)
                {
                    defects.Add(NonFatal(WavDefectKind.ExtraChunk, $"second 'fmt ' chunk at offset {at} ({size} bytes) ignored"));
                }
                else
                {
                    fmtSeen = true;
                    format = ParseFmt(span.Slice(payload, (int)Math.Min(size, available)), at, size, available, defects);
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (dataOffset >= 0)
                {
                    defects.Add(NonFatal(WavDefectKind.ExtraChunk, $"second 'data' chunk at offset {at} ({size} bytes) ignored"));
                }
                else
                {
                    dataOffset = payload;
                    if (size > available)
                    {
                        defects.Add(NonFatal(
                            WavDefectKind.DataSizeMismatch,
                            $"data chunk at offset {at} declares {size} bytes but {available} follow"));
                        dataLength = (int)available;
                    }
                    else
                    {
                        dataLength = (int)size;
                    }
                }
            }
            else
            {
                defects.Add(NonFatal(WavDefectKind.ExtraChunk, $"chunk {name} at offset {at} ({size} bytes) ignored"));
                if (size > available)
                {
                    defects.Add(NonFatal(
                        WavDefectKind.Truncated,
                        $"chunk {name} at offset {at} declares {size} bytes but {available} follow"));
                }
            }

            // RIFF chunks are word-aligned: an odd-sized chunk is followed by a pad byte (a missing final pad is tolerated).
            pos = payload + (long)size + (size & 1);
        }

        if (!fmtSeen)
        {
            defects.Add(Fatal(WavDefectKind.MissingFmtChunk, $"no 'fmt ' chunk; {DescribeChunks(chunks)}"));
        }

        if (dataOffset < 0)
        {
            defects.Add(Fatal(WavDefectKind.MissingDataChunk, $"no 'data' chunk; {DescribeChunks(chunks)}"));
        }
        else if (format is { Channels: > 0, BitsPerSample: > 0 } && IsUncompressed(format.FormatTag)
                 && dataLength % format.BlockAlign != 0)
        {
            defects.Add(NonFatal(
                WavDefectKind.OddDataLength,
                $"data chunk at offset {dataOffset - ChunkHeaderLength} holds {dataLength} bytes, not a whole number of "
                + $"{format.BlockAlign}-byte frames ({format.Channels} channel(s) x {format.BitsPerSample} bits); "
                + $"{dataLength % format.BlockAlign} trailing byte(s)"));
        }

        return new WavParseResult
        {
            Format = format,
            Data = dataOffset < 0 ? ReadOnlyMemory<byte>.Empty : bytes.Slice(dataOffset, dataLength),
            Defects = defects,
            HeaderLength = Math.Max(dataOffset, 0),
        };
    }

    internal static WavAudio Decode(ReadOnlyMemory<byte> bytes, string source)
    {
        var result = Parse(bytes);
        if (!result.IsValid || result.Format is null)
        {
            throw new InvalidDataException(
                $"{source} is not a usable WAV file: {string.Join("; ", result.FatalDefects.Select(d => d.ToString()))}");
        }

        var format = result.Format;
        var data = result.Data;
        if (IsUncompressed(format.FormatTag))
        {
            data = data[..(data.Length - (data.Length % format.BlockAlign))];
        }

        return new WavAudio(format, data.ToArray());
    }

    private static WavFormat? ParseFmt(ReadOnlySpan<byte> fmt, int at, uint size, long available, List<WavDefect> defects)
    {
        if (size < MinFmtLength)
        {
            defects.Add(Fatal(
                WavDefectKind.FmtChunkTooShort,
                $"fmt chunk at offset {at} declares {size} bytes; at least {MinFmtLength} are needed"));
            return null;
        }

        if (available < MinFmtLength)
        {
            defects.Add(Fatal(
                WavDefectKind.Truncated,
                $"fmt chunk at offset {at} declares {size} bytes but only {available} follow; at least {MinFmtLength} are needed"));
            return null;
        }

        if (size > available)
        {
            defects.Add(NonFatal(WavDefectKind.Truncated, $"fmt chunk at offset {at} declares {size} bytes but {available} follow"));
        }

        var tag = BinaryPrimitives.ReadUInt16LittleEndian(fmt);
        var channels = BinaryPrimitives.ReadUInt16LittleEndian(fmt[2..]);
        var sampleRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[4..]);
        var byteRate = BinaryPrimitives.ReadUInt32LittleEndian(fmt[8..]);
        var blockAlign = BinaryPrimitives.ReadUInt16LittleEndian(fmt[12..]);
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(fmt[14..]);

        if (tag == WavFormat.ExtensibleTag)
        {
            if (fmt.Length < ExtensibleFmtLength)
            {
                defects.Add(Fatal(
                    WavDefectKind.FmtChunkTooShort,
                    $"WAVE_FORMAT_EXTENSIBLE fmt chunk at offset {at} has {fmt.Length} bytes; {ExtensibleFmtLength} are needed for the sub-format GUID"));
                return null;
            }

            var guid = fmt.Slice(24, 16);
            if (guid[2..].SequenceEqual(KsDataFormatSuffix))
            {
                tag = BinaryPrimitives.ReadUInt16LittleEndian(guid);
            }
            else
            {
                defects.Add(NonFatal(
                    WavDefectKind.UnexpectedFormat,
                    $"WAVE_FORMAT_EXTENSIBLE sub-format at offset {at + ChunkHeaderLength + 24} is {Convert.ToHexString(guid)}, not a KSDATAFORMAT_SUBTYPE GUID; format tag left as 0xFFFE"));
            }
        }

        var usable = true;
        if (channels == 0)
        {
            defects.Add(Fatal(WavDefectKind.UnexpectedFormat, $"fmt chunk at offset {at} declares 0 channels"));
            usable = false;
        }

        if (bits == 0)
        {
            defects.Add(Fatal(WavDefectKind.UnexpectedFormat, $"fmt chunk at offset {at} declares 0 bits per sample"));
            usable = false;
        }

        if (sampleRate == 0 || sampleRate > int.MaxValue)
        {
            defects.Add(Fatal(WavDefectKind.UnexpectedFormat, $"fmt chunk at offset {at} declares sample rate {sampleRate} Hz"));
            return null;
        }

        if (usable && IsUncompressed(tag))
        {
            var expectedAlign = channels * ((bits + 7) / 8);
            if (blockAlign != expectedAlign)
            {
                defects.Add(NonFatal(
                    WavDefectKind.BlockAlignMismatch,
                    $"fmt chunk at offset {at} declares block align {blockAlign} but {channels} channel(s) x {bits} bits needs {expectedAlign}"));
            }

            var expectedRate = (long)sampleRate * expectedAlign;
            if (byteRate != expectedRate)
            {
                defects.Add(NonFatal(
                    WavDefectKind.ByteRateMismatch,
                    $"fmt chunk at offset {at} declares byte rate {byteRate} but {sampleRate} Hz x {expectedAlign}-byte frames is {expectedRate}"));
            }
        }

        return new WavFormat(tag, channels, (int)sampleRate, bits);
    }

    private static bool IsUncompressed(ushort tag) =>
        tag is WavFormat.PcmTag or WavFormat.IeeeFloatTag or WavFormat.ALawTag or WavFormat.MuLawTag;

    private static void ValidateFormat(int sampleRate, int channels, long dataLength, string dataParameter)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, ushort.MaxValue);
        if ((long)sampleRate * channels * 2 > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(sampleRate), sampleRate, $"{sampleRate} Hz x {channels} channel(s) x 2 bytes does not fit the 32-bit byte rate field");
        }

        if (dataLength > Array.MaxLength - CanonicalHeaderLength)
        {
            throw new ArgumentException($"{dataLength} bytes of PCM do not fit in one WAV byte array", dataParameter);
        }
    }

    private static WavDefect BadRiffMagic(ReadOnlySpan<byte> span) => Fatal(
        WavDefectKind.BadRiffMagic,
        span[..4].SequenceEqual("RIFX"u8)
            ? "bytes 0-3 are 'RIFX': big-endian RIFF is not supported, expected 'RIFF'"
            : $"bytes 0-3 are {Render(span[..4])}, expected 'RIFF'");

    private static string DescribeChunks(List<string> chunks)
    {
        const int Listed = 8;
        if (chunks.Count == 0)
        {
            return "no chunk follows the 12-byte RIFF header";
        }

        var list = string.Join(", ", chunks.Take(Listed));
        return chunks.Count <= Listed
            ? $"chunks found: {list}"
            : $"chunks found: {list} and {chunks.Count - Listed} more";
    }

    // Chunk ids are four ASCII characters; anything else is shown as hex escapes so messages stay printable.
    private static string Render(ReadOnlySpan<byte> id)
    {
        var text = new StringBuilder("'");
        foreach (var b in id)
        {
            if (b is >= 0x20 and < 0x7F and not (byte)'\'')
            {
                text.Append((char)b);
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
            }
        }

        return text.Append('\'').ToString();
    }

    private static WavDefect Fatal(WavDefectKind kind, string message) => new(kind, message, IsFatal: true);

    private static WavDefect NonFatal(WavDefectKind kind, string message) => new(kind, message, IsFatal: false);
}
