using System.Collections.Frozen;

namespace ProtocolSim.ReferenceClients.Knowlarity;

/// <summary>What a reference Knowlarity REST/notifications client does differently from the conforming one (one defect each).</summary>
public enum KnowlarityClientFault
{
    None,
    NoAccessKeyOnGet,
    BearerAuthorization,
    FixedChannel,
    InvalidJsonOnPause,
    TextPlain,
    NationalNumbers,
    RawPlusInQuery,
    WrongMakecallField,
    NoRegistration,
    BooleanPermission,
    TrustsStatus,
    RetriesPermission,
    MatchesWording,
    FirstCdr,
    OrderWithoutAdditional,
    CampaignWithoutTimezone,
    OtpWithoutIvr,
    IsoStartTime,
    SchedulingAsDays,
    PauseIdInBody,
    AddsToAnyCampaign,
    CommaSeparated,
    NewestSound,
    FarExpiry,
    NoCircle,
    WholeRange,
    IntegerMeta,
    AgentsEnvelope,
    EnableWithArray,
    TransactionalYes,
    WatchesUnregistered,
    AccessKeyInPath,
    WaitsForEnd,
    EveryLineJson,
    NoAccept,
    AgentNumberRequired,
    FetchOnHangup,
    StrictFields,
    CustomerNumberRequired,
    LatestCall,
    StrictEventTypes,
    ExpectsAgentHangupFirst,
    LowercaseCallType,
    NoReconnect,
    Hammers,
    ReadsErrorBody,
    ExitsOnForeignCall,
}

/// <summary>A reference Knowlarity client: the conforming one or a deliberately broken variant.</summary>
public sealed record KnowlarityClientInfo(string Name, KnowlarityClientFault Fault, IReadOnlySet<string> BreaksRules, string Description)
{
    public bool Conforming => Fault == KnowlarityClientFault.None;
}

/// <summary>The catalogue of reference Knowlarity REST and notifications clients, run with the <c>PROTOSIM_*</c> task contract.</summary>
public static class KnowlarityReferenceClients
{
    private static readonly KnowlarityClientInfo[] Table =
    [
        new("knowlarity-conforming", KnowlarityClientFault.None, Set(), "Conforming Knowlarity REST API and notifications client (003-R, 003-N, knowlarity.md)."),
        new("knowlarity-no-access-key-on-get", KnowlarityClientFault.NoAccessKeyOnGet, Set("KRS-001"), "Sends x-api-key only on POST and PUT."),
        new("knowlarity-bearer-authorization", KnowlarityClientFault.BearerAuthorization, Set("KRS-002"), "Sends Authorization: Bearer <SR key>."),
        new("knowlarity-fixed-channel", KnowlarityClientFault.FixedChannel, Set("KRS-003"), "Always calls /Enterprise/v1/account whatever the account's channel."),
        new("knowlarity-invalid-json-on-pause", KnowlarityClientFault.InvalidJsonOnPause, Set("KRS-004"), "Pauses a campaign with the document's unquoted body {status: \"pause\"}."),
        new("knowlarity-text-plain", KnowlarityClientFault.TextPlain, Set("KRS-005"), "Labels JSON bodies text/plain (as a public Frappe client does)."),
        new("knowlarity-national-numbers", KnowlarityClientFault.NationalNumbers, Set("KRS-006"), "Writes makecall numbers as ten national digits."),
        new("knowlarity-raw-plus-in-query", KnowlarityClientFault.RawPlusInQuery, Set("KRS-007"), "Puts + unencoded in query values."),
        new("knowlarity-wrong-makecall-field", KnowlarityClientFault.WrongMakecallField, Set("KRS-008"), "Sends the customer as \"customer\" instead of customer_number."),
        new("knowlarity-no-registration", KnowlarityClientFault.NoRegistration, Set("KRS-009"), "Calls makecall without registering or enabling notifications."),
        new("knowlarity-boolean-permission", KnowlarityClientFault.BooleanPermission, Set("KRS-010"), "Sends call_permission_request as a JSON boolean."),
        new("knowlarity-trusts-status", KnowlarityClientFault.TrustsStatus, Set("KRS-011"), "Takes any 2xx makecall answer as a placed call, error body or not."),
        new("knowlarity-retries-permission", KnowlarityClientFault.RetriesPermission, Set("KRS-012"), "Retries makecall at once after a permission request was sent."),
        new("knowlarity-matches-wording", KnowlarityClientFault.MatchesWording, Set("KRS-013"), "Recognises failures only by known error.message wordings."),
        new("knowlarity-first-cdr", KnowlarityClientFault.FirstCdr, Set("KRS-014"), "Ignores call_id and follows the first CDR on the stream."),
        new("knowlarity-order-without-additional", KnowlarityClientFault.OrderWithoutAdditional, Set("KRS-015"), "Creates a call-center order with a phonebook and no additional_number."),
        new("knowlarity-campaign-without-timezone", KnowlarityClientFault.CampaignWithoutTimezone, Set("KRS-016"), "Leaves timezone out of the campaign POST."),
        new("knowlarity-otp-without-ivr", KnowlarityClientFault.OtpWithoutIvr, Set("KRS-017"), "Calls otpcall without ivr_id."),
        new("knowlarity-iso-start-time", KnowlarityClientFault.IsoStartTime, Set("KRS-018"), "Sends start_time as ISO 8601 instead of yyyy-MM-dd HH:mm."),
        new("knowlarity-scheduling-as-days", KnowlarityClientFault.SchedulingAsDays, Set("KRS-019"), "Sends call_scheduling as \"Mon-Fri\"."),
        new("knowlarity-pause-id-in-body", KnowlarityClientFault.PauseIdInBody, Set("KRS-020"), "Pauses with PUT /call/campaign and the order id in the body."),
        new("knowlarity-adds-to-any-campaign", KnowlarityClientFault.AddsToAnyCampaign, Set("KRS-021"), "Adds numbers without checking the campaign's status."),
        new("knowlarity-comma-separated", KnowlarityClientFault.CommaSeparated, Set("KRS-022"), "Separates numbers with commas."),
        new("knowlarity-newest-sound", KnowlarityClientFault.NewestSound, Set("KRS-023"), "Uses the newest sound whatever its approval status."),
        new("knowlarity-far-expiry", KnowlarityClientFault.FarExpiry, Set("KRS-024"), "Buys the number with an expiry five years ahead, past the plan's."),
        new("knowlarity-no-circle", KnowlarityClientFault.NoCircle, Set("KRS-025"), "Asks AvailablePhoneNumbers by pattern only, without circle_id."),
        new("knowlarity-whole-range", KnowlarityClientFault.WholeRange, Set("KRS-026"), "Asks /sr/calllog for the whole range at once with limit 500."),
        new("knowlarity-integer-meta", KnowlarityClientFault.IntegerMeta, Set("KRS-027"), "Reads meta.total_count as a number and stops paging when it is a string."),
        new("knowlarity-agents-envelope", KnowlarityClientFault.AgentsEnvelope, Set("KRS-028"), "Reads the agent list from objects, as if it were an envelope."),
        new("knowlarity-enable-with-array", KnowlarityClientFault.EnableWithArray, Set("KRS-029"), "Enables notifications with knowlarity_number as an array."),
        new("knowlarity-transactional-yes", KnowlarityClientFault.TransactionalYes, Set("KRS-030"), "Sends is_transactional \"no\"."),
        new("knowlarity-watches-unregistered", KnowlarityClientFault.WatchesUnregistered, Set("KNS-001"), "Opens the stream without registering the SR number."),
        new("knowlarity-access-key-in-path", KnowlarityClientFault.AccessKeyInPath, Set("KNS-002"), "Puts the application access key in the stream path."),
        new("knowlarity-waits-for-end", KnowlarityClientFault.WaitsForEnd, Set("KNS-003"), "Reads the whole stream response before handling any event."),
        new("knowlarity-every-line-json", KnowlarityClientFault.EveryLineJson, Set("KNS-004"), "Parses every non-empty line after its first colon as JSON."),
        new("knowlarity-no-accept", KnowlarityClientFault.NoAccept, Set("KNS-005"), "Opens the stream without Accept: text/event-stream."),
        new("knowlarity-agent-number-required", KnowlarityClientFault.AgentNumberRequired, Set("KNS-006"), "Fails on an event whose agent_number is null."),
        new("knowlarity-fetch-on-hangup", KnowlarityClientFault.FetchOnHangup, Set("KNS-007"), "Takes the last HANGUP for the end of the call and fetches its log before the CDR."),
        new("knowlarity-strict-fields", KnowlarityClientFault.StrictFields, Set("KNS-008"), "Rejects events with members it does not know."),
        new("knowlarity-customer-number-required", KnowlarityClientFault.CustomerNumberRequired, Set("KNS-011"), "Fails on an event whose customer_number is null."),
        new("knowlarity-latest-call", KnowlarityClientFault.LatestCall, Set("KNS-012"), "Attributes a CDR to the most recently started call instead of its uuid."),
        new("knowlarity-strict-event-types", KnowlarityClientFault.StrictEventTypes, Set("KNS-013"), "Fails on an event_type or business_call_type it does not know."),
        new("knowlarity-expects-agent-hangup-first", KnowlarityClientFault.ExpectsAgentHangupFirst, Set("KNS-014"), "Forgets a call when the customer's HANGUP comes first."),
        new("knowlarity-lowercase-call-type", KnowlarityClientFault.LowercaseCallType, Set("KNS-015"), "Reads call_type instead of Call_Type in CDRs."),
        new("knowlarity-no-reconnect", KnowlarityClientFault.NoReconnect, Set("KNS-016"), "Stops watching when the stream ends."),
        new("knowlarity-hammers", KnowlarityClientFault.Hammers, Set("KNS-016"), "Reconnects at once, without a delay."),
        new("knowlarity-reads-error-body", KnowlarityClientFault.ReadsErrorBody, Set("KNS-017"), "Parses the body of a non-200 stream answer as events."),
        new("knowlarity-exits-on-foreign-call", KnowlarityClientFault.ExitsOnForeignCall, Set("KNS-018"), "Gives up when an event of a call it did not place arrives."),
    ];

    private static readonly FrozenDictionary<string, KnowlarityClientInfo> ByName = Table.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);

    public static IReadOnlyList<KnowlarityClientInfo> All => Table;

    public static bool TryGet(string name, out KnowlarityClientInfo info) => ByName.TryGetValue(name, out info!);

    public static KnowlarityClientInfo Get(string name) =>
        ByName.TryGetValue(name, out var info) ? info : throw new ArgumentException($"No reference Knowlarity client \"{name}\"; see `protosim reference-client --list`.", nameof(name));

    /// <summary>Runs one task of the named client with the given <c>PROTOSIM_*</c> environment; returns its exit code.</summary>
    public static async Task<int> RunAsync(string name, IReadOnlyDictionary<string, string> environment, TextWriter log, CancellationToken cancellationToken)
    {
        using var client = new KnowlarityClient(Get(name).Fault, log);
        return await client.RunAsync(environment, cancellationToken);
    }

    private static FrozenSet<string> Set(params string[] rules) => rules.ToFrozenSet(StringComparer.Ordinal);
}
