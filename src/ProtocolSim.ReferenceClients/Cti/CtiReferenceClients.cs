using System.Collections.Frozen;

namespace ProtocolSim.ReferenceClients.Cti;

/// <summary>What a reference CTI agent-desktop client does differently from the conforming one (one defect each).</summary>
public enum CtiClientFault
{
    None,
    NoBoundary,
    Utf16Length,
    EscapesToken,
    IgnoresBadBoundary,
    NoHandshake,
    Reconnects,
    HttpOwnClientId,
    HttpQueuedIsDone,
    HttpSlowPoll,
    HttpIdle,
    HttpNoEndSession,
    HttpNoProbe,
    ReusedRequestId,
    NoBindService,
    NoStatus,
    NoModel,
    AlwaysOverride,
    NoBindResource,
    BindsHeldSession,
    BindsFromOtherClient,
    LateStart,
    RequestBeforeStart,
    AlwaysExtension,
    IgnoresInitEvents,
    EarlyChannelRequest,
    NoData,
    AgentTarget,
    DuplicateRequests,
    TargetMatching,
    IgnoresFailure,
    SendsContext,
    StrictMembers,
    EventsAfterResponseOnly,
    StrictEventNames,
    LogoutTimeout,
    AfterLogout,
    LowercaseType,
    EarlyChannelUse,
    RemoveByEndpoint,
    RemovesBusyChannel,
    GroupWithoutFlags,
    EarlyGroupUse,
    GroupKey,
    NoResync,
    DirectoryWithData,
    DocumentTypo,
    WaitsForReasons,
    RetriesUnsupported,
    AcceptsCalls,
    SeedNamesOnly,
    Latin1,
}

/// <summary>The transport a reference CTI client talks over (docs/cti.md "Transports").</summary>
public enum CtiTransportKind
{
    /// <summary>TCP with <c>~!OM</c> frames (<c>PROTOSIM_CTI_TCP</c>).</summary>
    Socket,

    /// <summary>HTTP requests and a long-poll loop (<c>PROTOSIM_CTI_HTTP_URL</c>).</summary>
    Http,

    /// <summary>The simulator's WebSocket convenience on <c>/cti</c> (<c>PROTOSIM_CTI_WS_URL</c>).</summary>
    WebSocket,
}

/// <summary>A reference CTI agent-desktop client: a conforming one or a deliberately broken variant.</summary>
public sealed record CtiClientInfo(string Name, CtiClientFault Fault, CtiTransportKind Transport, IReadOnlySet<string> BreaksRules, string Description)
{
    public bool Conforming => Fault == CtiClientFault.None;
}

/// <summary>The catalogue of reference CTI agent-desktop clients, run with the <c>PROTOSIM_*</c> task contract of docs/cti.md.</summary>
public static class CtiReferenceClients
{
    private const CtiTransportKind Socket = CtiTransportKind.Socket;
    private const CtiTransportKind Http = CtiTransportKind.Http;

    private static readonly CtiClientInfo[] Table =
    [
        new("cti-socket-conforming", CtiClientFault.None, Socket, Set(), "Conforming agent desktop over the ~!OM socket transport (cti.md §3)."),
        new("cti-http-conforming", CtiClientFault.None, Http, Set(), "Conforming agent desktop over the HTTP transport: startSession, processRequest, a continuous long poll, endSession."),
        new("cti-websocket-conforming", CtiClientFault.None, CtiTransportKind.WebSocket, Set(), "Conforming agent desktop over the simulator's WebSocket convenience (/cti; a test transport, CTI-001)."),
        new("cti-no-boundary", CtiClientFault.NoBoundary, Socket, Set("CTI-002"), "Frames messages without the ~!OM token (index, length, content only)."),
        new("cti-utf16-length", CtiClientFault.Utf16Length, Socket, Set("CTI-003"), "Sets the length to the content's UTF-16 character count (wrong for non-ASCII)."),
        new("cti-escapes-token", CtiClientFault.EscapesToken, Socket, Set("CTI-004"), "Escapes ~!OM inside content as ~~!OM."),
        new("cti-ignores-bad-boundary", CtiClientFault.IgnoresBadBoundary, Socket, Set("CTI-005"), "On a boundary mismatch skips ahead to the next ~!OM and carries on (no ERROR, no close)."),
        new("cti-no-handshake", CtiClientFault.NoHandshake, Socket, Set("CTI-006"), "Sends DCP on index 1 at once, without handshake or negotiation."),
        new("cti-reconnects", CtiClientFault.Reconnects, Socket, Set("CTI-007"), "After session.initialized closes the socket and goes on over a new connection (handshake, negotiate, bindService, bindResource)."),
        new("cti-http-own-client-id", CtiClientFault.HttpOwnClientId, Http, Set("CTI-008"), "Never calls startSession; uses a client id of its own."),
        new("cti-http-queued-is-done", CtiClientFault.HttpQueuedIsDone, Http, Set("CTI-009"), "Takes the 200 of bindService and bindResource for their completion and sends the next request at once."),
        new("cti-http-slow-poll", CtiClientFault.HttpSlowPoll, Http, Set("CTI-010"), "Waits 1.3 s between polls."),
        new("cti-http-idle", CtiClientFault.HttpIdle, Http, Set("CTI-010", "CTI-011"), "After session.initialized neither polls nor sends for PROTOSIM_IDLE_SECONDS (default 3) s."),
        new("cti-http-no-end-session", CtiClientFault.HttpNoEndSession, Http, Set("CTI-012"), "Never posts endSession."),
        new("cti-http-no-probe", CtiClientFault.HttpNoProbe, Http, Set("CTI-013"), "Starts without the OPTIONS probe."),
        new("cti-reused-request-id", CtiClientFault.ReusedRequestId, Socket, Set("CTI-014"), "Gives every request the requestId \"1\"."),
        new("cti-no-bind-service", CtiClientFault.NoBindService, Socket, Set("CTI-015"), "Sends prepareSession without bindService."),
        new("cti-no-status", CtiClientFault.NoStatus, Socket, Set("CTI-016"), "Never asks getStatus before logging in."),
        new("cti-no-model", CtiClientFault.NoModel, Socket, Set("CTI-017"), "Sends prepareSession without \"model\"."),
        new("cti-always-override", CtiClientFault.AlwaysOverride, Socket, Set("CTI-018"), "Sends its first prepareSession with override:true."),
        new("cti-no-bind-resource", CtiClientFault.NoBindResource, Socket, Set("CTI-019"), "Sends session.start without binding the session resource."),
        new("cti-binds-held-session", CtiClientFault.BindsHeldSession, Http, Set("CTI-020"), "Binds its held session resource from a second HTTP client too (and gets resourceError)."),
        new("cti-binds-from-other-client", CtiClientFault.BindsFromOtherClient, Http, Set("CTI-021"), "Calls prepareSession on one HTTP client, ends it, and binds the session from another."),
        new("cti-late-start", CtiClientFault.LateStart, Socket, Set("CTI-022"), "Waits 3 s between bindResource and session.start."),
        new("cti-request-before-start", CtiClientFault.RequestBeforeStart, Socket, Set("CTI-023"), "Sends session.request.getdirectory before session.start."),
        new("cti-always-extension", CtiClientFault.AlwaysExtension, Socket, Set("CTI-024"), "Always sends data.extension in session.start, whatever the processor's cti-vendor."),
        new("cti-ignores-init-events", CtiClientFault.IgnoresInitEvents, Socket, Set("CTI-025"), "Drops every event before session.initialized from its model."),
        new("cti-early-channel-request", CtiClientFault.EarlyChannelRequest, Socket, Set("CTI-026"), "Sends channel and group requests right after the session.start response, before session.initialized."),
        new("cti-no-data", CtiClientFault.NoData, Socket, Set("CTI-027"), "Omits \"data\" in session.start and in the logout request."),
        new("cti-agent-target", CtiClientFault.AgentTarget, Socket, Set("CTI-028"), "Targets session.request.* queries at the agent id instead of the session id."),
        new("cti-duplicate-requests", CtiClientFault.DuplicateRequests, Socket, Set("CTI-029"), "Sends session.request.getdirectory twice before any answer."),
        new("cti-target-matching", CtiClientFault.TargetMatching, Socket, Set("CTI-030"), "Takes the first resourceResponse or resourceEvent with the request's target for its answer."),
        new("cti-ignores-failure", CtiClientFault.IgnoresFailure, Socket, Set("CTI-031"), "Treats every resourceResponse as a success (a failed add is then removed by its endpoint)."),
        new("cti-sends-context", CtiClientFault.SendsContext, Socket, Set("CTI-032"), "Adds a debugging \"context\" to every resource request."),
        new("cti-strict-members", CtiClientFault.StrictMembers, Socket, Set("CTI-033"), "Gives up on a message with \"context\" or a member it does not know."),
        new("cti-events-after-response-only", CtiClientFault.EventsAfterResponseOnly, Socket, Set("CTI-034"), "Drops events that arrive while a request waits for its response."),
        new("cti-strict-event-names", CtiClientFault.StrictEventNames, Socket, Set("CTI-035"), "Gives up on an event name it does not know."),
        new("cti-logout-timeout", CtiClientFault.LogoutTimeout, Socket, Set("CTI-036"), "Waits only 1 s for the logout answer, then closes."),
        new("cti-after-logout", CtiClientFault.AfterLogout, Socket, Set("CTI-037"), "Sends session.request.getdirectory after the logout answer."),
        new("cti-lowercase-type", CtiClientFault.LowercaseType, Socket, Set("CTI-038"), "Sends the addchannel type in lower case (\"telephony\")."),
        new("cti-early-channel-use", CtiClientFault.EarlyChannelUse, Socket, Set("CTI-039"), "Removes a new channel without waiting for its channel.initialized."),
        new("cti-remove-by-endpoint", CtiClientFault.RemoveByEndpoint, Socket, Set("CTI-040"), "Removes a channel by {\"channel\":{\"endpoint\"}} instead of its id."),
        new("cti-removes-busy-channel", CtiClientFault.RemovesBusyChannel, Socket, Set("CTI-041"), "Removes a channel or group without waiting for its interactions to end (retries once after ActiveInteraction)."),
        new("cti-group-without-flags", CtiClientFault.GroupWithoutFlags, Socket, Set("CTI-043"), "Adds a channel group with its name only (no chat, email, callback)."),
        new("cti-early-group-use", CtiClientFault.EarlyGroupUse, Socket, Set("CTI-044"), "Removes a new group right after the addchannelgroup response, before channelgroup.initialized."),
        new("cti-group-key", CtiClientFault.GroupKey, Socket, Set("CTI-045"), "Removes a group with {\"channelgroup\":{\"id\"}} instead of the documented {\"channel\":{\"id\"}}."),
        new("cti-no-resync", CtiClientFault.NoResync, Socket, Set("CTI-046"), "After a failed group removal removes every member it knew before, disposed or not."),
        new("cti-directory-with-data", CtiClientFault.DirectoryWithData, Socket, Set("CTI-047"), "Sends getdirectory with data {\"filter\":\"*\"}."),
        new("cti-document-typo", CtiClientFault.DocumentTypo, Socket, Set("CTI-048"), "Sends the document's typo session.request.externalnotredyreasons."),
        new("cti-waits-for-reasons", CtiClientFault.WaitsForReasons, Socket, Set("CTI-049"), "Waits for each reason list's session.*.updated event before going on."),
        new("cti-retries-unsupported", CtiClientFault.RetriesUnsupported, Socket, Set("CTI-050"), "Retries channel.dial and conversation.answer up to 3 times after Unsupported."),
        new("cti-accepts-calls", CtiClientFault.AcceptsCalls, Socket, Set("CTI-051"), "Answers calls with interaction.accept instead of conversation.answer."),
        new("cti-seed-names-only", CtiClientFault.SeedNamesOnly, Socket, Set("CTI-052"), "Always uses session.logout and session.addchannel, whatever the processor's revision."),
        new("cti-latin1", CtiClientFault.Latin1, Socket, Set("CTI-053"), "Encodes content as ISO-8859-1 instead of UTF-8."),
    ];

    private static readonly FrozenDictionary<string, CtiClientInfo> ByName = Table.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);

    public static IReadOnlyList<CtiClientInfo> All => Table;

    public static bool TryGet(string name, out CtiClientInfo info) => ByName.TryGetValue(name, out info!);

    public static CtiClientInfo Get(string name) =>
        ByName.TryGetValue(name, out var info) ? info : throw new ArgumentException($"No reference CTI client \"{name}\"; see `protosim reference-client --list`.", nameof(name));

    /// <summary>Runs one task of the named client with the given <c>PROTOSIM_*</c> environment; returns its exit code.</summary>
    public static async Task<int> RunAsync(string name, IReadOnlyDictionary<string, string> environment, TextWriter log, CancellationToken cancellationToken)
    {
        var info = Get(name);
        await using var client = new CtiClient(info.Fault, info.Transport, log);
        return await client.RunAsync(environment, cancellationToken);
    }

    private static FrozenSet<string> Set(params string[] rules) => rules.ToFrozenSet(StringComparer.Ordinal);
}
