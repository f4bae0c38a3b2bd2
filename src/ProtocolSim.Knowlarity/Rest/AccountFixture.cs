using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>What the simulated telephone network does when a number is called (fixtures/knowlarity/account.json <c>behaviours</c>).</summary>
public enum NumberBehaviour
{
    /// <summary>The phone rings and is answered (the default for numbers not listed).</summary>
    Answer,

    /// <summary>The phone rings until the ring time runs out.</summary>
    NoAnswer,

    /// <summary>The line is busy.</summary>
    Busy,

    /// <summary>The number is in the Do Not Call registry: makecall is refused (003-R Make Outbound Call errors).</summary>
    Dnd,

    /// <summary>WhatsApp: a permission request is needed; the customer grants it after <c>PermissionGrantAfter</c>.</summary>
    WhatsappPermissionRequired,

    /// <summary>WhatsApp: a permission request is needed and the customer never grants it.</summary>
    WhatsappPermissionRefused,
}

/// <summary>
/// The account the REST fake serves, as loaded from <c>fixtures/knowlarity/account.json</c>. Collections hold objects in
/// the documented wire shape (003-R sample responses); members whose name starts with <c>_</c> are the fake's own
/// bookkeeping (which plan a number belongs to, an agent's phone) and are never sent.
/// </summary>
public sealed record AccountFixture
{
    public required string Channel { get; init; }

    public required string SrNumber { get; init; }

    public required string Country { get; init; }

    /// <summary>"Allowed agents Only" in the SR plan settings (003-R Make Outbound Call, note).</summary>
    public bool AllowedAgentsOnly { get; init; }

    public required JsonArray Plans { get; init; }

    public required JsonArray Numbers { get; init; }

    /// <summary>Circles per country name (003-R Get Circle API: <c>country</c>).</summary>
    public required JsonObject Circles { get; init; }

    public required JsonArray AvailableNumbers { get; init; }

    public required JsonArray Agents { get; init; }

    public required JsonArray Phonebooks { get; init; }

    public required JsonArray Sounds { get; init; }

    public required JsonArray Campaigns { get; init; }

    public required JsonArray Tasks { get; init; }

    /// <summary>Registrations for notifications (003-R List Registrations objects).</summary>
    public required JsonArray Notifications { get; init; }

    /// <summary>Call history: the records of <c>/sr/calllog</c>; each also gets a detailed call log.</summary>
    public required JsonArray CallLog { get; init; }

    public required IReadOnlyDictionary<string, NumberBehaviour> Behaviours { get; init; }

    /// <summary>The first agent's phone number: the one a client dials from in the suite's tasks.</summary>
    public string AgentNumber => Agents.Select(a => a?["_phone_number"]?.GetValue<string>()).FirstOrDefault(p => p is not null) ?? SrNumber;

    /// <summary>The repository's account fixture.</summary>
    public static string DefaultPath(string fixturesDirectory) => Path.Combine(fixturesDirectory, "knowlarity", "account.json");

    /// <summary>Loads and validates a fixture file; every error at once, naming the file and the JSON path (STYLE.md).</summary>
    public static (AccountFixture? Fixture, IReadOnlyList<string> Errors) Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            return (null, [$"{path}: {e.Message}"]);
        }

        return Parse(text, path);
    }

    // Over ~100 lines on purpose: a validating parser of the account fixture that collects every error at once, checks in the order the document gives them.
    public static (AccountFixture? Fixture, IReadOnlyList<string> Errors) Parse(string json, string source)
    {
        JsonObject root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }) as JsonObject
                ?? throw new JsonException("the document is not a JSON object");
        }
        catch (JsonException e)
        {
            return (null, [$"{source}: not valid JSON: {e.Message}"]);
        }

        var errors = new List<string>();
        void Error(string path, string message) => errors.Add($"{source}: {path}: {message}");

        var account = root["account"] as JsonObject;
        if (account is null)
        {
            Error("$.account", "missing (channel, srNumber, country)");
        }

        string Text(string name)
        {
            var value = JsonDefaults.StringOf(account?[name]);
            if (account is not null && string.IsNullOrWhiteSpace(value))
            {
                Error($"$.account.{name}", "missing or not a string");
            }

            return value ?? "";
        }

        var channel = Text("channel");
        var srNumber = Text("srNumber");
        var country = Text("country");
        if (srNumber.Length > 0 && !PhoneNumbers.IsE164(srNumber))
        {
            Error("$.account.srNumber", $"\"{srNumber}\" is not E.164 (+ and country code)");
        }

        JsonArray Array(string name, params string[] required)
        {
            var node = root[name];
            if (node is not JsonArray array)
            {
                Error("$." + name, node is null ? "missing (use [] for none)" : "must be an array");
                return [];
            }

            for (var i = 0; i < array.Count; i++)
            {
                if (array[i] is not JsonObject item)
                {
                    Error($"$.{name}[{i}]", "must be an object");
                    continue;
                }

                foreach (var member in required.Where(m => !item.ContainsKey(m)))
                {
                    Error($"$.{name}[{i}]", $"missing \"{member}\"");
                }
            }

            return (JsonArray)array.DeepClone();
        }

        var plans = Array("plans", "userplan_id", "plan_name", "is_active", "created_date", "expiry_time", "plan_type");
        var numbers = Array("numbers", "cli_type", "created_time", "expiry_time", "is_expired", "number_type", "phone_number", "number_rating");
        var available = Array("availableNumbers", "number_type", "number_rating", "circle_id", "number", "provider_name");
        var agents = Array("agents", "agent_status", "call_groups", "callcenter_role", "first_name", "id", "last_name");
        var phonebooks = Array("phonebooks", "id", "phonebookname");
        var sounds = Array("sounds", "id", "soundname", "soundfile", "status");
        var campaigns = Array("campaigns", "order_id", "order_status");
        var tasks = Array("tasks", "id", "type");
        var notifications = Array("notifications", "k_number", "enable");
        var callLog = Array("callLog", "uuid", "start_time", "end_time", "call_type", "customer_number", "knowlarity_number");

        foreach (var (array, name, key) in new[] { (numbers, "numbers", "phone_number"), (available, "availableNumbers", "number"), (agents, "agents", "_phone_number"), (callLog, "callLog", "customer_number") })
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array[i]?[key] is JsonValue v && v.TryGetValue<string>(out var n) && !PhoneNumbers.IsE164(n))
                {
                    Error($"$.{name}[{i}].{key}", $"\"{n}\" is not E.164");
                }
            }
        }

        foreach (var (array, name, key) in new[] { (agents, "agents", "id"), (sounds, "sounds", "id"), (campaigns, "campaigns", "order_id"), (tasks, "tasks", "id"), (callLog, "callLog", "uuid"), (phonebooks, "phonebooks", "id") })
        {
            foreach (var duplicate in array.Select(o => o?[key]?.ToJsonString()).Where(k => k is not null).GroupBy(k => k).Where(g => g.Count() > 1))
            {
                Error($"$.{name}", $"{key} {duplicate.Key} appears {duplicate.Count()} times");
            }
        }

        var circles = root["circles"] as JsonObject;
        if (circles is null)
        {
            Error("$.circles", "missing (an object of country name to circles)");
        }
        else if (country.Length > 0 && !circles.ContainsKey(country))
        {
            Error("$.circles", $"has no circles for the account's country \"{country}\"");
        }

        var behaviours = new Dictionary<string, NumberBehaviour>(StringComparer.Ordinal);
        if (root["behaviours"] is JsonObject b)
        {
            foreach (var (number, value) in b)
            {
                var name = JsonDefaults.StringOf(value);
                if (!PhoneNumbers.IsE164(number))
                {
                    Error($"$.behaviours[\"{number}\"]", "the key is not an E.164 number");
                }
                else if (name is null || !TryParseBehaviour(name, out var behaviour))
                {
                    Error($"$.behaviours[\"{number}\"]", $"\"{name}\" is not one of answer, no-answer, busy, dnd, whatsapp-permission-required, whatsapp-permission-refused");
                }
                else
                {
                    behaviours[number] = behaviour;
                }
            }
        }
        else if (root["behaviours"] is not null)
        {
            Error("$.behaviours", "must be an object of number to behaviour");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }

        return (new AccountFixture
        {
            Channel = channel,
            SrNumber = srNumber,
            Country = country,
            AllowedAgentsOnly = account?["allowedAgentsOnly"] is JsonValue aao && aao.TryGetValue<bool>(out var allowed) && allowed,
            Plans = plans,
            Numbers = numbers,
            Circles = (JsonObject)circles!.DeepClone(),
            AvailableNumbers = available,
            Agents = agents,
            Phonebooks = phonebooks,
            Sounds = sounds,
            Campaigns = campaigns,
            Tasks = tasks,
            Notifications = notifications,
            CallLog = callLog,
            Behaviours = behaviours,
        }, []);
    }

    private static bool TryParseBehaviour(string name, out NumberBehaviour behaviour)
    {
        behaviour = name switch
        {
            "answer" => NumberBehaviour.Answer,
            "no-answer" => NumberBehaviour.NoAnswer,
            "busy" => NumberBehaviour.Busy,
            "dnd" => NumberBehaviour.Dnd,
            "whatsapp-permission-required" => NumberBehaviour.WhatsappPermissionRequired,
            "whatsapp-permission-refused" => NumberBehaviour.WhatsappPermissionRefused,
            _ => (NumberBehaviour)(-1),
        };
        return Enum.IsDefined(behaviour);
    }
}

/// <summary>E.164 checks (KRS-006).</summary>
internal static partial class PhoneNumbers
{
    public static bool IsE164(string? number) => number is not null && E164().IsMatch(number);

    /// <summary>The digits an Indian number is written with inside the country (the documents' "9876543210", "81XXXXXXXX").</summary>
    public static string National(string number) => number.StartsWith("+91", StringComparison.Ordinal) ? number[3..] : number.TrimStart('+');

    /// <summary>
    /// A number a client wrote without <c>+</c>: ten digits are taken as Indian, digits with a country code get a
    /// <c>+</c>. Null when the value is no phone number at all.
    /// </summary>
    public static string? Normalise(string? number)
    {
        if (number is null)
        {
            return null;
        }

        var trimmed = number.Trim();
        if (IsE164(trimmed))
        {
            return trimmed;
        }

        if (trimmed.Length == 10 && trimmed.All(char.IsAsciiDigit) && trimmed[0] != '0')
        {
            return "+91" + trimmed;
        }

        if (trimmed.Length is > 10 and <= 15 && trimmed.All(char.IsAsciiDigit) && trimmed[0] != '0')
        {
            return "+" + trimmed;
        }

        return trimmed.StartsWith("00", StringComparison.Ordinal) && IsE164("+" + trimmed[2..]) ? "+" + trimmed[2..] : null;
    }

    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$", RegexOptions.CultureInvariant)]
    private static partial Regex E164();
}
