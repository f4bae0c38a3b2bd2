using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// What a voice-stream run needs from the command line: the bot to dial and how. Registered as a service of the
/// run; scenarios read it through context injection.
/// </summary>
public sealed record VoiceSuiteSettings
{
    /// <summary>The bot's URL (<c>--target</c>); <c>{rate}</c> is replaced by the call's sampling rate.</summary>
    public Uri? Target { get; init; }

    /// <summary>Accept self-signed certificates (<c>--insecure</c>).</summary>
    public bool Insecure { get; init; }

    /// <summary>Dial <c>ws://</c> targets (the real peer refuses them; KVS-002 still fails).</summary>
    public bool AllowPlainWs { get; init; }

    /// <summary>See <see cref="VoicePeerOptions.RateQueryParameter"/>.</summary>
    public string RateQueryParameter { get; init; } = "sampling_rate";

    /// <summary>Greeting timeout of Stream-Node calls.</summary>
    public TimeSpan GreetingTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public required Recordings Recordings { get; init; }

    /// <summary>Simulator defaults changed with <c>--set</c> (see <see cref="VoicePeerOverrides"/>); validated before the run.</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();

    /// <summary>The pacer shared by every call of the run.</summary>
    public MediaPacer Pacer { get; init; } = MediaPacer.Shared;

    /// <summary>
    /// The harness's own stalls, on the pacer's clock: a chunk read late in a stall is no underrun (KVS-021), and the
    /// latency judges (KVS-022, KVS-024) measure again when the harness lost enough of a window to explain a late one.
    /// </summary>
    public StallMonitor Stalls { get; init; } = StallMonitor.Shared;
}
