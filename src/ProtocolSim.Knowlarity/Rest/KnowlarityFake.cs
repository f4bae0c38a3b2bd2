using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Knowlarity.Rest.Admin;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// Composition of the Knowlarity REST fake, notifications stream, call simulator and admin API (STYLE.md:
/// <c>Add*</c>/<c>Map*</c>), and one host of all of it for <c>protosim serve</c>, the suite's scenarios and the tests.
/// </summary>
public static class KnowlarityFake
{
    public static IServiceCollection AddKnowlarity(this IServiceCollection services, Action<KnowlarityOptions> configure)
    {
        services.AddFakeOptions(configure, "Knowlarity");
        services.AddSingleton<KnowlarityJournals>();
        services.AddSingleton<NotificationHub>();
        services.AddSingleton<CallSimulator>();
        services.AddSingleton<RequestLog>();
        services.AddSingleton<StubStore>();
        services.AddSingleton<KnowlarityApi>();
        services.AddSingleton<NotificationStreamEndpoint>();
        return services;
    }

    /// <summary>Stub mappings answer before the fake's routes.</summary>
    public static IApplicationBuilder UseKnowlarityStubs(this IApplicationBuilder app) => app.Use(AdminEndpoints.StubMiddleware);

    public static IEndpointRouteBuilder MapKnowlarity(this IEndpointRouteBuilder app)
    {
        RequestDelegate api = c => c.RequestServices.GetRequiredService<KnowlarityApi>().HandleAsync(c);
        app.Map("/{channel}/v1/account/{**path}", api);

        // The plans entry's header writes /{channel}/account/plans (knowlarity.md §6.11).
        app.Map("/{channel}/account/{**path}", api);
        app.Map("/update-stream/{key}/konnect", c => c.RequestServices.GetRequiredService<NotificationStreamEndpoint>().HandleAsync(c));
        app.MapGet("/openapi.json", (HttpContext c) => AdminEndpoints.Json(200, OpenApiDocument.Build($"{c.Request.Scheme}://{c.Request.Host}")));
        AdminEndpoints.Map(app);
        return app;
    }

    /// <summary>Builds and starts the fake on <paramref name="address"/>, port 0.</summary>
    public static async Task<WebApplication> StartAsync(IPAddress address, Action<KnowlarityOptions> configure, CancellationToken cancellationToken, Action<IServiceCollection>? services = null)
    {
        return await SlimHost.StartAsync(
            o =>
            {
                o.Listen(address, 0);
                o.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
                o.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            },
            collection =>
            {
                collection.AddKnowlarity(configure);
                services?.Invoke(collection);
            },
            app =>
            {
                app.UseKnowlarityStubs();
                app.MapKnowlarity();
            },
            cancellationToken);
    }

    public static string BaseUrl(WebApplication app) => app.Urls.First().TrimEnd('/');

    /// <summary>The endpoints-file entries (ARCHITECTURE.md): <c>knowlarityApi</c>, <c>knowlarityNotifications</c>, <c>admin</c>, <c>credentials.knowlarity</c>.</summary>
    public static JsonObject Endpoints(WebApplication app)
    {
        var options = app.Services.GetRequiredService<KnowlarityOptions>();
        var account = options.Account!;
        var baseUrl = BaseUrl(app);
        return new JsonObject
        {
            ["knowlarityApi"] = baseUrl,
            ["knowlarityNotifications"] = baseUrl,
            ["admin"] = baseUrl + "/__admin",
            ["credentials"] = new JsonObject
            {
                ["knowlarity"] = new JsonObject
                {
                    ["xApiKey"] = options.Credentials.XApiKey,
                    ["srApiKey"] = options.Credentials.SrApiKey,
                    ["channel"] = account.Channel,
                    ["srNumber"] = account.SrNumber,
                    ["agentNumber"] = account.AgentNumber,
                },
            },
        };
    }
}
