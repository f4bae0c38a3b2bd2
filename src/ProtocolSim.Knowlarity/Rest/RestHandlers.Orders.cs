using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
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

        return Store(call, new OrderForm(kNumber, additional, startTime, endTime, priority ?? 1, scheduling, isTransactional, throttling, timezone));
    }

    /// <summary>The fields of a valid order, as <see cref="PlaceOrder"/> read them.</summary>
    private sealed record OrderForm(string KNumber, List<string> Additional, DateTime Start, DateTime? End, int Priority, List<int> Scheduling, bool IsTransactional, int Throttling, string Timezone);

    /// <summary>Places a valid order on the account, once the phonebook and sound it names are found (and approved).</summary>
    private static ApiResult Store(RestCall call, OrderForm form)
    {
        lock (call.Account.Gate)
        {
            if (!call.Account.IsAccountNumber(form.KNumber))
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
            var total = form.Additional.Count + (phonebook?["row_count"]?.GetValue<int>() ?? 0);
            call.Account.Campaigns.Add(new JsonObject
            {
                ["additional_number"] = string.Join(";", form.Additional),
                ["call_scheduling"] = "[" + string.Join(", ", form.Scheduling) + "]",
                ["call_scheduling_start_time"] = ClockTime(call.Text("call_scheduling_start_time") ?? "09:00"),
                ["call_scheduling_stop_time"] = ClockTime(call.Text("call_scheduling_stop_time") ?? "21:00"),
                ["caller_id"] = "",
                ["created_time"] = KnowlarityAccount.Rfc2822(call.Now),
                ["end_time"] = form.End is { } e ? KnowlarityAccount.Rfc2822(new DateTimeOffset(e, KnowlarityAccount.Ist)) : "",
                ["is_transactional"] = form.IsTransactional ? "True" : "False",
                ["ivr"] = soundId is not null ? "sound_obd_ivr_" + soundId : "ivr_" + ivrId,
                ["ivr_id"] = ivrId,
                ["ndnc_count"] = form.Additional.Count(n => call.Account.Behaviour(n) == NumberBehaviour.Dnd),
                ["optin_key"] = "",
                ["order_id"] = orderId.ToString(CultureInfo.InvariantCulture),
                ["order_status"] = "Pending",
                ["order_throttling"] = "0/" + form.Throttling.ToString(CultureInfo.InvariantCulture),
                ["phonebook_id"] = phonebookId ?? "",
                ["priority"] = form.Priority,
                ["retry_duration"] = call.Integer("retry_duration", out _) ?? 15,
                ["start_time"] = KnowlarityAccount.Rfc2822(new DateTimeOffset(form.Start, KnowlarityAccount.Ist)),
                ["max_retry"] = call.Integer("max_retry", out _) ?? 0,
                ["timezone"] = form.Timezone,
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
}
