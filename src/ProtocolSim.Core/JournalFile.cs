using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Core;

/// <summary>
/// A journal as a report keeps it, <c>journals/*.jsonl</c>: a header line (session, protocol, start, labels,
/// findings), then one line per entry. <see cref="Read"/> gives the journal back, so that a judge can decide again on
/// what was recorded, offline (in a unit test, or re-judging a bundle) with nothing running.
/// </summary>
public static class JournalFile
{
    private static readonly JsonSerializerOptions LineOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The journal as JSON lines (its audio is not in it: reports keep tracks as WAV files beside).</summary>
    public static string Write(SessionJournal journal)
    {
        ArgumentNullException.ThrowIfNull(journal);
        var sb = new StringBuilder();
        var header = new JsonObject
        {
            ["sessionId"] = journal.SessionId,
            ["protocol"] = journal.Protocol,
            ["startedAt"] = journal.StartedAt,
            ["labels"] = new JsonObject(journal.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value))),
            ["findings"] = new JsonArray([.. journal.Findings.Select(f => (JsonNode?)FindingJson(f))]),
        };
        sb.Append(header.ToJsonString(LineOptions)).Append('\n');
        foreach (var e in journal.Entries)
        {
            var line = new JsonObject
            {
                ["seq"] = e.Seq,
                ["offsetMs"] = Math.Round(e.Offset.TotalMilliseconds, 3),
                ["time"] = e.Time,
                ["direction"] = e.Direction.ToString(),
                ["kind"] = e.Kind.ToString(),
                ["summary"] = e.Summary,
                ["length"] = e.Length,
                ["text"] = e.Text,
                ["parsed"] = e.Parsed?.DeepClone(),
                ["bytesBase64"] = e.Bytes is { } b ? Convert.ToBase64String(b.Span) : null,
                ["audioTrack"] = e.AudioTrack,
                ["audioOffsetMs"] = e.AudioOffset is { } a ? Math.Round(a.TotalMilliseconds, 3) : null,
            };
            sb.Append(line.ToJsonString(LineOptions)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>A finding as the journal file and the reports write it.</summary>
    public static JsonObject FindingJson(Finding finding)
    {
        ArgumentNullException.ThrowIfNull(finding);
        return new JsonObject
        {
            ["ruleId"] = finding.RuleId,
            ["message"] = finding.Message,
            ["expected"] = finding.Expected,
            ["actual"] = finding.Actual,
            ["entrySeq"] = finding.EntrySeq,
            ["offsetMs"] = Math.Round(finding.Offset.TotalMilliseconds, 3),
        };
    }

    /// <summary>
    /// The journal a <see cref="Write"/> made (it has ended: nothing more is appended). Offsets keep the file's
    /// microseconds. A line that is not what <see cref="Write"/> writes throws <see cref="InvalidDataException"/>
    /// naming its number.
    /// </summary>
    public static SessionJournal Read(string jsonl)
    {
        ArgumentNullException.ThrowIfNull(jsonl);
        var lines = jsonl.Split('\n').Select(l => l.TrimEnd('\r')).ToList();
        if (lines.Count == 0 || lines[0].Length == 0)
        {
            throw new InvalidDataException("line 1: no journal header");
        }

        var header = Object(lines[0], 1);
        var labels = (header["labels"] as JsonObject ?? []).Select(l => KeyValuePair.Create(l.Key, l.Value?.GetValue<string>() ?? ""));
        var findings = (header["findings"] as JsonArray ?? []).Select((f, i) => ReadFinding(f as JsonObject ?? throw new InvalidDataException($"line 1: finding {i + 1} is not an object"))).ToList();
        var entries = new List<JournalEntry>();
        for (var i = 1; i < lines.Count; i++)
        {
            if (lines[i].Length > 0)
            {
                entries.Add(ReadEntry(Object(lines[i], i + 1), i + 1));
            }
        }

        return SessionJournal.Restore(
            Required(header, "sessionId", 1), Required(header, "protocol", 1), Time(header, "startedAt", 1), labels, entries, findings);
    }

    private static JournalEntry ReadEntry(JsonObject line, int number)
    {
        var bytes = line["bytesBase64"]?.GetValue<string>();
        return new JournalEntry
        {
            Seq = line["seq"]?.GetValue<long>() ?? throw Missing("seq", number),
            Offset = Milliseconds(line, "offsetMs", number) ?? throw Missing("offsetMs", number),
            Time = Time(line, "time", number),
            Direction = Enum<Direction>(line, "direction", number),
            Kind = Enum<FrameKind>(line, "kind", number),
            Summary = Required(line, "summary", number),
            Length = line["length"]?.GetValue<int>() ?? 0,
            Text = line["text"]?.GetValue<string>(),
            Parsed = line["parsed"]?.DeepClone(),
            Bytes = bytes is null ? (ReadOnlyMemory<byte>?)null : Convert.FromBase64String(bytes),
            AudioTrack = line["audioTrack"]?.GetValue<string>(),
            AudioOffset = Milliseconds(line, "audioOffsetMs", number),
        };
    }

    private static Finding ReadFinding(JsonObject f) => new()
    {
        RuleId = f["ruleId"]?.GetValue<string>(),
        Message = f["message"]?.GetValue<string>() ?? "",
        Expected = f["expected"]?.GetValue<string>(),
        Actual = f["actual"]?.GetValue<string>(),
        EntrySeq = f["entrySeq"]?.GetValue<long>(),
        Offset = TimeSpan.FromMilliseconds(f["offsetMs"]?.GetValue<double>() ?? 0),
    };

    private static JsonObject Object(string line, int number)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject ?? throw new InvalidDataException($"line {number}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"line {number}: {e.Message}", e);
        }
    }

    private static string Required(JsonObject o, string name, int number) => o[name]?.GetValue<string>() ?? throw Missing(name, number);

    private static DateTimeOffset Time(JsonObject o, string name, int number) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var t)
            ? t : throw new InvalidDataException($"line {number}: {name} is not a time");

    private static TimeSpan? Milliseconds(JsonObject o, string name, int number) =>
        o[name] switch
        {
            null => null,
            JsonValue v when v.TryGetValue<double>(out var ms) => TimeSpan.FromMilliseconds(ms),
            _ => throw new InvalidDataException($"line {number}: {name} is not a number of milliseconds"),
        };

    private static T Enum<T>(JsonObject o, string name, int number)
        where T : struct, Enum =>
        System.Enum.TryParse<T>(Required(o, name, number), out var value) ? value : throw new InvalidDataException($"line {number}: {name} \"{o[name]}\" is not a {typeof(T).Name}");

    private static InvalidDataException Missing(string name, int number) => new($"line {number}: no {name}");
}
