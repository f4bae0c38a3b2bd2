using System.Collections.Frozen;

namespace ProtocolSim.ReferenceClients.DataFlow;

/// <summary>What a reference Data Flow client does differently from the conforming one (one defect each).</summary>
public enum DataFlowClientFault
{
    None,
    FixedIdentityUrl,
    TokenAsJson,
    NoScope,
    TokenPerSession,
    BearerInStart,
    WrongTenant,
    SecretToDataFlow,
    AudioBeforeStart,
    StartAsBinary,
    NoProjectName,
    DeclaresWrongRate,
    NoWaitForStart,
    IgnoresFailedStart,
    FailedOnly,
    WavHeader,
    NoInterleave,
    Misaligned,
    OneBigChunk,
    EventsInStart,
    EventMissingMembers,
    NestedSettings,
    UpdateBeforeStart,
    CloseWithoutFinalize,
    ClosesBeforeFinalResult,
    AudioAfterFinalize,
    FinalizeTwice,
    GivesUpOnBusy,
    WaitsAfterNoActive,
    LowercaseUpdate,
    NestedIncidentsOnly,
    StopsOnWarning,
    StrictEventNames,
    StrictChannels,
    Lingers,
    IgnoresBinary,
    NoDecode,
    IgnoresWaveHeader,
    DirectionAsText,
    DoubleStart,
    Impatient,
    GrpcCleartext,
    GrpcTrustsAnyCertificate,
    GrpcWrongMethod,
    GrpcStartAsAudio,
    GrpcIgnoresJson,
    GrpcHalfCloseEarly,
    GrpcCancelsAfterFinalResult,
    GrpcExtraField,
    HttpUrlEncoded,
    HttpNoBearer,
    HttpNoHeaders,
    HttpNoParameters,
    HttpRawAudio,
    HttpWrongAudioParameters,
    HttpNoInitialEvents,
    HttpShortTimeout,
    HttpIgnoresIncidents,
    HttpTokenInParameters,
}

/// <summary>The Data Flow integration a reference client uses for every task (dataflow.md §2.6–2.8).</summary>
public enum DataFlowTransport
{
    WebSocket,
    Grpc,
    Http,
}

/// <summary>A reference Data Flow client: a conforming one per integration or a deliberately broken variant.</summary>
public sealed record DataFlowClientInfo(string Name, DataFlowClientFault Fault, IReadOnlySet<string> BreaksRules, string Description, DataFlowTransport Transport = DataFlowTransport.WebSocket)
{
    public bool Conforming => Fault == DataFlowClientFault.None;
}

/// <summary>The catalogue of reference Data Flow clients, run with the <c>PROTOSIM_*</c> task contract.</summary>
public static class DataFlowReferenceClients
{
    private static readonly DataFlowClientInfo[] Table =
    [
        new("dataflow-conforming", DataFlowClientFault.None, Set(), "Conforming Data Flow WebSocket client (000, 001, dataflow.md)."),
        new("dataflow-fixed-identity-url", DataFlowClientFault.FixedIdentityUrl, Set("DFA-003"), "Ignores PROTOSIM_IDENTITY_URL and asks a fixed identity host."),
        new("dataflow-token-as-json", DataFlowClientFault.TokenAsJson, Set("DFA-001"), "Posts the token request as JSON instead of a form."),
        new("dataflow-no-scope", DataFlowClientFault.NoScope, Set("DFA-002"), "Leaves scope=Wagtail out of the token request (as RN does)."),
        new("dataflow-token-per-session", DataFlowClientFault.TokenPerSession, Set("DFA-006"), "Fetches a new token for every session."),
        new("dataflow-bearer-in-start", DataFlowClientFault.BearerInStart, Set("DFA-004"), "Puts \"Bearer <token>\" in Start.Token."),
        new("dataflow-wrong-tenant", DataFlowClientFault.WrongTenant, Set("DFA-005"), "Sends a tenant GUID other than its own."),
        new("dataflow-secret-to-dataflow", DataFlowClientFault.SecretToDataFlow, Set("DFA-007"), "Adds ClientSecret to Start."),
        new("dataflow-audio-before-start", DataFlowClientFault.AudioBeforeStart, Set("DFW-001"), "Sends the first audio chunk before Start."),
        new("dataflow-start-as-binary", DataFlowClientFault.StartAsBinary, Set("DFW-002"), "Sends Start in a binary frame."),
        new("dataflow-no-project-name", DataFlowClientFault.NoProjectName, Set("DFW-003"), "Leaves ProjectName out of Start on /project-runner."),
        new("dataflow-declares-wrong-rate", DataFlowClientFault.DeclaresWrongRate, Set("DFW-004"), "Declares SampleRate 16000 whatever the audio is."),
        new("dataflow-no-wait-for-start", DataFlowClientFault.NoWaitForStart, Set("DFW-005"), "Streams audio right after Start, before StartResponse."),
        new("dataflow-ignores-failed-start", DataFlowClientFault.IgnoresFailedStart, Set("DFW-006", "DFW-023"), "Streams even when StartResponse is not Success."),
        new("dataflow-failed-only", DataFlowClientFault.FailedOnly, Set("DFW-023"), "Treats only Failed as a failed start; Busy, NoActiveOperation, UnknownMessageName count as Success."),
        new("dataflow-wav-header", DataFlowClientFault.WavHeader, Set("DFW-007"), "Streams the WAV file with its header."),
        new("dataflow-no-interleave", DataFlowClientFault.NoInterleave, Set("DFW-008"), "Sends stereo chunks planar: the left samples, then the right."),
        new("dataflow-misaligned", DataFlowClientFault.Misaligned, Set("DFW-009"), "Cuts chunks one byte past a sample frame."),
        new("dataflow-one-big-chunk", DataFlowClientFault.OneBigChunk, Set("DFW-010"), "Sends the whole file in one binary frame."),
        new("dataflow-events-in-start", DataFlowClientFault.EventsInStart, Set("DFW-011"), "Puts Events in Start on the streaming connection."),
        new("dataflow-event-missing-members", DataFlowClientFault.EventMissingMembers, Set("DFW-012"), "Sends client events with Name and Data only."),
        new("dataflow-nested-settings", DataFlowClientFault.NestedSettings, Set("DFW-013"), "Sends an object in Update.Parameters."),
        new("dataflow-update-before-start", DataFlowClientFault.UpdateBeforeStart, Set("DFW-014"), "Sends Update right after Start, before StartResponse."),
        new("dataflow-close-without-finalize", DataFlowClientFault.CloseWithoutFinalize, Set("DFW-016"), "Ends by closing the connection, without Finalize."),
        new("dataflow-closes-before-final-result", DataFlowClientFault.ClosesBeforeFinalResult, Set("DFW-017", "DFW-018"), "Closes as soon as FinalizeResponse/StopResponse Success arrives."),
        new("dataflow-audio-after-finalize", DataFlowClientFault.AudioAfterFinalize, Set("DFW-019"), "Sends one more chunk (silence) after Finalize/Stop."),
        new("dataflow-finalize-twice", DataFlowClientFault.FinalizeTwice, Set("DFW-020"), "Sends Finalize twice."),
        new("dataflow-gives-up-on-busy", DataFlowClientFault.GivesUpOnBusy, Set("DFW-021"), "Closes on a Busy FinalizeResponse instead of waiting for FinalResult."),
        new("dataflow-waits-after-no-active", DataFlowClientFault.WaitsAfterNoActive, Set("DFW-022"), "Keeps waiting for FinalResult after NoActiveOperation."),
        new("dataflow-lowercase-update", DataFlowClientFault.LowercaseUpdate, Set("DFW-024"), "Sends \"update\" instead of \"Update\"."),
        new("dataflow-nested-incidents-only", DataFlowClientFault.NestedIncidentsOnly, Set("DFW-025", "DFW-026"), "Takes any MessageName message for a response; a flat incident makes it give up."),
        new("dataflow-stops-on-warning", DataFlowClientFault.StopsOnWarning, Set("DFW-027"), "Stops the session on a Warning incident as if it were an Error."),
        new("dataflow-strict-event-names", DataFlowClientFault.StrictEventNames, Set("DFW-028"), "Drops the connection on an event name it does not know."),
        new("dataflow-strict-channels", DataFlowClientFault.StrictChannels, Set("DFW-029"), "Drops the connection on an event with Channel -2."),
        new("dataflow-lingers", DataFlowClientFault.Lingers, Set("DFW-030"), "Keeps the connection open after FinalResult until the server closes it."),
        new("dataflow-ignores-binary", DataFlowClientFault.IgnoresBinary, Set("DFW-031"), "Ignores server binary frames (no TTS audio saved)."),
        new("dataflow-no-decode", DataFlowClientFault.NoDecode, Set("DFW-032"), "Saves TTS audio as if it were PCM16 whatever Audio.Output.Encoding is."),
        new("dataflow-ignores-wave-header", DataFlowClientFault.IgnoresWaveHeader, Set("DFW-032"), "Treats TTS output as raw audio even when HasWaveHeader is true or absent."),
        new("dataflow-direction-as-text", DataFlowClientFault.DirectionAsText, Set("DFW-033"), "Sends Direction \"IN\" and Language \"English\"."),
        new("dataflow-double-start", DataFlowClientFault.DoubleStart, Set("DFW-034"), "Sends a second Start after StartResponse."),
        new("dataflow-impatient", DataFlowClientFault.Impatient, Set("DFW-035"), "Gives up when StartResponse takes more than 2 s."),
        new("dataflow-grpc-conforming", DataFlowClientFault.None, Set(), "Conforming Data Flow gRPC client: Grpc.Net.Client over TLS, the server certificate validated against the task's CA.", DataFlowTransport.Grpc),
        new("dataflow-grpc-cleartext", DataFlowClientFault.GrpcCleartext, Set("DFG-003"), "Calls the cleartext HTTP/2 port instead of TLS.", DataFlowTransport.Grpc),
        new("dataflow-grpc-trusts-any-certificate", DataFlowClientFault.GrpcTrustsAnyCertificate, Set("DFG-003"), "Accepts any server certificate.", DataFlowTransport.Grpc),
        new("dataflow-grpc-wrong-method", DataFlowClientFault.GrpcWrongMethod, Set("DFG-002"), "Calls /dataflow.Dataflow/Stream (a package and a capital the proto does not have).", DataFlowTransport.Grpc),
        new("dataflow-grpc-start-as-audio", DataFlowClientFault.GrpcStartAsAudio, Set("DFG-004"), "Sends the Start JSON in the audio field of the first StreamInput.", DataFlowTransport.Grpc),
        new("dataflow-grpc-ignores-json", DataFlowClientFault.GrpcIgnoresJson, Set("DFG-001", "DFG-005", "DFG-006", "DFW-006", "DFW-012", "DFW-023", "DFW-025", "DFW-026", "DFW-027", "DFW-028", "DFW-029"), "Reads only the audio field of StreamOutput: it never sees StartResponse, so it streams nothing and half-closes after its start timeout (a failed Start keeps it waiting too).", DataFlowTransport.Grpc),
        new("dataflow-grpc-half-close-early", DataFlowClientFault.GrpcHalfCloseEarly, Set("DFG-006", "DFW-016"), "Half-closes after the last audio instead of sending Finalize.", DataFlowTransport.Grpc),
        new("dataflow-grpc-cancels-after-final-result", DataFlowClientFault.GrpcCancelsAfterFinalResult, Set("DFG-006"), "Cancels the call at FinalResult instead of half-closing and reading its status.", DataFlowTransport.Grpc),
        new("dataflow-grpc-extra-field", DataFlowClientFault.GrpcExtraField, Set("DFG-008"), "Built from another proto: every StreamInput carries a field 15.", DataFlowTransport.Grpc),
        new("dataflow-http-conforming", DataFlowClientFault.None, Set(), "Conforming Data Flow HTTP batch client.", DataFlowTransport.Http),
        new("dataflow-http-urlencoded", DataFlowClientFault.HttpUrlEncoded, Set("DFH-001"), "Posts the parts form-urlencoded (audio in base64) instead of multipart/form-data.", DataFlowTransport.Http),
        new("dataflow-http-no-bearer", DataFlowClientFault.HttpNoBearer, Set("DFA-004", "DFH-002"), "Sends the token in Authorization without the Bearer scheme.", DataFlowTransport.Http),
        new("dataflow-http-no-headers", DataFlowClientFault.HttpNoHeaders, Set("DFH-003"), "Leaves out the Tenant and ProjectName headers (they are only in Parameters).", DataFlowTransport.Http),
        new("dataflow-http-no-parameters", DataFlowClientFault.HttpNoParameters, Set("DFH-004"), "Sends the Audio part only.", DataFlowTransport.Http),
        new("dataflow-http-raw-audio", DataFlowClientFault.HttpRawAudio, Set("DFH-005"), "Sends the raw samples as the Audio part, without the WAV header.", DataFlowTransport.Http),
        new("dataflow-http-wrong-audio-parameters", DataFlowClientFault.HttpWrongAudioParameters, Set("DFH-006"), "Declares twice the WAV's sample rate in Parameters.Audio.", DataFlowTransport.Http),
        new("dataflow-http-no-initial-events", DataFlowClientFault.HttpNoInitialEvents, Set("DFH-007"), "Never sends Parameters.Events.", DataFlowTransport.Http),
        new("dataflow-http-short-timeout", DataFlowClientFault.HttpShortTimeout, Set("DFH-008"), "Gives up on the request after 3 s.", DataFlowTransport.Http),
        new("dataflow-http-ignores-incidents", DataFlowClientFault.HttpIgnoresIncidents, Set("DFH-009"), "Takes a 200 answer as complete whatever its incidents say.", DataFlowTransport.Http),
        new("dataflow-http-token-in-parameters", DataFlowClientFault.HttpTokenInParameters, Set("DFH-010"), "Also puts the token in Parameters.", DataFlowTransport.Http),
    ];

    private static readonly FrozenDictionary<string, DataFlowClientInfo> ByName = Table.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);

    public static IReadOnlyList<DataFlowClientInfo> All => Table;

    public static bool TryGet(string name, out DataFlowClientInfo info) => ByName.TryGetValue(name, out info!);

    public static DataFlowClientInfo Get(string name) =>
        ByName.TryGetValue(name, out var info) ? info : throw new ArgumentException($"No reference Data Flow client \"{name}\"; see `protosim reference-client --list`.", nameof(name));

    /// <summary>Runs one task of the named client with the given <c>PROTOSIM_*</c> environment; returns its exit code.</summary>
    public static Task<int> RunAsync(string name, IReadOnlyDictionary<string, string> environment, TextWriter log, CancellationToken cancellationToken) =>
        new DataFlowClient(Get(name).Fault, Get(name).Transport, log).RunAsync(environment, cancellationToken);

    private static FrozenSet<string> Set(params string[] rules) => rules.ToFrozenSet(StringComparer.Ordinal);
}
