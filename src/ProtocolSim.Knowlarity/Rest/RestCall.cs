using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>Which documented body a route answers a bad <c>Authorization</c> with (knowlarity.md §2.3 error table).</summary>
internal enum AuthFamily
{
    /// <summary>401 <c>{"message":"The SR API Key used to authenticate is incorrect."}</c>.</summary>
    Message,

    /// <summary>401 <c>{"error":"The SR API Key used to authenticate is incorrect."}</c> (plans).</summary>
    Error,

    /// <summary>401 <c>{"message":"Client name, authorization or knowlarity number is wrong."}</c> (notifications enable/disable).</summary>
    NotifyEnable,

    /// <summary>400 <c>{"error":{"knowlarity_number":"The knowlarity number(...) or API key is invalid."}}</c> (register).</summary>
    NotifyRegister,

    /// <summary>401 <c>{"error":{"message":"Invalid API Key for this SR number"}}</c> (makecall, otpcall).</summary>
    Makecall,
}

/// <summary>A rule finding raised while a request was handled; journaled against the request entry.</summary>
internal sealed record RuleFinding(string RuleId, string Message, string? Expected, string? Actual);

/// <summary>
/// An answer: status and JSON body (the fake's routes never answer with anything but JSON), as a node tree or, for a
/// view of the account written while its lock is held, as the UTF-8 JSON itself (<see cref="Utf8"/>).
/// </summary>
internal readonly record struct ApiResult(int Status, JsonNode? Body, byte[]? Utf8 = null)
{
    public static ApiResult Ok(JsonNode body) => new(200, body);

    /// <summary>A 200 answer written straight to UTF-8 JSON (no copy of the account's nodes).</summary>
    public static ApiResult Ok(Action<Utf8JsonWriter> write)
    {
        // The thread's writer and buffer are reused (taken while in use, so a nested answer gets its own): an answer
        // then allocates only its bytes.
        var (buffer, writer) = t_writer ?? (new ArrayBufferWriter<byte>(1024), new Utf8JsonWriter(Stream.Null, WriterOptions));
        t_writer = null;
        try
        {
            writer.Reset(buffer);
            write(writer);
            writer.Flush();
            return new(200, null, buffer.WrittenSpan.ToArray());
        }
        finally
        {
            if (buffer.Capacity <= 64 * 1024)
            {
                buffer.ResetWrittenCount();
                t_writer = (buffer, writer);
            }
        }
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JsonDefaults.Relaxed.Encoder, SkipValidation = true };

    [ThreadStatic]
    private static (ArrayBufferWriter<byte> Buffer, Utf8JsonWriter Writer)? t_writer;

    public static ApiResult Message(int status, string message) => new(status, new JsonObject { ["message"] = message });

    public static ApiResult ErrorMessage(int status, string message) => new(status, new JsonObject { ["error"] = new JsonObject { ["message"] = message } });

    /// <summary>knowlarity.md §4.2: validation errors.</summary>
    public static ApiResult IncorrectInput => Message(400, "You have provided incorrect input. For more information contact support.");
}

/// <summary>One request to the REST fake as its handlers see it: path values, query, parsed body, and findings raised.</summary>
internal sealed class RestCall
{
    public required string Method { get; init; }

    public required string Channel { get; init; }

    /// <summary>The path after <c>/{channel}/v1/account</c>, without a trailing slash (e.g. <c>/call/makecall</c>).</summary>
    public required string Path { get; init; }

    public required string RawQuery { get; init; }

    public required IReadOnlyDictionary<string, string> Query { get; init; }

    public required IReadOnlyDictionary<string, string> RouteValues { get; init; }

    /// <summary>The body parsed as JSON; null when absent.</summary>
    public JsonNode? Body { get; init; }

    public required KnowlarityAccount Account { get; init; }

    public required KnowlarityOptions Options { get; init; }

    public required CallSimulator Calls { get; init; }

    public List<RuleFinding> Findings { get; } = [];

    public DateTimeOffset Now => Account.Now;

    public void Finding(string ruleId, string message, string? expected = null, string? actual = null) =>
        Findings.Add(new RuleFinding(ruleId, message, expected, actual));

    public JsonObject? BodyObject => Body as JsonObject;

    public string? QueryValue(string name) => Query.TryGetValue(name, out var v) ? v : null;

    /// <summary>A body member as text whatever its JSON type (the documents send ids both as strings and numbers).</summary>
    public string? Text(string name) => BodyObject?[name] switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        var other => other.ToJsonString(),
    };

    public bool Has(string name) => BodyObject?[name] is { } node && !(node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0);

    /// <summary>An integer member given as a number or a numeric string; null when absent, <paramref name="valid"/> false when not an integer.</summary>
    public int? Integer(string name, out bool valid)
    {
        valid = true;
        var node = BodyObject?[name];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue v && (v.TryGetValue<int>(out var i) || v.TryGetValue<string>(out var s) && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out i)))
        {
            return i;
        }

        valid = false;
        return null;
    }

    /// <summary>
    /// A phone number member or query value: E.164 is expected (KRS-006); a number without <c>+</c> is recorded and
    /// normalised; null when it is no phone number at all.
    /// </summary>
    public string? Phone(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (PhoneNumbers.IsE164(value))
        {
            return value;
        }

        Finding("KRS-006", $"{field} \"{value}\" is not in E.164 form", "+ and country code, e.g. +919876543210", value);
        return PhoneNumbers.Normalise(value);
    }

    /// <summary>Several numbers in one string, separated by <c>;</c> (KRS-022); other separators are recorded and split anyway.</summary>
    public List<string>? PhoneList(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Contains(',', StringComparison.Ordinal) || value.Contains('\n', StringComparison.Ordinal))
        {
            Finding("KRS-022", $"{field} separates numbers with something other than ';'", "+91…;+91…", value);
        }

        var numbers = new List<string>();
        foreach (var part in value.Split([';', ',', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Phone(field, part) is not { } number)
            {
                return null;
            }

            numbers.Add(number);
        }

        return numbers;
    }
}
