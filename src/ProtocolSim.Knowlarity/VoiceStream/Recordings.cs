using System.Collections.Concurrent;
using ProtocolSim.Audio;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// Caller recordings (<c>recordings/audio/&lt;name&gt;-&lt;rate/1000&gt;k.wav</c>), loaded once, with their speech segment
/// measured by the speech-activity detector.
/// </summary>
public sealed class Recordings(string directory)
{
    private readonly ConcurrentDictionary<(string, int), CallerUtterance> _cache = new();

    public string Directory { get; } = directory;

    public CallerUtterance Get(string name, int sampleRate) => _cache.GetOrAdd((name, sampleRate), key => Load(key.Item1, key.Item2));

    private CallerUtterance Load(string name, int sampleRate)
    {
        var path = Path.Combine(Directory, $"{name}-{sampleRate / 1000}k.wav");
        if (!File.Exists(path))
        {
            var known = System.IO.Directory.Exists(Directory)
                ? string.Join(", ", System.IO.Directory.GetFiles(Directory, "*.wav").Select(Path.GetFileName).Order(StringComparer.Ordinal))
                : "(directory missing)";
            throw new FileNotFoundException($"No recording '{name}' at {sampleRate} Hz: {path} does not exist. Known: {known}", path);
        }

        var wav = Wav.ReadFile(path);
        if (wav.Format.SampleRate != sampleRate || wav.Format.Channels != 1 || wav.Format.BitsPerSample != 16)
        {
            throw new InvalidDataException($"{path}: expected 16-bit mono at {sampleRate} Hz, found {wav.Format.BitsPerSample}-bit, {wav.Format.Channels} channel(s) at {wav.Format.SampleRate} Hz.");
        }

        var segments = SpeechActivityDetector.Analyze(wav.Data, sampleRate);
        return new CallerUtterance
        {
            Name = Path.GetFileName(path),
            Pcm = wav.Data,
            SpeechStart = segments.Count > 0 ? segments[0].Start : null,
            SpeechEnd = segments.Count > 0 ? segments[^1].End : null,
        };
    }
}
