using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
    // ---- call logs ------------------------------------------------------------------------------------------

    public static ApiResult DetailedCallLog(RestCall call)
    {
        var uuid = call.QueryValue("uuid");
        if (string.IsNullOrEmpty(uuid))
        {
            return ApiResult.Message(400, "Provide some input. For more information contact support.");
        }

        lock (call.Account.Gate)
        {
            return call.Account.DetailedLogs.TryGetValue(uuid, out var log)
                ? ApiResult.Ok(log.DeepClone())
                : ApiResult.Message(404, $"No call log found for uuid {uuid}.");
        }
    }

    /// <summary>003-R Get Call Log Records for New UI: POST with a JSON body, range ≤ 3 months, limit ≤ 200 (default 20), cursor paging.</summary>
    public static ApiResult SrCallLog(RestCall call)
    {
        var body = call.BodyObject ?? [];
        var limit = call.Integer("limit", out var limitValid) ?? 20;
        var offset = call.Integer("offset", out var offsetValid) ?? 0;
        if (!limitValid || !offsetValid || limit < 1 || offset < 0)
        {
            return ApiResult.IncorrectInput;
        }

        if (limit > 200)
        {
            call.Finding("KRS-026", $"limit {limit} is above 200", "limit ≤ 200", limit.ToString(CultureInfo.InvariantCulture));
            return ApiResult.Message(400, "Maximum limit that can be passed is 200.");
        }

        var gtText = call.Text("start_time__gt");
        var ltText = call.Text("start_time__lt");
        var gt = KnowlarityAccount.ParseTime(gtText);
        var lt = KnowlarityAccount.ParseTime(ltText);
        if (gtText is not null && gt is null || ltText is not null && lt is null)
        {
            return ApiResult.IncorrectInput;
        }

        lt ??= gt?.AddMonths(3) ?? call.Now;
        gt ??= lt.Value.AddMonths(-3);
        if (gt.Value.AddMonths(3) < lt.Value)
        {
            call.Finding("KRS-026", "start_time range is longer than 3 months", "start_time__lt − start_time__gt ≤ 3 months", $"{gtText} – {ltText}");
            return ApiResult.Message(400, "Date range is limited to 3 months only.");
        }

        if (gt.Value > lt.Value)
        {
            return ApiResult.IncorrectInput;
        }

        var filterKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(new JsonObject(body.Where(p => p.Key is not ("next" or "offset" or "limit")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString()))).ToLowerInvariant();
        lock (call.Account.Gate)
        {
            var matching = call.Account.CallLog
                .Where(r => KnowlarityAccount.StartTime(r) is var t && t > gt.Value && t < lt.Value)
                .Where(r => CallLogFilter(call, r))
                .OrderByDescending(KnowlarityAccount.StartTime)
                .ToList();
            var startIndex = offset;
            if (call.Text("next") is { Length: > 0 } cursor)
            {
                var parts = cursor.Split("##");
                var position = parts.Length == 3 ? matching.FindIndex(r => Cursor(r, filterKey) == cursor) : -1;
                if (parts.Length != 3 || !parts[2].EndsWith("__" + filterKey, StringComparison.Ordinal) || position < 0)
                {
                    return ApiResult.Message(400, "The cursor in next does not belong to this query.");
                }

                startIndex = position + 1;
            }

            var page = matching.Skip(startIndex).Take(limit).ToList();
            var more = startIndex + page.Count < matching.Count;
            return ApiResult.Ok(new JsonObject
            {
                ["meta"] = new JsonObject
                {
                    ["total_count"] = body["get_total"] is JsonValue g && (g.TryGetValue<bool>(out var total) && total || g.TryGetValue<string>(out var ts) && ts is "true" or "True") ? matching.Count : null,
                    ["next"] = more && page.Count > 0 ? Cursor(page[^1], filterKey) : "",
                    ["limit"] = limit,
                    ["previous"] = "",
                },
                ["objects"] = new JsonArray(page.Select(r => (JsonNode?)r.DeepClone()).ToArray()),
            });
        }
    }

    /// <summary>The sample's cursor shape: <c>forward##&lt;24 hex&gt;##&lt;start time&gt;__&lt;64 hex&gt;</c>; the hash ties it to the query.</summary>
    private static string Cursor(JsonObject record, string filterKey) =>
        "forward##" + record["uuid"]!.GetValue<string>().Replace("-", "", StringComparison.Ordinal)[..24] + "##"
        + KnowlarityAccount.StartTime(record).ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "__" + filterKey;

    private static bool CallLogFilter(RestCall call, JsonObject record)
    {
        static IEnumerable<string> Values(JsonNode? node) => node switch
        {
            JsonArray a => a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : x?.ToJsonString() ?? ""),
            JsonValue v when v.TryGetValue<string>(out var s) => s.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(x => x.Trim('"', '\'')),
            null => [],
            _ => [node.ToJsonString()],
        };

        var body = call.BodyObject;
        if (body is null)
        {
            return true;
        }

        foreach (var (name, value) in body)
        {
            var ok = name switch
            {
                "agent_number" => Values(value).Contains(record["agent_number"]?.GetValue<string>()),
                "customer__contains" => Values(value).Any(v => record["customer_number"]?.GetValue<string>().Contains(v, StringComparison.Ordinal) == true),
                "call_status" => Values(value).Contains(record["call_status"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase),
                "agent_status" => Values(value).Contains(record["agent_status"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase),
                "customer_status" => Values(value).Contains(record["customer_status"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase),
                "solution_type" => Values(value).Any(v => v == "all" || v == record["solution_type"]?.GetValue<string>()),
                "campaign_id" => Values(value).Contains(record["campaign_id"]?.ToString()),
                "duration__gt" => record["call_duration"]?.GetValue<int>() > (int.TryParse(value?.ToString(), CultureInfo.InvariantCulture, out var d1) ? d1 : int.MaxValue),
                "duration__lt" => record["call_duration"]?.GetValue<int>() < (int.TryParse(value?.ToString(), CultureInfo.InvariantCulture, out var d2) ? d2 : int.MinValue),
                _ => true,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }
}
