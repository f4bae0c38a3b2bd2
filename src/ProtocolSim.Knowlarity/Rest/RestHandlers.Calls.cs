using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
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
}
