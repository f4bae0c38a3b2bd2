using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Dashboard;

/// <summary>
/// The reports of past runs under a root directory: every directory (to three levels down) holding a
/// <c>results.json</c>, newest first, with what the report's header says (title, start, counts).
/// </summary>
internal static class ReportsIndex
{
    private const int MaxDepth = 3;
    private const int MaxReports = 500;

    public static JsonObject List(string root)
    {
        var full = Path.GetFullPath(root);
        var reports = new List<(DateTimeOffset Started, JsonObject Report)>();
        if (Directory.Exists(full))
        {
            Collect(full, full, 0, reports);
        }

        return new JsonObject
        {
            ["root"] = full,
            ["reports"] = new JsonArray([.. reports.OrderByDescending(r => r.Started).Take(MaxReports).Select(r => (JsonNode)r.Report)]),
        };
    }

    /// <summary>
    /// The file <paramref name="path"/> names under <paramref name="root"/> when it is one a report directory holds
    /// (report.html, results.json, junit.xml, audio/*.wav, journals/*.jsonl); null when it is outside the root, a
    /// link, hidden, another kind of file (an endpoints file with credentials left there), or absent.
    /// </summary>
    public static string? Resolve(string root, string path)
    {
        var full = Path.GetFullPath(root);
        var file = Path.GetFullPath(Path.Combine(full, path));
        var prefix = full.EndsWith(Path.DirectorySeparatorChar) ? full : full + Path.DirectorySeparatorChar;
        if (!file.StartsWith(prefix, StringComparison.Ordinal) || !File.Exists(file))
        {
            return null;
        }

        var name = Path.GetFileName(file);
        var folder = Path.GetFileName(Path.GetDirectoryName(file)) ?? "";
        var reportFile = name is "report.html" or "results.json" or "junit.xml"
            || (folder == "audio" && name.EndsWith(".wav", StringComparison.Ordinal))
            || (folder == "journals" && name.EndsWith(".jsonl", StringComparison.Ordinal));
        var relative = Path.GetRelativePath(full, file).Split(Path.DirectorySeparatorChar);
        if (!reportFile || relative.Any(part => part.StartsWith('.')))
        {
            return null;
        }

        // No link anywhere on the way: a link inside the root may point anywhere.
        for (var at = file; at.Length > full.Length; at = Path.GetDirectoryName(at)!)
        {
            if (new FileInfo(at).LinkTarget is not null || (Directory.Exists(at) && new DirectoryInfo(at).LinkTarget is not null))
            {
                return null;
            }
        }

        return file;
    }

    private static void Collect(string root, string directory, int depth, List<(DateTimeOffset, JsonObject)> reports)
    {
        var results = Path.Combine(directory, "results.json");
        if (File.Exists(results) && Read(root, directory, results) is { } report)
        {
            reports.Add(report);
        }

        if (depth >= MaxDepth)
        {
            return;
        }

        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateDirectories(directory).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var child in children)
        {
            Collect(root, child, depth + 1, reports);
        }
    }

    private static (DateTimeOffset, JsonObject)? Read(string root, string directory, string results)
    {
        var relative = Path.GetRelativePath(root, directory).Replace(Path.DirectorySeparatorChar, '/');
        try
        {
            using var stream = File.OpenRead(results);
            var json = JsonNode.Parse(stream) as JsonObject;
            var started = json?["started"] is JsonValue s && s.TryGetValue<DateTimeOffset>(out var at) ? at : File.GetLastWriteTimeUtc(results);
            return (started, new JsonObject
            {
                ["path"] = relative,
                ["title"] = json?["title"]?.ToString() ?? relative,
                ["label"] = json?["runLabel"]?.DeepClone(),
                ["target"] = json?["target"]?.DeepClone(),
                ["started"] = started,
                ["durationMs"] = json?["durationMs"]?.DeepClone(),
                ["exitCode"] = json?["exitCode"]?.DeepClone(),
                ["summary"] = json?["summary"]?.DeepClone(),
                ["html"] = File.Exists(Path.Combine(directory, "report.html")) ? $"reports/{Uri.EscapeDataString(relative).Replace("%2F", "/", StringComparison.Ordinal)}/report.html" : null,
            });
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return (File.GetLastWriteTimeUtc(results), new JsonObject { ["path"] = relative, ["title"] = relative, ["error"] = "results.json cannot be read: " + e.Message });
        }
    }
}
