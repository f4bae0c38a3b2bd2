using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow;

/// <summary>
/// A running Data Flow mock (<see cref="DataFlowFake.StartAsync"/>): where its integrations listen, the client it
/// knows, and its endpoints-file entries (ARCHITECTURE.md).
/// </summary>
public sealed class DataFlowHost : IFakeHost
{
    private readonly DataFlowPorts _ports;

    internal DataFlowHost(WebApplication app, IdentityClient client, DataFlowPorts ports)
    {
        App = app;
        Client = client;
        _ports = ports;
    }

    public string Name => "dataflow";

    public WebApplication App { get; }

    /// <summary>The mock's services (options, journals, token service).</summary>
    public IServiceProvider Services => App.Services;

    /// <summary>The one client the identity server knows.</summary>
    public IdentityClient Client { get; }

    /// <summary>The http:// base URL of the identity server, the WebSocket and the HTTP batch integrations.</summary>
    public string BaseUrl => SlimHost.BaseUrl(App);

    public string WebSocketUrl => BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/project-runner";

    public string IdentityUrl => BaseUrl + "/connect/token";

    /// <summary>The HTTP batch endpoint: <c>http://127.0.0.1:P/batch</c>.</summary>
    public string HttpUrl => BaseUrl + DataFlowHttpEndpoint.Path;

    /// <summary>The gRPC endpoint over TLS (HTTP/2, its own port): <c>https://127.0.0.1:P</c>.</summary>
    public string GrpcUrl => $"https://{_ports.GrpcTls}";

    /// <summary>The gRPC endpoint over cleartext HTTP/2 (its own port): <c>http://127.0.0.1:P</c>.</summary>
    public string GrpcCleartextUrl => $"http://{_ports.Grpc}";

    /// <summary>The PEM of the CA that issued the gRPC TLS listener's certificate (the client's trust root).</summary>
    public string GrpcCaPem => _ports.Certificates!.CaPem;

    /// <summary>The endpoints-file entries, <c>credentials.dataflow.project</c> the first project by name.</summary>
    public JsonObject Endpoints() => Endpoints(Services.GetRequiredService<DataFlowOptions>().Projects.Order(StringComparer.Ordinal).First());

    /// <summary>The endpoints-file entries: the integrations, <c>identity</c>, <c>credentials.dataflow</c> with <paramref name="project"/>.</summary>
    public JsonObject Endpoints(string project) => new()
    {
        ["dataflowWebSocket"] = WebSocketUrl,
        ["dataflowGrpc"] = GrpcUrl,
        ["dataflowGrpcCleartext"] = GrpcCleartextUrl,
        ["dataflowGrpcCaPem"] = GrpcCaPem,
        ["dataflowHttp"] = HttpUrl,
        ["identity"] = IdentityUrl,
        ["credentials"] = new JsonObject
        {
            ["dataflow"] = new JsonObject
            {
                ["clientId"] = Client.ClientId,
                ["clientSecret"] = Client.ClientSecret,
                ["tenant"] = Client.Tenant,
                ["project"] = project,
            },
        },
    };

    /// <summary>The identity server's journal (one for the host's lifetime) and the store of the sessions' journals.</summary>
    public void Observe(ISessionObserver observer, string? group = null)
    {
        observer.Show(Name, Services.GetRequiredService<IdentityJournal>().Journal, group);
        observer.Follow(Name, Services.GetRequiredService<DataFlowJournals>().Store, group);
    }

    /// <summary>None: a Data Flow session is driven by the client; the scripted events come from its project.</summary>
    public IReadOnlyList<AdminAction> AdminActions => [];

    public string Describe() =>
        $"Data Flow on {BaseUrl}: identity at /connect/token, WebSocket at /project-runner; gRPC {Services.GetRequiredService<DataFlowOptions>().GrpcProto} at {GrpcUrl} (TLS; the CA is dataflowGrpcCaPem in the endpoints file) and {GrpcCleartextUrl} (cleartext HTTP/2); HTTP batch at {HttpUrl}";

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
