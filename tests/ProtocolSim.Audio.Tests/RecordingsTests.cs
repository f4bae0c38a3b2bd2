using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace ProtocolSim.Audio.Tests;

/// <summary>The caller recordings in recordings/audio (made by recordings/generate.sh) and their documented durations.</summary>
public sealed partial class RecordingsTests(ITestOutputHelper output)
{
    private static readonly int[] Rates = [8, 16, 24, 32, 48];

    /// <summary>Speech duration bounds per recording (seconds, inclusive) as measured by the default detector;
    /// null for a recording that must hold no speech at all.</summary>
    private static readonly Dictionary<string, (double Min, double Max)?> Constraints = new()
    {
        ["question"] = (0.8, 1.4),
        ["transfer"] = (2.0, 2.8),
        ["goodbye"] = (3.6, 5.0),
        ["bargein"] = (2.4, 3.2),
        ["silence"] = null,
    };

    private static string AudioFolder => Path.Combine(RepositoryRoot.Find(), "recordings", "audio");

    [Fact]
    public void Recordings_AllUtterances_MeetDurationConstraints()
    {
        var failures = new List<string>();
        foreach (var (name, bounds) in Constraints)
        {
            foreach (var rate in Rates)
            {
                var file = Path.Combine(AudioFolder, $"{name}-{rate}k.wav");
                if (!File.Exists(file))
                {
                    failures.Add($"{file} is missing (run recordings/generate.sh)");
                    continue;
                }

                var audio = Wav.ReadFile(file);
                if (audio.Format != WavFormat.Pcm16Mono(rate * 1000))
                {
                    failures.Add($"{file}: format {audio.Format}, expected 16-bit mono PCM at {rate * 1000} Hz");
                    continue;
                }

                var segments = SpeechActivityDetector.Analyze(audio.Data, audio.Format.SampleRate);
                var described = string.Join(", ", segments.Select(s => $"{s.Start.TotalSeconds:F2}-{s.End.TotalSeconds:F2} s"));
                output.WriteLine($"{name}-{rate}k: {segments.Count} segment(s) {described}; file {audio.Duration.TotalSeconds:F3} s");
                if (bounds is not { } b)
                {
                    if (segments.Count != 0)
                    {
                        failures.Add($"{file}: expected no speech, found {described}");
                    }
                }
                else if (segments.Count != 1)
                {
                    failures.Add($"{file}: expected exactly one speech segment, found {segments.Count}: {described}");
                }
                else if (segments[0].Duration.TotalSeconds < b.Min || segments[0].Duration.TotalSeconds > b.Max)
                {
                    failures.Add($"{file}: speech lasts {segments[0].Duration.TotalSeconds:F2} s, expected {b.Min}-{b.Max} s");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public void Recordings_Folder_HoldsOnlyExpectedFiles()
    {
        var unexpected = Directory.EnumerateFiles(AudioFolder)
            .Select(Path.GetFileName)
            .Where(f => f != "utterances.json")
            .Where(f => FileName().Match(f!) is not { Success: true } m
                        || !Constraints.ContainsKey(m.Groups["name"].Value)
                        || !Rates.Contains(int.Parse(m.Groups["rate"].Value, CultureInfo.InvariantCulture)))
            .ToList();

        Assert.True(unexpected.Count == 0, $"unexpected files in {AudioFolder}: {string.Join(", ", unexpected)}");
    }

    [Fact]
    public void UtterancesJson_EveryRecording_MatchesMeasurementsAndGenerator()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(AudioFolder, "utterances.json")));
        var entries = json.RootElement.GetProperty("recordings").EnumerateArray().ToList();
        var generated = File.ReadLines(Path.Combine(RepositoryRoot.Find(), "recordings", "generate.sh"))
            .Select(line => GeneratorEntry().Match(line))
            .Where(m => m.Success)
            .ToDictionary(m => m.Groups["name"].Value, m => (Text: m.Groups["text"].Value, Wpm: int.Parse(m.Groups["wpm"].Value, CultureInfo.InvariantCulture)));

        Assert.Equal(Constraints.Keys.Order(), entries.Select(e => e.GetProperty("name").GetString()).Order());
        Assert.Equal(Constraints.Keys.Where(k => Constraints[k] is not null).Order(), generated.Keys.Order());
        var failures = new List<string>();
        foreach (var entry in entries)
        {
            var name = entry.GetProperty("name").GetString()!;
            if (generated.TryGetValue(name, out var source)
                && (entry.GetProperty("text").GetString() != source.Text || entry.GetProperty("wordsPerMinute").GetInt32() != source.Wpm))
            {
                failures.Add($"{name}: text or wordsPerMinute differ from generate.sh ('{source.Text}' at {source.Wpm} wpm)");
            }

            foreach (var rate in Rates)
            {
                var audio = Wav.ReadFile(Path.Combine(AudioFolder, $"{name}-{rate}k.wav"));
                var segments = SpeechActivityDetector.Analyze(audio.Data, audio.Format.SampleRate);
                Check(name, rate, "speechSeconds", entry.GetProperty("speechSeconds"), segments.Sum(s => s.Duration.TotalSeconds), 0.0005);
                Check(name, rate, "fileSeconds", entry, audio.Duration.TotalSeconds, 0.001);
                if (segments.Count > 0)
                {
                    Check(name, rate, "speechStartSeconds", entry.GetProperty("speechStartSeconds"), segments[0].Start.TotalSeconds, 0.0005);
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));

        void Check(string name, int rate, string property, JsonElement holder, double measured, double tolerance)
        {
            var documented = holder.TryGetProperty($"{rate}k", out var perRate) ? perRate.GetDouble() : holder.GetProperty(property).GetDouble();
            if (Math.Abs(measured - documented) > tolerance)
            {
                failures.Add($"utterances.json says {name}-{rate}k {property} is {documented}; measured {measured:F4}");
            }
        }
    }

    [GeneratedRegex(@"^\s*""(?<name>[a-z]+)\|(?<wpm>\d+)\|(?<text>[^""]+)""\s*$")]
    private static partial Regex GeneratorEntry();

    [GeneratedRegex(@"^(?<name>[a-z]+)-(?<rate>\d+)k\.wav$")]
    private static partial Regex FileName();
}
