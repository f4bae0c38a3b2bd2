using System.Diagnostics.Metrics;

namespace ProtocolSim.Dashboard;

/// <summary>
/// The dashboard's instruments (System.Diagnostics.Metrics), for any listener: <c>dotnet-counters monitor --counters
/// ProtocolSim.Dashboard</c>, OpenTelemetry, or the dashboard benchmark.
/// </summary>
public static class DashboardMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ProtocolSim.Dashboard";

    /// <summary>The counter of <see cref="ListPushes"/>.</summary>
    public const string ListPushesName = "protosim.dashboard.list.pushes";

    /// <summary>The counter of <see cref="ListRows"/>.</summary>
    public const string ListRowsName = "protosim.dashboard.list.rows";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Session-list messages built for the pages (one per push, whatever the number of subscribers).</summary>
    internal static Counter<long> ListPushes { get; } =
        Meter.CreateCounter<long>(ListPushesName, "{message}", "Session-list messages pushed to the pages.");

    /// <summary>Rows those messages carried.</summary>
    internal static Counter<long> ListRows { get; } =
        Meter.CreateCounter<long>(ListRowsName, "{row}", "Session rows carried by the pushed list messages.");
}
