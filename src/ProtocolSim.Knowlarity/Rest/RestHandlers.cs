using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// The endpoints of 003-R on the account state. Each handler validates as the document says, answers with the
/// documented bodies (spacing restored, knowlarity.md §6.15) and records the client rules it sees broken.
/// </summary>
internal static class RestHandlers
{
    private const string BadKey = "The SR API Key used to authenticate is incorrect.";
    private static readonly string[] DateFormats = ["yyyy-MM-dd HH:mm"];
    private static readonly string[] DateTimeFormats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm"];
    private static readonly string[] OrderFields = ["timezone", "start_time", "k_number"];
    private static readonly string[] MakecallFields = ["k_number", "agent_number", "customer_number"];
    private static readonly string[] OtpFields = ["ivr_id", "k_number", "customer_number"];

    public static string AuthorizationMessage => BadKey;

    // ---- numbers --------------------------------------------------------------------------------------------

    public static ApiResult ListNumbers(RestCall call)
    {
        var plan = call.QueryValue("user_plan_id");
        var expiry = call.QueryValue("expiry_time");
        var number = call.QueryValue("number");
        if (number is not null)
        {
            number = QueryPhone(call, "number", number);
        }

        lock (call.Account.Gate)
        {
            var items = call.Account.Numbers.OfType<JsonObject>()
                .Where(n => plan is null || n["_user_plan_id"]?.ToString() == plan)
                .Where(n => expiry is null || (n["expiry_time"]?.GetValue<string>() ?? "").StartsWith(expiry, StringComparison.Ordinal))
                .Where(n => number is null || n["phone_number"]?.GetValue<string>() == number);
            return Envelope(call, items, defaultLimit: 1000);
        }
    }

    public static ApiResult BuyNumber(RestCall call)
    {
        // 003-R Buy the available numbers API: user_plan_id, expiry_time, number required; cli_type optional.
        if (call.BodyObject is null || !call.Has("user_plan_id") || !call.Has("expiry_time") || !call.Has("number"))
        {
            return ApiResult.IncorrectInput;
        }

        var planId = call.Text("user_plan_id")!;
        var number = call.Phone("number", call.Text("number"));
        var expiryText = call.Text("expiry_time")!;
        lock (call.Account.Gate)
        {
            var plan = call.Account.Plans.OfType<JsonObject>().FirstOrDefault(p => p["userplan_id"]?.ToString() == planId);
            var planExpiry = KnowlarityAccount.ParseTime(plan?["expiry_time"]?.GetValue<string>());
            if (plan is null || plan["is_active"]?.ToString() != "true")
            {
                return ApiResult.IncorrectInput;
            }

            if (!DateTime.TryParseExact(expiryText, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var expiryLocal))
            {
                call.Finding("KRS-024", "expiry_time is not a date and time", "yyyy-MM-dd HH:mm:ss", expiryText);
                return ApiResult.IncorrectInput;
            }

            var expiry = new DateTimeOffset(expiryLocal, TimeSpan.Zero);
            if (expiry <= call.Now || planExpiry is { } limit && expiry > limit)
            {
                call.Finding("KRS-024", "expiry_time must be later than now and not after the plan's expiry", $"after {call.Now:yyyy-MM-dd HH:mm:ss}, not after {planExpiry:yyyy-MM-dd HH:mm:ss}", expiryText);
                return ApiResult.IncorrectInput;
            }

            var offer = call.Account.AvailableNumbers.OfType<JsonObject>().FirstOrDefault(n => n["number"]?.GetValue<string>() == number);
            if (offer is null)
            {
                call.Finding("KRS-024", "the number was not offered by AvailablePhoneNumbers", "a number from GET /numbers/AvailablePhoneNumbers", call.Text("number"));
                return ApiResult.IncorrectInput;
            }

            call.Account.AvailableNumbers.Remove(offer);
            call.Account.Numbers.Add(new JsonObject
            {
                ["cli_type"] = call.Text("cli_type") is { Length: > 0 } cli ? cli.ToUpperInvariant() : "NONE",
                ["created_time"] = Utc(call.Now),
                ["expiry_time"] = Utc(expiry),
                ["is_expired"] = false,
                ["number_type"] = "1",
                ["phone_number"] = number,
                ["number_rating"] = offer["number_rating"]?.DeepClone(),
                ["_user_plan_id"] = planId,
            });
        }

        return ApiResult.Ok(new JsonObject
        {
            ["message"] = "Your provided number has been allocated to you Successfully",
            ["Number"] = number,
        });
    }

    public static ApiResult Circles(RestCall call)
    {
        var country = call.QueryValue("country");
        lock (call.Account.Gate)
        {
            country ??= call.Account.Fixture.Country;
            var circles = call.Account.Circles.FirstOrDefault(c => string.Equals(c.Key, country, StringComparison.OrdinalIgnoreCase)).Value;
            return circles is null
                ? ApiResult.Message(400, "You have provided invalid country name. For more information contact support.")
                : ApiResult.Ok(circles.DeepClone());
        }
    }

    public static ApiResult AvailableNumbers(RestCall call)
    {
        if (call.Query.Count == 0)
        {
            call.Finding("KRS-025", "AvailablePhoneNumbers without circle_id", "circle_id from the Circle API", "no query");
            return ApiResult.Message(400, "Provide some input. For more information contact support.");
        }

        if (call.QueryValue("circle_id") is not { } circleText)
        {
            call.Finding("KRS-025", "AvailablePhoneNumbers without circle_id", "circle_id from the Circle API", call.RawQuery);
            return ApiResult.Message(400, "Provide some input. For more information contact support.");
        }

        if (!int.TryParse(circleText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var circle)
            || call.QueryValue("number_rating") is { } r && !int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out _)
            || call.QueryValue("cli_type") is { } c && c is not ("0" or "1"))
        {
            return ApiResult.IncorrectInput;
        }

        var rating = call.QueryValue("number_rating") is { } rt ? int.Parse(rt, CultureInfo.InvariantCulture) : 0;
        var cliType = call.QueryValue("cli_type") == "1" ? 1 : 0;
        var type = call.QueryValue("number_type");
        var pattern = call.QueryValue("pattern");
        lock (call.Account.Gate)
        {
            if (!call.Account.Circles.Any(c => c.Value is JsonArray a && a.Any(x => x?["id"]?.GetValue<int>() == circle)))
            {
                return ApiResult.IncorrectInput;
            }

            var numbers = call.Account.AvailableNumbers.OfType<JsonObject>()
                .Where(n => n["circle_id"]?.GetValue<int>() == circle)
                .Where(n => rating == -1 || n["number_rating"]?.GetValue<int>() == rating)
                .Where(n => (n["_cli_type"]?.GetValue<int>() ?? 0) == cliType)
                .Where(n => type is null || string.Equals(n["number_type"]?.GetValue<string>(), type, StringComparison.OrdinalIgnoreCase))
                .Where(n => pattern is null || MatchesPattern(n["number"]!.GetValue<string>(), pattern));
            return ApiResult.Ok(w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("numbers");
                WriteVisible(w, numbers);
                w.WriteEndObject();
            });
        }
    }

    /// <summary>003-R AvailablePhoneNumbers <c>pattern</c>: <c>^</c> starts with, <c>$</c> ends with, otherwise contains.</summary>
    private static bool MatchesPattern(string number, string pattern)
    {
        if (pattern.StartsWith('^'))
        {
            return number.StartsWith(pattern[1..].TrimEnd('$'), StringComparison.Ordinal) && (!pattern.EndsWith('$') || number.EndsWith(pattern[1..^1], StringComparison.Ordinal));
        }

        return pattern.EndsWith('$') ? number.EndsWith(pattern[..^1], StringComparison.Ordinal) : number.Contains(pattern, StringComparison.Ordinal);
    }

    public static ApiResult Plans(RestCall call)
    {
        var id = call.QueryValue("id");
        var plan = call.QueryValue("plan");
        var type = call.QueryValue("plan_type");
        if (type is not null && type is not ("E" or "D" or "P" or "I" or "T" or "H" or "C"))
        {
            return new ApiResult(400, new JsonObject { ["error"] = "plan_type must be one of E, D, P, I, T, H, C." });
        }

        lock (call.Account.Gate)
        {
            var items = call.Account.Plans.OfType<JsonObject>()
                .Where(p => id is null || p["userplan_id"]?.ToString() == id)
                .Where(p => plan is null || string.Equals(p["plan_name"]?.GetValue<string>(), plan, StringComparison.OrdinalIgnoreCase))
                .Where(p => type is null || p["plan_type"]?.GetValue<string>() == type);
            return Envelope(call, items, defaultLimit: 1000);
        }
    }

    // ---- call center orders and campaigns -------------------------------------------------------------------

    public static ApiResult CreateOrder(RestCall call) => PlaceOrder(call, campaign: false);

    public static ApiResult PostCampaign(RestCall call) => PlaceOrder(call, campaign: true);

    private static ApiResult PlaceOrder(RestCall call, bool campaign)
    {
        var rule = campaign ? "KRS-016" : "KRS-015";
        if (call.BodyObject is null)
        {
            call.Finding(rule, "no order fields in the body", "sound_id/ivr_id, timezone, start_time, k_number" + (campaign ? "" : ", Ivr_disp_num, additional_number"), "empty body");
            return ApiResult.IncorrectInput;
        }

        var missing = new List<string>();
        if (!call.Has("sound_id") && !call.Has("ivr_id"))
        {
            missing.Add("sound_id/ivr_id");
        }

        missing.AddRange(OrderFields.Where(f => !call.Has(f)));
        if (!campaign)
        {
            // 003-R Create Order: Ivr_disp_num (capital I) and additional_number "mandatory ... every time".
            if (!call.Has("Ivr_disp_num"))
            {
                missing.Add("Ivr_disp_num");
            }

            if (!call.Has("additional_number"))
            {
                missing.Add("additional_number");
            }
        }
        else if (!call.Has("phonebook") && !call.Has("additional_number"))
        {
            missing.Add("additional_number (no phonebook given)");
        }

        if (missing.Count > 0)
        {
            call.Finding(rule, "required order fields missing: " + string.Join(", ", missing), "sound_id/ivr_id, timezone, start_time, k_number" + (campaign ? ", phonebook or additional_number" : ", Ivr_disp_num, additional_number"), string.Join(", ", call.BodyObject.Select(p => p.Key)));
            return ApiResult.IncorrectInput;
        }

        var start = call.Text("start_time")!;
        if (!DateTime.TryParseExact(start, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var startTime))
        {
            call.Finding("KRS-018", "start_time is not yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm", start);
            return ApiResult.IncorrectInput;
        }

        DateTime? endTime = null;
        if (call.Has("end_time"))
        {
            if (!DateTime.TryParseExact(call.Text("end_time"), DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
            {
                call.Finding("KRS-018", "end_time is not yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm", call.Text("end_time"));
                return ApiResult.IncorrectInput;
            }

            endTime = end;
        }

        var priority = call.Integer("priority", out var priorityValid);
        if (!priorityValid || priority is < 1 or > 10)
        {
            call.Finding("KRS-018", "priority is outside 1–10", "an integer from 1 to 10", call.Text("priority"));
            return ApiResult.IncorrectInput;
        }

        var scheduling = ParseScheduling(call);
        if (scheduling is null)
        {
            return ApiResult.IncorrectInput;
        }

        var transactional = call.Text("is_transactional");
        if (transactional is not null && transactional is not ("True" or "False" or "true" or "false" or "1" or "0"))
        {
            // 003-R Create Order: any other value places a promotional call.
            call.Finding("KRS-030", "is_transactional is not True/False, true/false or 1/0; the order is promotional", "True/False, true/false or 1/0", transactional);
        }

        var isTransactional = transactional is "True" or "true" or "1";
        var throttlingNode = call.BodyObject["order_throttling"] ?? call.BodyObject["order-throttling"];
        var throttling = throttlingNode is JsonValue tv && (tv.TryGetValue<int>(out var t) || tv.TryGetValue<string>(out var ts) && int.TryParse(ts, NumberStyles.Integer, CultureInfo.InvariantCulture, out t)) ? t : 10;
        var timezone = call.Text("timezone")!;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out _))
        {
            return ApiResult.IncorrectInput;
        }

        var kNumber = call.Phone("k_number", call.Text("k_number"));
        List<string>? additional = [];
        if (call.Has("additional_number"))
        {
            additional = call.PhoneList("additional_number", call.Text("additional_number"));
        }

        if (kNumber is null || additional is null)
        {
            return ApiResult.IncorrectInput;
        }

        if (!campaign && call.Phone("Ivr_disp_num", call.Text("Ivr_disp_num")) is null)
        {
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            if (!call.Account.IsAccountNumber(kNumber))
            {
                return ApiResult.IncorrectInput;
            }

            var phonebookId = call.Text("phonebook");
            var phonebook = phonebookId is null ? null : call.Account.Phonebooks.OfType<JsonObject>().FirstOrDefault(p => p["id"]?.ToString() == phonebookId);
            if (phonebookId is not null && phonebook is null)
            {
                return ApiResult.IncorrectInput;
            }

            var soundId = call.Text("sound_id");
            if (soundId is not null)
            {
                var sound = call.Account.Sounds.OfType<JsonObject>().FirstOrDefault(s => s["id"]?.ToString() == soundId);
                if (sound is null)
                {
                    return ApiResult.IncorrectInput;
                }

                if (call.Account.SoundStatus(sound, call.Options.SoundReviewAfter) != "1")
                {
                    call.Finding("KRS-023", $"sound {soundId} is not approved (status \"{sound["status"]}\")", "a sound with status \"1\"", (string?)sound["status"]);
                    return ApiResult.Message(400, "The sound is not approved. Use an approved sound.");
                }
            }

            var orderId = call.Account.Campaigns.OfType<JsonObject>().Select(c => int.TryParse(c["order_id"]?.ToString(), CultureInfo.InvariantCulture, out var id) ? id : 0).DefaultIfEmpty(174).Max() + 1;
            var ivrId = soundId ?? call.Text("ivr_id")!;
            var total = additional.Count + (phonebook?["row_count"]?.GetValue<int>() ?? 0);
            call.Account.Campaigns.Add(new JsonObject
            {
                ["additional_number"] = string.Join(";", additional),
                ["call_scheduling"] = "[" + string.Join(", ", scheduling) + "]",
                ["call_scheduling_start_time"] = ClockTime(call.Text("call_scheduling_start_time") ?? "09:00"),
                ["call_scheduling_stop_time"] = ClockTime(call.Text("call_scheduling_stop_time") ?? "21:00"),
                ["caller_id"] = "",
                ["created_time"] = KnowlarityAccount.Rfc2822(call.Now),
                ["end_time"] = endTime is { } e ? KnowlarityAccount.Rfc2822(new DateTimeOffset(e, KnowlarityAccount.Ist)) : "",
                ["is_transactional"] = isTransactional ? "True" : "False",
                ["ivr"] = soundId is not null ? "sound_obd_ivr_" + soundId : "ivr_" + ivrId,
                ["ivr_id"] = ivrId,
                ["ndnc_count"] = additional.Count(n => call.Account.Behaviour(n) == NumberBehaviour.Dnd),
                ["optin_key"] = "",
                ["order_id"] = orderId.ToString(CultureInfo.InvariantCulture),
                ["order_status"] = "Pending",
                ["order_throttling"] = "0/" + throttling.ToString(CultureInfo.InvariantCulture),
                ["phonebook_id"] = phonebookId ?? "",
                ["priority"] = priority ?? 1,
                ["retry_duration"] = call.Integer("retry_duration", out _) ?? 15,
                ["start_time"] = KnowlarityAccount.Rfc2822(new DateTimeOffset(startTime, KnowlarityAccount.Ist)),
                ["max_retry"] = call.Integer("max_retry", out _) ?? 0,
                ["timezone"] = timezone,
                ["total_calls"] = total,
            });
            return ApiResult.Ok(new JsonObject { ["order_id"] = orderId, ["result"] = "placed order successfully", ["status_code"] = 1 });
        }
    }

    /// <summary>KRS-019: seven 0/1 values, Monday first, as a JSON array or the documented string "[1, 1, 1, 1, 1, 0, 0]".</summary>
    private static List<int>? ParseScheduling(RestCall call)
    {
        var node = call.BodyObject?["call_scheduling"];
        if (node is null)
        {
            return [1, 1, 1, 1, 1, 1, 1];
        }

        JsonArray? array = node as JsonArray;
        if (array is null && node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            try
            {
                array = JsonNode.Parse(s) as JsonArray;
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }

        var values = array?.Select(x => x is JsonValue xv && xv.TryGetValue<int>(out var i) ? i : -1).ToList();
        if (values is null || values.Count != 7 || values.Any(x => x is not (0 or 1)))
        {
            call.Finding("KRS-019", "call_scheduling is not seven 0/1 values", "[1, 1, 1, 1, 1, 0, 0] (Monday first)", node.ToJsonString());
            return null;
        }

        return values;
    }

    private static string ClockTime(string value) =>
        TimeOnly.TryParseExact(value, ["H:mm", "HH:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)
            ? t.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " +0530"
            : value;

    public static ApiResult AddCallToOrder(RestCall call)
    {
        var result = AddNumbers(call, "phone_numbers", out var added, out _);
        return result ?? ApiResult.Ok(new JsonObject { ["result"] = "call added successfully", ["status_code"] = 1 });
    }

    public static ApiResult CampaignAddNumbers(RestCall call)
    {
        // 003-R Campaign Add Number: the examples send phone_numbers, the body sample additional_number (§6.13).
        var field = call.Has("phone_numbers") ? "phone_numbers" : "additional_number";
        var result = AddNumbers(call, field, out var added, out var dnd);
        return result ?? ApiResult.Ok(new JsonObject
        {
            ["dnd_count"] = dnd.ToString(CultureInfo.InvariantCulture),
            ["message"] = "call added successfully",
            ["sivr_call_ids"] = new JsonArray(added.Select(_ => (JsonNode?)Guid.NewGuid().ToString()).ToArray()),
        });
    }

    private static ApiResult? AddNumbers(RestCall call, string field, out List<string> added, out int dnd)
    {
        added = [];
        dnd = 0;
        if (!call.Has("order_id") || !call.Has(field))
        {
            return ApiResult.IncorrectInput;
        }

        var numbers = call.PhoneList(field, call.Text(field));
        if (numbers is null || numbers.Count == 0)
        {
            return ApiResult.IncorrectInput;
        }

        var orderId = call.Text("order_id");
        lock (call.Account.Gate)
        {
            var order = call.Account.Campaigns.OfType<JsonObject>().FirstOrDefault(c => c["order_id"]?.ToString() == orderId);
            if (order is null)
            {
                return ApiResult.IncorrectInput;
            }

            var status = order["order_status"]?.GetValue<string>();
            if (status is not ("Pending" or "In Progress"))
            {
                call.Finding("KRS-021", $"numbers added to order {orderId}, which is {status}", "an order that is Pending or In Progress", status);
                return ApiResult.Message(400, $"Numbers can be added only to a pending or in-progress campaign; order {orderId} is {status}.");
            }

            dnd = numbers.Count(n => call.Account.Behaviour(n) == NumberBehaviour.Dnd);
            added = numbers.Where(n => call.Account.Behaviour(n) != NumberBehaviour.Dnd).ToList();
            var existing = order["additional_number"]?.GetValue<string>() ?? "";
            order["additional_number"] = string.Join(";", existing.Split(';', StringSplitOptions.RemoveEmptyEntries).Concat(added));
            order["total_calls"] = (order["total_calls"]?.GetValue<int>() ?? 0) + added.Count;
            order["ndnc_count"] = (order["ndnc_count"]?.GetValue<int>() ?? 0) + dnd;
        }

        return null;
    }

    public static ApiResult ListCampaigns(RestCall call)
    {
        lock (call.Account.Gate)
        {
            IEnumerable<JsonObject> items = call.Account.Campaigns.OfType<JsonObject>();
            foreach (var (name, value) in call.Query)
            {
                items = name switch
                {
                    "order_id" => items.Where(c => c["order_id"]?.ToString() == value),
                    "is_transactional" => items.Where(c => string.Equals(c["is_transactional"]?.ToString(), value, StringComparison.OrdinalIgnoreCase)),
                    "ivr_id" => items.Where(c => c["ivr_id"]?.ToString() == value),
                    "phonebook_id" => items.Where(c => c["phonebook_id"]?.ToString() == value),
                    _ when TimeFilter(name, value) is { } filter => items.Where(filter),
                    _ => items,
                };
            }

            return Envelope(call, items, defaultLimit: 1000);
        }
    }

    /// <summary>Django-style <c>created_time__gte</c>, <c>start_time__lt</c>, ... filters of 003-R Get Campaign API.</summary>
    private static Func<JsonObject, bool>? TimeFilter(string name, string value)
    {
        var split = name.LastIndexOf("__", StringComparison.Ordinal);
        if (split < 0 || name[..split] is not ("created_time" or "start_time" or "end_time") || KnowlarityAccount.ParseTime(value) is not { } bound)
        {
            return null;
        }

        var field = name[..split];
        var op = name[(split + 2)..];
        return c => KnowlarityAccount.ParseTime(c[field]?.GetValue<string>()) is { } t && op switch
        {
            "gt" => t > bound,
            "gte" => t >= bound,
            "lt" => t < bound,
            "lte" => t <= bound,
            _ => true,
        };
    }

    public static ApiResult ControlCampaign(RestCall call)
    {
        if (!call.RouteValues.TryGetValue("order_id", out var orderId))
        {
            call.Finding("KRS-020", "campaign PUT without the order id in the path", "PUT /call/campaign/{order_id}", call.Path);
            return ApiResult.IncorrectInput;
        }

        var status = call.Text("status");
        if (status is not ("pause" or "resume" or "stop"))
        {
            call.Finding("KRS-020", "campaign status is not pause, resume or stop", "pause | resume | stop", status);
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            var order = call.Account.Campaigns.OfType<JsonObject>().FirstOrDefault(c => c["order_id"]?.ToString() == orderId);
            if (order is null)
            {
                return ApiResult.IncorrectInput;
            }

            var current = order["order_status"]?.GetValue<string>();
            var (allowed, next, done) = status switch
            {
                "pause" => (current is "Pending" or "In Progress", "Paused", "paused"),
                "resume" => (current is "Paused", "In Progress", "resumed"),
                _ => (current is "Pending" or "In Progress" or "Paused", "Stopped", "stopped"),
            };
            if (!allowed)
            {
                return ApiResult.Message(400, $"Campaign is {current}; it can not be {done}.");
            }

            order["order_status"] = next;
            return ApiResult.Ok(new JsonObject { ["message"] = $"Campaign {done} successfully!" });
        }
    }

    // ---- phonebooks, sounds ---------------------------------------------------------------------------------

    public static ApiResult ListPhonebooks(RestCall call)
    {
        lock (call.Account.Gate)
        {
            return Envelope(call, call.Account.Phonebooks.OfType<JsonObject>(), defaultLimit: 1000);
        }
    }

    public static ApiResult PostPhonebook(RestCall call)
    {
        var name = call.Text("phonebookname");
        var numbers = call.PhoneList("numbers", call.Text("numbers"));
        if (string.IsNullOrWhiteSpace(name) || numbers is null || numbers.Count == 0)
        {
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            var id = call.Account.Phonebooks.OfType<JsonObject>().Select(p => p["id"]?.GetValue<int>() ?? 0).DefaultIfEmpty(0).Max() + 1;
            call.Account.Phonebooks.Add(new JsonObject
            {
                ["description"] = call.Text("description") ?? "",
                ["duplicates_count"] = numbers.Count - numbers.Distinct().Count(),
                ["id"] = id,
                ["invalid_count"] = 0,
                ["ndnc_count"] = numbers.Count(n => call.Account.Behaviour(n) == NumberBehaviour.Dnd),
                ["phonebookfile"] = "",
                ["phonebookname"] = name,
                ["row_count"] = numbers.Distinct().Count(),
                ["timestamp"] = KnowlarityAccount.Rfc2822(call.Now),
                ["_numbers"] = new JsonArray(numbers.Distinct().Select(n => (JsonNode?)n).ToArray()),
            });
            return ApiResult.Ok(new JsonObject { ["msg"] = new JsonArray("Successfully added phonebook"), ["id"] = id });
        }
    }

    public static ApiResult ListSounds(RestCall call)
    {
        lock (call.Account.Gate)
        {
            foreach (var sound in call.Account.Sounds.OfType<JsonObject>())
            {
                call.Account.SoundStatus(sound, call.Options.SoundReviewAfter);
            }

            return Envelope(call, call.Account.Sounds.OfType<JsonObject>(), defaultLimit: 1000);
        }
    }

    public static ApiResult PostSound(RestCall call)
    {
        var name = call.Text("soundname");
        var file = call.Text("soundfile");
        if (string.IsNullOrWhiteSpace(name) || file is null)
        {
            return ApiResult.IncorrectInput;
        }

        // 003-R Post Sound API: soundfile is a public mp3 or wav URL.
        if (!Uri.TryCreate(file, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")
            || !(uri.AbsolutePath.EndsWith(".mp3", StringComparison.OrdinalIgnoreCase) || uri.AbsolutePath.EndsWith(".wav", StringComparison.OrdinalIgnoreCase)))
        {
            call.Finding("KRS-023", "soundfile is not a public mp3 or wav URL", "https://…/name.mp3 or .wav", file);
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            var id = Math.Max(157776, call.Account.Sounds.OfType<JsonObject>().Select(s => int.TryParse(s["id"]?.ToString(), CultureInfo.InvariantCulture, out var i) ? i : 0).DefaultIfEmpty(0).Max()) + 1;
            var idText = id.ToString(CultureInfo.InvariantCulture);
            call.Account.Sounds.Add(new JsonObject
            {
                ["comment"] = "",
                ["date"] = KnowlarityAccount.Rfc2822(call.Now),
                ["description"] = call.Text("description") ?? "",
                ["id"] = idText,
                ["language"] = (call.Text("language") ?? "english").ToLowerInvariant(),
                ["soundfile"] = file,
                ["soundname"] = name,
                ["status"] = "0",
            });
            call.Account.SoundUploads[idText] = call.Now;
            return ApiResult.Ok(new JsonObject { ["msg"] = new JsonArray("Successfully added sound"), ["status"] = "0", ["id"] = id });
        }
    }

    // ---- agents, tasks --------------------------------------------------------------------------------------

    public static ApiResult ListAgents(RestCall call)
    {
        lock (call.Account.Gate)
        {
            // 003-R Get Agents List: a bare array (KRS-028).
            return ApiResult.Ok(w => WriteVisible(w, call.Account.Agents.OfType<JsonObject>()));
        }
    }

    public static ApiResult GetAgent(RestCall call)
    {
        var id = call.RouteValues["id"];
        lock (call.Account.Gate)
        {
            var agent = call.Account.Agents.OfType<JsonObject>().FirstOrDefault(a => a["id"]?.ToString() == id);
            return agent is null ? ApiResult.Message(404, $"Agent {id} not found.") : ApiResult.Ok(w => WriteVisible(w, agent));
        }
    }

    public static ApiResult ListTasks(RestCall call)
    {
        lock (call.Account.Gate)
        {
            // 003-R Get Task List: offset and total_count are strings.
            return Envelope(call, call.Account.Tasks.OfType<JsonObject>(), defaultLimit: 1000, numbersAsStrings: true);
        }
    }

    public static ApiResult GetTask(RestCall call)
    {
        var id = call.RouteValues["id"];
        lock (call.Account.Gate)
        {
            var task = call.Account.Tasks.OfType<JsonObject>().FirstOrDefault(t => t["id"]?.ToString() == id);
            return task is null ? ApiResult.Message(404, $"Task {id} not found.") : ApiResult.Ok(w => WriteVisible(w, task));
        }
    }

    // ---- calls ----------------------------------------------------------------------------------------------

    public static ApiResult MakeCall(RestCall call)
    {
        var status = call.Options.MakecallErrorStatus;
        var missing = MakecallFields.Where(f => !call.Has(f)).ToList();
        if (missing.Count > 0)
        {
            call.Finding("KRS-008", "makecall without " + string.Join(", ", missing), "k_number, agent_number, customer_number", call.BodyObject is null ? "no body" : string.Join(", ", call.BodyObject.Select(p => p.Key)));
            return ApiResult.ErrorMessage(status, "Please provide " + string.Join(", ", missing) + ".");
        }

        var kNumber = call.Phone("k_number", call.Text("k_number"));
        var agent = call.Phone("agent_number", call.Text("agent_number"));
        var customer = call.Phone("customer_number", call.Text("customer_number"));
        if (kNumber is null || agent is null || customer is null)
        {
            return ApiResult.ErrorMessage(status, "Please provide valid phone numbers.");
        }

        if (call.Has("caller_id"))
        {
            call.Phone("caller_id", call.Text("caller_id"));
        }

        var whatsapp = WhatsappChannel(call, "makecall", call.Text("channel"), call.BodyObject!["call_permission_request"], out var permissionRequest);
        lock (call.Account.Gate)
        {
            if (!call.Account.IsAccountNumber(kNumber))
            {
                return ApiResult.ErrorMessage(status, "Invalid API Key for this SR number");
            }

            if (call.Account.Fixture.AllowedAgentsOnly && !call.Account.IsAgentNumber(agent))
            {
                return ApiResult.ErrorMessage(status, "Agent Number not register with SR account");
            }

            if (!call.Account.NotificationsEnabled(kNumber))
            {
                // 003-R Make Outbound Call, Note: register the SR number for notifications first.
                call.Finding("KRS-009", $"makecall for {kNumber}, which is not registered and enabled for notifications", "POST /notifications (and PUT enable) before makecall", call.Account.Registration(kNumber) is null ? "not registered" : "registered, disabled");
                if (call.Options.RequireNotificationRegistration)
                {
                    return ApiResult.ErrorMessage(status, "SR number is not registered for notifications");
                }
            }

            if (call.Account.Behaviour(customer) == NumberBehaviour.Dnd)
            {
                return ApiResult.ErrorMessage(status, $"Call Failed! Number {PhoneNumbers.National(customer)} in Do Not Call registry.");
            }

            if (whatsapp && Permission(call, customer, permissionRequest) is { } refused)
            {
                return refused with { Status = status };
            }
        }

        var started = call.Calls.Start(CallKind.ClickToCall, kNumber, agent, customer, whatsapp);
        var success = new JsonObject { ["status"] = "success", ["message"] = "Call successfully placed" };
        if (call.Options.IncludeCallId)
        {
            success["call_id"] = started.Uuid;
        }

        return ApiResult.Ok(new JsonObject { ["success"] = success });
    }

    public static ApiResult OtpCall(RestCall call)
    {
        var missing = OtpFields.Where(f => string.IsNullOrEmpty(call.QueryValue(f))).ToList();
        if (missing.Count > 0)
        {
            call.Finding("KRS-017", "otpcall without " + string.Join(", ", missing), "ivr_id, k_number, customer_number in the query", call.RawQuery);
            return ApiResult.ErrorMessage(400, "Please provide " + string.Join(", ", missing) + ".");
        }

        var kNumber = QueryPhone(call, "k_number", call.QueryValue("k_number")!);
        var customer = QueryPhone(call, "customer_number", call.QueryValue("customer_number")!);
        if (kNumber is null || customer is null)
        {
            // A raw '+' (read as a space) is KRS-007, recorded by the pipeline; anything else is no number at all.
            if (!call.QueryValue("k_number")!.StartsWith(' ') && !call.QueryValue("customer_number")!.StartsWith(' '))
            {
                call.Finding("KRS-017", "otpcall numbers are not E.164", "E.164, URL-encoded (%2B91…)", call.RawQuery);
            }

            return ApiResult.ErrorMessage(400, "Please provide valid phone numbers.");
        }

        var permissionNode = call.QueryValue("call_permission_request") is { } p ? JsonValue.Create(p) : null;
        var whatsapp = WhatsappChannel(call, "otpcall", call.QueryValue("channel"), permissionNode, out var permissionRequest);
        lock (call.Account.Gate)
        {
            if (!call.Account.IsAccountNumber(kNumber))
            {
                return ApiResult.ErrorMessage(400, "Invalid API Key for this SR number");
            }

            if (call.Account.Behaviour(customer) == NumberBehaviour.Dnd)
            {
                return ApiResult.ErrorMessage(400, $"Call Failed! Number {PhoneNumbers.National(customer)} in Do Not Call registry.");
            }

            if (whatsapp && Permission(call, customer, permissionRequest) is { } refused)
            {
                return refused;
            }
        }

        var started = call.Calls.Start(CallKind.Otp, kNumber, null, customer, whatsapp);
        return ApiResult.Ok(new JsonObject
        {
            ["success"] = new JsonObject { ["call_id"] = started.Uuid, ["message"] = "OTP call initiated successfully", ["status"] = "initiated" },
        });
    }

    /// <summary>KRS-010: WhatsApp needs <c>channel</c> "Whatsapp" and <c>call_permission_request</c> "true"/"false" as strings.</summary>
    private static bool WhatsappChannel(RestCall call, string endpoint, string? channel, JsonNode? permission, out bool permissionRequest)
    {
        permissionRequest = false;
        if (channel is null || string.Equals(channel, "PSTN", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (!string.Equals(channel, "Whatsapp", StringComparison.OrdinalIgnoreCase))
        {
            call.Finding("KRS-010", $"{endpoint} channel \"{channel}\" is neither Whatsapp nor PSTN", "\"Whatsapp\"", channel);
            return false;
        }

        if (channel != "Whatsapp")
        {
            call.Finding("KRS-010", $"{endpoint} channel is spelled \"{channel}\"", "\"Whatsapp\"", channel);
        }

        switch (permission)
        {
            case JsonValue v when v.TryGetValue<string>(out var s) && s is "true" or "false":
                permissionRequest = s == "true";
                break;
            case null:
                call.Finding("KRS-010", $"WhatsApp {endpoint} without call_permission_request", "\"true\" or \"false\"", "absent");
                break;
            default:
                call.Finding("KRS-010", $"WhatsApp {endpoint} call_permission_request is not the string \"true\" or \"false\"", "\"true\" or \"false\"", permission.ToJsonString());
                permissionRequest = permission is JsonValue b && b.TryGetValue<bool>(out var flag) && flag;
                break;
        }

        return true;
    }

    /// <summary>
    /// The WhatsApp permission flow (003-R makecall/otpcall errors): a customer without permission gets a permission
    /// request and the call is refused; a retry before the customer has answered is KRS-012.
    /// </summary>
    private static ApiResult? Permission(RestCall call, string customer, bool permissionRequest)
    {
        var behaviour = call.Account.Behaviour(customer);
        if (behaviour is not (NumberBehaviour.WhatsappPermissionRequired or NumberBehaviour.WhatsappPermissionRefused))
        {
            return null;
        }

        const string Sent = "Sent call permission request to customer. Please try calling after sometime";
        if (!call.Account.Permissions.TryGetValue(customer, out var state))
        {
            if (!permissionRequest)
            {
                return ApiResult.ErrorMessage(400, "Not allowed to send call permission request.");
            }

            call.Account.Permissions[customer] = new PermissionState { RequestedAt = call.Now, Refused = behaviour == NumberBehaviour.WhatsappPermissionRefused };
            return ApiResult.ErrorMessage(400, Sent);
        }

        var waited = call.Now - state.RequestedAt;
        if (!state.Refused && waited >= call.Options.PermissionGrantAfter)
        {
            return null;
        }

        if (waited < call.Options.PermissionGrantAfter)
        {
            call.Finding("KRS-012", $"called {customer} again {waited.TotalSeconds:0.0} s after being told a permission request was sent", $"no retry before the customer grants permission (here {call.Options.PermissionGrantAfter.TotalSeconds:0.#} s)", $"{waited.TotalSeconds:0.0} s");
        }

        return state.Refused && waited >= call.Options.PermissionGrantAfter
            ? ApiResult.ErrorMessage(400, "Not allowed to send call permission request.")
            : ApiResult.ErrorMessage(400, Sent);
    }

    // ---- notifications --------------------------------------------------------------------------------------

    public static ApiResult RegisterNotifications(RestCall call)
    {
        var node = call.BodyObject?["knowlarity_number"];
        if (node is not JsonArray numbers)
        {
            call.Finding("KRS-029", "register: knowlarity_number is not an array", "[\"+91…\"]", node?.ToJsonString() ?? "absent");
            return RegisterError(node is JsonValue v && v.TryGetValue<string>(out var single) ? single : "+91XXXXXXXXXX");
        }

        var list = new List<string>();
        foreach (var item in numbers)
        {
            var text = item is JsonValue iv && iv.TryGetValue<string>(out var s) ? s : item?.ToJsonString() ?? "null";
            var number = call.Phone("knowlarity_number", text);
            if (number is null)
            {
                return RegisterError(text);
            }

            list.Add(number);
        }

        lock (call.Account.Gate)
        {
            if (list.Count == 0 || list.FirstOrDefault(n => !call.Account.IsAccountNumber(n)) is { } unknown)
            {
                return RegisterError(list.Count == 0 ? "" : list.First(n => !call.Account.IsAccountNumber(n)));
            }

            foreach (var number in list)
            {
                var registration = call.Account.Registration(number);
                if (registration is null)
                {
                    var id = call.Account.Registrations.Count + 1;
                    call.Account.Registrations.Add(new JsonObject
                    {
                        ["app_api_key"] = "",
                        ["app_data"] = "{}",
                        ["app_type"] = new JsonObject { ["id"] = 7, ["name"] = "KONNECT", ["resource_uri"] = "/api/v1/applications/7" },
                        ["app_url"] = "",
                        ["date_updated"] = call.Now.ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
                        ["enable"] = true,
                        ["expired"] = false,
                        ["id"] = id,
                        ["k_api_key"] = call.Options.Credentials.SrApiKey,
                        ["k_number"] = number,
                        ["k_number_cc"] = "IN",
                        ["konnect_api_client"] = null,
                        ["product"] = "SR",
                        ["resource_uri"] = "/api/v1/integrations/" + id.ToString(CultureInfo.InvariantCulture),
                        ["user"] = new JsonObject { ["id"] = 1, ["resource_uri"] = "/api/v1/users/1", ["username"] = "SR" },
                    });
                }
                else
                {
                    registration["enable"] = true;
                }
            }
        }

        return ApiResult.Ok(new JsonObject { ["message"] = "Successfully registered." });
    }

    public static ApiResult RegisterError(string number) => new(400, new JsonObject
    {
        ["error"] = new JsonObject { ["knowlarity_number"] = $"The knowlarity number({number}) or API key is invalid." },
    });

    public static ApiResult EnableNotifications(RestCall call)
    {
        var node = call.BodyObject?["knowlarity_number"];
        string? number;
        if (node is JsonArray array)
        {
            call.Finding("KRS-029", "enable/disable: knowlarity_number is an array", "a string \"+91…\"", node.ToJsonString());
            number = array.Count == 1 && array[0] is JsonValue only && only.TryGetValue<string>(out var s) ? s : null;
        }
        else
        {
            number = node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        }

        var enable = call.Text("enable");
        if (enable is not ("enable" or "disable"))
        {
            call.Finding("KRS-029", "enable is not \"enable\" or \"disable\"", "\"enable\" | \"disable\"", enable ?? "absent");
            return ApiResult.IncorrectInput;
        }

        number = number is null ? null : call.Phone("knowlarity_number", number);
        lock (call.Account.Gate)
        {
            var registration = number is null ? null : call.Account.Registration(number);
            if (registration is null)
            {
                return ApiResult.Message(401, "Client name, authorization or knowlarity number is wrong.");
            }

            registration["enable"] = enable == "enable";
            registration["date_updated"] = call.Now.ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        }

        return ApiResult.Ok(new JsonObject { ["message"] = enable == "enable" ? "Successfully enabled." : "Successfully disabled." });
    }

    public static ApiResult ListRegistrations(RestCall call)
    {
        var number = call.QueryValue("knowlarity_number") is { } n ? QueryPhone(call, "knowlarity_number", n) : null;
        var enabled = call.QueryValue("enabled");
        if (enabled is not null && !bool.TryParse(enabled, out _))
        {
            return ApiResult.IncorrectInput;
        }

        lock (call.Account.Gate)
        {
            var items = call.Account.Registrations.OfType<JsonObject>()
                .Where(r => number is null || r["k_number"]?.GetValue<string>() == number)
                .Where(r => enabled is null || r["enable"]?.GetValue<bool>() == bool.Parse(enabled));

            // 003-R List Registrations: limit 20 and null links.
            return Envelope(call, items, defaultLimit: 20, nullLinks: true);
        }
    }

    // ---- call logs ------------------------------------------------------------------------------------------

    public static ApiResult DetailedCallLog(RestCall call)
    {
        var uuid = call.QueryValue("uuid");
        if (string.IsNullOrEmpty(uuid))
        {
            return ApiResult.Message(400, "Provide some input. For more information contact support.");
        }

        lock (call.Account.Gate)
        {
            return call.Account.DetailedLogs.TryGetValue(uuid, out var log)
                ? ApiResult.Ok(log.DeepClone())
                : ApiResult.Message(404, $"No call log found for uuid {uuid}.");
        }
    }

    /// <summary>003-R Get Call Log Records for New UI: POST with a JSON body, range ≤ 3 months, limit ≤ 200 (default 20), cursor paging.</summary>
    public static ApiResult SrCallLog(RestCall call)
    {
        var body = call.BodyObject ?? [];
        var limit = call.Integer("limit", out var limitValid) ?? 20;
        var offset = call.Integer("offset", out var offsetValid) ?? 0;
        if (!limitValid || !offsetValid || limit < 1 || offset < 0)
        {
            return ApiResult.IncorrectInput;
        }

        if (limit > 200)
        {
            call.Finding("KRS-026", $"limit {limit} is above 200", "limit ≤ 200", limit.ToString(CultureInfo.InvariantCulture));
            return ApiResult.Message(400, "Maximum limit that can be passed is 200.");
        }

        var gtText = call.Text("start_time__gt");
        var ltText = call.Text("start_time__lt");
        var gt = KnowlarityAccount.ParseTime(gtText);
        var lt = KnowlarityAccount.ParseTime(ltText);
        if (gtText is not null && gt is null || ltText is not null && lt is null)
        {
            return ApiResult.IncorrectInput;
        }

        lt ??= gt?.AddMonths(3) ?? call.Now;
        gt ??= lt.Value.AddMonths(-3);
        if (gt.Value.AddMonths(3) < lt.Value)
        {
            call.Finding("KRS-026", "start_time range is longer than 3 months", "start_time__lt − start_time__gt ≤ 3 months", $"{gtText} – {ltText}");
            return ApiResult.Message(400, "Date range is limited to 3 months only.");
        }

        if (gt.Value > lt.Value)
        {
            return ApiResult.IncorrectInput;
        }

        var filterKey = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(new JsonObject(body.Where(p => p.Key is not ("next" or "offset" or "limit")).Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone()))).ToJsonString()))).ToLowerInvariant();
        lock (call.Account.Gate)
        {
            var matching = call.Account.CallLog
                .Where(r => KnowlarityAccount.StartTime(r) is var t && t > gt.Value && t < lt.Value)
                .Where(r => CallLogFilter(call, r))
                .OrderByDescending(KnowlarityAccount.StartTime)
                .ToList();
            var startIndex = offset;
            if (call.Text("next") is { Length: > 0 } cursor)
            {
                var parts = cursor.Split("##");
                var position = parts.Length == 3 ? matching.FindIndex(r => Cursor(r, filterKey) == cursor) : -1;
                if (parts.Length != 3 || !parts[2].EndsWith("__" + filterKey, StringComparison.Ordinal) || position < 0)
                {
                    return ApiResult.Message(400, "The cursor in next does not belong to this query.");
                }

                startIndex = position + 1;
            }

            var page = matching.Skip(startIndex).Take(limit).ToList();
            var more = startIndex + page.Count < matching.Count;
            return ApiResult.Ok(new JsonObject
            {
                ["meta"] = new JsonObject
                {
                    ["total_count"] = body["get_total"] is JsonValue g && (g.TryGetValue<bool>(out var total) && total || g.TryGetValue<string>(out var ts) && ts is "true" or "True") ? matching.Count : null,
                    ["next"] = more && page.Count > 0 ? Cursor(page[^1], filterKey) : "",
                    ["limit"] = limit,
                    ["previous"] = "",
                },
                ["objects"] = new JsonArray(page.Select(r => (JsonNode?)r.DeepClone()).ToArray()),
            });
        }
    }

    /// <summary>The sample's cursor shape: <c>forward##&lt;24 hex&gt;##&lt;start time&gt;__&lt;64 hex&gt;</c>; the hash ties it to the query.</summary>
    private static string Cursor(JsonObject record, string filterKey) =>
        "forward##" + record["uuid"]!.GetValue<string>().Replace("-", "", StringComparison.Ordinal)[..24] + "##"
        + KnowlarityAccount.StartTime(record).ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "__" + filterKey;

    private static bool CallLogFilter(RestCall call, JsonObject record)
    {
        static IEnumerable<string> Values(JsonNode? node) => node switch
        {
            JsonArray a => a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : x?.ToJsonString() ?? ""),
            JsonValue v when v.TryGetValue<string>(out var s) => s.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(x => x.Trim('"', '\'')),
            null => [],
            _ => [node.ToJsonString()],
        };

        var body = call.BodyObject;
        if (body is null)
        {
            return true;
        }

        foreach (var (name, value) in body)
        {
            var ok = name switch
            {
                "agent_number" => Values(value).Contains(record["agent_number"]?.GetValue<string>()),
                "customer__contains" => Values(value).Any(v => record["customer_number"]?.GetValue<string>().Contains(v, StringComparison.Ordinal) == true),
                "call_status" => Values(value).Contains(record["call_status"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase),
                "agent_status" => Values(value).Contains(record["agent_status"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase),
                "customer_status" => Values(value).Contains(record["customer_status"]?.GetValue<string>(), StringComparer.OrdinalIgnoreCase),
                "solution_type" => Values(value).Any(v => v == "all" || v == record["solution_type"]?.GetValue<string>()),
                "campaign_id" => Values(value).Contains(record["campaign_id"]?.ToString()),
                "duration__gt" => record["call_duration"]?.GetValue<int>() > (int.TryParse(value?.ToString(), CultureInfo.InvariantCulture, out var d1) ? d1 : int.MaxValue),
                "duration__lt" => record["call_duration"]?.GetValue<int>() < (int.TryParse(value?.ToString(), CultureInfo.InvariantCulture, out var d2) ? d2 : int.MinValue),
                _ => true,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    // ---- shared ---------------------------------------------------------------------------------------------

    /// <summary>
    /// The Tastypie envelope (knowlarity.md §2.3): <c>meta</c> with limit, next, offset, previous, total_count and
    /// <c>objects</c>; <c>next</c>/<c>previous</c> are <c>""</c> (or null) at the ends and the next page's path otherwise.
    /// </summary>
    private static ApiResult Envelope(RestCall call, IEnumerable<JsonObject> source, int defaultLimit, bool numbersAsStrings = false, bool nullLinks = false)
    {
        var items = source.ToList();
        var limit = call.Options.PageSize ?? defaultLimit;
        var offset = 0;
        if (call.QueryValue("limit") is { } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit)))
        {
            return ApiResult.Message(400, $"Invalid limit '{l}' provided. Please provide a positive integer.");
        }

        if (call.QueryValue("offset") is { } o && (!int.TryParse(o, NumberStyles.None, CultureInfo.InvariantCulture, out offset)))
        {
            return ApiResult.Message(400, $"Invalid offset '{o}' provided. Please provide a positive integer.");
        }

        // Tastypie: limit=0 means everything.
        var take = limit == 0 ? items.Count : limit;
        var page = items.Skip(offset).Take(take).ToList();
        string Link(int at) => $"/{call.Channel}/v1/account{call.Path}?limit={limit}&offset={at}";
        JsonNode? next = offset + take < items.Count ? Link(offset + take) : nullLinks ? null : "";
        JsonNode? previous = offset > 0 && take > 0 ? Link(Math.Max(0, offset - take)) : nullLinks ? null : "";
        var meta = new JsonObject
        {
            ["limit"] = limit,
            ["next"] = next,
            ["offset"] = numbersAsStrings ? offset.ToString(CultureInfo.InvariantCulture) : offset,
            ["previous"] = previous,
            ["total_count"] = numbersAsStrings ? items.Count.ToString(CultureInfo.InvariantCulture) : items.Count,
        };
        return ApiResult.Ok(w =>
        {
            w.WriteStartObject();
            w.WritePropertyName("meta");
            meta.WriteTo(w, KnowlarityApi.Wire);
            w.WritePropertyName("objects");
            WriteVisible(w, page);
            w.WriteEndObject();
        });
    }

    /// <summary>Writes the items as a JSON array, each without the fake's own <c>_</c> members.</summary>
    private static void WriteVisible(Utf8JsonWriter writer, IEnumerable<JsonObject> items)
    {
        writer.WriteStartArray();
        foreach (var item in items)
        {
            WriteVisible(writer, item);
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// Writes the item as JSON without the fake's own <c>_</c> members, from the account's nodes themselves (the
    /// caller holds the account's lock, so the answer is one consistent view, as a copy would be).
    /// </summary>
    private static void WriteVisible(Utf8JsonWriter writer, JsonObject item)
    {
        writer.WriteStartObject();
        foreach (var (key, value) in item)
        {
            if (key.StartsWith('_'))
            {
                continue;
            }

            writer.WritePropertyName(key);
            if (value is null)
            {
                writer.WriteNullValue();
            }
            else
            {
                value.WriteTo(writer, KnowlarityApi.Wire);
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>A phone number in the query (E.164, URL-encoded: KRS-006, KRS-007).</summary>
    private static string? QueryPhone(RestCall call, string name, string value)
    {
        if (value.StartsWith(' '))
        {
            // An unencoded '+' (KRS-007, recorded by the pipeline): the server reads a space, as a real one would.
            return null;
        }

        return call.Phone(name, value);
    }

    private static string Utc(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss+00:00", CultureInfo.InvariantCulture);
}
