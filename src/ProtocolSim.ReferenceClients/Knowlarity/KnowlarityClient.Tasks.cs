using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ProtocolSim.ReferenceClients.Knowlarity;

internal sealed partial class KnowlarityClient
{
    // ---------------------------------------------------------------- tasks

    private async Task MakeCallAsync(CancellationToken cancellationToken)
    {
        if (fault != KnowlarityClientFault.NoRegistration)
        {
            await EnsureRegisteredAsync(cancellationToken);
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var events = Channel.CreateUnbounded<JsonObject>();
        var opened = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var watching = WatchStreamAsync(async e =>
        {
            await events.Writer.WriteAsync(e, stop.Token);
            return false;
        }, opened, stop.Token);
        try
        {
            try
            {
                await opened.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }
            catch (TimeoutException)
            {
                throw new KnowlarityFailure("the notifications stream did not open within 10 s");
            }
            var whatsapp = Optional("PROTOSIM_CALL_CHANNEL") == "Whatsapp";
            var body = new JsonObject
            {
                ["k_number"] = Number(SrNumber),
                ["agent_number"] = Number(Env("PROTOSIM_AGENT_NUMBER")),
                [fault == KnowlarityClientFault.WrongMakecallField ? "customer" : "customer_number"] = Number(Env("PROTOSIM_CUSTOMER_NUMBER")),
            };
            if (whatsapp)
            {
                body["channel"] = "Whatsapp";
                body["call_permission_request"] = fault == KnowlarityClientFault.BooleanPermission ? JsonValue.Create(true) : JsonValue.Create("true");
            }

            var answer = await SendAsync(HttpMethod.Post, "/call/makecall", cancellationToken, body);
            for (var retry = 0; fault == KnowlarityClientFault.RetriesPermission && retry < 3 && ErrorText(answer).StartsWith("Sent call permission request", StringComparison.Ordinal); retry++)
            {
                await Task.Delay(200, cancellationToken);
                answer = await SendAsync(HttpMethod.Post, "/call/makecall", cancellationToken, body);
            }

            if (IsError(answer))
            {
                // KRS-011/-012: a failure; after a permission request, the customer answers in their own time.
                throw new ApiRefusal(ErrorText(answer));
            }

            var callId = answer.Body?["success"]?["call_id"]?.ToString();
            if (callId is null)
            {
                if (fault is KnowlarityClientFault.TrustsStatus or KnowlarityClientFault.MatchesWording)
                {
                    await SendAsync(HttpMethod.Get, "/call/get-detailed-call-log", cancellationToken, query: ("uuid", ""));
                }

                throw new KnowlarityFailure("makecall succeeded without success.call_id: the call cannot be followed");
            }

            // KRS-014, KNS-012, KNS-018: follow the call by its uuid; other calls' events are not ours.
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            patience.CancelAfter(TimeSpan.FromSeconds(20));
            string? follow = null;
            await foreach (var e in events.Reader.ReadAllAsync(patience.Token))
            {
                Inspect(e);
                var uuid = e["uuid"]?.ToString();
                if (uuid != callId && fault == KnowlarityClientFault.ExitsOnForeignCall)
                {
                    throw new KnowlarityFailure($"an event of a call this client did not place ({uuid})");
                }

                if (e["type"]?.ToString() == "CDR" && (uuid == callId || fault == KnowlarityClientFault.FirstCdr))
                {
                    follow = uuid;
                    break;
                }
            }

            var detail = await SendAsync(HttpMethod.Get, "/call/get-detailed-call-log", cancellationToken, query: ("uuid", follow));
            if (IsError(detail))
            {
                throw new ApiRefusal(ErrorText(detail));
            }
        }
        finally
        {
            await stop.CancelAsync();
            try
            {
                await watching;
            }
            catch (Exception e) when (e is OperationCanceledException or KnowlarityFailure)
            {
            }
        }
    }

    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        if (fault != KnowlarityClientFault.WatchesUnregistered)
        {
            await EnsureRegisteredAsync(cancellationToken);
        }

        var wanted = int.Parse(Optional("PROTOSIM_WATCH_CALLS") ?? "1", CultureInfo.InvariantCulture);
        var done = new HashSet<string>(StringComparer.Ordinal);
        var forgotten = new HashSet<string>(StringComparer.Ordinal);
        var hangups = new Dictionary<string, int>(StringComparer.Ordinal);
        var bridged = new HashSet<string>(StringComparer.Ordinal);
        string? latest = null;
        await WatchStreamAsync(async e =>
        {
            Inspect(e);
            var uuid = e["uuid"]?.ToString() ?? "";
            var type = e["event_type"]?.ToString();
            if (type is "ORIGINATE" or "AGENT_CALL" or "CUSTOMER_CALL" && !hangups.ContainsKey(uuid))
            {
                hangups[uuid] = 0;
                latest = uuid;
            }

            if (type == "BRIDGE")
            {
                bridged.Add(uuid);
            }

            if (type == "HANGUP")
            {
                var count = hangups[uuid] = hangups.GetValueOrDefault(uuid) + 1;
                if (fault == KnowlarityClientFault.ExpectsAgentHangupFirst && count == 1 && bridged.Contains(uuid) && e["leg_identifier"]?.ToString() == "customer")
                {
                    forgotten.Add(uuid);
                }

                if (fault == KnowlarityClientFault.FetchOnHangup && !done.Contains(uuid))
                {
                    await FollowUpAsync(uuid, null, cancellationToken);
                    done.Add(uuid);
                }
            }

            // KNS-007: the CDR is told apart by type, not event_type.
            if (e["type"]?.ToString() == "CDR" && fault != KnowlarityClientFault.FetchOnHangup && !forgotten.Contains(uuid))
            {
                var target = fault == KnowlarityClientFault.LatestCall ? latest ?? uuid : uuid;
                if (done.Add(target))
                {
                    await FollowUpAsync(target, e, cancellationToken);
                }
            }

            return done.Count >= wanted;
        }, null, cancellationToken);
    }

    /// <summary>A finished call: fetch its detailed log; a missed incoming call is also looked up in the call log (KNS-015).</summary>
    private async Task FollowUpAsync(string uuid, JsonObject? cdr, CancellationToken cancellationToken)
    {
        await SendAsync(HttpMethod.Get, "/call/get-detailed-call-log", cancellationToken, query: ("uuid", uuid));
        var direction = cdr?[fault == KnowlarityClientFault.LowercaseCallType ? "call_type" : "Call_Type"]?.ToString();
        if (direction == "Incoming" && cdr?["business_call_type"]?.ToString() == "Missed Call" && cdr["caller_id"]?.ToString() is { } caller)
        {
            var now = DateTimeOffset.UtcNow;
            await SendAsync(HttpMethod.Post, "/sr/calllog", cancellationToken, new JsonObject
            {
                ["start_time__gt"] = IstText(now.AddDays(-30), "yyyy-MM-dd HH:mm:ss"),
                ["start_time__lt"] = IstText(now.AddDays(1), "yyyy-MM-dd HH:mm:ss"),
                ["customer__contains"] = caller,
                ["limit"] = 20,
            });
        }
    }

    private async Task SyncAsync(CancellationToken cancellationToken)
    {
        var from = DateTimeOffset.Parse(Env("PROTOSIM_FROM"), CultureInfo.InvariantCulture);
        var to = DateTimeOffset.Parse(Env("PROTOSIM_TO"), CultureInfo.InvariantCulture);

        // KRS-026: windows of at most three months, pages of at most 200, following meta.next.
        var records = 0;
        for (var start = from; start < to;)
        {
            var end = fault == KnowlarityClientFault.WholeRange ? to : new[] { start.AddMonths(3), to }.Min();
            string? next = null;
            do
            {
                var body = new JsonObject
                {
                    ["start_time__gt"] = IstText(start, "yyyy-MM-dd HH:mm:ss"),
                    ["start_time__lt"] = IstText(end, "yyyy-MM-dd HH:mm:ss"),
                    ["limit"] = fault == KnowlarityClientFault.WholeRange ? 500 : 200,
                };
                if (next is not null)
                {
                    body["next"] = next;
                }

                var page = await RequireAsync(SendAsync(HttpMethod.Post, "/sr/calllog", cancellationToken, body));
                records += page["objects"]?.AsArray().Count ?? 0;
                next = page["meta"]?["next"]?.ToString();
            }
            while (!string.IsNullOrEmpty(next));
            start = end;
        }

        // KRS-027: limit/offset paging; meta numbers may be strings.
        var tasks = 0;
        for (var offset = 0; ;)
        {
            var page = await RequireAsync(SendAsync(HttpMethod.Get, "/tasks", cancellationToken, query: ("offset", offset.ToString(CultureInfo.InvariantCulture))));
            if (page["objects"] is not JsonArray objects || page["meta"]?["total_count"] is not JsonValue totalCount)
            {
                throw new KnowlarityFailure("the task list answer has no objects array or no meta.total_count: " + page.ToJsonString());
            }

            tasks += objects.Count;
            offset += objects.Count;
            int total;
            try
            {
                total = fault == KnowlarityClientFault.IntegerMeta ? totalCount.GetValue<int>() : int.Parse(totalCount.ToString(), CultureInfo.InvariantCulture);
            }
            catch (InvalidOperationException)
            {
                await log.WriteLineAsync("tasks: total_count is not a number; stopping");
                break;
            }

            if (objects.Count == 0 || offset >= total)
            {
                break;
            }
        }

        // KRS-028: the agent list is a bare array (an envelope is read too).
        var agents = await RequireAsync(SendAsync(HttpMethod.Get, "/agent", cancellationToken));
        var list = fault == KnowlarityClientFault.AgentsEnvelope
            ? agents["objects"] as JsonArray ?? []
            : agents as JsonArray ?? agents["objects"] as JsonArray ?? [];
        foreach (var agent in list)
        {
            await RequireAsync(SendAsync(HttpMethod.Get, "/agent/" + Uri.EscapeDataString(agent!["id"]!.ToString()), cancellationToken));
        }

        await log.WriteLineAsync($"synced {records} call record(s), {tasks} task(s), {list.Count} agent(s)");
    }

    /// <summary>KRS-023: an approved sound (status "1").</summary>
    private async Task<int> ApprovedSoundAsync(CancellationToken cancellationToken)
    {
        var sounds = (await RequireAsync(SendAsync(HttpMethod.Get, "/sound", cancellationToken)))["objects"]!.AsArray();
        var sound = fault == KnowlarityClientFault.NewestSound
            ? sounds.MaxBy(s => int.Parse(s!["id"]!.ToString(), CultureInfo.InvariantCulture))
            : sounds.FirstOrDefault(s => s!["status"]?.ToString() == "1");
        return sound is null ? throw new KnowlarityFailure("no approved sound") : int.Parse(sound["id"]!.ToString(), CultureInfo.InvariantCulture);
    }

    private string StartTime()
    {
        var start = Env("PROTOSIM_START_TIME");
        return fault == KnowlarityClientFault.IsoStartTime ? start : IstText(DateTimeOffset.Parse(start, CultureInfo.InvariantCulture), "yyyy-MM-dd HH:mm");
    }

    private async Task CreateCampaignAsync(CancellationToken cancellationToken)
    {
        var sound = await ApprovedSoundAsync(cancellationToken);
        var body = new JsonObject
        {
            ["sound_id"] = sound,
            ["timezone"] = "Asia/Kolkata",
            ["priority"] = 5,
            ["order_throttling"] = 5,
            ["retry_duration"] = 15,
            ["max_retry"] = 1,
            ["start_time"] = StartTime(),
            ["call_scheduling"] = fault == KnowlarityClientFault.SchedulingAsDays ? "Mon-Fri" : "[1, 1, 1, 1, 1, 0, 0]",
            ["call_scheduling_start_time"] = "09:00",
            ["call_scheduling_stop_time"] = "21:00",
            ["k_number"] = SrNumber,
            ["additional_number"] = Join(Numbers()),
            ["is_transactional"] = fault == KnowlarityClientFault.TransactionalYes ? "no" : "False",
        };
        if (fault == KnowlarityClientFault.CampaignWithoutTimezone)
        {
            body.Remove("timezone");
        }

        var created = await RequireAsync(SendAsync(HttpMethod.Post, "/call/campaign", cancellationToken, body));
        var orderId = created["order_id"]!.ToString();

        // KRS-020: the id in the path, status pause.
        var paused = fault switch
        {
            KnowlarityClientFault.InvalidJsonOnPause => SendAsync(HttpMethod.Put, "/call/campaign/" + orderId, cancellationToken, rawBody: "{status: \"pause\"}"),
            KnowlarityClientFault.PauseIdInBody => SendAsync(HttpMethod.Put, "/call/campaign", cancellationToken, new JsonObject { ["order_id"] = orderId, ["status"] = "pause" }),
            _ => SendAsync(HttpMethod.Put, "/call/campaign/" + orderId, cancellationToken, new JsonObject { ["status"] = "pause" }),
        };
        await RequireAsync(paused);
    }

    private async Task CreateOrderAsync(CancellationToken cancellationToken)
    {
        var sound = await ApprovedSoundAsync(cancellationToken);
        var body = new JsonObject
        {
            ["sound_id"] = sound,
            ["timezone"] = "Asia/Kolkata",
            ["start_time"] = StartTime(),
            ["k_number"] = SrNumber,
            ["Ivr_disp_num"] = SrNumber,
            ["additional_number"] = Join(Numbers()),
            ["priority"] = 5,
            ["order_throttling"] = 5,
            ["call_scheduling"] = fault == KnowlarityClientFault.SchedulingAsDays ? JsonValue.Create("Mon-Fri") : new JsonArray(1, 1, 1, 1, 1, 0, 0),
            ["call_scheduling_start_time"] = "09:00",
            ["call_scheduling_stop_time"] = "21:00",
            ["is_transactional"] = fault == KnowlarityClientFault.TransactionalYes ? "no" : "False",
            ["outbound_callcenter"] = 1,
        };
        if (fault == KnowlarityClientFault.OrderWithoutAdditional)
        {
            body.Remove("additional_number");
            body["phonebook"] = 1;
        }

        await RequireAsync(SendAsync(HttpMethod.Post, "/call-center/create_order/", cancellationToken, body));
    }

    private async Task AddToCampaignAsync(CancellationToken cancellationToken)
    {
        var orderId = Env("PROTOSIM_ORDER_ID");
        if (fault != KnowlarityClientFault.AddsToAnyCampaign)
        {
            // KRS-021: only pending or in-progress campaigns take numbers.
            var found = (await RequireAsync(SendAsync(HttpMethod.Get, "/call/campaign", cancellationToken, query: ("order_id", orderId))))["objects"]!.AsArray();
            var status = found.FirstOrDefault()?["order_status"]?.ToString() ?? throw new KnowlarityFailure($"no campaign {orderId}");
            if (status is not ("Pending" or "In Progress"))
            {
                throw new ApiRefusal($"campaign {orderId} is {status}; numbers can be added only to a pending or in-progress campaign");
            }
        }

        await RequireAsync(SendAsync(HttpMethod.Post, "/call/campaign/add-numbers/", cancellationToken, new JsonObject
        {
            ["order_id"] = int.Parse(orderId, CultureInfo.InvariantCulture),
            ["phone_numbers"] = Join(Numbers()),
        }));
    }

    private async Task OtpCallAsync(CancellationToken cancellationToken)
    {
        var whatsapp = Optional("PROTOSIM_CALL_CHANNEL") == "Whatsapp";
        await RequireAsync(SendAsync(HttpMethod.Get, "/otpcall", cancellationToken, query:
        [
            ("ivr_id", fault == KnowlarityClientFault.OtpWithoutIvr ? null : Optional("PROTOSIM_IVR_ID") ?? "1000000001"),
            ("k_number", SrNumber),
            ("customer_number", Env("PROTOSIM_CUSTOMER_NUMBER")),
            ("channel", whatsapp ? "Whatsapp" : null),
            ("call_permission_request", whatsapp ? "true" : null),
        ]));
    }

    private async Task BuyNumberAsync(CancellationToken cancellationToken)
    {
        var plans = (await RequireAsync(SendAsync(HttpMethod.Get, "/plans", cancellationToken)))["objects"]!.AsArray();
        var plan = plans.FirstOrDefault(p => p?["is_active"]?.ToString() == "true") ?? throw new KnowlarityFailure("no active plan");
        var planExpiry = DateTimeOffset.Parse(plan["expiry_time"]!.ToString(), CultureInfo.InvariantCulture);
        Answer offers;
        if (fault == KnowlarityClientFault.NoCircle)
        {
            offers = await SendAsync(HttpMethod.Get, "/numbers/AvailablePhoneNumbers", cancellationToken, query: ("pattern", "^+91"));
        }
        else
        {
            var wanted = Optional("PROTOSIM_CIRCLE") ?? "Karnataka";
            var circles = (await RequireAsync(SendAsync(HttpMethod.Get, "/numbers/Circle", cancellationToken))).AsArray();
            var circle = circles.FirstOrDefault(c => string.Equals(c?["city"]?.ToString(), wanted, StringComparison.OrdinalIgnoreCase)) ?? throw new KnowlarityFailure($"no circle {wanted}");
            offers = await SendAsync(HttpMethod.Get, "/numbers/AvailablePhoneNumbers", cancellationToken, query: [("circle_id", circle["id"]!.ToString()), ("number_rating", "-1")]);
        }

        if (IsError(offers))
        {
            throw new ApiRefusal(ErrorText(offers));
        }

        var number = offers.Body?["numbers"]?.AsArray().FirstOrDefault()?["number"]?.ToString() ?? throw new KnowlarityFailure("no number offered");

        // KRS-024: later than now, not after the plan's expiry.
        var now = DateTimeOffset.UtcNow;
        var expiry = fault == KnowlarityClientFault.FarExpiry ? now.AddYears(5) : new[] { planExpiry.AddDays(-1), now.AddYears(1) }.Min();
        await RequireAsync(SendAsync(HttpMethod.Post, "/numbers", cancellationToken, new JsonObject
        {
            ["user_plan_id"] = plan["userplan_id"]!.DeepClone(),
            ["expiry_time"] = expiry.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture),
            ["number"] = number,
        }));
    }
}
