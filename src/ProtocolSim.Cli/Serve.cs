using System.Net;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Cli;

/// <summary>
/// <c>protosim serve</c>: runs every fake (each protocol project's <see cref="IFakeHostFactory"/>) on the loopback
/// address until Ctrl-C or SIGTERM, each on ports of its own, with the dashboard, and writes the endpoints file
/// (ARCHITECTURE.md). The voice stream is dialled by us, so it has no endpoint.
/// </summary>
internal static class Serve
{

    public static async Task<int> RunAsync(string? endpointsFile, string bind, TextWriter output, TextWriter error, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? settings = null, string reportsRoot = "reports")
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

        var (host, errors) = await ServeHost.StartAsync(address, settings, reportsRoot, cancellationToken);
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
            var json = host.Endpoints.ToJsonString(JsonDefaults.Indented);
            if (endpointsFile is not null)
            {
                await File.WriteAllTextAsync(endpointsFile, json + "\n", cancellationToken);
                await output.WriteLineAsync($"endpoints file: {Path.GetFullPath(endpointsFile)}");
            }
            else
            {
                await output.WriteLineAsync(json);
            }

            foreach (var fake in host.Hosts)
            {
                await output.WriteLineAsync(fake.Describe());
            }

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
