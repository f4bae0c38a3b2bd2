using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
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
}
