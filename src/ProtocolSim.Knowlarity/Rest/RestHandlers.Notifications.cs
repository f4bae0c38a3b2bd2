using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
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
}
