using System.Net;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Dashboard;

namespace ProtocolSim.Cli;

/// <summary>
/// <c>protosim run --dashboard</c>: the run's sessions live in the dashboard (each scenario's fakes hand it their
/// journals as they start, the voice suite each call it dials, grouped by scenario), on loopback; once the run is
/// over its report is on the Reports page, and the dashboard stays up until Ctrl-C. The exit code is the run's.
/// </summary>
internal static class RunDashboard
{
    public static async Task<int> RunAsync(RunRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        await using var hub = new SessionHub(new DashboardOptions { ReportsRoot = request.ReportDirectory });
        await using var dashboard = await DashboardEndpoints.StartAsync(IPAddress.Loopback, hub, cancellationToken);
        var url = SlimHost.BaseUrl(dashboard) + "/";
        await output.WriteLineAsync($"dashboard: {url}");
        var (code, result) = await ConformanceHost.RunAsync(request with { SessionObserver = hub }, output, error, cancellationToken);
        if (result is null || cancellationToken.IsCancellationRequested)
        {
            return code;
        }

        await output.WriteLineAsync($"dashboard: the run is over (exit code {code}); its sessions{(request.ReportDirectory is null ? "" : " and report")} stay at {url} until Ctrl-C");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }

        return code;
    }
}
