using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// The REST fake's request pipeline (knowlarity.md §4.2): read the body within bounds, find the route, check
/// <c>x-api-key</c> then <c>Authorization</c>, the channel, content type and JSON, run the handler; every request and
/// answer is journaled with the rules it broke.
/// </summary>
public sealed class KnowlarityApi
{
    private readonly KnowlarityOptions _options;
    private readonly KnowlarityJournals _journals;
    private readonly TimeProvider _time;
    private readonly Lock _journalGate = new();
    private SessionJournal? _journal;
    private int _journalRequests;
    private int _journalNumber;

    public KnowlarityApi(KnowlarityOptions options, KnowlarityJournals journals, CallSimulator calls, TimeProvider time)
    {
        _options = options;
        _journals = journals;
        _time = time;
        Calls = calls;
        var fixture = options.Account ?? throw new InvalidOperationException("KnowlarityOptions.Account must be set before the fake starts.");
        Account = new KnowlarityAccount(fixture, time);
        calls.Account = Account;
    }

    internal KnowlarityAccount Account { get; }

    public CallSimulator Calls { get; }

    /// <summary>
    /// The journal the next request goes to, counting it: a new one every <see cref="KnowlarityOptions.RequestsPerJournal"/>
    /// requests (the one before ends).
    /// </summary>
    private SessionJournal JournalForRequest()
    {
        lock (_journalGate)
        {
            if (_journal is null || _journalRequests >= _options.RequestsPerJournal)
            {
                // A journal of requests, not a session: it ends when the next one takes over.
                _journal?.End();
                _journal = _journals.Start($"knowlarity-api-{++_journalNumber}", "knowlarity-rest", _time);
                _journal.SetLabel(SessionJournal.LifetimeLabel, "service");
                _journalRequests = 0;
            }

            _journalRequests++;
            return _journal;
        }
    }

    /// <summary>All API journals still kept, oldest first.</summary>
    public IEnumerable<SessionJournal> Journals => _journals.All.Where(j => j.Protocol == "knowlarity-rest");

    /// <summary>Raised after each request is answered (scenario waits): the journal, the request entry (a <see cref="RawRequest"/>) and the answer entry.</summary>
    public event Action<SessionJournal, JournalEntry, JournalEntry>? Answered;

    /// <summary>The answer the built-in behaviour gives, and the journal entries of the request and the answer.</summary>
    internal readonly record struct Answer(int Status, string? Allow, byte[] Body, SessionJournal Journal, JournalEntry Request, JournalEntry Response);

    /// <summary>The fast path (no user stub present): reads the body within bounds, answers, writes the answer.</summary>
    internal async Task HandleAsync(HttpContext context, Action<Answer, HttpContext>? answered = null)
    {
        var (body, tooLarge) = await ReadBodyAsync(context.Request, _options.MaxBodyBytes, context.RequestAborted);
        await AnswerAsync(context, body, tooLarge, answered);
    }

    /// <summary>Answers a request whose body was read already.</summary>
    internal async Task AnswerAsync(HttpContext context, byte[] body, bool tooLarge, Action<Answer, HttpContext>? answered)
    {
        var answer = Respond(ApiRequest.From(context.Request), body, tooLarge);
        var response = context.Response;
        response.StatusCode = answer.Status;
        response.ContentType = "application/json";
        if (answer.Allow is not null)
        {
            response.Headers.Allow = answer.Allow;
        }

        response.ContentLength = answer.Body.Length;
        answered?.Invoke(answer, context);
        await response.Body.WriteAsync(answer.Body, context.RequestAborted);
        Answered?.Invoke(answer.Journal, answer.Request, answer.Response);
    }

    /// <summary>
    /// The built-in behaviour on one request (knowlarity.md §4.2): journals the request, checks keys, channel, content
    /// type and JSON, runs the endpoint's handler and journals the answer with the rules the request broke.
    /// </summary>
    internal Answer Respond(ApiRequest request, byte[] body, bool tooLarge, bool raiseAnswered = false)
    {
        var journal = JournalForRequest();
        var requestEntry = JournalRequest(journal, request, body, tooLarge);
        var findings = new List<RuleFinding>();
        ApiResult result;
        string? allow;
        bool handled;
        try
        {
            result = Dispatch(request, body, tooLarge, findings, judgeOnly: false, out allow, out handled);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or KeyNotFoundException or NullReferenceException or IndexOutOfRangeException or JsonException)
        {
            // A defect of the fake (or an account loaded with wrong types): a clear error in the API's shape, journaled.
            journal.Append(Direction.Internal, FrameKind.Error, "fake defect: " + e.GetType().Name + ": " + e.Message);
            journal.AddFinding(null, $"the fake failed on this request: {e.GetType().Name}: {e.Message}", entrySeq: requestEntry.Seq);
            result = ApiResult.Message(500, "The fake could not handle this request; it is recorded in the journal.");
            allow = null;
            handled = false;
        }

        foreach (var f in findings)
        {
            journal.AddFinding(f.RuleId, f.Message, f.Expected, f.Actual, requestEntry.Seq);
        }

        var bytes = result.Utf8 ?? JsonSerializer.SerializeToUtf8Bytes(result.Body, JsonDefaults.Relaxed);

        // The answer is copied into the journal's chunks; the serialized array dies young.
        var answer = journal.Append(Direction.ToClient, FrameKind.Text, AnswerSummary(result.Status, request.Method, request.Path, requestEntry.Seq, handled), utf8Text: bytes);
        if (raiseAnswered)
        {
            Answered?.Invoke(journal, requestEntry, answer);
        }

        return new Answer(result.Status, allow, bytes, journal, requestEntry, answer);
    }

    /// <summary>
    /// Journals a request that a user's stub (or WireMock.Net's no-match answer) answered, with the client rules it
    /// broke as far as they can be judged without the endpoint's handler (keys, channel, path, content type, JSON,
    /// query encoding), so that nothing the client sent is missing from the API journal.
    /// </summary>
    internal void JournalStubbed(ApiRequest request, byte[] body, int status, string answerText, string servedBy)
    {
        var journal = JournalForRequest();
        var requestEntry = JournalRequest(journal, request, body, tooLarge: false);
        var findings = new List<RuleFinding>();
        if (ApiRequest.TryParseApiPath(request.Path, out _, out _))
        {
            try
            {
                Dispatch(request, body, tooLarge: false, findings, judgeOnly: true, out _, out _);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException or ArgumentException or KeyNotFoundException)
            {
                journal.AddFinding(null, $"the fake failed judging this request: {e.GetType().Name}: {e.Message}", entrySeq: requestEntry.Seq);
            }
        }

        foreach (var f in findings)
        {
            journal.AddFinding(f.RuleId, f.Message, f.Expected, f.Actual, requestEntry.Seq);
        }

        var summary = AnswerSummary(status, request.Method, request.Path, requestEntry.Seq, handled: false) + " " + servedBy;
        var answer = journal.Append(Direction.ToClient, status == 0 ? FrameKind.Error : FrameKind.Text, summary, text: answerText);
        Answered?.Invoke(journal, requestEntry, answer);
    }

    /// <param name="judgeOnly">Stop before the endpoint's handler (a stub answered): only the request's findings count.</param>
    /// <param name="handled">Whether the endpoint's handler ran (the request got past routing, keys and body checks).</param>
    private ApiResult Dispatch(ApiRequest request, byte[] body, bool tooLarge, List<RuleFinding> findings, bool judgeOnly, out string? allow, out bool handled)
    {
        allow = null;
        handled = false;
        var path = request.Path;
        if (!ApiRequest.TryParseApiPath(path, out var channel, out var rest))
        {
            return ApiResult.Message(404, $"No such endpoint: {request.Method} {path}.");
        }

        if (tooLarge)
        {
            return ApiResult.Message(413, $"Request body is larger than {_options.MaxBodyBytes} bytes.");
        }

        var segments = rest.Trim('/').Split('/');
        (RestRoute Route, IReadOnlyDictionary<string, string> Values) match = default;
        List<string>? methods = null;
        foreach (var candidate in RestRoutes.All)
        {
            if (candidate.TryMatch(segments, out var v))
            {
                if (candidate.Method == request.Method)
                {
                    match = (candidate, v!);
                    break;
                }

                (methods ??= []).Add(candidate.Method);
            }
        }

        if (match.Route is null && !judgeOnly)
        {
            if (methods is null)
            {
                return ApiResult.Message(404, $"No such endpoint: {request.Method} {path}.");
            }

            allow = string.Join(", ", methods.Distinct());
            return ApiResult.Message(405, $"Method {request.Method} is not allowed here; use {allow}.");
        }

        var route = match.Route;
        var credentials = _options.Credentials;
        var apiKey = request.Header("x-api-key");
        var authorization = request.Header("Authorization");

        // knowlarity.md §4.2: the gateway checks x-api-key first.
        if (apiKey != credentials.XApiKey)
        {
            var swapped = apiKey == credentials.SrApiKey && authorization == credentials.XApiKey;
            findings.Add(new RuleFinding("KRS-001", apiKey.Length == 0 ? "request without x-api-key" : "x-api-key is not the application access key", "x-api-key: <application access key>", apiKey.Length == 0 ? "absent" : swapped ? "the SR API key (keys swapped)" : "another value"));
            if (swapped)
            {
                findings.Add(new RuleFinding("KRS-002", "Authorization carries the application access key (keys swapped)", "Authorization: <SR API key>", "the access key"));
            }

            if (_options.GatewayErrors)
            {
                return ApiResult.Message(403, "Forbidden");
            }
        }

        // Some entries write USERNAME:SR_API_KEY; every example sends the bare key (knowlarity.md §6.11).
        var srKey = authorization.Contains(':', StringComparison.Ordinal) ? authorization[(authorization.LastIndexOf(':') + 1)..].Trim() : authorization;
        if (srKey != credentials.SrApiKey)
        {
            findings.Add(new RuleFinding("KRS-002", authorization.Length == 0 ? "request without Authorization" : "Authorization is not the SR API key", "Authorization: <SR API key>", authorization.Length == 0 ? "absent" : authorization == credentials.XApiKey ? "the access key" : "another value"));
            return route is null ? ApiResult.Message(401, RestHandlers.AuthorizationMessage) : AuthorizationFailure(route.Auth);
        }

        if (apiKey != credentials.XApiKey)
        {
            return ApiResult.Message(401, RestHandlers.AuthorizationMessage);
        }

        if (!string.Equals(channel, Account.Fixture.Channel, StringComparison.Ordinal))
        {
            findings.Add(new RuleFinding("KRS-003", $"channel \"{channel}\" is not the account's", Account.Fixture.Channel, channel));
            if (_options.StrictChannel)
            {
                return ApiResult.Message(403, "Forbidden");
            }
        }

        if (!path.Contains("/v1/account/", StringComparison.Ordinal) && route?.Template != "/plans")
        {
            findings.Add(new RuleFinding("KRS-003", "path without /v1 (only the plans header writes it so)", $"/{channel}/v1/account{rest}", path));
        }

        CheckQueryEncoding(request.RawQuery, findings);
        JsonNode? json = null;
        if (body.Length > 0 && !IsWhitespace(body))
        {
            var contentType = request.ContentType;
            if (!(contentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ?? false))
            {
                findings.Add(new RuleFinding("KRS-005", "JSON body not labelled application/json", "content-type: application/json", contentType ?? "absent"));
            }

            try
            {
                json = JsonNode.Parse(body);
            }
            catch (JsonException e)
            {
                findings.Add(new RuleFinding("KRS-004", "the body is not valid JSON: " + e.Message, "a JSON document", Preview(body)));
                return ApiResult.IncorrectInput;
            }

            if (json is not JsonObject)
            {
                findings.Add(new RuleFinding("KRS-004", "the body is JSON but not an object", "a JSON object", Preview(body)));
                return ApiResult.IncorrectInput;
            }
        }

        if (judgeOnly || route is null)
        {
            return ApiResult.IncorrectInput;
        }

        handled = true;
        return Run(route, request, channel, rest, match.Values!, json, findings);
    }

    private ApiResult Run(RestRoute route, ApiRequest request, string channel, string rest, IReadOnlyDictionary<string, string> values, JsonNode? json, List<RuleFinding> findings)
    {
        var call = new RestCall
        {
            Method = request.Method,
            Channel = channel,
            Path = rest,
            RawQuery = request.RawQuery,
            Query = request.Query(),
            RouteValues = values,
            Body = json,
            Account = Account,
            Options = _options,
            Calls = Calls,
        };
        var result = route.Handle(call);
        findings.AddRange(call.Findings);
        return result;
    }

    private static ApiResult AuthorizationFailure(AuthFamily family) => family switch
    {
        AuthFamily.Error => new ApiResult(401, new JsonObject { ["error"] = RestHandlers.AuthorizationMessage }),
        AuthFamily.NotifyEnable => ApiResult.Message(401, "Client name, authorization or knowlarity number is wrong."),
        AuthFamily.NotifyRegister => RestHandlers.RegisterError("+91XXXXXXXXXX"),
        AuthFamily.Makecall => ApiResult.ErrorMessage(401, "Invalid API Key for this SR number"),
        _ => ApiResult.Message(401, RestHandlers.AuthorizationMessage),
    };

    /// <summary>KRS-007: <c>+</c> in a number, <c>^</c> and <c>$</c> must be percent-encoded in the query.</summary>
    private static void CheckQueryEncoding(string raw, List<RuleFinding> findings)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return;
        }

        foreach (var pair in raw.TrimStart('?').Split('&'))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                continue;
            }

            var name = pair[..eq];
            var value = pair[(eq + 1)..];
            var numeric = name is "k_number" or "customer_number" or "number" or "knowlarity_number" or "agent_number" or "pattern";
            if (value.Contains('^', StringComparison.Ordinal) || value.Contains('$', StringComparison.Ordinal) || numeric && value.Contains('+', StringComparison.Ordinal))
            {
                findings.Add(new RuleFinding("KRS-007", $"query value of {name} is not percent-encoded", "%2B for +, %5E for ^, %24 for $", pair));
            }
        }
    }

    /// <summary>
    /// The summary of an answer entry: status, method, path, the request entry it answers, and whether the endpoint's
    /// handler ran (<see cref="AnswerPattern"/> reads it back).
    /// </summary>
    internal static string AnswerSummary(int status, string method, string? path, long requestSeq, bool handled) =>
        string.Create(CultureInfo.InvariantCulture, $"{status} {method} {path} (answer to #{requestSeq}){(handled ? "" : ", refused before the endpoint")}");

    /// <summary>Reads <see cref="AnswerSummary"/>: groups status, request and refused.</summary>
    internal static System.Text.RegularExpressions.Regex AnswerPattern { get; } =
        new(@"^(?<status>\d+) \S+ \S* \(answer to #(?<request>\d+)\)(?<refused>, refused before the endpoint)?", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    /// <summary>
    /// Journals a request as the raw HTTP message (request line, headers with the keys masked, blank line, body): one
    /// UTF-8 text in the journal's chunks and no object graph, so the newest tens of thousands stay cheap to keep.
    /// It is written as UTF-8 into the thread's buffer (the journal keeps a copy); <see cref="RawRequest"/> reads it back.
    /// </summary>
    private JournalEntry JournalRequest(SessionJournal journal, ApiRequest request, byte[] body, bool tooLarge)
    {
        var redactor = _options.Redactor;
        var raw = t_raw ?? new ArrayBufferWriter<byte>(1024);
        t_raw = null;
        try
        {
            WriteUtf8(raw, request.Method);
            WriteUtf8(raw, " ");
            WriteUtf8(raw, request.Path);
            WriteUtf8(raw, request.RawQuery);
            WriteUtf8(raw, " ");
            WriteUtf8(raw, request.Protocol);
            WriteUtf8(raw, "\r\n");
            foreach (var (name, value) in request.Headers)
            {
                WriteLowerUtf8(raw, name);
                WriteUtf8(raw, ": ");
                WriteUtf8(raw, redactor.Redact(value));
                WriteUtf8(raw, "\r\n");
            }

            WriteUtf8(raw, "\r\n");
            var shown = tooLarge ? body.AsSpan(0, Math.Min(1024, body.Length)) : body;
            if (tooLarge)
            {
                WriteUtf8(raw, string.Create(CultureInfo.InvariantCulture, $"[{body.Length}+ bytes, over the {_options.MaxBodyBytes}-byte limit; first 1 KiB] "));
            }

            if (System.Text.Unicode.Utf8.IsValid(shown))
            {
                raw.Write(shown);
            }
            else
            {
                // Kept as the text a reader decodes: every invalid sequence as U+FFFD.
                WriteUtf8(raw, Encoding.UTF8.GetString(shown));
            }

            return journal.Append(Direction.FromClient, FrameKind.Text, $"{request.Method} {request.Path}{request.RawQuery}", utf8Text: raw.WrittenMemory, length: body.Length);
        }
        finally
        {
            raw.ResetWrittenCount();
            if (raw.Capacity <= 64 * 1024)
            {
                t_raw = raw;
            }
        }
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_raw;

    private static void WriteUtf8(ArrayBufferWriter<byte> to, ReadOnlySpan<char> text)
    {
        var span = to.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        to.Advance(Encoding.UTF8.GetBytes(text, span));
    }

    /// <summary>A header name in lower case (ASCII in place; anything else through <see cref="string.ToLowerInvariant"/>, which keeps the UTF-16 length).</summary>
    private static void WriteLowerUtf8(ArrayBufferWriter<byte> to, string name)
    {
        var span = to.GetSpan(Encoding.UTF8.GetMaxByteCount(name.Length));
        var n = Encoding.UTF8.GetBytes(name, span);
        if (Ascii.ToLowerInPlace(span[..n], out _) != OperationStatus.Done)
        {
            n = Encoding.UTF8.GetBytes(name.ToLowerInvariant(), span);
        }

        to.Advance(n);
    }

    /// <summary>Reads the body up to <paramref name="limit"/>; beyond it the rest is drained and the request marked too large.</summary>
    internal static async Task<(byte[] Body, bool TooLarge)> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength == 0 || request.HttpContext.Features.Get<IHttpRequestBodyDetectionFeature>() is { CanHaveBody: false })
        {
            // A GET without Content-Length or chunked encoding has no body (RFC 9112 §6.3): nothing to read.
            return ([], false);
        }

        if (request.ContentLength is { } declared && declared > limit)
        {
            var head = new byte[Math.Min(1024, limit)];
            var read = await request.Body.ReadAtLeastAsync(head, head.Length, throwOnEndOfStream: false, cancellationToken);
            return (head[..read], true);
        }

        using var buffer = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int n;
            while ((n = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + n > limit)
                {
                    return (buffer.ToArray(), true);
                }

                buffer.Write(chunk, 0, n);
            }
        }
        catch (BadHttpRequestException)
        {
            // Kestrel's own body limit or a broken chunked body: treat as too large / truncated.
            return (buffer.ToArray(), true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return (buffer.ToArray(), false);
    }

    private static bool IsWhitespace(byte[] body) => body.All(b => b is (byte)' ' or (byte)'\r' or (byte)'\n' or (byte)'\t');

    private static string Preview(byte[] body) => body.Length <= 200 ? Encoding.UTF8.GetString(body) : Encoding.UTF8.GetString(body, 0, 200) + "…";

    internal static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
