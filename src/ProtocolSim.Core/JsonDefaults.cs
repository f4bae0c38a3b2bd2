using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Core;

/// <summary>The project's JSON settings and the one reading helper every fake needs, in one place.</summary>
public static class JsonDefaults
{
    /// <summary>Compact, with quotes, <c>+</c> and non-ASCII as they are: what the documents show on the wire (Python's <c>json.dumps</c>).</summary>
    public static JsonSerializerOptions Relaxed { get; } = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Indented, for files people read (the endpoints file, <c>selftest.json</c>).</summary>
    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };

    /// <summary>Indented and relaxed: JSON a person reads that keeps the wire's characters (a journal entry, <c>rules --format json</c>).</summary>
    public static JsonSerializerOptions IndentedRelaxed { get; } = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The string a node holds; null when it is missing or not a JSON string.</summary>
    public static string? StringOf(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
