using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Cti.Processor;
using ProtocolSim.Cti.Transport;

namespace ProtocolSim.Cti;

/// <summary>
/// Composition of the CTI mock (STYLE.md <c>Add*</c>/<c>Map*</c>): the interaction processor behind the socket, HTTP
/// and WebSocket transports, and its admin actions; one host of all of it for <c>protosim serve</c>, the suite's
/// scenarios, the benchmark and the tests.
/// </summary>
public static class CtiFake
{
    public static IServiceCollection AddCti(this IServiceCollection services, Action<CtiOptions> configure)
    {
        services.AddFakeOptions(configure, "CTI");
        services.AddSingleton<InteractionProcessor>();
        services.AddSingleton<HttpTransport>();
        services.AddSingleton<WebSocketTransport>();
        services.AddSingleton<SocketTransport>();
        return services;
    }

    public static IEndpointRouteBuilder MapCti(this IEndpointRouteBuilder app)
    {
        app.ServiceProvider.GetRequiredService<HttpTransport>().Map(app);
        app.ServiceProvider.GetRequiredService<WebSocketTransport>().Map(app);
        CtiAdmin.Map(app);
        return app;
    }

    /// <summary>Builds and starts the mock on <paramref name="address"/>: HTTP (and WebSocket) on one port 0, the socket transport on another.</summary>
    /// <param name="services">More services, registered first: e.g. a <see cref="TimeProvider"/> for tests on a fake clock.</param>
    public static async Task<CtiHost> StartAsync(IPAddress address, Action<CtiOptions> configure, CancellationToken cancellationToken, Action<IServiceCollection>? services = null)
    {
        ListenOptions? tcp = null;
        var app = await SlimHost.StartAsync(
            o =>
            {
                o.Listen(address, 0);
                o.Listen(address, 0, listen =>
                {
                    tcp = listen;
                    listen.UseConnectionHandler<SocketTransport>();
                });
                o.Limits.MaxRequestBodySize = 2 * 1024 * 1024;
            },
            collection =>
            {
                services?.Invoke(collection);
                collection.AddCti(configure);
            },
            app =>
            {
                app.UseWebSockets();
                app.MapCti();
            },
            cancellationToken);

        // Kestrel writes the bound port back into the listen options.
        return new CtiHost(app, (IPEndPoint)tcp!.EndPoint);
    }
}

/// <summary>Admin actions of the CTI mock under <c>/__admin/cti/</c>: inject an inbound call, list sessions.</summary>
internal static class CtiAdmin
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/__admin/cti/inbound-call", async (HttpContext context, InteractionProcessor processor) =>
        {
            JsonObject? body;
            try
            {
                body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted) as JsonObject;
            }
            catch (System.Text.Json.JsonException e)
            {
                return Results.Json(new JsonObject { ["error"] = "The body is not JSON: " + e.Message }, statusCode: StatusCodes.Status400BadRequest);
            }

            var agent = InteractionProcessor.Text(body?["agent"]) ?? processor.Options.World.Agents[0].Id;
            if (processor.SessionOf(agent) is not { } session)
            {
                return Results.Json(new JsonObject { ["error"] = $"Agent '{agent}' has no active session." }, statusCode: StatusCodes.Status404NotFound);
            }

            var talk = body?["talkMs"] is JsonValue t && t.TryGetValue<int>(out var ms) ? TimeSpan.FromMilliseconds(ms) : TimeSpan.FromSeconds(3);
            var interaction = session.Ring(InteractionProcessor.Text(body?["endpoint"]), InteractionProcessor.Text(body?["ani"]) ?? "+15550100", talk, TimeSpan.FromSeconds(30));
            return interaction is null
                ? Results.Json(new JsonObject { ["error"] = $"Session {session.Id} has no such channel initialized." }, statusCode: StatusCodes.Status409Conflict)
                : Results.Json(new JsonObject { ["session"] = session.Id, ["interaction"] = interaction });
        });
        app.MapGet("/__admin/cti/sessions", (InteractionProcessor processor) => Results.Json(new JsonObject
        {
            ["sessions"] = new JsonArray(processor.Sessions.Select(s => (JsonNode)new JsonObject
            {
                ["id"] = s.Id,
                ["agent"] = s.Agent.Id,
                ["state"] = s.State.ToString(),
                ["boundBy"] = s.BoundBy?.ClientId,
                ["channels"] = new JsonArray(s.Endpoints.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
            }).ToArray()),
            ["clients"] = processor.ClientCount,
        }));
    }
}
