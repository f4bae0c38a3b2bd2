namespace ProtocolSim.ReferenceClients;

/// <summary>Which voice-stream dialect a reference bot speaks (protocols/knowlarity.md §2.1, §2.2).</summary>
public enum BotDialect
{
    /// <summary>Knowlarity IVR Stream Node (rules KVS, `003-V`).</summary>
    StreamNode,

    /// <summary>Verloop "Knowlarity Integration WebSocket" (rules KVV, `002`).</summary>
    Verloop,
}

/// <summary>A reference bot: a conforming implementation or a deliberately broken variant of one.</summary>
public sealed record ReferenceBotInfo
{
    /// <summary>Variant name, e.g. <c>conforming</c> or <c>raw-pcm</c>.</summary>
    public required string Name { get; init; }

    public required BotDialect Dialect { get; init; }

    /// <summary>True for the bots that should pass every rule of their dialect.</summary>
    public required bool Conforming { get; init; }

    /// <summary>One line: what this variant does differently from the conforming bot.</summary>
    public required string Description { get; init; }

    /// <summary>Exact rule ids this bot fails (FAIL or NON-STRICT) when the full suite runs; empty when conforming.</summary>
    public required IReadOnlySet<string> BreaksRules { get; init; }

    /// <summary>The WebSocket path the bot serves; every other path answers 404.</summary>
    public string Path { get; init; } = "/voice";

    /// <summary>False for the plain-WS variants (ws:// instead of wss://).</summary>
    public bool Tls { get; init; } = true;
}
