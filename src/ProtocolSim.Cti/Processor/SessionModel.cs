using System.Text.Json.Nodes;

namespace ProtocolSim.Cti.Processor;

/// <summary>Life of a session resource (004; BRG: the session has one state, Logged In, once started).</summary>
public enum SessionState
{
    /// <summary>prepareSession created it; nothing but <c>session.start</c> is accepted (004 §session.start).</summary>
    Prepared,

    /// <summary><c>session.start</c> arrived; the initialization events are on their way.</summary>
    Initializing,

    /// <summary><c>session.initialized</c> was sent.</summary>
    Initialized,

    /// <summary><c>session.logout</c> arrived; its response waits for the logout to complete.</summary>
    LoggingOut,

    /// <summary>Logged out, or replaced by an override: every request fails <c>SessionInactive</c>, no event is sent.</summary>
    Inactive,
}

/// <summary>A channel of the session (BRG: log-in state plus agent state, and its interactions).</summary>
internal sealed class ChannelModel
{
    public required string Id { get; init; }

    public required string Endpoint { get; init; }

    public required string Type { get; init; }

    /// <summary>The group it belongs to (its target is then <c>session.group.channel</c>).</summary>
    public string? GroupId { get; init; }

    public string LoginState { get; set; } = "Active";

    public string AgentState { get; set; } = "NotReady";

    /// <summary><c>channel.initialized</c> reached the client (CTI-039).</summary>
    public bool Initialized { get; set; }

    public Dictionary<string, InteractionModel> Interactions { get; } = new(StringComparer.Ordinal);

    public bool HasActiveInteraction => Interactions.Values.Any(i => i.State != "ENDED");

    /// <summary>
    /// An active interaction the client has known about for <paramref name="margin"/> (its interaction.created went out
    /// that long before): CTI-041 applies. A removal that crossed the event on the wire is not the client's fault.
    /// </summary>
    public bool HasAnnouncedInteraction(TimeProvider time, TimeSpan margin) =>
        Interactions.Values.Any(i => i.State != "ENDED" && i.AnnouncedAt is { } at && time.GetElapsedTime(at) >= margin);

    public JsonObject Describe() => new() { ["id"] = Id, ["endpoint"] = Endpoint, ["type"] = Type };
}

/// <summary>A channel group of the session (BRG: it only records whether it holds channels).</summary>
internal sealed class GroupModel
{
    public required string Id { get; init; }

    public required string Name { get; init; }

    public bool Chat { get; init; }

    public bool Email { get; init; }

    public bool Callback { get; init; }

    public List<string> ChannelIds { get; } = [];

    /// <summary><c>channelgroup.initialized</c> reached the client (CTI-044).</summary>
    public bool Initialized { get; set; }

    public JsonObject Describe() => new() { ["id"] = Id, ["name"] = Name, ["chat"] = Chat, ["email"] = Email, ["callback"] = Callback };
}

/// <summary>A telephony interaction with its one conversation (TEL, BRG telephony interaction).</summary>
internal sealed class InteractionModel
{
    public required string Id { get; init; }

    public required string ConversationId { get; init; }

    public required string ChannelId { get; init; }

    public string Type { get; init; } = "Telephony";

    public required string Direction { get; init; }

    public required string Ani { get; init; }

    public required string Dnis { get; init; }

    /// <summary><c>ALERTING</c>, <c>DIALING</c>, <c>STARTED</c> or <c>ENDED</c>.</summary>
    public string State { get; set; } = "ALERTING";

    /// <summary>When <c>interaction.created</c> reached the client (a timestamp of the session's clock); null before.</summary>
    public long? AnnouncedAt { get; set; }

    /// <summary>How long the caller stays once the call is answered.</summary>
    public TimeSpan Talk { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Stops the caller's timer when the interaction ends otherwise.</summary>
    public CancellationTokenSource? Timer { get; set; }

    public JsonObject Describe() => new() { ["id"] = Id, ["type"] = Type, ["direction"] = Direction, ["ani"] = Ani, ["dnis"] = Dnis };
}
