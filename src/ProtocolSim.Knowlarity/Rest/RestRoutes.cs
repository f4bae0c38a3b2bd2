using System.Collections.ObjectModel;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>What the OpenAPI document says about a route (kept next to the route so the two cannot drift).</summary>
internal sealed record RouteDoc
{
    public required string Title { get; init; }

    public IReadOnlyList<string> Query { get; init; } = [];

    public JsonNode? RequestExample { get; init; }

    public required JsonNode SuccessExample { get; init; }

    public IReadOnlyList<(int Status, JsonNode Body)> Errors { get; init; } = [];
}

/// <summary>One endpoint of 003-R: method, path template under <c>/{channel}/v1/account</c>, handler and its documentation.</summary>
internal sealed record RestRoute(string Method, string Template, AuthFamily Auth, Func<RestCall, ApiResult> Handle, RouteDoc Doc)
{
    private readonly string[] _segments = Template.Trim('/').Split('/');

    private readonly bool _hasValues = Template.Contains('{', StringComparison.Ordinal);

    /// <summary>Matches a path (without trailing slash); route values are the <c>{name}</c> segments.</summary>
    public bool TryMatch(string[] segments, out IReadOnlyDictionary<string, string>? values)
    {
        values = null;
        if (segments.Length != _segments.Length)
        {
            return false;
        }

        for (var i = 0; i < segments.Length; i++)
        {
            var template = _segments[i];
            if (!template.StartsWith('{') && !string.Equals(template, segments[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        if (!_hasValues)
        {
            values = ReadOnlyDictionary<string, string>.Empty;
            return true;
        }

        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < segments.Length; i++)
        {
            if (_segments[i].StartsWith('{'))
            {
                found[_segments[i][1..^1]] = segments[i];
            }
        }

        values = found;
        return true;
    }
}

/// <summary>The route table of the REST fake: every endpoint of 003-R (knowlarity.md §2.3), in the document's order.</summary>
internal static class RestRoutes
{
    private static readonly JsonObject EnvelopeMeta = new() { ["limit"] = 1000, ["next"] = "", ["offset"] = 0, ["previous"] = "", ["total_count"] = 1 };

    public static IReadOnlyList<RestRoute> All { get; } =
    [
        new("GET", "/numbers", AuthFamily.Message, RestHandlers.ListNumbers, new RouteDoc
        {
            Title = "Get the list of bought numbers API",
            Query = ["user_plan_id", "expiry_time", "number", "limit", "offset"],
            SuccessExample = Envelope(new JsonObject { ["cli_type"] = "NONE", ["created_time"] = "2016-10-21 07:25:05+00:00", ["expiry_time"] = "2017-10-20 18:30:00+00:00", ["is_expired"] = false, ["number_type"] = "1", ["phone_number"] = "+91XXXXXXXXXX", ["number_rating"] = -1 }),
            Errors = [BadKeyMessage],
        }),
        new("POST", "/numbers", AuthFamily.Message, RestHandlers.BuyNumber, new RouteDoc
        {
            Title = "Buy the available numbers API",
            RequestExample = new JsonObject { ["user_plan_id"] = 407890, ["expiry_time"] = "2017-04-25 00:00:00", ["number"] = "+91XXXXXXXXXX" },
            SuccessExample = new JsonObject { ["message"] = "Your provided number has been allocated to you Successfully", ["Number"] = "+91XXXXXXXXXX" },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("GET", "/numbers/Circle", AuthFamily.Message, RestHandlers.Circles, new RouteDoc
        {
            Title = "Get Circle API",
            Query = ["country"],
            SuccessExample = new JsonArray(new JsonObject { ["city"] = "Andhra Pradesh", ["id"] = 3 }),
            Errors = [BadKeyMessage, (400, new JsonObject { ["message"] = "You have provided invalid country name. For more information contact support." })],
        }),
        new("GET", "/numbers/AvailablePhoneNumbers", AuthFamily.Message, RestHandlers.AvailableNumbers, new RouteDoc
        {
            Title = "Get Available number API",
            Query = ["circle_id", "cli_type", "number_rating", "number_type", "pattern"],
            SuccessExample = new JsonObject { ["numbers"] = new JsonArray(new JsonObject { ["number_type"] = "MOBILE", ["number_rating"] = 0, ["circle_id"] = 1, ["number"] = "+91XXXXXXXX", ["provider_name"] = "Vodafone" }) },
            Errors = [BadKeyMessage, (400, new JsonObject { ["message"] = "Provide some input. For more information contact support." }), Incorrect],
        }),
        new("GET", "/plans", AuthFamily.Error, RestHandlers.Plans, new RouteDoc
        {
            Title = "Get plans API",
            Query = ["id", "plan", "plan_type", "limit", "offset"],
            SuccessExample = Envelope(new JsonObject { ["userplan_id"] = 407890, ["plan_name"] = "Premium", ["is_active"] = "false", ["created_date"] = "2016-10-20 14:53:34+00:00", ["expiry_time"] = "2017-10-19 18:30:00+00:00", ["plan_type"] = "I" }),
            Errors = [(401, new JsonObject { ["error"] = RestHandlers.AuthorizationMessage })],
        }),
        new("POST", "/call-center/create_order", AuthFamily.Message, RestHandlers.CreateOrder, new RouteDoc
        {
            Title = "Create Order - OBD Call Center",
            RequestExample = new JsonObject { ["ivr_id"] = "1000000001", ["additional_number"] = "+9199XXXXXXX", ["timezone"] = "Asia/Kolkata", ["priority"] = 10, ["order_throttling"] = 2, ["start_time"] = "2018-07-18 18:17", ["k_number"] = "+91XXXXXXXXXX", ["Ivr_disp_num"] = "+91XXXXXXXXXX", ["call_scheduling_start_time"] = "09:00", ["call_scheduling_stop_time"] = "23:00", ["is_transactional"] = 1, ["outbound_callcenter"] = 1, ["call_scheduling"] = new JsonArray(1, 1, 1, 1, 1, 1, 1), ["end_time"] = "2018-07-18 18:35" },
            SuccessExample = new JsonObject { ["order_id"] = 175, ["result"] = "placed order successfully", ["status_code"] = 1 },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("PUT", "/call-center/add_call_to_order", AuthFamily.Message, RestHandlers.AddCallToOrder, new RouteDoc
        {
            Title = "ADD Call to order - OBD Call Center",
            RequestExample = new JsonObject { ["order_id"] = 1000488, ["phone_numbers"] = "+9191XXXXX466", ["call_times_retry"] = 3, ["retry_timedelta"] = 1 },
            SuccessExample = new JsonObject { ["result"] = "call added successfully", ["status_code"] = 1 },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("GET", "/contacts/phonebook", AuthFamily.Message, RestHandlers.ListPhonebooks, new RouteDoc
        {
            Title = "Get Phonebook API",
            Query = ["limit", "offset"],
            SuccessExample = Envelope(new JsonObject { ["description"] = "", ["duplicates_count"] = 0, ["id"] = 1, ["invalid_count"] = 0, ["ndnc_count"] = 0, ["phonebookfile"] = "https://xyz.com/phonebook_1.csv", ["phonebookname"] = "phonebook_1", ["row_count"] = 2, ["timestamp"] = "Thu, 30 Mar 2017 18:24:24 +0530" }),
            Errors = [BadKeyMessage],
        }),
        new("POST", "/contacts/phonebook", AuthFamily.Message, RestHandlers.PostPhonebook, new RouteDoc
        {
            Title = "Post Phonebook API",
            RequestExample = new JsonObject { ["phonebookname"] = "phonebook_1", ["numbers"] = "+91XXXXXXXXX;+91XXXXXXXXXX" },
            SuccessExample = new JsonObject { ["msg"] = new JsonArray("Successfully added phonebook"), ["id"] = 1 },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("GET", "/sound", AuthFamily.Message, RestHandlers.ListSounds, new RouteDoc
        {
            Title = "Get Sound API (status \"0\" pending, \"1\" approved, \"2\" rejected)",
            Query = ["limit", "offset"],
            SuccessExample = Envelope(new JsonObject { ["comment"] = "", ["date"] = "Fri, 1 Jul 2016 16:45:37 +0530", ["description"] = "", ["id"] = "1", ["language"] = "english", ["soundfile"] = "https://xyz.com/test.mp3", ["soundname"] = "test.mp3", ["status"] = "1" }),
            Errors = [BadKeyMessage],
        }),
        new("POST", "/sound", AuthFamily.Message, RestHandlers.PostSound, new RouteDoc
        {
            Title = "Post Sound API",
            RequestExample = new JsonObject { ["soundname"] = "test", ["soundfile"] = "https://xyz.com/sound.mp3", ["language"] = "English", ["description"] = "Testing" },
            SuccessExample = new JsonObject { ["msg"] = new JsonArray("Successfully added sound"), ["status"] = "0", ["id"] = 157777 },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("GET", "/call/campaign", AuthFamily.Message, RestHandlers.ListCampaigns, new RouteDoc
        {
            Title = "Get Campaign API",
            Query = ["order_id", "created_time__gte", "created_time__lte", "end_time__gt", "end_time__gte", "end_time__lt", "end_time__lte", "is_transactional", "ivr_id", "phonebook_id", "start_time__gt", "start_time__gte", "start_time__lt", "start_time__lte", "limit", "offset"],
            SuccessExample = Envelope(new JsonObject { ["order_id"] = "170", ["order_status"] = "Pending", ["order_throttling"] = "0/10", ["call_scheduling"] = "[1, 1, 1, 1, 1, 0, 0]" }),
            Errors = [BadKeyMessage],
        }),
        new("POST", "/call/campaign", AuthFamily.Message, RestHandlers.PostCampaign, new RouteDoc
        {
            Title = "Post Campaign API",
            RequestExample = new JsonObject { ["sound_id"] = 1, ["phonebook"] = 1, ["timezone"] = "Asia/Kolkata", ["priority"] = 10, ["order_throttling"] = 10, ["retry_duration"] = 15, ["start_time"] = "2017-01-01 00:00", ["max_retry"] = 1, ["call_scheduling"] = "[1, 1, 1, 1, 1, 0, 0]", ["call_scheduling_start_time"] = "09:00", ["call_scheduling_stop_time"] = "21:00", ["k_number"] = "+91XXXXXXXXXX", ["additional_number"] = "+91XXXXXXXX;+91XXXXXXXX" },
            SuccessExample = new JsonObject { ["order_id"] = 175, ["result"] = "placed order successfully", ["status_code"] = 1 },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("PUT", "/call/campaign/{order_id}", AuthFamily.Message, RestHandlers.ControlCampaign, new RouteDoc
        {
            Title = "PUT Campaign API (status pause, resume or stop)",
            RequestExample = new JsonObject { ["status"] = "pause" },
            SuccessExample = new JsonObject { ["message"] = "Campaign paused successfully!" },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("PUT", "/call/campaign", AuthFamily.Message, RestHandlers.ControlCampaign, new RouteDoc
        {
            Title = "PUT Campaign API without an order id (refused: the id belongs in the path)",
            RequestExample = new JsonObject { ["status"] = "pause" },
            SuccessExample = new JsonObject { ["message"] = "Campaign paused successfully!" },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("POST", "/call/campaign/add-numbers", AuthFamily.Message, RestHandlers.CampaignAddNumbers, new RouteDoc
        {
            Title = "Campaign Add Number (pending or in-progress campaigns)",
            RequestExample = new JsonObject { ["order_id"] = 175, ["phone_numbers"] = "+91XXXXXXXX;+91XXXXXXXX" },
            SuccessExample = new JsonObject { ["dnd_count"] = "0", ["message"] = "call added successfully", ["sivr_call_ids"] = new JsonArray() },
            Errors = [BadKeyMessage, Incorrect],
        }),
        new("GET", "/agent", AuthFamily.Message, RestHandlers.ListAgents, new RouteDoc
        {
            Title = "Get Agents List (a bare array)",
            SuccessExample = new JsonArray(Agent()),
            Errors = [BadKeyMessage],
        }),
        new("GET", "/agent/{id}", AuthFamily.Message, RestHandlers.GetAgent, new RouteDoc
        {
            Title = "Get Agent Detail",
            SuccessExample = Agent(),
            Errors = [BadKeyMessage, (404, new JsonObject { ["message"] = "Agent 1 not found." })],
        }),
        new("GET", "/tasks", AuthFamily.Message, RestHandlers.ListTasks, new RouteDoc
        {
            Title = "Get Task List (offset and total_count are strings)",
            Query = ["limit", "offset"],
            SuccessExample = new JsonObject { ["meta"] = new JsonObject { ["limit"] = 1000, ["next"] = "", ["offset"] = "0", ["previous"] = "", ["total_count"] = "1" }, ["objects"] = new JsonArray(Task()) },
            Errors = [BadKeyMessage],
        }),
        new("GET", "/tasks/{id}", AuthFamily.Message, RestHandlers.GetTask, new RouteDoc
        {
            Title = "Get Task Detail",
            SuccessExample = Task(),
            Errors = [BadKeyMessage, (404, new JsonObject { ["message"] = "Task 1 not found." })],
        }),
        new("POST", "/call/makecall", AuthFamily.Makecall, RestHandlers.MakeCall, new RouteDoc
        {
            Title = "Make Outbound Call - (PSTN/WhatsApp): agent leg first, then the customer; events on the notifications stream with uuid = call_id",
            RequestExample = new JsonObject { ["k_number"] = "+919069118xxx", ["agent_number"] = "+919069118xxx", ["customer_number"] = "+918861037xxx" },
            SuccessExample = new JsonObject { ["success"] = new JsonObject { ["status"] = "success", ["message"] = "Call successfully placed", ["call_id"] = "129ac15d-d8b4-499e-92e1-83317d1745df" } },
            Errors =
            [
                (400, ErrorBody("Call Failed! Number 9876543210 in Do Not Call registry.")),
                (401, ErrorBody("Invalid API Key for this SR number")),
                (400, ErrorBody("Agent Number not register with SR account")),
                (400, ErrorBody("Sent call permission request to customer. Please try calling after sometime")),
            ],
        }),
        new("GET", "/otpcall", AuthFamily.Makecall, RestHandlers.OtpCall, new RouteDoc
        {
            Title = "OTP Call - (PSTN/WhatsApp)",
            Query = ["ivr_id", "k_number", "customer_number", "channel", "call_permission_request"],
            SuccessExample = new JsonObject { ["success"] = new JsonObject { ["call_id"] = "abcd1234-5678-efgh-9012-ijklmnopqrst", ["message"] = "OTP call initiated successfully", ["status"] = "initiated" } },
            Errors = [(400, ErrorBody("Not allowed to send call permission request.")), (400, ErrorBody("Sent call permission request to customer. Please try calling after sometime"))],
        }),
        new("POST", "/notifications", AuthFamily.NotifyRegister, RestHandlers.RegisterNotifications, new RouteDoc
        {
            Title = "Register for Notifications",
            RequestExample = new JsonObject { ["knowlarity_number"] = new JsonArray("+91906911XXXX") },
            SuccessExample = new JsonObject { ["message"] = "Successfully registered." },
            Errors = [(400, RestHandlers.RegisterError("+91XXXXXXXXXX").Body!)],
        }),
        new("PUT", "/notifications", AuthFamily.NotifyEnable, RestHandlers.EnableNotifications, new RouteDoc
        {
            Title = "Enable/Disable Notifications",
            RequestExample = new JsonObject { ["knowlarity_number"] = "+919069118xxx", ["enable"] = "enable" },
            SuccessExample = new JsonObject { ["message"] = "Successfully enabled." },
            Errors = [(401, new JsonObject { ["message"] = "Client name, authorization or knowlarity number is wrong." })],
        }),
        new("GET", "/notifications", AuthFamily.Message, RestHandlers.ListRegistrations, new RouteDoc
        {
            Title = "List Registrations",
            Query = ["knowlarity_number", "enabled", "limit", "offset"],
            SuccessExample = new JsonObject { ["meta"] = new JsonObject { ["limit"] = 20, ["next"] = null, ["offset"] = 0, ["previous"] = null, ["total_count"] = 1 }, ["objects"] = new JsonArray(new JsonObject { ["enable"] = true, ["expired"] = false, ["k_number"] = "+9190xxxxxxx780", ["k_number_cc"] = "IN", ["product"] = "SR" }) },
            Errors = [BadKeyMessage],
        }),
        new("GET", "/call/get-detailed-call-log", AuthFamily.Message, RestHandlers.DetailedCallLog, new RouteDoc
        {
            Title = "Get Detailed Call Log",
            Query = ["uuid"],
            SuccessExample = new JsonObject { ["message"] = new JsonObject { ["id"] = 0, ["unique_id"] = "1b6bb713-87e0-4fa6-XXXXX-XXXXXXXXXXX", ["caller"] = "+91803XXXXX30", ["called"] = "+91979XXXXX69", ["hangup_cause"] = 900, ["call_type"] = "outgoing", ["events"] = new JsonObject() } },
            Errors = [BadKeyMessage, (404, new JsonObject { ["message"] = "No call log found for uuid x." })],
        }),
        new("POST", "/sr/calllog", AuthFamily.Message, RestHandlers.SrCallLog, new RouteDoc
        {
            Title = "Get Call Log Records for New UI (range ≤ 3 months, limit ≤ 200; send meta.next back as \"next\" for the following page)",
            RequestExample = new JsonObject { ["start_time__gt"] = "2023-11-07 00:00:00", ["start_time__lt"] = "2023-12-06 13:26:19", ["limit"] = 10 },
            SuccessExample = new JsonObject { ["meta"] = new JsonObject { ["total_count"] = null, ["next"] = "forward##6568a83955bdd35f095e01e3##2023-11-30 15:20:00.365000__9a86…", ["limit"] = 10, ["previous"] = "" }, ["objects"] = new JsonArray(new JsonObject { ["ref_call_uuid"] = "", ["destination"] = "Abandoned" }) },
            Errors = [BadKeyMessage, (400, new JsonObject { ["message"] = "Maximum limit that can be passed is 200." }), (400, new JsonObject { ["message"] = "Date range is limited to 3 months only." })],
        }),
    ];

    private static (int, JsonNode) BadKeyMessage => (401, new JsonObject { ["message"] = RestHandlers.AuthorizationMessage });

    private static (int, JsonNode) Incorrect => (400, ApiResult.IncorrectInput.Body!);

    private static JsonObject ErrorBody(string message) => new() { ["error"] = new JsonObject { ["message"] = message } };

    private static JsonObject Envelope(JsonObject item) => new() { ["meta"] = EnvelopeMeta.DeepClone(), ["objects"] = new JsonArray(item) };

    private static JsonObject Agent() => new() { ["agent_status"] = "Available", ["call_groups"] = new JsonArray(), ["callcenter_role"] = "owner", ["first_name"] = "prashanth", ["id"] = "615793", ["last_name"] = "N" };

    private static JsonObject Task() => new() { ["agent_id"] = "", ["call_missed_dt"] = "2016-06-17 16:18:21+00:00", ["callrecord_uuid"] = "0a4b6122-a48d-4d17-b40d-f4d9b267c5b9", ["completed_dt"] = "$None", ["id"] = 4369999, ["is_completed"] = false, ["phone"] = "+261206350631", ["type"] = "missedcall" };
}
