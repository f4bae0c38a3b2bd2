using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Dashboard;

/// <summary>
/// The reports of past runs under a root directory: every directory (to three levels down) holding a
/// <c>results.json</c>, newest first, with what the report's header says (title, start, counts).
/// </summary>
public static class ReportsIndex
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

    /// <summary>The file <paramref name="path"/> names under <paramref name="root"/>; null when it is outside or absent.</summary>
    public static string? Resolve(string root, string path)
    {
        var full = Path.GetFullPath(root);
        var file = Path.GetFullPath(Path.Combine(full, path));
        var prefix = full.EndsWith(Path.DirectorySeparatorChar) ? full : full + Path.DirectorySeparatorChar;
        return file.StartsWith(prefix, StringComparison.Ordinal) && File.Exists(file) ? file : null;
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
