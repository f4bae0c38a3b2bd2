using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Dashboard;

namespace ProtocolSim.Cli;

/// <summary>
/// Every fake of <c>protosim serve</c> (one per <see cref="IFakeHostFactory"/> found beside the program) and the
/// dashboard following them, started on one address (port 0 each) and stopped together; tests start it the same way.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Maintainability", "CA1515:Consider making public types internal", Justification = "Public: the dashboard tests start every fake the way serve does.")]
public sealed class ServeHost : IAsyncDisposable
{
    private ServeHost(IReadOnlyList<IFakeHost> hosts, SessionHub hub, WebApplication dashboard, JsonObject endpoints)
    {
        Hosts = hosts;
        Hub = hub;
        Dashboard = dashboard;
        Endpoints = endpoints;
    }

    /// <summary>The fakes, in the order of their names.</summary>
    public IReadOnlyList<IFakeHost> Hosts { get; }

    public SessionHub Hub { get; }

    public WebApplication Dashboard { get; }

    /// <summary>The endpoints file's content (ARCHITECTURE.md), <c>dashboard</c> included.</summary>
    public JsonObject Endpoints { get; }

    /// <summary>Starts everything; on invalid fixtures or settings nothing listens and every error is returned.</summary>
    /// <param name="settings">Values of the options the fakes add to <c>serve</c> (<see cref="IFakeHostFactory.Options"/>), keyed by setting; null for none.</param>
    public static async Task<(ServeHost? Host, IReadOnlyList<string> Errors)> StartAsync(IPAddress address, IReadOnlyDictionary<string, string>? settings, string? reportsRoot, CancellationToken cancellationToken)
    {
        var context = new FakeHostContext(address, RepositoryPaths.Fixtures(), RepositoryPaths.Recordings())
        {
            Settings = settings ?? new Dictionary<string, string>(StringComparer.Ordinal),
        };

        // Fixtures are validated before anything listens: every error at once, exit 2 (STYLE.md).
        var plans = FakeHostFactories.All.Select(f => f.Prepare(context)).ToList();
        var errors = plans.SelectMany(p => p.Errors).ToList();
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var hosts = new List<IFakeHost>();
        SessionHub? hub = null;
        WebApplication? dashboard = null;
        try
        {
            foreach (var plan in plans)
            {
                hosts.Add(await plan.StartAsync(cancellationToken));
            }

            var endpoints = new JsonObject();
            foreach (var host in hosts)
            {
                Serve.Merge(endpoints, host.Endpoints());
            }

            hub = FakeDashboard.CreateHub(endpoints, hosts.SelectMany(h => h.Secrets), reportsRoot, hosts.SelectMany(h => h.AdminActions));
            foreach (var host in hosts)
            {
                host.Observe(hub);
            }

            dashboard = await DashboardEndpoints.StartAsync(address, hub, cancellationToken);
            endpoints["dashboard"] = FakeDashboard.Url(dashboard);
            return (new ServeHost(hosts, hub, dashboard, endpoints), []);
        }
        catch
        {
            await DisposeAllAsync(dashboard, hub, hosts);
            throw;
        }
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(Dashboard, Hub, Hosts);

    private static async ValueTask DisposeAllAsync(WebApplication? dashboard, SessionHub? hub, IEnumerable<IFakeHost> hosts)
    {
        if (dashboard is not null)
        {
            await dashboard.StopAsync(CancellationToken.None);
            await dashboard.DisposeAsync();
        }

        if (hub is not null)
        {
            await hub.DisposeAsync();
        }

        foreach (var host in hosts.Reverse())
        {
            await host.DisposeAsync();
        }
    }
}
