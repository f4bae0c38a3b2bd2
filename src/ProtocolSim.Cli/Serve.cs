using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
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
/// HTTP and WebSocket transports) on a third. The voice stream is dialled by us, so it has no endpoint.
/// </summary>
internal static class Serve
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string? endpointsFile, string bind, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? dataflowProto = null)
    {
        DataFlow.Grpc.GrpcProtoMapping proto;
        try
        {
            proto = dataflowProto is null ? DataFlow.Grpc.GrpcProtoMapping.Default : DataFlow.Grpc.GrpcProtoMapping.Load(dataflowProto);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            await error.WriteLineAsync($"error: --dataflow-proto: {e.Message}");
            return ConformanceHost.UsageError;
        }

        if (!IPAddress.TryParse(bind, out var address))
        {
            await error.WriteLineAsync($"error: --bind \"{bind}\" is not an IP address");
            return ConformanceHost.UsageError;
        }

        if (!IPAddress.IsLoopback(address))
        {
            await error.WriteLineAsync($"warning: binding {address}: the fakes are reachable from other machines");
        }

        // Projects are validated before anything listens: every error at once, exit 2 (STYLE.md).
        var (projects, projectErrors) = DataFlow.Projects.ProjectLoader.LoadDirectory(Path.Combine(RepositoryPaths.Fixtures(), "dataflow", "projects"));
        if (projectErrors.Count > 0)
        {
            foreach (var e in projectErrors)
            {
                await error.WriteLineAsync("error: " + e);
            }

            return ConformanceHost.UsageError;
        }

        var (account, accountErrors) = AccountFixture.Load(AccountFixture.DefaultPath(RepositoryPaths.Fixtures()));
        if (account is null)
        {
            foreach (var e in accountErrors)
            {
                await error.WriteLineAsync("error: " + e);
            }

            return ConformanceHost.UsageError;
        }

        var (world, worldErrors) = AgentWorldLoader.Load(AgentWorld.DefaultPath(RepositoryPaths.Fixtures()));
        if (world is null)
        {
            foreach (var e in worldErrors)
            {
                await error.WriteLineAsync("error: " + e);
            }

            return ConformanceHost.UsageError;
        }

        await using var knowlarity = await KnowlarityFake.StartAsync(address, o => o.Account = account, cancellationToken);
        var dataflow = DataFlowMock.NewCredentials();
        await using var app = await DataFlowMock.StartAsync(address, dataflow, o =>
        {
            o.AddProjects(projects);
            o.GrpcProto = proto;
        }, cancellationToken);
        await using var cti = await CtiMock.StartAsync(address, o => o.World = world, cancellationToken);
        var project = app.Services.GetRequiredService<DataFlowOptions>().Projects.Order(StringComparer.Ordinal).First();
        var baseUrl = DataFlowMock.BaseUrl(app);
        var endpoints = KnowlarityFake.Endpoints(knowlarity);
        Merge(endpoints, DataFlowMock.Endpoints(app, dataflow, project));
        Merge(endpoints, cti.Endpoints());

        var json = endpoints.ToJsonString(Indented);
        if (endpointsFile is not null)
        {
            await File.WriteAllTextAsync(endpointsFile, json + "\n", cancellationToken);
            await output.WriteLineAsync($"endpoints file: {Path.GetFullPath(endpointsFile)}");
        }
        else
        {
            await output.WriteLineAsync(json);
        }

        var knowlarityUrl = KnowlarityFake.BaseUrl(knowlarity);
        await output.WriteLineAsync($"Knowlarity on {knowlarityUrl}: REST at /{account.Channel}/v1/account/..., notifications at /update-stream/<SR key>/konnect, admin at /__admin, OpenAPI at /openapi.json");
        await output.WriteLineAsync($"Data Flow on {baseUrl}: identity at /connect/token, WebSocket at /project-runner; gRPC {proto} at {DataFlowMock.GrpcUrl(app)} (TLS; the CA is dataflowGrpcCaPem in the endpoints file) and {DataFlowMock.GrpcCleartextUrl(app)} (cleartext HTTP/2); HTTP batch at {DataFlowMock.HttpUrl(app)}");
        await output.WriteLineAsync($"CTI interaction processor: socket at {cti.TcpUrl}, HTTP at {cti.BaseUrl}/sessions, WebSocket at {cti.WebSocketUrl}, admin at {cti.BaseUrl}/__admin/cti/; Ctrl-C to stop");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        await knowlarity.StopAsync(CancellationToken.None);
        return 0;
    }

    /// <summary>Moves the entries of <paramref name="from"/> into <paramref name="into"/>, merging <c>credentials</c>.</summary>
    private static void Merge(JsonObject into, JsonObject from)
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
