using System.Globalization;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>WhatsApp call permission of one customer (003-R makecall/otpcall permission errors).</summary>
internal sealed class PermissionState
{
    public DateTimeOffset RequestedAt { get; set; }

    public bool Refused { get; set; }

    /// <summary>The client was told "Not allowed to send call permission request." once.</summary>
    public bool RefusalSent { get; set; }
}

/// <summary>
/// The account's state: the fixture's collections, changed as clients act (a bought number is listed, a paused
/// campaign reads paused), and the calls the simulator has run. One lock guards all of it; nothing awaits under it.
/// </summary>
internal sealed class KnowlarityAccount
{
    public static readonly TimeSpan Ist = TimeSpan.FromHours(5.5);

    private readonly TimeProvider _time;

    public KnowlarityAccount(AccountFixture fixture, TimeProvider time)
    {
        _time = time;
        Load(fixture);
    }

    public Lock Gate { get; } = new();

    public AccountFixture Fixture { get; private set; } = null!;

    public JsonArray Plans { get; private set; } = [];

    public JsonArray Numbers { get; private set; } = [];

    public JsonObject Circles { get; private set; } = [];

    public JsonArray AvailableNumbers { get; private set; } = [];

    public JsonArray Agents { get; private set; } = [];

    public JsonArray Phonebooks { get; private set; } = [];

    public JsonArray Sounds { get; private set; } = [];

    public JsonArray Campaigns { get; private set; } = [];

    public JsonArray Tasks { get; private set; } = [];

    public JsonArray Registrations { get; private set; } = [];

    /// <summary>Call-log records, oldest first (<c>/sr/calllog</c> objects).</summary>
    public List<JsonObject> CallLog { get; } = [];

    /// <summary>Detailed call logs by uuid (<c>/call/get-detailed-call-log</c>).</summary>
    public Dictionary<string, JsonObject> DetailedLogs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, PermissionState> Permissions { get; } = new(StringComparer.Ordinal);

    /// <summary>Upload time of sounds posted through the API, for the review simulation.</summary>
    public Dictionary<string, DateTimeOffset> SoundUploads { get; } = new(StringComparer.Ordinal);

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Replaces the whole state with the fixture's (admin reset or load).</summary>
    public void Load(AccountFixture fixture)
    {
        lock (Gate)
        {
            Fixture = fixture;
            Plans = (JsonArray)fixture.Plans.DeepClone();
            Numbers = (JsonArray)fixture.Numbers.DeepClone();
            Circles = (JsonObject)fixture.Circles.DeepClone();
            AvailableNumbers = (JsonArray)fixture.AvailableNumbers.DeepClone();
            Agents = (JsonArray)fixture.Agents.DeepClone();
            Phonebooks = (JsonArray)fixture.Phonebooks.DeepClone();
            Sounds = (JsonArray)fixture.Sounds.DeepClone();
            Campaigns = (JsonArray)fixture.Campaigns.DeepClone();
            Tasks = (JsonArray)fixture.Tasks.DeepClone();
            Registrations = (JsonArray)fixture.Notifications.DeepClone();
            CallLog.Clear();
            DetailedLogs.Clear();
            Permissions.Clear();
            SoundUploads.Clear();
            foreach (var record in fixture.CallLog.OfType<JsonObject>().OrderBy(r => StartTime(r)))
            {
                AddCallRecord((JsonObject)record.DeepClone());
            }
        }
    }

    /// <summary>Adds a finished call (caller holds <see cref="Gate"/>); its detailed log is derived from it.</summary>
    public void AddCallRecord(JsonObject record)
    {
        CallLog.Add(record);
        var uuid = record["uuid"]!.GetValue<string>();
        DetailedLogs[uuid] = DetailedLog(record, DetailedLogs.Count + 1);
    }

    public static DateTimeOffset StartTime(JsonObject record) =>
        ParseTime(record["start_time"]?.GetValue<string>()) ?? DateTimeOffset.MinValue;

    public bool IsAccountNumber(string number) =>
        Numbers.Any(n => n?["phone_number"]?.GetValue<string>() == number && n["is_expired"]?.GetValue<bool>() != true);

    public bool IsAgentNumber(string number) =>
        Agents.Any(a => a?["_phone_number"]?.GetValue<string>() == number);

    public JsonObject? Registration(string number) =>
        Registrations.OfType<JsonObject>().FirstOrDefault(r => r["k_number"]?.GetValue<string>() == number);

    public bool NotificationsEnabled(string number) => Registration(number)?["enable"]?.GetValue<bool>() == true;

    public NumberBehaviour Behaviour(string number) =>
        Fixture.Behaviours.TryGetValue(number, out var b) ? b : NumberBehaviour.Answer;

    /// <summary>A sound's status with the review applied: uploads are approved after the review time unless named "reject".</summary>
    public string SoundStatus(JsonObject sound, TimeSpan reviewAfter)
    {
        var id = sound["id"]!.ToString();
        if (SoundUploads.TryGetValue(id, out var uploaded) && Now - uploaded >= reviewAfter)
        {
            var rejected = sound["soundname"]?.GetValue<string>().Contains("reject", StringComparison.OrdinalIgnoreCase) == true;
            sound["status"] = rejected ? "2" : "1";
            sound["comment"] = rejected ? "content not allowed" : "";
            SoundUploads.Remove(id);
        }

        return sound["status"]?.ToString() ?? "0";
    }

    /// <summary>Times as the documents write them: <c>2015-11-20 11:50:18+05:30</c>, <c>2017-04-25 00:00:00</c>, <c>Tue, 11 Apr 2017 14:19:37 +0530</c>.</summary>
    public static DateTimeOffset? ParseTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        string[] offsetFormats = ["yyyy-MM-dd HH:mm:sszzz", "yyyy-MM-dd HH:mm:ss.FFFFFFzzz", "ddd, d MMM yyyy HH:mm:ss zzz", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFzzz"];
        if (DateTimeOffset.TryParseExact(text, offsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var withOffset))
        {
            return withOffset;
        }

        // "+0530" without a colon (RFC 2822 style).
        if (text.Length > 5 && (text[^5] == '+' || text[^5] == '-') && DateTimeOffset.TryParseExact(text.Insert(text.Length - 2, ":"), offsetFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var rfc))
        {
            return rfc;
        }

        // Local times without an offset are IST, the account's zone.
        string[] localFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss.FFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd"];
        return DateTime.TryParseExact(text, localFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local)
            ? new DateTimeOffset(local, Ist)
            : null;
    }

    public static string Ist8601(DateTimeOffset time) => time.ToOffset(Ist).ToString("yyyy-MM-dd HH:mm:sszzz", CultureInfo.InvariantCulture);

    public static string Rfc2822(DateTimeOffset time)
    {
        var ist = time.ToOffset(Ist);
        return ist.ToString("ddd, d MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture) + " +0530";
    }

    /// <summary>The detailed call log (003-R Get Detailed Call Log sample) of a call-log record.</summary>
    private static JsonObject DetailedLog(JsonObject record, int id)
    {
        var uuid = record["uuid"]!.GetValue<string>();
        var outgoing = record["call_type"]?.GetValue<string>() == "Outgoing";
        var k = record["knowlarity_number"]?.GetValue<string>();
        var customer = record["customer_number"]?.GetValue<string>();
        var agent = record["agent_number"]?.GetValue<string>();
        var answered = record["call_status"]?.GetValue<string>() == "Connected" || record["call_duration"]?.GetValue<int>() > 0;
        var start = StartTime(record).ToOffset(Ist);
        var end = ParseTime(record["end_time"]?.GetValue<string>())?.ToOffset(Ist) ?? start;
        var pickup = answered ? start.AddSeconds(Math.Max(1, (end - start).TotalSeconds - (record["call_duration"]?.GetValue<int>() ?? 0))) : (DateTimeOffset?)null;
        static string Iso(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        static string Micro(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        var hangupCause = answered ? 900 : 901;
        return new JsonObject
        {
            ["message"] = new JsonObject
            {
                ["id"] = id,
                ["unique_id"] = uuid,
                ["caller"] = k,
                ["called"] = outgoing ? customer : agent ?? k,
                ["hangup_cause"] = hangupCause,
                ["fs"] = "protosimfs01",
                ["priority"] = 7,
                ["ivr_refnum"] = 1000000000L + id,
                ["fs_chan_info"] = $"sofia/{k}/{customer}/",
                ["call_type"] = outgoing ? "outgoing" : "incoming",
                ["did_number"] = outgoing ? null : k,
                ["ref_uuid"] = null,
                ["start_time"] = Iso(start),
                ["end_time"] = Iso(end),
                ["pickup_time"] = pickup is { } p ? Iso(p) : null,
                ["hangup_time"] = Iso(end),
                ["posting_time"] = Iso(end.AddSeconds(1)),
                ["order_time"] = Iso(start.AddSeconds(-1)),
                ["caller_in_fs"] = null,
                ["attempt_number"] = 1,
                ["events"] = new JsonObject
                {
                    ["CALLERID_SYS"] = customer,
                    ["direction"] = outgoing ? "_outgoing" : "_incoming",
                    ["SESSION_KNUMBER"] = k,
                    ["hungup_LegA"] = true,
                    ["SESSION_ID_SYS"] = uuid + "_0",
                    ["hangup_time"] = Micro(end),
                    ["IVR_DISP_NUM_SYS"] = k,
                    ["answered"] = answered,
                    ["INCOMING_SYS"] = !outgoing,
                    ["start_time"] = Micro(start),
                    ["pickup_time"] = pickup is { } p2 ? Micro(p2) : null,
                    ["display_number"] = k,
                    ["INCALL_ANSWERED_SYS"] = answered,
                    ["hangup_cause"] = hangupCause,
                    ["New_Hangup_Cause"] = answered ? "ANSWERED" : "NO_ANSWER",
                    ["caller"] = k,
                    ["called"] = outgoing ? customer : agent ?? k,
                    ["unique_id"] = uuid,
                },
            },
        };
    }
}
