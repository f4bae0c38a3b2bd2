using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ProtocolSim.Core;
using WireMock.Logging;

namespace ProtocolSim.Knowlarity.Rest.Stubbing;

/// <summary>
/// Java WireMock's <c>/__admin/requests/unmatched</c> and <c>/__admin/requests/unmatched/near-misses</c>, which
/// WireMock.Net 2.31 does not serve, read off WireMock.Net's own log: an unmatched request is a log entry without a
/// mapping, its near miss the partial match WireMock.Net recorded for it. Entries are in WireMock.Net's
/// <c>/__admin/requests</c> shape (its property names).
/// </summary>
internal static class StubbingEndpoints
{
    public static void Map(IEndpointRouteBuilder app, Func<KnowlarityHost?> server)
    {
        // Java WireMock's full reset (WireMock.Net has it only as the in-process Reset()): stubs, log and scenarios.
        app.MapPost("/__admin/reset", () =>
        {
            server()?.Reset();
            return Json(new JsonObject { ["Status"] = "Reset" });
        });
        app.MapGet("/__admin/requests/unmatched", () => Json(new JsonObject
        {
            ["requests"] = new JsonArray([.. Unmatched(server()).Select(e => (JsonNode?)Entry(e))]),
        }));
        app.MapGet("/__admin/requests/unmatched/near-misses", () => Json(new JsonObject
        {
            ["nearMisses"] = new JsonArray([.. Unmatched(server()).Where(e => e.PartialMappingGuid is not null).Select(e => (JsonNode?)new JsonObject
            {
                ["Request"] = Request(e.RequestMessage!),
                ["MappingGuid"] = e.PartialMappingGuid.ToString(),
                ["MappingTitle"] = e.PartialMappingTitle,
                ["MatchResult"] = Match(e.PartialMatchResult),
            })]),
        }));
    }

    private static IEnumerable<ILogEntry> Unmatched(KnowlarityHost? server) =>
        server is null ? [] : server.LogEntries.Where(e => e.MappingGuid is null && e.RequestMessage is { } r && !r.Path.StartsWith("/__admin", StringComparison.OrdinalIgnoreCase));

    private static JsonObject Entry(ILogEntry e) => new()
    {
        ["Guid"] = e.Guid.ToString(),
        ["Request"] = Request(e.RequestMessage!),
        ["Response"] = new JsonObject { ["StatusCode"] = BuiltInBehaviour.StatusOf(e.ResponseMessage) },
        ["PartialMappingGuid"] = e.PartialMappingGuid?.ToString(),
        ["PartialMappingTitle"] = e.PartialMappingTitle,
        ["PartialRequestMatchResult"] = Match(e.PartialMatchResult),
    };

    private static JsonObject Request(WireMock.IRequestMessage r)
    {
        var headers = new JsonObject();
        foreach (var (name, values) in r.Headers ?? new Dictionary<string, WireMock.Types.WireMockList<string>>())
        {
            headers[name] = new JsonArray([.. values.Select(v => (JsonNode?)v)]);
        }

        return new JsonObject
        {
            ["ClientIP"] = r.ClientIP,
            ["DateTime"] = r.DateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["Path"] = r.Path,
            ["AbsoluteUrl"] = r.AbsoluteUrl,
            ["Method"] = r.Method,
            ["Headers"] = headers,
            ["Body"] = r.Body,
        };
    }

    private static JsonObject? Match(WireMock.Matchers.Request.IRequestMatchResult? m) => m is null ? null : new JsonObject
    {
        ["TotalScore"] = m.TotalScore,
        ["TotalNumber"] = m.TotalNumber,
        ["IsPerfectMatch"] = m.IsPerfectMatch,
        ["AverageTotalScore"] = m.AverageTotalScore,
    };

    private static IResult Json(JsonNode body) => Results.Text(body.ToJsonString(JsonDefaults.Relaxed), "application/json", Encoding.UTF8, 200);
}
