namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>How dialling the bot went.</summary>
public sealed record ConnectOutcome
{
    public required bool Connected { get; init; }

    /// <summary>HTTP status of a refused upgrade (e.g. 404, 403).</summary>
    public int? HttpStatus { get; init; }

    public string? Error { get; init; }

    /// <summary>The TLS handshake itself failed (as opposed to no answer at all).</summary>
    public bool TlsFailed { get; init; }

    public required Uri Url { get; init; }

    public bool Tls => Url.Scheme == "wss";
}
