using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Dashboard;
using ProtocolSim.Cti;
using ProtocolSim.Cti.World;
using ProtocolSim.DataFlow;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Cli;

/// <summary>
/// <c>protosim serve</c>: runs every fake that clients call, on one loopback host, until Ctrl-C or SIGTERM, and writes
/// the endpoints file (ARCHITECTURE.md): the Knowlarity REST API, notifications stream and admin API on one host, the
/// Knovvu Data Flow identity server and WebSocket integration on another, and the CTI interaction processor (socket,
/// HTTP and WebSocket transports) on a third, and the dashboard on a fourth. The voice stream is dialled by us, so it
/// has no endpoint.
/// </summary>
internal static class Serve
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string? endpointsFile, string bind, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? dataflowProto = null, string reportsRoot = "reports")
    {
        if (!IPAddress.TryParse(bind, out var address))
        {
            await error.WriteLineAsync($"error: --bind \"{bind}\" is not an IP address");
            return ConformanceHost.UsageError;
        }

        if (!IPAddress.IsLoopback(address))
        {
            await error.WriteLineAsync($"warning: binding {address}: the fakes and the dashboard are reachable from other machines");
        }

        var (host, errors) = await ServeHost.StartAsync(address, dataflowProto, reportsRoot, cancellationToken);
        if (host is null)
        {
            foreach (var e in errors)
            {
                await error.WriteLineAsync("error: " + e);
            }

            return ConformanceHost.UsageError;
        }

        await using (host)
        {
            var json = host.Endpoints.ToJsonString(Indented);
            if (endpointsFile is not null)
            {
                await File.WriteAllTextAsync(endpointsFile, json + "\n", cancellationToken);
                await output.WriteLineAsync($"endpoints file: {Path.GetFullPath(endpointsFile)}");
            }
            else
            {
                await output.WriteLineAsync(json);
            }

            var account = host.Knowlarity.Services.GetRequiredService<KnowlarityOptions>().Account!;
            var app = host.DataFlow;
            var proto = app.Services.GetRequiredService<DataFlowOptions>().GrpcProto;
            await output.WriteLineAsync($"Knowlarity on {KnowlarityFake.BaseUrl(host.Knowlarity)}: REST at /{account.Channel}/v1/account/..., notifications at /update-stream/<SR key>/konnect, admin at /__admin, OpenAPI at /openapi.json");
            await output.WriteLineAsync($"Data Flow on {DataFlowMock.BaseUrl(app)}: identity at /connect/token, WebSocket at /project-runner; gRPC {proto} at {DataFlowMock.GrpcUrl(app)} (TLS; the CA is dataflowGrpcCaPem in the endpoints file) and {DataFlowMock.GrpcCleartextUrl(app)} (cleartext HTTP/2); HTTP batch at {DataFlowMock.HttpUrl(app)}");
            await output.WriteLineAsync($"CTI interaction processor: socket at {host.Cti.TcpUrl}, HTTP at {host.Cti.BaseUrl}/sessions, WebSocket at {host.Cti.WebSocketUrl}, admin at {host.Cti.BaseUrl}/__admin/cti/");
            await output.WriteLineAsync($"Dashboard at {host.Endpoints["dashboard"]} (reports of past runs from {Path.GetFullPath(reportsRoot)}); Ctrl-C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return 0;
    }

    /// <summary>Moves the entries of <paramref name="from"/> into <paramref name="into"/>, merging <c>credentials</c>.</summary>
    internal static void Merge(JsonObject into, JsonObject from)
    {
        foreach (var (key, value) in from.ToList())
        {
            from.Remove(key);
            if (key == "credentials" && value is JsonObject credentials && into["credentials"] is JsonObject existing)
            {
                foreach (var (name, entry) in credentials.ToList())
                {
                    credentials.Remove(name);
                    existing[name] = entry;
                }
            }
            else
            {
                into[key] = value;
            }
        }
    }
}

/// <summary>
/// Every fake of <c>protosim serve</c> and the dashboard, started on one address (port 0 each) and stopped together;
/// tests start it the same way.
/// </summary>
public sealed class ServeHost : IAsyncDisposable
{
    private readonly VoiceDialer _dialer;

    private ServeHost(KnowlarityServer knowlarity, WebApplication dataflow, CtiHost cti, SessionHub hub, VoiceDialer dialer, WebApplication dashboard, JsonObject endpoints)
    {
        _dialer = dialer;
        Knowlarity = knowlarity;
        DataFlow = dataflow;
        Cti = cti;
        Hub = hub;
        Dashboard = dashboard;
        Endpoints = endpoints;
    }

    public KnowlarityServer Knowlarity { get; }

    public WebApplication DataFlow { get; }

    public CtiHost Cti { get; }

    public SessionHub Hub { get; }

    public WebApplication Dashboard { get; }

    /// <summary>The endpoints file's content (ARCHITECTURE.md), <c>dashboard</c> included.</summary>
    public JsonObject Endpoints { get; }

    /// <summary>Starts everything; on invalid fixtures or proto nothing listens and the errors are returned.</summary>
    public static async Task<(ServeHost? Host, IReadOnlyList<string> Errors)> StartAsync(IPAddress address, string? dataflowProto, string? reportsRoot, CancellationToken cancellationToken)
    {
        ProtocolSim.DataFlow.Grpc.GrpcProtoMapping proto;
        try
        {
            proto = dataflowProto is null ? ProtocolSim.DataFlow.Grpc.GrpcProtoMapping.Default : ProtocolSim.DataFlow.Grpc.GrpcProtoMapping.Load(dataflowProto);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return (null, [$"--dataflow-proto: {e.Message}"]);
        }

        // Fixtures are validated before anything listens: every error at once, exit 2 (STYLE.md).
        var (projects, projectErrors) = ProtocolSim.DataFlow.Projects.ProjectLoader.LoadDirectory(Path.Combine(RepositoryPaths.Fixtures(), "dataflow", "projects"));
        if (projectErrors.Count > 0)
        {
            return (null, projectErrors.Select(e => e.ToString()).ToList());
        }

        var (account, accountErrors) = AccountFixture.Load(AccountFixture.DefaultPath(RepositoryPaths.Fixtures()));
        if (account is null)
        {
            return (null, accountErrors.Select(e => e.ToString()).ToList());
        }

        var (world, worldErrors) = AgentWorldLoader.Load(AgentWorld.DefaultPath(RepositoryPaths.Fixtures()));
        if (world is null)
        {
            return (null, worldErrors.Select(e => e.ToString()).ToList());
        }

        KnowlarityServer? knowlarity = null;
        WebApplication? dataflow = null, dashboard = null;
        CtiHost? cti = null;
        SessionHub? hub = null;
        VoiceDialer? dialer = null;
        try
        {
            knowlarity = await KnowlarityFake.StartAsync(address, o => o.Account = account, cancellationToken);
            var credentials = DataFlowMock.NewCredentials();
            dataflow = await DataFlowMock.StartAsync(address, credentials, o =>
            {
                o.AddProjects(projects);
                o.GrpcProto = proto;
            }, cancellationToken);
            cti = await CtiMock.StartAsync(address, o => o.World = world, cancellationToken);
            var project = dataflow.Services.GetRequiredService<DataFlowOptions>().Projects.Order(StringComparer.Ordinal).First();
            var endpoints = KnowlarityFake.Endpoints(knowlarity);
            Serve.Merge(endpoints, DataFlowMock.Endpoints(dataflow, credentials, project));
            Serve.Merge(endpoints, cti.Endpoints());

            var knowlarityAdmin = new Uri(endpoints["admin"]!.ToString());
            hub = FakeDashboard.CreateHub(endpoints, cti.Processor.Options.World.Agents.Select(a => a.Password), reportsRoot, knowlarityAdmin, new Uri(cti.BaseUrl));
            FakeDashboard.Follow(hub, knowlarity, dataflow, cti);
            var recordings = RepositoryPaths.Recordings();
            dialer = new VoiceDialer(hub, recordings is null ? null : new Knowlarity.VoiceStream.Recordings(recordings));
            hub.Options.Actions.Insert(0, dialer.Action());
            dashboard = await DashboardEndpoints.StartAsync(address, hub, cancellationToken);
            endpoints["dashboard"] = FakeDashboard.Url(dashboard);
            return (new ServeHost(knowlarity, dataflow, cti, hub, dialer, dashboard, endpoints), []);
        }
        catch
        {
            await DisposeAllAsync(dashboard, dialer, hub, cti, dataflow, knowlarity);
            throw;
        }
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(Dashboard, _dialer, Hub, Cti, DataFlow, Knowlarity);

    private static async ValueTask DisposeAllAsync(params IAsyncDisposable?[] parts)
    {
        foreach (var part in parts)
        {
            if (part is WebApplication app)
            {
                await app.StopAsync(CancellationToken.None);
            }

            if (part is not null)
            {
                await part.DisposeAsync();
            }
        }
    }
}
