using System.Diagnostics;

namespace ProtocolSim.Core;

/// <summary>The one activity source of ProtocolSim, so journal entries, dashboard and reports correlate.</summary>
public static class ProtocolSimDiagnostics
{
    public static ActivitySource ActivitySource { get; } = new("ProtocolSim");
}
