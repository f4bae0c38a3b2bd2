using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// The endpoints of 003-R on the account state. Each handler validates as the document says, answers with the
/// documented bodies (spacing restored, knowlarity.md §6.15) and records the client rules it sees broken.
/// </summary>
internal static partial class RestHandlers
{
    private const string BadKey = "The SR API Key used to authenticate is incorrect.";
    private static readonly string[] DateFormats = ["yyyy-MM-dd HH:mm"];
    private static readonly string[] DateTimeFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"];
    private static readonly string[] OrderFields = ["timezone", "start_time", "k_number"];
    private static readonly string[] MakecallFields = ["k_number", "agent_number", "customer_number"];
    private static readonly string[] OtpFields = ["ivr_id", "k_number", "customer_number"];

    public static string AuthorizationMessage => BadKey;

    // ---- shared ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The Tastypie envelope (knowlarity.md §2.3): <c>meta</c> with limit, next, offset, previous, total_count and
    /// <c>objects</c>; <c>next</c>/<c>previous</c> are <c>""</c> (or null) at the ends and the next page's path otherwise.
    /// </summary>
    private static ApiResult Envelope(RestCall call, IEnumerable<JsonObject> source, int defaultLimit, bool numbersAsStrings = false, bool nullLinks = false)
    {
        var items = source.ToList();
        var limit = call.Options.PageSize ?? defaultLimit;
        var offset = 0;
        if (call.QueryValue("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit)))
        {
            return ApiResult.Message(400, $"Invalid limit '{l}' provided. Please provide a positive integer.");
        }

        if (call.QueryValue("offset") is { } o && (!int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
        {
            return ApiResult.Message(400, $"Invalid offset '{o}' provided. Please provide a positive integer.");
        }

        // Tastypie: limit=0 means everything.
        var take = limit == 0 ? items.Count : limit;
        var page = items.Skip(offset).Take(take).ToList();
        string Link(int at) => $"/{call.Channel}/v1/account{call.Path}?limit={limit}&offset={at}";
        JsonNode? next = offset + take < items.Count ? Link(offset + take) : nullLinks ? null : "";
        JsonNode? previous = offset > 0 && take > 0 ? Link(Math.Max(0, offset - take)) : nullLinks ? null : "";
        var meta = new JsonObject
        {
            ["limit"] = limit,
            ["next"] = next,
            ["offset"] = numbersAsStrings ? offset.ToString(CultureInfo.InvariantCulture) : offset,
            ["previous"] = previous,
            ["total_count"] = numbersAsStrings ? items.Count.ToString(CultureInfo.InvariantCulture) : items.Count,
        };
        return ApiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("meta");
            meta.WriteTo(w, JsonDefaults.Relaxed);
            w.WritePropertyName("objects");
            WriteVisible(w, page);
            w.WriteEndObject();
        });
    }

    /// <summary>Writes the items as a JSON array, each without the fake's own <c>_</c> members.</summary>
    private static void WriteVisible(Utf8JsonWriter writer, IEnumerable<JsonObject> items)
    {
        writer.WriteStartArray();
        foreach (var item in items)
        {
            WriteVisible(writer, item);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes the item as JSON without the fake's own <c>_</c> members, from the account's nodes themselves (the
    /// caller holds the account's lock, so the answer is one consistent view, as a copy would be).
    /// </summary>
    private static void WriteVisible(Utf8JsonWriter writer, JsonObject item)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in item)
        {
            if (key.StartsWith('_'))
            {
                continue;
            }

            writer.WritePropertyName(key);
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer, JsonDefaults.Relaxed);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>A phone number in the query (E.164, URL-encoded: KRS-006, KRS-007).</summary>
    private static string? QueryPhone(RestCall call, string name, string value)
    {
        if (value.StartsWith(' '))
        {
            // An unencoded '+' (KRS-007, recorded by the pipeline): the server reads a space, as a real one would.
            return null;
        }

        return call.Phone(name, value);
    }

    private static string Utc(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss+00:00", CultureInfo.InvariantCulture);
}
