using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients;

/// <summary>The first message of a call, as a bot understood it.</summary>
internal sealed record CallMetadata
{
    /// <summary><c>callid</c> (Stream Node) or <c>uuid</c> (Verloop).</summary>
    public required string CallId { get; init; }

    public string? VirtualNumber { get; init; }

    public string? CustomerNumber { get; init; }

    public string? CallType { get; init; }

    /// <summary>Verloop <c>sample_rate</c>; null for the Stream Node (the rate is configured, not sent).</summary>
    public int? SampleRate { get; init; }

    public required IReadOnlyList<string> Keys { get; init; }
}

/// <summary>Why a first message was refused, and how the bot closes because of it.</summary>
internal sealed record MetadataRejection(System.Net.WebSockets.WebSocketCloseStatus CloseStatus, string Reason);

/// <summary>Parsers for the first text frame of each dialect.</summary>
internal static class CallMetadataParser
{
    /// <summary>The four keys 003-V ch.2 documents.</summary>
    public static readonly IReadOnlySet<string> StreamNodeKeys =
        new HashSet<string>(StringComparer.Ordinal) { "callid", "virtual_number", "customer_number", "call_type" };

    public const int MinSampleRate = 8000;
    public const int MaxSampleRate = 48000;

    /// <summary>
    /// The guide's parser (003-V ch.4 Issue 2): <c>json.loads</c>; a dict is the metadata, a string is parsed with
    /// <c>ast.literal_eval</c>. Text that is not JSON at all is parsed as a Python literal too (KVS-006).
    /// </summary>
    public static bool TryParseDocumentForm(string text, out JsonObject? metadata, out string? error)
    {
        metadata = null;
        JsonNode? decoded;
        try
        {
            decoded = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return TryPythonDict(text, out metadata, out error);
        }

        switch (decoded)
        {
            case JsonObject obj:
                metadata = obj;
                error = null;
                return true;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return TryPythonDict(value.GetValue<string>(), out metadata, out error);
            default:
                error = $"metadata is a JSON {Kind(decoded)}, not an object or a string";
                return false;
        }
    }

    private static bool TryPythonDict(string text, out JsonObject? metadata, out string? error)
    {
        metadata = null;
        if (!PythonLiteral.TryParse(text, out var node, out error))
        {
            return false;
        }

        if (node is JsonObject obj)
        {
            metadata = obj;
            return true;
        }

        error = $"metadata is a Python {Kind(node)}, not a dict";
        return false;
    }

    private static string Kind(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "array",
        JsonObject => "object",
        _ => node.GetValueKind().ToString().ToLowerInvariant(),
    };

    /// <summary>Reads a Stream-Node first frame the way <paramref name="mode"/> says.</summary>
    public static CallMetadata? ParseStreamNode(string text, MetadataMode mode, out MetadataRejection? rejection)
    {
        rejection = null;
        JsonObject? obj;
        if (mode == MetadataMode.JsonObjectOnly)
        {
            // python-dict-crash: metadata = json.loads(raw); metadata['callid'] → TypeError on a str.
            try
            {
                obj = JsonNode.Parse(text) as JsonObject;
            }
            catch (JsonException)
            {
                obj = null;
            }

            if (obj is null)
            {
                rejection = new(System.Net.WebSockets.WebSocketCloseStatus.InternalServerError, "metadata is not a JSON object");
                return null;
            }
        }
        else if (!TryParseDocumentForm(text, out obj, out var error))
        {
            rejection = new(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation, Truncate(error!));
            return null;
        }

        if (mode == MetadataMode.StrictKeys)
        {
            var unknown = obj!.Select(p => p.Key).Where(k => !StreamNodeKeys.Contains(k)).ToList();
            if (unknown.Count > 0)
            {
                rejection = new(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation,
                    Truncate("unexpected metadata keys: " + string.Join(", ", unknown)));
                return null;
            }
        }

        if (mode == MetadataMode.ReprValuesClose)
        {
            foreach (var value in obj!.Where(p => !StreamNodeKeys.Contains(p.Key)).Select(p => p.Value))
            {
                if (value is JsonValue v && v.TryGetValue<string>(out var raw) && raw.TrimStart().StartsWith('{'))
                {
                    try
                    {
                        _ = JsonNode.Parse(raw);
                    }
                    catch (JsonException)
                    {
                        // json.loads("{'lang': 'en'}") raises; the bot's handler closes with 1011 and its message.
                        rejection = new(System.Net.WebSockets.WebSocketCloseStatus.InternalServerError, "bad metadata");
                        return null;
                    }
                }
            }
        }

        var callId = Text(obj!["callid"]);
        if (string.IsNullOrEmpty(callId))
        {
            rejection = new(mode == MetadataMode.JsonObjectOnly
                    ? System.Net.WebSockets.WebSocketCloseStatus.InternalServerError
                    : System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation,
                "metadata has no callid");
            return null;
        }

        return new CallMetadata
        {
            CallId = callId,
            VirtualNumber = Text(obj["virtual_number"]),
            CustomerNumber = Text(obj["customer_number"]),
            CallType = Text(obj["call_type"]),
            Keys = [.. obj.Select(p => p.Key)],
        };
    }

    /// <summary>Reads a Verloop first message (002 §Inbound/§Outbound): a JSON object keyed by <c>uuid</c>.</summary>
    public static CallMetadata? ParseVerloop(string text, MetadataMode mode, out MetadataRejection? rejection)
    {
        rejection = null;
        JsonObject? obj;
        try
        {
            obj = JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            obj = null;
        }

        if (obj is null)
        {
            rejection = new(mode == MetadataMode.VerloopExpectsCallId
                    ? System.Net.WebSockets.WebSocketCloseStatus.InternalServerError
                    : System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation,
                "first message is not a JSON object");
            return null;
        }

        var idKey = mode == MetadataMode.VerloopExpectsCallId ? "callid" : "uuid";
        var callId = Text(obj[idKey]);
        if (string.IsNullOrEmpty(callId))
        {
            rejection = new(mode == MetadataMode.VerloopExpectsCallId
                    ? System.Net.WebSockets.WebSocketCloseStatus.InternalServerError
                    : System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation,
                $"first message has no {idKey}");
            return null;
        }

        int? rate = null;
        if (obj["sample_rate"] is { } rateNode)
        {
            var rateText = Text(rateNode);
            if (!int.TryParse(rateText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var r)
                || r is < MinSampleRate or > MaxSampleRate)
            {
                rejection = new(System.Net.WebSockets.WebSocketCloseStatus.PolicyViolation,
                    $"sample_rate '{rateText}' is not a rate in {MinSampleRate}..{MaxSampleRate}");
                return null;
            }

            rate = r;
        }

        var meta = obj["metadata"] as JsonObject;
        return new CallMetadata
        {
            CallId = callId,
            VirtualNumber = Text(obj["to"]),
            CustomerNumber = Text(obj["from"]),
            CallType = Text(meta?["call_type"]),
            SampleRate = rate,
            Keys = [.. obj.Select(p => p.Key)],
        };
    }

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    // Close reasons are limited to 123 bytes of UTF-8 (RFC 6455 §5.5).
    private static string Truncate(string reason) => reason.Length <= 120 ? reason : reason[..117] + "...";
}
