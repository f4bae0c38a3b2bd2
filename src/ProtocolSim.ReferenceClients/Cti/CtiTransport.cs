using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

/// <summary>Something the client could not do (transport, framing, an unexpected message); the task ends with exit code 1.</summary>
internal sealed class CtiFailure(string message) : Exception(message);

/// <summary>The processor refused what the log-in asked (failure, credentials, binding); the task ends with exit code 3.</summary>
internal sealed class CtiRefusal(string message) : Exception(message);

/// <summary>
/// One connection to the interaction processor carrying DCP messages. Each transport runs one receive loop that hands
/// every DCP message to <c>receive</c> in arrival order, and reports a broken connection once to <c>fail</c> (never
/// after <see cref="CloseAsync"/> or disposal began). <see cref="IAsyncDisposable.DisposeAsync"/> drops the connection
/// without the orderly goodbye.
/// </summary>
internal interface ICtiTransport : IAsyncDisposable
{
    /// <summary>Connects (socket: handshake and negotiation; HTTP: probe, startSession and the poll loop).</summary>
    Task OpenAsync(CancellationToken cancellationToken);

    /// <summary>Sends one DCP message; for HTTP it returns once the processor queued it.</summary>
    Task SendAsync(JsonObject message, CancellationToken cancellationToken);

    /// <summary>Says goodbye (socket: teardown; HTTP: endSession; WebSocket: close handshake) and closes.</summary>
    Task CloseAsync(CancellationToken cancellationToken);
}

/// <summary>JSON as every transport writes and reads it.</summary>
internal static class CtiJson
{
    /// <summary>Non-ASCII text is written as itself, not as \u escapes: the content is UTF-8 (CTI-003, CTI-053).</summary>
    public static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(JsonObject message) => message.ToJsonString(Options);

    public static JsonObject Parse(string text) =>
        JsonNode.Parse(text) as JsonObject ?? throw new CtiFailure("received a message that is not a JSON object: " + Shorten(text));

    public static string? Str(JsonNode? node, string key) =>
        node is JsonObject o && o.TryGetPropertyValue(key, out var value) && value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static bool? Bool(JsonNode? node, string key) =>
        node is JsonObject o && o.TryGetPropertyValue(key, out var value) && value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    public static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
