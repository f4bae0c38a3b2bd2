using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.DataFlow;
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

        var dataflow = DataFlowMock.NewCredentials();
        await using var app = await DataFlowMock.StartAsync(address, dataflow, o => o.AddProjects(projects), cancellationToken);
        var project = app.Services.GetRequiredService<DataFlowOptions>().Projects.Order(StringComparer.Ordinal).First();
        var baseUrl = DataFlowMock.BaseUrl(app);
        var endpoints = DataFlowMock.Endpoints(app, dataflow, project);
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
