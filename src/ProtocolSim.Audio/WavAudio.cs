namespace ProtocolSim.Audio;

/// <summary>A WAV file read into memory: its format and its sample data (whole frames).</summary>
/// <param name="Format">The declared format.</param>
/// <param name="Data">The sample data, little-endian as stored in the file.</param>
public sealed record WavAudio(WavFormat Format, byte[] Data)
{
    /// <summary>Playing time of <see cref="Data"/>: whole frames divided by the sample rate.</summary>
    public TimeSpan Duration => Format.BlockAlign <= 0 || Format.SampleRate <= 0
        ? TimeSpan.Zero
        : TimeSpan.FromTicks((long)((Int128)(Data.Length / Format.BlockAlign) * TimeSpan.TicksPerSecond / Format.SampleRate));
}
