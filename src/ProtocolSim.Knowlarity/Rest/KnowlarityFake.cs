using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// Composition of the Knowlarity REST fake, notifications stream, call simulator and simulator controls (STYLE.md:
/// <c>Add*</c>/<c>Map*</c>); <see cref="KnowlarityHost"/> hosts them on WireMock.Net for <c>protosim serve</c>, the
/// suite's scenarios and the tests.
/// </summary>
public static class KnowlarityFake
{
    public static IServiceCollection AddKnowlarity(this IServiceCollection services, Action<KnowlarityOptions> configure)
    {
        services.AddFakeOptions(configure, "Knowlarity");
        services.AddSingleton<KnowlarityJournals>();
        services.AddSingleton<NotificationHub>();
        services.AddSingleton<CallSimulator>();
        services.AddSingleton<KnowlarityApi>();
        services.AddSingleton<NotificationStreamEndpoint>();
        return services;
    }

    /// <summary>What the fake serves beside WireMock.Net: the notifications stream, the OpenAPI document and the simulator's controls.</summary>
    public static IEndpointRouteBuilder MapKnowlarity(this IEndpointRouteBuilder app)
    {
        app.Map("/update-stream/{key}/konnect", c => c.RequestServices.GetRequiredService<NotificationStreamEndpoint>().HandleAsync(c));
        app.MapGet("/openapi.json", (HttpContext c) => SimulatorEndpoints.Json(200, OpenApiDocument.Build($"{c.Request.Scheme}://{c.Request.Host}")));
        SimulatorEndpoints.Map(app);
        return app;
    }

    /// <summary>Builds and starts the fake on <paramref name="address"/>, port 0.</summary>
    public static Task<KnowlarityHost> StartAsync(IPAddress address, Action<KnowlarityOptions> configure, CancellationToken cancellationToken, Action<IServiceCollection>? services = null) =>
        KnowlarityHost.StartAsync(address, configure, cancellationToken, services);
}
