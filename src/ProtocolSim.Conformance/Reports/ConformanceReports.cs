using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Conformance.Reports;

/// <summary>What writing the reports produced.</summary>
public sealed record ReportOutput(IReadOnlyList<string> Files, IReadOnlyList<string> Errors);

/// <summary>
/// Writes the report bundle of a run: <c>junit.xml</c>, <c>results.json</c>, a self-contained <c>report.html</c>,
/// <c>audio/*.wav</c> (every captured track), <c>journals/*.jsonl</c> (every attached journal, whole) and
/// <c>attachments/</c> (files steps attached).
/// </summary>
public static class ConformanceReports
{
    public const string JUnitFileName = "junit.xml";
    public const string JsonFileName = "results.json";
    public const string HtmlFileName = "report.html";
    public const string AudioDirectory = "audio";
    public const string JournalDirectory = "journals";
    public const string AttachmentDirectory = "attachments";

    /// <summary>Writes every report; a report that cannot be written is listed in <see cref="ReportOutput.Errors"/>, the others are still written.</summary>
    public static async Task<ReportOutput> WriteAsync(RunResult result, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var files = new List<string>();
        var errors = new List<string>();
        var full = Path.GetFullPath(directory);
        try
        {
            Directory.CreateDirectory(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new ReportOutput(files, [$"cannot create {full}: {ex.Message}"]);
        }

        var artifacts = await ReportArtifacts.WriteAsync(result, full, files, errors, cancellationToken).ConfigureAwait(false);
        await Write(Path.Combine(full, JUnitFileName), s => JUnitReport.Write(result, s), files, errors, cancellationToken).ConfigureAwait(false);
        await Write(Path.Combine(full, JsonFileName), s => JsonReport.Write(result, artifacts, s), files, errors, cancellationToken).ConfigureAwait(false);
        await Write(Path.Combine(full, HtmlFileName), s => HtmlReport.Write(result, artifacts, s), files, errors, cancellationToken).ConfigureAwait(false);
        return new ReportOutput(files, errors);
    }

    private static async Task Write(string path, Action<Stream> write, List<string> files, List<string> errors, CancellationToken cancellationToken)
    {
        try
        {
            // Rendered in memory first, so a failure never leaves half a report behind.
            using var buffer = new MemoryStream();
            write(buffer);
            await File.WriteAllBytesAsync(path, buffer.ToArray(), cancellationToken).ConfigureAwait(false);
            files.Add(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"cannot write {path}: {ex.Message}");
        }
    }
}

/// <summary>An audio track written as WAV, and what of it the HTML report embeds.</summary>
internal sealed record AudioArtifact(string Track, int SampleRate, TimeSpan Duration, string? RelativePath, string? EmbedBase64, string? Note);

/// <summary>An attached journal: its slug, its whole-journal file, its audio.</summary>
internal sealed record JournalArtifact(SessionJournal Journal, string Slug, string? RelativePath, IReadOnlyList<AudioArtifact> Audio);

/// <summary>An attached file as copied into the bundle.</summary>
internal sealed record FileArtifact(FileAttachment File, string? RelativePath, string? Error);

/// <summary>Files written next to the reports, shared by every report format.</summary>
internal sealed class ReportArtifacts
{
    /// <summary>Embedded audio per track is capped at this length (longer tracks are truncated, with a note).</summary>
    public static readonly TimeSpan MaxEmbeddedTrack = TimeSpan.FromSeconds(60);

    /// <summary>Total WAV bytes embedded in report.html; later tracks are linked rather than embedded.</summary>
    public const long MaxEmbeddedAudioBytes = 40L * 1024 * 1024;

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Dictionary<ScenarioResult, IReadOnlyList<JournalArtifact>> _journals = [];
    private readonly Dictionary<ScenarioResult, IReadOnlyList<FileArtifact>> _files = [];

    public IReadOnlyList<JournalArtifact> JournalsOf(ScenarioResult scenario) => _journals.GetValueOrDefault(scenario) ?? [];

    public IReadOnlyList<FileArtifact> FilesOf(ScenarioResult scenario) => _files.GetValueOrDefault(scenario) ?? [];

    public static async Task<ReportArtifacts> WriteAsync(RunResult result, string directory, List<string> files, List<string> errors, CancellationToken cancellationToken)
    {
        var artifacts = new ReportArtifacts();
        long embedded = 0;
        foreach (var scenario in result.Scenarios)
        {
            var journals = new List<JournalArtifact>();
            var usedSlugs = new HashSet<string>(StringComparer.Ordinal);
            for (var j = 0; j < scenario.Journals.Count; j++)
            {
                var journal = scenario.Journals[j];
                var slug = Slugs.Make(journal.SessionId, 40);
                if (!usedSlugs.Add(slug))
                {
                    slug = string.Create(CultureInfo.InvariantCulture, $"{slug}-{j + 1}");
                    usedSlugs.Add(slug);
                }

                var audio = new List<AudioArtifact>();
                foreach (var track in journal.Audio.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
                {
                    var (artifact, bytes) = await WriteTrackAsync(directory, $"{scenario.Slug}-{slug}-{Slugs.Make(track.Name, 30)}.wav", track, embedded, files, errors, cancellationToken).ConfigureAwait(false);
                    embedded += bytes;
                    audio.Add(artifact);
                }

                var journalPath = $"{ConformanceReports.JournalDirectory}/{scenario.Slug}-{slug}.jsonl";
                var written = await WriteJournalAsync(Path.Combine(directory, journalPath), journal, errors, cancellationToken).ConfigureAwait(false);
                if (written)
                {
                    files.Add(Path.Combine(directory, journalPath));
                }

                journals.Add(new JournalArtifact(journal, slug, written ? journalPath : null, audio));
            }

            artifacts._journals[scenario] = journals;
            artifacts._files[scenario] = CopyFiles(directory, scenario, files, errors);
        }

        return artifacts;
    }

    private static async Task<(AudioArtifact Artifact, long EmbeddedBytes)> WriteTrackAsync(
        string directory, string fileName, AudioTrack track, long embeddedSoFar, List<string> files, List<string> errors, CancellationToken cancellationToken)
    {
        var pcm = track.ToArray();
        var duration = TimeSpan.FromSeconds(pcm.Length / 2.0 / track.SampleRate);
        string? relative = $"{ConformanceReports.AudioDirectory}/{fileName}";
        try
        {
            Directory.CreateDirectory(Path.Combine(directory, ConformanceReports.AudioDirectory));
            var path = Path.Combine(directory, relative);
            await File.WriteAllBytesAsync(path, ProtocolSim.Audio.Wav.Encode(pcm, track.SampleRate), cancellationToken).ConfigureAwait(false);
            files.Add(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"cannot write audio {fileName}: {ex.Message}");
            relative = null;
        }

        var maxBytes = (int)Math.Min(pcm.Length, (long)(MaxEmbeddedTrack.TotalSeconds * track.SampleRate) * 2);
        string? note = maxBytes < pcm.Length
            ? string.Create(CultureInfo.InvariantCulture, $"embedded audio truncated to the first {MaxEmbeddedTrack.TotalSeconds:0} s of {duration.TotalSeconds:0.0} s; the WAV file has all of it")
            : null;
        if (embeddedSoFar + maxBytes > MaxEmbeddedAudioBytes)
        {
            return (new AudioArtifact(track.Name, track.SampleRate, duration, relative, null, "not embedded (the report's audio budget is used up); play the WAV file"), 0);
        }

        var wav = ProtocolSim.Audio.Wav.Encode(pcm.AsSpan(0, maxBytes), track.SampleRate);
        return (new AudioArtifact(track.Name, track.SampleRate, duration, relative, Convert.ToBase64String(wav), note), wav.Length);
    }

    private static async Task<bool> WriteJournalAsync(string path, SessionJournal journal, List<string> errors, CancellationToken cancellationToken)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, JournalFile.Write(journal), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add($"cannot write journal {path}: {ex.Message}");
            return false;
        }
    }

    private static List<FileArtifact> CopyFiles(string directory, ScenarioResult scenario, List<string> files, List<string> errors)
    {
        var result = new List<FileArtifact>();
        for (var i = 0; i < scenario.Files.Count; i++)
        {
            var file = scenario.Files[i];
            var relative = string.Create(CultureInfo.InvariantCulture, $"{ConformanceReports.AttachmentDirectory}/{scenario.Slug}-{i + 1}-{Slugs.Make(Path.GetFileNameWithoutExtension(file.Name), 40)}{Path.GetExtension(file.Path)}");
            try
            {
                Directory.CreateDirectory(Path.Combine(directory, ConformanceReports.AttachmentDirectory));
                var target = Path.Combine(directory, relative);
                File.Copy(file.Path, target, overwrite: true);
                files.Add(target);
                result.Add(new FileArtifact(file, relative, null));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add($"cannot copy attachment {file.Path}: {ex.Message}");
                result.Add(new FileArtifact(file, null, ex.Message));
            }
        }

        return result;
    }
}
