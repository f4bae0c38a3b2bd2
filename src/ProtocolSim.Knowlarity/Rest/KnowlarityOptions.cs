using System.Security.Cryptography;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>The keys a client of the fake must send (003-R headers; 003-N stream path). Fresh per run: nothing secret is fixed.</summary>
public sealed record KnowlarityCredentials
{
    /// <summary>Application access key, sent as <c>x-api-key</c> (KRS-001).</summary>
    public required string XApiKey { get; init; }

    /// <summary>SR API key, sent as <c>Authorization</c> (KRS-002) and in the stream path (KNS-002).</summary>
    public required string SrApiKey { get; init; }

    public static KnowlarityCredentials New() => new()
    {
        // The documents show a 40-character access key and a UUID-shaped SR key.
        XApiKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(30)).Replace('+', 'x').Replace('/', 'y'),
        SrApiKey = Guid.NewGuid().ToString(),
    };
}

/// <summary>How long each step of a simulated call takes on the simulation clock.</summary>
public sealed record CallTiming
{
    /// <summary>From a leg being dialled to it being answered.</summary>
    public TimeSpan Ring { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an unanswered leg rings before it is given up.</summary>
    public TimeSpan NoAnswerAfter { get; init; } = TimeSpan.FromSeconds(6);

    /// <summary>From a busy leg being dialled to its HANGUP.</summary>
    public TimeSpan BusyAfter { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Conversation time of a bridged call.</summary>
    public TimeSpan Talk { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>Between the two HANGUPs of a bridged call.</summary>
    public TimeSpan Gap { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>From the last HANGUP to the CDR (and the call-log record): the CDR is written after the call is torn down.</summary>
    public TimeSpan CdrDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Every step divided by this (10 = ten times faster); the times in events stay consistent with the clock.</summary>
    public double Speed { get; init; } = 1;

    public TimeSpan Scaled(TimeSpan step) => Speed == 1 ? step : TimeSpan.FromTicks((long)(step.Ticks / Speed));
}

/// <summary>Options of the Knowlarity REST fake and notifications stream; defaults are knowlarity.md §4.2, §4.3 and §5.</summary>
public sealed class KnowlarityOptions : ProtocolSim.Core.Hosting.IFakeOptions
{
    private KnowlarityCredentials _credentials = KnowlarityCredentials.New();

    public KnowlarityCredentials Credentials
    {
        get => _credentials;
        set
        {
            _credentials = value;
            Redactor = new Redactor([value.XApiKey, value.SrApiKey]);
        }
    }

    /// <summary>Masks both keys in everything journaled.</summary>
    internal Redactor Redactor { get; private set; } = null!;

    public KnowlarityOptions() => Credentials = _credentials;

    /// <summary>The account state at start and after a reset; null = the repository's fixture.</summary>
    public AccountFixture? Account { get; set; }

    /// <summary><c>Rest:GatewayErrors</c>: a bad <c>x-api-key</c> gets 403 <c>{"message":"Forbidden"}</c>; off = checked like Authorization.</summary>
    public bool GatewayErrors { get; set; } = true;

    /// <summary><c>Rest:MakecallErrorStatus</c>: HTTP status of makecall's <c>{"error":{...}}</c> failures (the document gives none).</summary>
    public int MakecallErrorStatus { get; set; } = 400;

    /// <summary><c>Rest:IncludeCallId</c>: makecall's success carries <c>success.call_id</c>.</summary>
    public bool IncludeCallId { get; set; } = true;

    /// <summary><c>Rest:StrictChannel</c>: a <c>{channel}</c> other than the account's is refused (403); off = recorded only.</summary>
    public bool StrictChannel { get; set; }

    /// <summary><c>Rest:PageSize</c>: page size of envelope lists when the client gives no <c>limit</c>; null = as documented per endpoint.</summary>
    public int? PageSize { get; set; }

    /// <summary>
    /// makecall for an SR number not registered and enabled for notifications is refused with 400 (issue 4: "makecall
    /// refuses numbers not registered for notifications, as documented"); off = served, KRS-009 recorded either way.
    /// </summary>
    public bool RequireNotificationRegistration { get; set; } = true;

    /// <summary>Largest request body read; larger ones get 413 in the API's error shape.</summary>
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>WhatsApp: time from a permission request to the customer granting it (<see cref="NumberBehaviour.WhatsappPermissionRequired"/>).</summary>
    public TimeSpan PermissionGrantAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>An uploaded sound is approved (status "1") this long after upload, or rejected ("2") when its name contains "reject".</summary>
    public TimeSpan SoundReviewAfter { get; set; } = TimeSpan.FromSeconds(30);

    public CallTiming Timing { get; set; } = new();

    /// <summary><c>Notify:KeepAliveComment</c>: an SSE comment line this often on idle streams; null = none.</summary>
    public TimeSpan? KeepAlive { get; set; }

    /// <summary><c>Notify:DropAfter</c>: each stream is closed by the server after this many events; null = never.</summary>
    public int? DropAfterEvents { get; set; }

    /// <summary><c>Notify:BadKeyStatus</c>: status for a stream path with an unknown key (plain-text body).</summary>
    public int BadKeyStatus { get; set; } = 401;

    private int _refuseStreams;

    /// <summary>The next this-many stream connections are refused with <see cref="RefusalStatus"/> and <see cref="RefusalBody"/> (reconnect tests).</summary>
    public int RefuseNextStreams
    {
        get => Volatile.Read(ref _refuseStreams);
        set => Volatile.Write(ref _refuseStreams, value);
    }

    public int RefusalStatus { get; set; } = 503;

    public string RefusalBody { get; set; } = "Service temporarily unavailable";

    /// <summary>Takes one refusal if any are left.</summary>
    internal bool TakeRefusal()
    {
        int left;
        do
        {
            left = Volatile.Read(ref _refuseStreams);
            if (left <= 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _refuseStreams, left - 1, left) != left);
        return true;
    }

    /// <summary>Events buffered per subscriber before a slow one is disconnected.</summary>
    public int SubscriberBuffer { get; set; } = 4096;

    /// <summary>Requests kept in WireMock.Net's request log, <c>/__admin/requests</c> (its <c>MaxRequestLogCount</c>); 0 keeps none.</summary>
    public int MaxRequestJournalEntries { get; set; } = 10_000;

    /// <summary>Journals of stream connections and calls kept for reports and the dashboard (0 = all).</summary>
    public int KeepJournals { get; set; } = 1000;

    /// <summary>API journals kept (each holds <see cref="RequestsPerJournal"/> requests): the newest 20,000 requests by default.</summary>
    public int KeepApiJournals { get; set; } = 10;

    /// <summary>Requests per API journal before a new one is started, so a long-running serve stays bounded.</summary>
    public int RequestsPerJournal { get; set; } = 2000;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Credentials.XApiKey) || string.IsNullOrEmpty(Credentials.SrApiKey) || Credentials.XApiKey == Credentials.SrApiKey)
        {
            errors.Add("Knowlarity: XApiKey and SrApiKey must be set and differ.");
        }

        if (MakecallErrorStatus is < 200 or > 599 || BadKeyStatus is < 400 or > 599)
        {
            errors.Add("Knowlarity: MakecallErrorStatus must be an HTTP status, BadKeyStatus a 4xx or 5xx.");
        }

        if (PageSize is < 1 || MaxBodyBytes < 1024 || SubscriberBuffer < 16 || MaxRequestJournalEntries < 0 || KeepJournals < 0 || KeepApiJournals < 1 || RequestsPerJournal < 1)
        {
            errors.Add("Knowlarity: PageSize >= 1, MaxBodyBytes >= 1024, SubscriberBuffer >= 16, RequestsPerJournal >= 1, and the journal limits >= 0.");
        }

        if (Timing.Speed <= 0 || Timing.CdrDelay < TimeSpan.Zero || Timing.Ring < TimeSpan.Zero || Timing.Talk < TimeSpan.Zero || Timing.Gap < TimeSpan.Zero || Timing.NoAnswerAfter < TimeSpan.Zero || Timing.BusyAfter < TimeSpan.Zero)
        {
            errors.Add("Knowlarity: call timings cannot be negative and Speed must be positive.");
        }

        if (DropAfterEvents is < 1 || KeepAlive is { } k && k <= TimeSpan.Zero)
        {
            errors.Add("Knowlarity: DropAfterEvents must be at least 1 and KeepAlive positive.");
        }

        return errors;
    }
}
