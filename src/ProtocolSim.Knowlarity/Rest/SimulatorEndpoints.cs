using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// The simulator's own controls under <c>/__admin/knowlarity</c> (inject an inbound call, list calls and streams,
/// drop stream subscribers, reset or load the account). Stubs, the request log and the rest of <c>/__admin</c> are
/// WireMock.Net's.
/// </summary>
internal static class SimulatorEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var sim = app.MapGroup("/__admin/knowlarity");
        sim.MapPost("/inbound-call", (HttpContext c, KnowlarityApi api, KnowlarityOptions options) => WithBody(c, body =>
        {
            var o = body as JsonObject ?? [];
            var customer = PhoneNumbers.Normalise(o["customer_number"]?.ToString());
            if (customer is null)
            {
                return Json(400, new JsonObject { ["message"] = "customer_number (E.164) is required." });
            }

            string? agent;
            lock (api.Account.Gate)
            {
                agent = o["agent_number"] is { } a ? PhoneNumbers.Normalise(a.ToString()) : api.Account.Fixture.AgentNumber;
            }

            var answered = o["answered"] is not JsonValue av || !av.TryGetValue<bool>(out var ans) || ans;
            var number = o["knowlarity_number"]?.ToString() ?? api.Account.Fixture.SrNumber;
            var call = api.Calls.Start(CallKind.Inbound, number, answered ? agent : null, customer);
            return Json(201, new JsonObject { ["uuid"] = call.Uuid, ["knowlarity_number"] = number, ["customer_number"] = customer, ["agent_number"] = answered ? agent : null });
        }, allowEmpty: false));
        sim.MapGet("/calls", (KnowlarityApi api) => Json(200, new JsonObject
        {
            ["calls"] = new JsonArray(api.Calls.Active.Select(c => (JsonNode?)new JsonObject
            {
                ["uuid"] = c.Uuid,
                ["kind"] = c.Kind.ToString(),
                ["knowlarity_number"] = c.KnowlarityNumber,
                ["agent_number"] = c.AgentNumber,
                ["customer_number"] = c.CustomerNumber,
                ["started"] = c.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            }).ToArray()),
        }));
        sim.MapGet("/streams", (NotificationHub hub) => Json(200, new JsonObject
        {
            ["streams"] = new JsonArray(hub.Subscribers.Select(s => (JsonNode?)new JsonObject
            {
                ["id"] = s.Journal.SessionId,
                ["remote"] = s.Journal.Labels.GetValueOrDefault("remote"),
                ["events"] = s.EventsSent,
                ["opened"] = s.Journal.StartedAt.ToString("O", CultureInfo.InvariantCulture),
            }).ToArray()),
        }));
        sim.MapPost("/notifications/drop", (HttpContext c, NotificationHub hub) => WithBody(c, body =>
        {
            var mode = body?["mode"]?.ToString() switch
            {
                null or "close" => DropMode.Close,
                "reset" => DropMode.Reset,
                var other => (DropMode?)null,
            };
            return mode is null
                ? Json(400, new JsonObject { ["message"] = "mode must be \"close\" or \"reset\"." })
                : Json(200, new JsonObject { ["dropped"] = hub.DropAll(null, mode.Value), ["mode"] = mode.Value.ToString().ToLowerInvariant() });
        }));
        sim.MapPost("/state/reset", (KnowlarityApi api, KnowlarityOptions options) =>
        {
            api.Account.Load(options.Account!);
            return Json(200, new JsonObject { ["message"] = "state reset to the fixture" });
        });
        sim.MapPost("/state", (HttpContext c, KnowlarityApi api) => WithBody(c, body =>
        {
            var (fixture, errors) = AccountFixture.Parse(body?.ToJsonString() ?? "", "request body");
            if (fixture is null)
            {
                return Json(400, new JsonObject { ["message"] = "the account is not valid", ["errors"] = new JsonArray(errors.Select(e => (JsonNode?)e).ToArray()) });
            }

            api.Account.Load(fixture);
            return Json(200, new JsonObject { ["message"] = "state loaded" });
        }, allowEmpty: false));
        sim.MapGet("/state", (KnowlarityApi api) =>
        {
            lock (api.Account.Gate)
            {
                var a = api.Account;
                return Json(200, new JsonObject
                {
                    ["account"] = new JsonObject { ["channel"] = a.Fixture.Channel, ["srNumber"] = a.Fixture.SrNumber, ["country"] = a.Fixture.Country, ["allowedAgentsOnly"] = a.Fixture.AllowedAgentsOnly },
                    ["plans"] = a.Plans.DeepClone(),
                    ["numbers"] = a.Numbers.DeepClone(),
                    ["circles"] = a.Circles.DeepClone(),
                    ["availableNumbers"] = a.AvailableNumbers.DeepClone(),
                    ["agents"] = a.Agents.DeepClone(),
                    ["phonebooks"] = a.Phonebooks.DeepClone(),
                    ["sounds"] = a.Sounds.DeepClone(),
                    ["campaigns"] = a.Campaigns.DeepClone(),
                    ["tasks"] = a.Tasks.DeepClone(),
                    ["notifications"] = a.Registrations.DeepClone(),
                    ["callLog"] = new JsonArray(a.CallLog.Select(r => (JsonNode?)r.DeepClone()).ToArray()),
                    ["behaviours"] = new JsonObject(a.Fixture.Behaviours.Select(b => KeyValuePair.Create(b.Key, (JsonNode?)Kebab(b.Value.ToString())))),
                });
            }
        });
    }

    private static string Kebab(string name) => string.Concat(name.Select((ch, i) => char.IsUpper(ch) ? (i > 0 ? "-" : "") + char.ToLowerInvariant(ch) : ch.ToString()));

    private static async Task<IResult> WithBody(HttpContext context, Func<JsonNode?, IResult> handle, bool allowEmpty = true)
    {
        var (bytes, tooLarge) = await KnowlarityApi.ReadBodyAsync(context.Request, 4 * 1024 * 1024, context.RequestAborted);
        if (tooLarge)
        {
            return Json(413, new JsonObject { ["errors"] = Errors("", "the body is larger than 4 MiB") });
        }

        JsonNode? body = null;
        if (bytes.Length > 0)
        {
            try
            {
                body = JsonNode.Parse(bytes);
            }
            catch (JsonException e)
            {
                return Json(422, new JsonObject { ["errors"] = Errors("", "Error parsing JSON: " + e.Message) });
            }
        }
        else if (!allowEmpty)
        {
            return Json(400, new JsonObject { ["errors"] = Errors("", "a JSON body is required") });
        }

        return handle(body);
    }

    private static JsonArray Errors(string pointer, string detail) => new(new JsonObject
    {
        ["code"] = 10,
        ["source"] = new JsonObject { ["pointer"] = pointer },
        ["title"] = "Error parsing JSON",
        ["detail"] = detail,
    });

    internal static IResult Json(int status, JsonNode body) =>
        Results.Text(body.ToJsonString(JsonDefaults.Relaxed), "application/json", Encoding.UTF8, status);
}
