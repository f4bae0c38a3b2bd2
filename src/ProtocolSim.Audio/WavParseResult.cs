namespace ProtocolSim.Audio;

/// <summary>The outcome of <see cref="Wav.Parse"/>: what could be read, and every defect found.</summary>
public sealed record WavParseResult
{
    /// <summary>True when no defect is fatal: <see cref="Format"/> is set and <see cref="Data"/> is the sample data.</summary>
    public bool IsValid
    {
        get
        {
            foreach (var defect in Defects)
            {
                if (defect.IsFatal)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>The declared format (sub-format for <c>WAVE_FORMAT_EXTENSIBLE</c>), or null when there is no usable fmt chunk.</summary>
    public WavFormat? Format { get; init; }

    /// <summary>The payload of the data chunk as far as it is present in the input (a slice of the input, not a copy).</summary>
    public ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Every defect found, in file order.</summary>
    public IReadOnlyList<WavDefect> Defects { get; init; } = [];

    /// <summary>Offset of the first byte of the data chunk's payload (44 for a canonical file); 0 when there is no data chunk.</summary>
    public int HeaderLength { get; init; }

    /// <summary>The fatal defects only.</summary>
    public IEnumerable<WavDefect> FatalDefects => Defects.Where(d => d.IsFatal);
}
