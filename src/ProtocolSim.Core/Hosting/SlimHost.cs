using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ProtocolSim.Core.Hosting;

/// <summary>
/// The one way the fakes are hosted (<c>protosim serve</c>, each scenario, the benchmarks, the tests): a slim Kestrel
/// host without log providers, listening where the caller says (loopback, port 0), with the caller's services and
/// endpoints; a host that fails to start is disposed before the error goes on.
/// </summary>
public static class SlimHost
{
    public static async Task<WebApplication> StartAsync(Action<KestrelServerOptions> listen, Action<IServiceCollection> services, Action<WebApplication> map, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(listen);
        services(builder.Services);
        var app = builder.Build();
        map(app);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>The http:// base URL the host listens on (its first address).</summary>
    public static string BaseUrl(WebApplication app) => app.Urls.First().TrimEnd('/');
}
