using System.Globalization;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.DataFlow.Steps;

/// <summary>Queries over one WebSocket connection's journal: what the client sent and what the mock answered, in order.</summary>
public sealed class SessionEvidence(SessionJournal journal)
{
    public SessionJournal Journal { get; } = journal;

    public string Name => Journal.SessionId;

    /// <summary>Text and binary messages of the client, in order.</summary>
    public IReadOnlyList<JournalEntry> ClientMessages { get; } = journal.Entries
        .Where(e => e.Direction == Direction.FromClient && e.Kind is FrameKind.Text or FrameKind.Binary).ToList();

    /// <summary>Binary frames of the client that are audio (not a JSON request sent as binary).</summary>
    public IReadOnlyList<JournalEntry> AudioFrames => ClientMessages.Where(e => e.Kind == FrameKind.Binary && !IsJsonRequest(e)).ToList();

    /// <summary>Requests of the client (text JSON with MessageName, or a JSON request sent in a binary frame).</summary>
    public IEnumerable<(JournalEntry Entry, JsonObject Request)> Requests()
    {
        foreach (var entry in ClientMessages)
        {
            var json = entry.Kind == FrameKind.Text ? entry.Parsed as JsonObject : IsJsonRequest(entry) ? TryParse(entry.Bytes!.Value.Span) : null;
            if (json?["MessageName"] is JsonValue name && name.TryGetValue<string>(out _))
            {
                yield return (entry, json);
            }
        }
    }

    public (JournalEntry Entry, JsonObject Request)? FirstRequest(string name) =>
        Requests().Where(r => RequestName(r.Request) == name).Select(r => ((JournalEntry, JsonObject)?)r).FirstOrDefault();

    /// <summary>Client <c>{"Event":…}</c> messages.</summary>
    public IEnumerable<(JournalEntry Entry, JsonObject Event)> ClientEvents() =>
        ClientMessages.Where(e => e.Kind == FrameKind.Text && e.Parsed is JsonObject o && o["Event"] is JsonObject)
            .Select(e => (e, (JsonObject)((JsonObject)e.Parsed!)["Event"]!));

    /// <summary>The mock's text messages, in order.</summary>
    public IReadOnlyList<(JournalEntry Entry, JsonObject Message)> ServerMessages { get; } = journal.Entries
        .Where(e => e.Direction == Direction.ToClient && e.Kind == FrameKind.Text)
        .Select(e => (e, Json(e)!)).Where(m => m.Item2 is not null).ToList();

    /// <summary>A text entry's JSON: as parsed when journaled, or parsed from its text (events are journaled as text).</summary>
    public static JsonObject? Json(JournalEntry entry) =>
        entry.Parsed as JsonObject ?? (entry.Text is { } text ? TryParse(System.Text.Encoding.UTF8.GetBytes(text)) : null);

    /// <summary>The mock's responses named <paramref name="messageName"/> (e.g. StartResponse), in order.</summary>
    public IEnumerable<(JournalEntry Entry, string Result)> Responses(string messageName) =>
        ServerMessages.Where(m => Str(m.Message, "MessageName") == messageName).Select(m => (m.Entry, Str(m.Message, "OperationResult") ?? string.Empty));

    public JournalEntry? FinalResult => ServerMessages.Where(m => m.Message["Event"] is JsonObject e && Str(e, "Name") == "FinalResult").Select(m => m.Entry).FirstOrDefault();

    /// <summary>A gRPC call (half-close and cancellation) rather than a WebSocket connection (close frame).</summary>
    public bool IsGrpc => Journal.Protocol == "dataflow-grpc";

    /// <summary>
    /// When the client stopped reading: its close frame or the connection loss (WebSocket); its cancellation
    /// (RST_STREAM) or the connection loss (gRPC, where a half-close only ends what the client sends).
    /// </summary>
    public JournalEntry? ClientEnd => Journal.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient && e.Kind is FrameKind.Close or FrameKind.Error && !(IsGrpc && IsHalfClose(e)));

    /// <summary>When the client was done with the session: <see cref="ClientEnd"/>, or on gRPC its half-close if earlier.</summary>
    public JournalEntry? ClientDone => Journal.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient && e.Kind is FrameKind.Close or FrameKind.Error);

    /// <summary>The gRPC half-close of the request stream.</summary>
    public JournalEntry? HalfClose => IsGrpc ? Journal.Entries.FirstOrDefault(e => e.Direction == Direction.FromClient && IsHalfClose(e)) : null;

    /// <summary>
    /// The mock ended the connection or call first: it closed the WebSocket because the client lingered after FinalResult
    /// (§5 CloseAfterFinalResult), or completed the gRPC call because the client had not half-closed 2 s after it.
    /// </summary>
    public JournalEntry? ServerClose => IsGrpc
        ? Journal.Entries.FirstOrDefault(e => e.Direction == Direction.Internal && e.Summary.StartsWith("the client had not half-closed", StringComparison.Ordinal))
        : Journal.Entries.FirstOrDefault(e => e.Direction == Direction.ToClient && e.Kind == FrameKind.Close);

    private static bool IsHalfClose(JournalEntry e) => e.Kind == FrameKind.Close && e.Summary.StartsWith("the client half-closed", StringComparison.Ordinal);

    public bool EndedBefore(JournalEntry entry) => ClientEnd is { } end && end.Seq < entry.Seq;

    public IEnumerable<JournalEntry> ClientMessagesAfter(JournalEntry entry) => ClientMessages.Where(e => e.Seq > entry.Seq);

    public static string? RequestName(JsonObject request) => Str(request, "MessageName");

    public static string? Str(JsonObject obj, string key) => obj[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A number, or a string holding one (the WS sample sends "8000").</summary>
    public static long? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var n) => n,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";

    public string At(JournalEntry entry) => $"{Name} #{entry.Seq} at {Seconds(entry.Offset)}";

    private static bool IsJsonRequest(JournalEntry entry)
    {
        if (entry.Bytes is not { } bytes)
        {
            return false;
        }

        var span = bytes.Span.TrimStart(" \t\r\n"u8);
        return span.Length > 0 && span[0] == (byte)'{' && span.IndexOf("\"MessageName\""u8) >= 0;
    }

    private static JsonObject? TryParse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonNode.Parse(utf8) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
