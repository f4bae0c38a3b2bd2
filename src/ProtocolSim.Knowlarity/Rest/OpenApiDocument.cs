using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// The OpenAPI 3.0 document of the fake, served at <c>/openapi.json</c>: generated from the route table (so it lists
/// exactly what is served), the notifications stream and the admin API.
/// </summary>
internal static class OpenApiDocument
{
    public static JsonObject Build(string serverUrl)
    {
        var paths = new JsonObject();
        foreach (var group in RestRoutes.All.GroupBy(r => r.Template))
        {
            var item = new JsonObject();
            foreach (var route in group)
            {
                item[route.Method.ToLowerInvariant()] = Operation(route);
            }

            paths["/{channel}/v1/account" + group.Key] = item;
        }

        paths["/update-stream/{SR_API_KEY}/konnect"] = new JsonObject
        {
            ["get"] = new JsonObject
            {
                ["tags"] = new JsonArray("notifications"),
                ["summary"] = "Notifications (Streaming API): Server-Sent Events, one `data: {json}` line per event",
                ["operationId"] = "notificationsStream",
                ["parameters"] = new JsonArray(PathParameter("SR_API_KEY", "The SR API key (the Authorization value of the REST API).")),
                ["responses"] = new JsonObject
                {
                    ["200"] = new JsonObject
                    {
                        ["description"] = "A long-lived event stream: telephony events (event_type) and CDRs (type = CDR).",
                        ["content"] = new JsonObject { ["text/event-stream"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string" }, ["example"] = "data: {\"event_type\":\"AGENT_CALL\",\"uuid\":\"…\"}\n\n" } },
                    },
                    ["401"] = new JsonObject { ["description"] = "Unknown key (plain text)." },
                },
            },
        };

        AddAdmin(paths);
        return new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject
            {
                ["title"] = "ProtocolSim Knowlarity fake (SuperReceptionist REST API, notifications stream, admin API)",
                ["version"] = "1.0.0",
                ["description"] = "Endpoints of the Knowlarity SuperReceptionist API reference (document 003) with their documented bodies, served by ProtocolSim. Rules and defaults: protocols/knowlarity.md.",
            },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = serverUrl }),
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["accessKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "x-api-key", ["description"] = "Application access key; a missing or wrong key gets 403 {\"message\":\"Forbidden\"}." },
                    ["srApiKey"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "Authorization", ["description"] = "SR API key (bare)." },
                },
            },
            ["security"] = new JsonArray(new JsonObject { ["accessKey"] = new JsonArray(), ["srApiKey"] = new JsonArray() }),
            ["paths"] = paths,
        };
    }

    private static JsonObject Operation(RestRoute route)
    {
        var parameters = new JsonArray(new JsonObject
        {
            ["name"] = "channel",
            ["in"] = "path",
            ["required"] = true,
            ["description"] = "The account's channel.",
            ["schema"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("Basic", "Advance", "Premium", "Enterprise") },
        });
        foreach (var segment in route.Template.Split('/').Where(s => s.StartsWith('{')))
        {
            parameters.Add(PathParameter(segment[1..^1], null));
        }

        foreach (var name in route.Doc.Query)
        {
            parameters.Add(new JsonObject { ["name"] = name, ["in"] = "query", ["required"] = name is "circle_id" or "ivr_id" or "k_number" or "customer_number", ["schema"] = new JsonObject { ["type"] = "string" } });
        }

        var responses = new JsonObject
        {
            ["200"] = new JsonObject { ["description"] = "Success", ["content"] = JsonContent(route.Doc.SuccessExample) },
            ["403"] = new JsonObject { ["description"] = "Missing or wrong x-api-key (gateway)", ["content"] = JsonContent(new JsonObject { ["message"] = "Forbidden" }) },
        };
        foreach (var group in route.Doc.Errors.GroupBy(e => e.Status))
        {
            var examples = new JsonObject();
            var n = 0;
            foreach (var (_, body) in group)
            {
                examples["e" + ++n] = new JsonObject { ["value"] = body.DeepClone() };
            }

            responses[group.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["description"] = "Documented error",
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["examples"] = examples } },
            };
        }

        var operation = new JsonObject
        {
            ["tags"] = new JsonArray(route.Template.Split('/', StringSplitOptions.RemoveEmptyEntries)[0]),
            ["summary"] = route.Doc.Title,
            ["operationId"] = route.Method.ToLowerInvariant() + string.Concat(route.Template.Split('/', '-', '_', '{', '}').Where(s => s.Length > 0).Select(s => char.ToUpperInvariant(s[0]) + s[1..])),
            ["parameters"] = parameters,
            ["responses"] = responses,
        };
        if (route.Doc.RequestExample is { } example)
        {
            operation["requestBody"] = new JsonObject { ["required"] = true, ["content"] = JsonContent(example) };
        }

        return operation;
    }

    private static JsonObject PathParameter(string name, string? description) => new()
    {
        ["name"] = name,
        ["in"] = "path",
        ["required"] = true,
        ["description"] = description,
        ["schema"] = new JsonObject { ["type"] = "string" },
    };

    private static JsonObject JsonContent(JsonNode example) => new()
    {
        ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = example is JsonArray ? "array" : "object" }, ["example"] = example.DeepClone() },
    };

    private static void AddAdmin(JsonObject paths)
    {
        static JsonObject Op(string summary, bool body = false)
        {
            var op = new JsonObject
            {
                ["tags"] = new JsonArray("admin"),
                ["summary"] = summary,
                ["security"] = new JsonArray(),
                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK", ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } } } },
            };
            if (body)
            {
                op["requestBody"] = new JsonObject { ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "object" } } } };
            }

            return op;
        }

        // WireMock.Net's admin API (the main entries; its full list is WireMock.Net's documentation) and the three
        // Java WireMock endpoints added on its log.
        paths["/__admin/mappings"] = new JsonObject
        {
            ["get"] = Op("List mappings (WireMock.Net's shape), the built-in behaviour's among them"),
            ["post"] = Op("Add a mapping in WireMock.Net's JSON: {Request: {Path, Methods, Headers, Params, Body}, Response: {StatusCode, Body|BodyAsJson|BodyAsBytes, Headers, Delay, Fault}, Priority, Scenario, ...}; 201", body: true),
            ["delete"] = Op("Delete every mapping"),
        };
        paths["/__admin/mappings/{id}"] = new JsonObject
        {
            ["parameters"] = new JsonArray(PathParameter("id", "Mapping guid.")),
            ["get"] = Op("One mapping; 404 when unknown"),
            ["put"] = Op("Replace a mapping", body: true),
            ["delete"] = Op("Delete a mapping"),
        };
        paths["/__admin/mappings/reset"] = new JsonObject { ["post"] = Op("Delete every mapping (the built-in behaviour's comes back)") };
        paths["/__admin/mappings/wiremock.org"] = new JsonObject { ["post"] = Op("Import mappings in Java WireMock's JSON (WireMock.Net's importer: see the README for what it keeps)", body: true) };
        paths["/__admin/requests"] = new JsonObject { ["get"] = Op("The request log (WireMock.Net's shape), every request"), ["delete"] = Op("Clear the request log") };
        paths["/__admin/requests/find"] = new JsonObject { ["post"] = Op("Requests matching a request model: {Path, Methods, Headers, Params, Body}", body: true) };
        paths["/__admin/requests/unmatched"] = new JsonObject { ["get"] = Op("Requests no mapping matched") };
        paths["/__admin/requests/unmatched/near-misses"] = new JsonObject { ["get"] = Op("Unmatched requests with the mapping that came nearest") };
        paths["/__admin/scenarios"] = new JsonObject { ["get"] = Op("Scenarios and their states"), ["delete"] = Op("Reset every scenario") };
        paths["/__admin/reset"] = new JsonObject { ["post"] = Op("Reset mappings, the request log and scenarios (the built-in behaviour's mapping comes back)") };
        paths["/__admin/knowlarity/inbound-call"] = new JsonObject { ["post"] = Op("Inject an inbound call to the SR number: {customer_number, agent_number?, answered?}; 201 {uuid}", body: true) };
        paths["/__admin/knowlarity/calls"] = new JsonObject { ["get"] = Op("Calls in progress") };
        paths["/__admin/knowlarity/streams"] = new JsonObject { ["get"] = Op("Open notification streams") };
        paths["/__admin/knowlarity/notifications/drop"] = new JsonObject { ["post"] = Op("Drop every notification stream: {mode: close|reset}", body: true) };
        paths["/__admin/knowlarity/state"] = new JsonObject { ["get"] = Op("The account state"), ["post"] = Op("Load an account (fixtures/knowlarity/account.json shape); 400 with every error", body: true) };
        paths["/__admin/knowlarity/state/reset"] = new JsonObject { ["post"] = Op("Reset the account to the fixture") };
    }
}
