using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace ProtocolSim.ReferenceClients.Knowlarity;

/// <summary>The API refused what the task asked (an error body): the task ends with exit code 3.</summary>
internal sealed class ApiRefusal(string message) : Exception(message);

/// <summary>Something the client could not do; the task ends with exit code 1.</summary>
internal sealed class KnowlarityFailure(string message) : Exception(message);

/// <summary>
/// A reference client of the Knowlarity REST API and notifications stream (003-R, 003-N), running one task of the
/// README's contract: <c>make-call</c>, <c>watch-notifications</c>, <c>sync-call-logs</c>, <c>create-campaign</c>,
/// <c>create-order</c>, <c>add-to-campaign</c>, <c>otp-call</c>, <c>buy-number</c>. The conforming client follows
/// knowlarity.md §3.3–3.4; each fault breaks one rule.
/// </summary>
internal sealed class KnowlarityClient(KnowlarityClientFault fault, TextWriter log) : IDisposable
{
    public static readonly string[] Tasks = ["make-call", "watch-notifications", "sync-call-logs", "create-campaign", "create-order", "add-to-campaign", "otp-call", "buy-number"];

    private static readonly TimeSpan Ist = TimeSpan.FromHours(5.5);
    private static readonly HashSet<string> KnownFields = new(StringComparer.Ordinal)
    {
        "event_type", "call_direction", "business_call_type", "agent_number", "customer_number", "knowlarity_number", "k_number", "uuid",
        "call_recording", "call_type", "application", "called", "k_api_key", "leg_identifier", "hangup_cause", "event_date_local",
        "dispnumber", "caller_id", "Call_Type", "start_time", "call_duration", "destination", "end_time", "resource_url", "type", "timezone_offset",
    };

    private static readonly HashSet<string> KnownEventTypes = new(StringComparer.Ordinal) { "ORIGINATE", "AGENT_CALL", "AGENT_ANSWER", "CUSTOMER_CALL", "CUSTOMER_ANSWER", "BRIDGE", "HANGUP" };
    private static readonly HashSet<string> KnownBusinessTypes = new(StringComparer.Ordinal) { "Phone", "DTMF", "Unanswered", "Outbound", "Missed Call" };
    private static readonly string[] KnownWordings = ["Call Failed!", "Invalid API Key", "Sent call permission request", "Agent Number not register", "Not allowed"];

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };
    private IReadOnlyDictionary<string, string> _env = new Dictionary<string, string>();

    private string Env(string key) => _env.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new KnowlarityFailure($"{key} is not set");

    private string? Optional(string key) => _env.TryGetValue(key, out var v) && v.Length > 0 ? v : null;

    private string SrNumber => Env("PROTOSIM_SR_NUMBER");

    public async Task<int> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        _env = environment;
        try
        {
            var task = Env("PROTOSIM_TASK");
            await (task switch
            {
                "make-call" => MakeCallAsync(cancellationToken),
                "watch-notifications" => WatchAsync(cancellationToken),
                "sync-call-logs" => SyncAsync(cancellationToken),
                "create-campaign" => CreateCampaignAsync(cancellationToken),
                "create-order" => CreateOrderAsync(cancellationToken),
                "add-to-campaign" => AddToCampaignAsync(cancellationToken),
                "otp-call" => OtpCallAsync(cancellationToken),
                "buy-number" => BuyNumberAsync(cancellationToken),
                _ => throw new KnowlarityFailure($"PROTOSIM_TASK \"{task}\" is not one of {string.Join(", ", Tasks)}"),
            });
            await log.WriteLineAsync($"{task}: done");
            return 0;
        }
        catch (ApiRefusal e)
        {
            await log.WriteLineAsync("refused by the API: " + e.Message);
            return 3;
        }
        catch (Exception e) when (e is KnowlarityFailure or HttpRequestException or JsonException or InvalidOperationException or FormatException or IOException or TimeoutException)
        {
            await log.WriteLineAsync("failed: " + e.Message);
            return 1;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 1;
        }
    }

    public void Dispose() => _http.Dispose();

    // ---------------------------------------------------------------- HTTP

    private sealed record Answer(int Status, JsonNode? Body, string Text);

    private async Task<Answer> SendAsync(HttpMethod method, string path, CancellationToken cancellationToken, JsonNode? body = null, string? rawBody = null, params (string Name, string? Value)[] query)
    {
        var channel = fault == KnowlarityClientFault.FixedChannel ? "Enterprise" : Env("PROTOSIM_CHANNEL");
        var url = new StringBuilder(Env("PROTOSIM_KNOWLARITY_API_URL").TrimEnd('/')).Append('/').Append(channel).Append("/v1/account").Append(path);
        var separator = '?';
        foreach (var (name, value) in query.Where(q => q.Value is not null))
        {
            // KRS-007: percent-encode + ^ $ (the fault leaves + as it is).
            var encoded = Uri.EscapeDataString(value!);
            if (fault == KnowlarityClientFault.RawPlusInQuery)
            {
                encoded = encoded.Replace("%2B", "+", StringComparison.Ordinal);
            }

            url.Append(separator).Append(name).Append('=').Append(encoded);
            separator = '&';
        }

        using var request = new HttpRequestMessage(method, url.ToString());
        if (!(fault == KnowlarityClientFault.NoAccessKeyOnGet && method == HttpMethod.Get))
        {
            request.Headers.Add("x-api-key", Env("PROTOSIM_X_API_KEY"));
        }

        var key = Env("PROTOSIM_SR_API_KEY");
        request.Headers.TryAddWithoutValidation("Authorization", fault == KnowlarityClientFault.BearerAuthorization ? "Bearer " + key : key);
        request.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true };
        if (body is not null || rawBody is not null)
        {
            request.Content = new StringContent(rawBody ?? body!.ToJsonString(), Encoding.UTF8);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(fault == KnowlarityClientFault.TextPlain ? "text/plain" : "application/json") { CharSet = "utf-8" };
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonNode? json = null;
        try
        {
            json = text.Length > 0 ? JsonNode.Parse(text) : null;
        }
        catch (JsonException)
        {
        }

        await log.WriteLineAsync($"{method} {path} → {(int)response.StatusCode}");
        return new Answer((int)response.StatusCode, json, text);
    }

    /// <summary>KRS-011/-013: any top-level <c>error</c> is a failure whatever the status, and so is a 4xx/5xx.</summary>
    private bool IsError(Answer answer) => fault switch
    {
        KnowlarityClientFault.TrustsStatus => answer.Status >= 400,
        KnowlarityClientFault.MatchesWording => answer.Body is JsonObject { } b && b["error"] is JsonObject { } e && e["message"]?.ToString() is { } m && KnownWordings.Any(w => m.StartsWith(w, StringComparison.Ordinal)),
        _ => answer.Status >= 400 || answer.Body is JsonObject o && o.ContainsKey("error"),
    };

    /// <summary>KRS-013: the text is in <c>message</c>, <c>error</c>, <c>error.message</c> or <c>error.&lt;field&gt;</c>.</summary>
    private static string ErrorText(Answer answer) => answer.Body switch
    {
        JsonObject { } o when o["error"] is JsonObject e => e["message"]?.ToString() ?? string.Join("; ", e.Select(p => $"{p.Key}: {p.Value}")),
        JsonObject { } o when o["error"] is JsonValue v => v.ToString(),
        JsonObject { } o when o["message"] is { } m => m.ToString(),
        _ => $"HTTP {answer.Status}: {answer.Text}",
    };

    private async Task<JsonNode> RequireAsync(Task<Answer> call)
    {
        var answer = await call;
        if (IsError(answer))
        {
            throw new ApiRefusal(ErrorText(answer));
        }

        return answer.Body ?? throw new KnowlarityFailure($"HTTP {answer.Status} without a JSON body");
    }

    private string Number(string number) => fault == KnowlarityClientFault.NationalNumbers && number.StartsWith("+91", StringComparison.Ordinal) ? number[3..] : number;

    private string Join(IEnumerable<string> numbers) => string.Join(fault == KnowlarityClientFault.CommaSeparated ? "," : ";", numbers);

    private List<string> Numbers() => Env("PROTOSIM_NUMBERS").Split([' ', ',', ';'], StringSplitOptions.RemoveEmptyEntries).ToList();

    private static string IstText(DateTimeOffset time, string format) => time.ToOffset(Ist).ToString(format, CultureInfo.InvariantCulture);

    // ---------------------------------------------------------------- notifications

    /// <summary>KRS-009, KRS-029, KNS-001: registered (an array) and enabled (a string) before calls and the stream.</summary>
    private async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        var sr = SrNumber;
        var list = await SendAsync(HttpMethod.Get, "/notifications", cancellationToken, query: ("knowlarity_number", sr));
        var registration = IsError(list) ? null : list.Body?["objects"]?.AsArray().FirstOrDefault(o => o?["k_number"]?.ToString() == sr);
        if (registration is null)
        {
            await RequireAsync(SendAsync(HttpMethod.Post, "/notifications", cancellationToken, new JsonObject { ["knowlarity_number"] = new JsonArray(sr) }));
        }
        else if (registration["enable"]?.GetValue<bool>() != true)
        {
            JsonNode number = fault == KnowlarityClientFault.EnableWithArray ? new JsonArray(sr) : JsonValue.Create(sr);
            await RequireAsync(SendAsync(HttpMethod.Put, "/notifications", cancellationToken, new JsonObject { ["knowlarity_number"] = number, ["enable"] = "enable" }));
        }
    }

    /// <summary>
    /// Reads the stream (KNS-002..-005, -016, -017): SSE parsed incrementally, one event per <c>data:</c> field; on end or
    /// failure it reconnects after 0.5 s, doubling to 8 s. Each event goes to <paramref name="handle"/>, which returns
    /// true when the task is done.
    /// </summary>
    private async Task WatchStreamAsync(Func<JsonObject, Task<bool>> handle, TaskCompletionSource? opened, CancellationToken cancellationToken)
    {
        var key = fault == KnowlarityClientFault.AccessKeyInPath ? Env("PROTOSIM_X_API_KEY") : Env("PROTOSIM_SR_API_KEY");
        var url = $"{Env("PROTOSIM_KNOWLARITY_NOTIFICATIONS_URL").TrimEnd('/')}/update-stream/{Uri.EscapeDataString(key)}/konnect";
        using var stream = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (fault != KnowlarityClientFault.NoAccept)
                {
                    request.Headers.Accept.ParseAdd("text/event-stream");
                }

                using var response = await stream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    // KNS-017: a non-200 body is an error text, not events.
                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    await log.WriteLineAsync($"stream: {(int)response.StatusCode} {text.Trim()}");
                    if (fault == KnowlarityClientFault.ReadsErrorBody && await DispatchAllAsync(text, handle))
                    {
                        return;
                    }
                }
                else
                {
                    opened?.TrySetResult();
                    delay = TimeSpan.FromMilliseconds(500);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    if (fault == KnowlarityClientFault.WaitsForEnd)
                    {
                        using var whole = new StreamReader(body);
                        if (await DispatchAllAsync(await whole.ReadToEndAsync(cancellationToken), handle))
                        {
                            return;
                        }
                    }
                    else if (await ReadEventsAsync(body, handle, cancellationToken))
                    {
                        return;
                    }

                    await log.WriteLineAsync("stream: ended");
                }
            }
            catch (HttpRequestException e)
            {
                await log.WriteLineAsync("stream: " + e.Message);
            }
            catch (IOException e)
            {
                await log.WriteLineAsync("stream: " + e.Message);
            }

            if (fault == KnowlarityClientFault.NoReconnect)
            {
                throw new KnowlarityFailure("the notifications stream ended");
            }

            // KNS-016: a delay before every reconnection.
            if (fault != KnowlarityClientFault.Hammers)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
            }
        }
    }

    /// <summary>SSE as the EventSource spec parses it: fields per line, a blank line dispatches, comments skipped (KNS-004).</summary>
    private async Task<bool> ReadEventsAsync(Stream body, Func<JsonObject, Task<bool>> handle, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (fault == KnowlarityClientFault.EveryLineJson)
            {
                if (line.Length > 0 && await HandleAsync(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), handle))
                {
                    return true;
                }

                continue;
            }

            if (line.Length == 0)
            {
                if (data.Length > 0 && await HandleAsync(data.ToString(), handle))
                {
                    return true;
                }

                data.Clear();
                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            if (field == "data")
            {
                data.Append(data.Length > 0 ? "\n" : "").Append(value);
            }
        }

        return false;
    }

    private async Task<bool> DispatchAllAsync(string text, Func<JsonObject, Task<bool>> handle)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text + "\n\n"));
        return await ReadEventsAsync(stream, handle, CancellationToken.None);
    }

    private static async Task<bool> HandleAsync(string json, Func<JsonObject, Task<bool>> handle)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new KnowlarityFailure("an event that is not a JSON object: " + json);
        return await handle(node);
    }

    /// <summary>The checks a consumer makes of each event; the faults make them stricter than the documents allow.</summary>
    private void Inspect(JsonObject e)
    {
        if (fault == KnowlarityClientFault.AgentNumberRequired && e.ContainsKey("agent_number") && e["agent_number"] is null)
        {
            throw new KnowlarityFailure("event without agent_number");
        }

        if (fault == KnowlarityClientFault.CustomerNumberRequired && e.ContainsKey("customer_number") && e["customer_number"] is null)
        {
            throw new KnowlarityFailure("event without customer_number");
        }

        if (fault == KnowlarityClientFault.StrictFields && e.Select(p => p.Key).FirstOrDefault(k => !KnownFields.Contains(k)) is { } unknown)
        {
            throw new KnowlarityFailure("unknown field " + unknown);
        }

        if (fault == KnowlarityClientFault.StrictEventTypes
            && (e["event_type"]?.ToString() is { } t && !KnownEventTypes.Contains(t) || e["business_call_type"]?.ToString() is { } b && !KnownBusinessTypes.Contains(b)))
        {
            throw new KnowlarityFailure($"unknown event type {e["event_type"]} / {e["business_call_type"]}");
        }
    }

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
