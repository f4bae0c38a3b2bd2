namespace ProtocolSim.Audio;

/// <summary>
/// ITU-T G.711 mu-law and A-law, bit-exact with SoX 14.4: encoding first rounds the 16-bit sample to nearest
/// (half up, clipping at the top) to 14 bits (mu-law) or 13 bits (A-law), then applies the classic segment
/// encoder; decoding gives the classic 16-bit reconstruction values.
/// </summary>
public static class G711
{
    // Classic Sun g711.c constants, in the 14-bit (mu-law) and 13-bit (A-law) domains SoX's tables use.
    private const int MuLawBias = 0x84 >> 2;
    private const int MuLawClip = 8159;
    private const int SignBit = 0x80;
    private const int QuantMask = 0x0F;
    private const int SegShift = 4;
    private const int SegMask = 0x70;

    private static readonly short[] MuLawTable = BuildTable(MuLawToLinearSlow);
    private static readonly short[] ALawTable = BuildTable(ALawToLinearSlow);

    /// <summary>Encodes one 16-bit sample as mu-law.</summary>
    public static byte LinearToMuLaw(short sample)
    {
        // SoX: SOX_SAMPLE_TO_UNSIGNED(14, ...) - 0x2000, i.e. round half up to 14 bits, saturating at 8191.
        var pcm = Math.Min((sample + 2) >> 2, 8191);
        int mask;
        if (pcm < 0)
        {
            pcm = -pcm;
            mask = 0x7F;
        }
        else
        {
            mask = 0xFF;
        }

        pcm = Math.Min(pcm, MuLawClip) + MuLawBias;
        var segment = Segment(pcm, 0x3F);
        if (segment >= 8)
        {
            return (byte)(0x7F ^ mask);
        }

        return (byte)(((segment << SegShift) | ((pcm >> (segment + 1)) & QuantMask)) ^ mask);
    }

    /// <summary>Decodes one mu-law code to a 16-bit sample.</summary>
    public static short MuLawToLinear(byte code) => MuLawTable[code];

    /// <summary>Encodes one 16-bit sample as A-law.</summary>
    public static byte LinearToALaw(short sample)
    {
        // SoX: SOX_SAMPLE_TO_UNSIGNED(13, ...) - 0x1000, i.e. round half up to 13 bits, saturating at 4095.
        var pcm = Math.Min((sample + 4) >> 3, 4095);
        int mask;
        if (pcm >= 0)
        {
            mask = 0xD5;
        }
        else
        {
            mask = 0x55;
            pcm = -pcm - 1;
        }

        var segment = Segment(pcm, 0x1F);
        if (segment >= 8)
        {
            return (byte)(0x7F ^ mask);
        }

        var code = segment << SegShift;
        code |= segment < 2 ? (pcm >> 1) & QuantMask : (pcm >> segment) & QuantMask;
        return (byte)(code ^ mask);
    }

    /// <summary>Decodes one A-law code to a 16-bit sample.</summary>
    public static short ALawToLinear(byte code) => ALawTable[code];

    /// <summary>Encodes samples as mu-law, one byte per sample.</summary>
    public static byte[] EncodeMuLaw(ReadOnlySpan<short> samples)
    {
        var codes = new byte[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            codes[i] = LinearToMuLaw(samples[i]);
        }

        return codes;
    }

    /// <summary>Decodes mu-law bytes to samples.</summary>
    public static short[] DecodeMuLaw(ReadOnlySpan<byte> codes) => Decode(codes, MuLawTable);

    /// <summary>Encodes samples as A-law, one byte per sample.</summary>
    public static byte[] EncodeALaw(ReadOnlySpan<short> samples)
    {
        var codes = new byte[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            codes[i] = LinearToALaw(samples[i]);
        }

        return codes;
    }

    /// <summary>Decodes A-law bytes to samples.</summary>
    public static short[] DecodeALaw(ReadOnlySpan<byte> codes) => Decode(codes, ALawTable);

    private static short[] Decode(ReadOnlySpan<byte> codes, short[] table)
    {
        var samples = new short[codes.Length];
        for (var i = 0; i < codes.Length; i++)
        {
            samples[i] = table[codes[i]];
        }

        return samples;
    }

    // Segment ends double from firstEnd: 0x3F..0x1FFF for mu-law, 0x1F..0xFFF for A-law; 8 means beyond the last.
    private static int Segment(int value, int firstEnd)
    {
        var end = firstEnd;
        for (var segment = 0; segment < 8; segment++)
        {
            if (value <= end)
            {
                return segment;
            }

            end = (end << 1) | 1;
        }

        return 8;
    }

    private static short MuLawToLinearSlow(byte code)
    {
        var u = ~code & 0xFF;
        var t = ((u & QuantMask) << 3) + 0x84;
        t <<= (u & SegMask) >> SegShift;
        return (short)((u & SignBit) != 0 ? 0x84 - t : t - 0x84);
    }

    private static short ALawToLinearSlow(byte code)
    {
        var a = code ^ 0x55;
        var t = (a & QuantMask) << 4;
        var segment = (a & SegMask) >> SegShift;
        t = segment switch
        {
            0 => t + 8,
            1 => t + 0x108,
            _ => (t + 0x108) << (segment - 1),
        };
        return (short)((a & SignBit) != 0 ? t : -t);
    }

    private static short[] BuildTable(Func<byte, short> decode)
    {
        var table = new short[256];
        for (var code = 0; code < 256; code++)
        {
            table[code] = decode((byte)code);
        }

        return table;
    }
}
