using System.Diagnostics.Metrics;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// The voice-stream peer's instruments (System.Diagnostics.Metrics), for any listener: <c>dotnet-counters monitor
/// --counters ProtocolSim.VoiceStream</c>, OpenTelemetry, or the pacing benchmark. Recording costs one check while
/// nothing listens.
/// </summary>
public static class VoiceStreamMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "ProtocolSim.VoiceStream";

    /// <summary>The histogram of <see cref="SendLateness"/>.</summary>
    public const string SendLatenessName = "protosim.voice.send.lateness";

    /// <summary>The counter of <see cref="AsyncSends"/>.</summary>
    public const string AsyncSendsName = "protosim.voice.sends.async";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Milliseconds from a caller frame's due time to the start of its send (negative: sent early, in the same pass).</summary>
    internal static Histogram<double> SendLateness { get; } =
        Meter.CreateHistogram<double>(SendLatenessName, "ms", "Time from a caller frame's due time to the start of its send.");

    /// <summary>Sends that did not complete synchronously on the pacer's thread: back-pressure from the socket.</summary>
    internal static Counter<long> AsyncSends { get; } =
        Meter.CreateCounter<long>(AsyncSendsName, "{send}", "Caller-frame sends that did not complete synchronously (back-pressure).");
}
