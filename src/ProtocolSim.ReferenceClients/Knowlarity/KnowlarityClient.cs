using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

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
internal sealed partial class KnowlarityClient(KnowlarityClientFault fault, TextWriter log) : IDisposable
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
}
