namespace ProtocolSim.Audio;

/// <summary>What is wrong with (or unusual about) a WAV file; see <see cref="WavDefect"/>.</summary>
public enum WavDefectKind
{
    /// <summary>The input ends inside a header or chunk header that is needed.</summary>
    Truncated,

    /// <summary>Bytes 0-3 are not <c>RIFF</c>.</summary>
    BadRiffMagic,

    /// <summary>Bytes 8-11 are not <c>WAVE</c>.</summary>
    BadWaveMagic,

    /// <summary>The RIFF chunk size does not match the input length (non-fatal).</summary>
    RiffSizeMismatch,

    /// <summary>No <c>fmt </c> chunk.</summary>
    MissingFmtChunk,

    /// <summary>The <c>fmt </c> chunk is shorter than its format needs.</summary>
    FmtChunkTooShort,

    /// <summary>No <c>data</c> chunk.</summary>
    MissingDataChunk,

    /// <summary>The <c>data</c> chunk declares more bytes than the input holds (non-fatal; the data present is used).</summary>
    DataSizeMismatch,

    /// <summary>The data is not a whole number of frames, e.g. an odd byte count of 16-bit samples (non-fatal).</summary>
    OddDataLength,

    /// <summary>The format cannot describe audio at all (no channels, 0 bits per sample, sample rate 0) or an unknown
    /// <c>WAVE_FORMAT_EXTENSIBLE</c> sub-format. Which formats a caller accepts is the caller's decision.</summary>
    UnexpectedFormat,

    /// <summary>The declared byte rate is not sample rate x block align (non-fatal).</summary>
    ByteRateMismatch,

    /// <summary>The declared block align is not channels x bytes per sample (non-fatal).</summary>
    BlockAlignMismatch,

    /// <summary>A chunk other than <c>fmt </c> and <c>data</c> (<c>LIST</c>, <c>fact</c>, ...) or a repeated one (non-fatal).</summary>
    ExtraChunk,
}

/// <summary>One finding of <see cref="Wav.Parse"/>.</summary>
/// <param name="Kind">What kind of defect.</param>
/// <param name="Message">Precise description naming offsets and declared versus actual sizes.</param>
/// <param name="IsFatal">True when the file cannot be used (no format or no data).</param>
public sealed record WavDefect(WavDefectKind Kind, string Message, bool IsFatal)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Kind}{(IsFatal ? " (fatal)" : "")}: {Message}";
}
