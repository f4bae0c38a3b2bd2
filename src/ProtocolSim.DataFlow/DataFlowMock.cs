using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core.Hosting;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow;

/// <summary>Where the mock's HTTP/2 gRPC listener is (known once Kestrel has bound port 0).</summary>
public sealed class DataFlowPorts
{
    public IPEndPoint? Grpc { get; set; }
}

/// <summary>
/// The Data Flow mock as one host: identity server and WebSocket integration on an ephemeral port, the gRPC
/// integration on a second (HTTP/2 only), and the endpoints-file description of it (ARCHITECTURE.md). Used by
/// <c>protosim serve</c> and by each scenario of the suite.
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
        // Cleartext gRPC needs an HTTP/2-only endpoint (without TLS, Http1AndHttp2 is HTTP/1.1 only).
        var ports = new DataFlowPorts();
        ListenOptions? grpc = null;
        var app = await SlimHost.StartAsync(
            o =>
            {
                o.Listen(address, 0);
                o.Listen(address, 0, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    grpc = listen;
                });
            },
            services =>
            {
                services.AddSingleton(ports);
                services.AddDataFlowIdentity(o => o.Clients.Add(client));
                services.AddDataFlow(configure);
            },
            app =>
            {
                app.UseWebSockets();
                app.MapDataFlowIdentity();
                app.MapDataFlowWebSocket();
                app.MapDataFlowGrpc();
                app.MapDataFlowHttp();
            },
            cancellationToken);
        ports.Grpc = (IPEndPoint)grpc!.EndPoint;
        return app;
    }

    /// <summary>The http:// base URL the host listens on.</summary>
    public static string BaseUrl(WebApplication app) => SlimHost.BaseUrl(app);

    public static string WebSocketUrl(WebApplication app) => BaseUrl(app).Replace("http://", "ws://", StringComparison.Ordinal) + "/project-runner";

    public static string IdentityUrl(WebApplication app) => BaseUrl(app) + "/connect/token";

    /// <summary>The HTTP batch endpoint: <c>http://127.0.0.1:P/batch</c>.</summary>
    public static string HttpUrl(WebApplication app) => BaseUrl(app) + DataFlowHttpEndpoint.Path;

    /// <summary>The gRPC endpoint (cleartext HTTP/2, its own port): <c>http://127.0.0.1:P</c>.</summary>
    public static string GrpcUrl(WebApplication app) => app.Services.GetRequiredService<DataFlowPorts>().Grpc is { } grpc ? $"http://{grpc.Address}:{grpc.Port}" : throw new InvalidOperationException("the gRPC endpoint is not listening");

    /// <summary>The endpoints-file entries of the mock: <c>dataflowWebSocket</c>, <c>identity</c>, <c>credentials.dataflow</c>.</summary>
    public static JsonObject Endpoints(WebApplication app, IdentityClient client, string project) => new()
    {
        ["dataflowWebSocket"] = WebSocketUrl(app),
        ["dataflowGrpc"] = GrpcUrl(app),
        ["dataflowHttp"] = HttpUrl(app),
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
