namespace ProtocolSim.Audio;

/// <summary>Tuning of <see cref="SpeechActivityDetector"/>. The defaults suit telephone speech in 20 ms frames.</summary>
public sealed record SpeechDetectorOptions
{
    /// <summary>A window whose RMS level is above this (dBFS, see <see cref="Pcm.RmsDbfs"/>) counts as speech.</summary>
    public double ThresholdDbfs { get; init; } = -38;

    /// <summary>Analysis window: the level is measured per window of this length (rounded to whole samples).</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Speech must last this long (in consecutive speech windows) before <see cref="SpeechEventKind.SpeechStart"/> is emitted.</summary>
    public TimeSpan MinSpeech { get; init; } = TimeSpan.FromMilliseconds(60);

    /// <summary>Non-speech must last this long before <see cref="SpeechEventKind.SpeechEnd"/> is emitted; shorter pauses stay inside the segment.</summary>
    public TimeSpan Hangover { get; init; } = TimeSpan.FromMilliseconds(350);

    /// <summary>The defaults.</summary>
    public static SpeechDetectorOptions Default { get; } = new();
}

/// <summary>What a <see cref="SpeechEvent"/> marks.</summary>
public enum SpeechEventKind
{
    /// <summary>Speech began (confirmed after <see cref="SpeechDetectorOptions.MinSpeech"/>).</summary>
    SpeechStart,

    /// <summary>Speech ended (confirmed after <see cref="SpeechDetectorOptions.Hangover"/> or at the end of the stream).</summary>
    SpeechEnd,
}

/// <summary>A speech boundary in audio time.</summary>
/// <param name="Kind">Start or end.</param>
/// <param name="At">Audio time from the start of the stream: for a start, the start of the first speech window; for an
/// end, the end of the last speech window.</param>
public readonly record struct SpeechEvent(SpeechEventKind Kind, TimeSpan At);

/// <summary>A stretch of speech in audio time.</summary>
/// <param name="Start">Start of the first speech window.</param>
/// <param name="End">End of the last speech window.</param>
public readonly record struct SpeechSegment(TimeSpan Start, TimeSpan End)
{
    /// <summary>End minus start.</summary>
    public TimeSpan Duration => End - Start;
}
