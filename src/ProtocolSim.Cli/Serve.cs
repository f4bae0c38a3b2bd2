using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.Cli;

/// <summary>
/// <c>protosim serve</c>: runs every fake that clients call, on one loopback host, until Ctrl-C or SIGTERM, and writes
/// the endpoints file (ARCHITECTURE.md). Today that is the Knovvu Data Flow identity server and WebSocket
/// integration; the voice stream is dialled by us, so it has no endpoint.
/// </summary>
internal static class Serve
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(string? endpointsFile, string bind, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
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

        // Fresh credentials every run: nothing secret is fixed in the code or the repository.
        var dataflow = new IdentityClient
        {
            ClientId = "protosim-client",
            ClientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant(),
            Tenant = Guid.NewGuid().ToString(),
        };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(address, 0));
        builder.Services.AddDataFlowIdentity(o => o.Clients.Add(dataflow));
        builder.Services.AddDataFlow(o => o.AddProjects(projects));
        await using var app = builder.Build();
        app.UseWebSockets();
        app.MapDataFlowIdentity();
        app.MapDataFlowWebSocket();
        var project = app.Services.GetRequiredService<DataFlowOptions>().Projects.Order(StringComparer.Ordinal).First();
        await app.StartAsync(cancellationToken);
        var baseUrl = app.Urls.First().TrimEnd('/');

        var endpoints = new JsonObject
        {
            ["dataflowWebSocket"] = baseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/project-runner",
            ["identity"] = baseUrl + "/connect/token",
            ["credentials"] = new JsonObject
            {
                ["dataflow"] = new JsonObject
                {
                    ["clientId"] = dataflow.ClientId,
                    ["clientSecret"] = dataflow.ClientSecret,
                    ["tenant"] = dataflow.Tenant,
                    ["project"] = project,
                },
            },
        };
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

        await output.WriteLineAsync($"serving on {baseUrl}: Data Flow identity at /connect/token, WebSocket at /project-runner; Ctrl-C to stop");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }
}
