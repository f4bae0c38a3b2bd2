using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core.Hosting;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow;

/// <summary>
/// The Data Flow mock as one host: identity server and WebSocket integration on an ephemeral port, and the
/// endpoints-file description of it (ARCHITECTURE.md). Used by <c>protosim serve</c> and by each scenario of the suite.
/// </summary>
public static class DataFlowMock
{
    /// <summary>Fresh client credentials: nothing secret is fixed in the code or the repository.</summary>
    public static IdentityClient NewCredentials() => new()
    {
        ClientId = "protosim-client",
        ClientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant(),
        Tenant = Guid.NewGuid().ToString(),
    };

    /// <summary>Builds and starts the host on <paramref name="address"/>, port 0, with one client.</summary>
    public static async Task<WebApplication> StartAsync(IPAddress address, IdentityClient client, Action<DataFlowOptions> configure, CancellationToken cancellationToken)
    {
        return await SlimHost.StartAsync(
            o => o.Listen(address, 0),
            services =>
            {
                services.AddDataFlowIdentity(o => o.Clients.Add(client));
                services.AddDataFlow(configure);
            },
            app =>
            {
                app.UseWebSockets();
                app.MapDataFlowIdentity();
                app.MapDataFlowWebSocket();
            },
            cancellationToken);
    }

    /// <summary>The http:// base URL the host listens on.</summary>
    public static string BaseUrl(WebApplication app) => SlimHost.BaseUrl(app);

    public static string WebSocketUrl(WebApplication app) => BaseUrl(app).Replace("http://", "ws://", StringComparison.Ordinal) + "/project-runner";

    public static string IdentityUrl(WebApplication app) => BaseUrl(app) + "/connect/token";

    /// <summary>The endpoints-file entries of the mock: <c>dataflowWebSocket</c>, <c>identity</c>, <c>credentials.dataflow</c>.</summary>
    public static JsonObject Endpoints(WebApplication app, IdentityClient client, string project) => new()
    {
        ["dataflowWebSocket"] = WebSocketUrl(app),
        ["identity"] = IdentityUrl(app),
        ["credentials"] = new JsonObject
        {
            ["dataflow"] = new JsonObject
            {
                ["clientId"] = client.ClientId,
                ["clientSecret"] = client.ClientSecret,
                ["tenant"] = client.Tenant,
                ["project"] = project,
            },
        },
    };
}
