namespace ProtocolSim.Audio;

/// <summary>
/// The format of a WAV file's sample data, as declared by its <c>fmt </c> chunk (for
/// <c>WAVE_FORMAT_EXTENSIBLE</c> files, <see cref="FormatTag"/> is the tag of the sub-format).
/// </summary>
/// <param name="FormatTag">The <c>wFormatTag</c>: 1 PCM, 3 IEEE float, 6 A-law, 7 mu-law, ...</param>
/// <param name="Channels">Interleaved channel count.</param>
/// <param name="SampleRate">Frames per second.</param>
/// <param name="BitsPerSample">Bits of one sample of one channel.</param>
public sealed record WavFormat(ushort FormatTag, int Channels, int SampleRate, int BitsPerSample)
{
    /// <summary><c>WAVE_FORMAT_PCM</c>: integer PCM.</summary>
    public const ushort PcmTag = 0x0001;

    /// <summary><c>WAVE_FORMAT_IEEE_FLOAT</c>.</summary>
    public const ushort IeeeFloatTag = 0x0003;

    /// <summary><c>WAVE_FORMAT_ALAW</c>: G.711 A-law.</summary>
    public const ushort ALawTag = 0x0006;

    /// <summary><c>WAVE_FORMAT_MULAW</c>: G.711 mu-law.</summary>
    public const ushort MuLawTag = 0x0007;

    /// <summary><c>WAVE_FORMAT_EXTENSIBLE</c>: the real format is the sub-format GUID in the fmt extension.</summary>
    public const ushort ExtensibleTag = 0xFFFE;

    /// <summary>16-bit little-endian signed PCM, one channel.</summary>
    public static WavFormat Pcm16Mono(int sampleRate) => new(PcmTag, 1, sampleRate, 16);

    /// <summary>Bytes of one frame (one sample of every channel): channels x whole bytes per sample.</summary>
    public int BlockAlign => Channels * ((BitsPerSample + 7) / 8);

    /// <summary>Bytes per second: <see cref="BlockAlign"/> x <see cref="SampleRate"/> (saturates at <see cref="int.MaxValue"/>).</summary>
    public int ByteRate => (int)Math.Min(int.MaxValue, (long)BlockAlign * SampleRate);

    /// <summary>True for 16-bit integer PCM, the only format the rest of ProtocolSim.Audio works on directly.</summary>
    public bool IsPcm16 => FormatTag == PcmTag && BitsPerSample == 16;
}
