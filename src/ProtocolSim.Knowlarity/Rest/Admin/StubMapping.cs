using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace ProtocolSim.Knowlarity.Rest.Admin;

/// <summary>A WireMock string matcher: <c>equalTo</c>, <c>contains</c>, <c>doesNotContain</c>, <c>matches</c>, <c>doesNotMatch</c>, <c>absent</c>, <c>equalToJson</c>, <c>matchesJsonPath</c>.</summary>
internal sealed class ValueMatcher
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(1);
    private readonly string _kind;
    private readonly string? _text;
    private readonly JsonNode? _json;
    private readonly Regex? _regex;
    private readonly bool _caseInsensitive;
    private readonly bool _ignoreArrayOrder;
    private readonly bool _ignoreExtraElements;
    private readonly JsonPath? _path;
    private readonly ValueMatcher? _inner;

    private ValueMatcher(string kind, string? text, JsonNode? json, bool caseInsensitive, bool ignoreArrayOrder, bool ignoreExtraElements, JsonPath? path, ValueMatcher? inner)
    {
        _kind = kind;
        _text = text;
        _json = json;
        _caseInsensitive = caseInsensitive;
        _ignoreArrayOrder = ignoreArrayOrder;
        _ignoreExtraElements = ignoreExtraElements;
        _path = path;
        _inner = inner;
        if (kind is "matches" or "doesNotMatch")
        {
            _regex = new Regex("^(?:" + text + ")$", RegexOptions.CultureInvariant | RegexOptions.Singleline, RegexTimeout);
        }
    }

    public bool IsAbsent => _kind == "absent";

    /// <summary>Parses a matcher object; the error names the JSON pointer of the problem.</summary>
    public static ValueMatcher Parse(JsonNode? node, string pointer)
    {
        if (node is not JsonObject o)
        {
            throw new StubMappingException(pointer, "a matcher must be an object such as {\"equalTo\": \"...\"}");
        }

        var caseInsensitive = o["caseInsensitive"] is JsonValue ci && ci.TryGetValue<bool>(out var c) && c;
        var ignoreOrder = o["ignoreArrayOrder"] is JsonValue io && io.TryGetValue<bool>(out var i) && i;
        var ignoreExtra = o["ignoreExtraElements"] is JsonValue ie && ie.TryGetValue<bool>(out var e) && e;
        foreach (var kind in new[] { "equalTo", "contains", "doesNotContain", "matches", "doesNotMatch", "absent", "equalToJson", "matchesJsonPath" })
        {
            if (!o.TryGetPropertyValue(kind, out var value))
            {
                continue;
            }

            switch (kind)
            {
                case "absent":
                    return new ValueMatcher(kind, null, null, false, false, false, null, null);
                case "equalToJson":
                    var expected = value is JsonValue s && s.TryGetValue<string>(out var text) ? ParseJson(text, pointer + "/equalToJson") : value?.DeepClone();
                    return new ValueMatcher(kind, null, expected, false, ignoreOrder, ignoreExtra, null, null);
                case "matchesJsonPath":
                    if (value is JsonObject form)
                    {
                        var expression = form["expression"] is JsonValue ev && ev.TryGetValue<string>(out var ex) ? ex : throw new StubMappingException(pointer + "/matchesJsonPath", "the object form needs \"expression\"");
                        var rest = new JsonObject(form.Where(p => p.Key != "expression").Select(p => KeyValuePair.Create(p.Key, p.Value?.DeepClone())));
                        return new ValueMatcher(kind, null, null, false, false, false, JsonPath.Parse(expression, pointer + "/matchesJsonPath/expression"), Parse(rest, pointer + "/matchesJsonPath"));
                    }

                    var path = value is JsonValue pv && pv.TryGetValue<string>(out var p) ? p : throw new StubMappingException(pointer + "/matchesJsonPath", "must be a string or {\"expression\", matcher}");
                    return new ValueMatcher(kind, null, null, false, false, false, JsonPath.Parse(path, pointer + "/matchesJsonPath"), null);
                default:
                    var str = value is JsonValue sv && sv.TryGetValue<string>(out var t) ? t : value?.ToJsonString() ?? "";
                    try
                    {
                        return new ValueMatcher(kind, str, null, caseInsensitive, false, false, null, null);
                    }
                    catch (ArgumentException ae)
                    {
                        throw new StubMappingException(pointer + "/" + kind, "not a valid regular expression: " + ae.Message);
                    }
            }
        }

        throw new StubMappingException(pointer, "no known matcher (equalTo, contains, doesNotContain, matches, doesNotMatch, absent, equalToJson, matchesJsonPath)");
    }

    private static JsonNode? ParseJson(string text, string pointer)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw new StubMappingException(pointer, "not valid JSON: " + e.Message);
        }
    }

    /// <summary>Whether a value (null = absent) matches.</summary>
    public bool Matches(string? value)
    {
        if (_kind == "absent")
        {
            return value is null;
        }

        if (value is null)
        {
            return false;
        }

        var comparison = _caseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        try
        {
            return _kind switch
            {
                "equalTo" => string.Equals(value, _text, comparison),
                "contains" => value.Contains(_text!, comparison),
                "doesNotContain" => !value.Contains(_text!, comparison),
                "matches" => _regex!.IsMatch(value),
                "doesNotMatch" => !_regex!.IsMatch(value),
                "equalToJson" => TryParse(value) is var (ok, actual) && ok && JsonEquals(_json, actual),
                "matchesJsonPath" => MatchesPath(value),
                _ => false,
            };
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private bool MatchesPath(string value)
    {
        var (ok, document) = TryParse(value);
        if (!ok)
        {
            return false;
        }

        var results = _path!.Evaluate(document);
        if (_inner is null)
        {
            return results.Count > 0;
        }

        return results.Any(r => _inner.Matches(r is JsonValue v && v.TryGetValue<string>(out var s) ? s : r?.ToJsonString() ?? "null"));
    }

    private static (bool, JsonNode?) TryParse(string value)
    {
        try
        {
            return (true, JsonNode.Parse(value));
        }
        catch (JsonException)
        {
            return (false, null);
        }
    }

    private bool JsonEquals(JsonNode? expected, JsonNode? actual)
    {
        switch (expected)
        {
            case null:
                return actual is null;
            case JsonObject eo:
                if (actual is not JsonObject ao || !_ignoreExtraElements && ao.Count != eo.Count)
                {
                    return false;
                }

                return eo.All(p => ao.TryGetPropertyValue(p.Key, out var av) && JsonEquals(p.Value, av));
            case JsonArray ea:
                if (actual is not JsonArray aa || !_ignoreExtraElements && aa.Count != ea.Count || aa.Count < ea.Count)
                {
                    return false;
                }

                if (!_ignoreArrayOrder)
                {
                    return ea.Select((x, i) => JsonEquals(x, aa[i])).All(b => b) && (_ignoreExtraElements || aa.Count == ea.Count);
                }

                var used = new bool[aa.Count];
                foreach (var item in ea)
                {
                    var index = Enumerable.Range(0, aa.Count).FirstOrDefault(i => !used[i] && JsonEquals(item, aa[i]), -1);
                    if (index < 0)
                    {
                        return false;
                    }

                    used[index] = true;
                }

                return true;
            default:
                return actual is JsonValue && JsonNode.DeepEquals(expected, actual);
        }
    }
}

/// <summary>The JSONPath subset stubs use: <c>$</c>, <c>.name</c>, <c>['name']</c>, <c>[n]</c>, <c>[*]</c>, <c>..name</c>.</summary>
internal sealed partial class JsonPath
{
    private readonly List<(string Kind, string Name, int Index)> _steps;

    private JsonPath(List<(string, string, int)> steps) => _steps = steps;

    public static JsonPath Parse(string expression, string pointer)
    {
        var steps = new List<(string, string, int)>();
        if (!expression.StartsWith('$'))
        {
            throw new StubMappingException(pointer, $"JSONPath \"{expression}\" must start with $");
        }

        var rest = expression[1..];
        while (rest.Length > 0)
        {
            var m = Step().Match(rest);
            if (!m.Success)
            {
                throw new StubMappingException(pointer, $"JSONPath \"{expression}\" uses a form this fake does not support at \"{rest}\" (supported: .name, ['name'], [n], [*], ..name)");
            }

            if (m.Groups["deep"].Success)
            {
                steps.Add(("deep", m.Groups["deep"].Value, 0));
            }
            else if (m.Groups["name"].Success)
            {
                steps.Add(("name", m.Groups["name"].Value, 0));
            }
            else if (m.Groups["quoted"].Success)
            {
                steps.Add(("name", m.Groups["quoted"].Value, 0));
            }
            else if (m.Groups["index"].Success)
            {
                steps.Add(("index", "", int.Parse(m.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture)));
            }
            else
            {
                steps.Add(("all", "", 0));
            }

            rest = rest[m.Length..];
        }

        return new JsonPath(steps);
    }

    public List<JsonNode?> Evaluate(JsonNode? document)
    {
        var current = new List<JsonNode?> { document };
        foreach (var (kind, name, index) in _steps)
        {
            var next = new List<JsonNode?>();
            foreach (var node in current)
            {
                switch (kind)
                {
                    case "name" when node is JsonObject o && o.TryGetPropertyValue(name, out var v):
                        next.Add(v);
                        break;
                    case "index" when node is JsonArray a && (index >= 0 ? index < a.Count : -index <= a.Count):
                        next.Add(a[index >= 0 ? index : a.Count + index]);
                        break;
                    case "all" when node is JsonArray a:
                        next.AddRange(a);
                        break;
                    case "all" when node is JsonObject o:
                        next.AddRange(o.Select(p => p.Value));
                        break;
                    case "deep":
                        Descend(node, name, next);
                        break;
                }
            }

            current = next;
        }

        return current;
    }

    private static void Descend(JsonNode? node, string name, List<JsonNode?> found)
    {
        if (node is JsonObject o)
        {
            foreach (var (key, value) in o)
            {
                if (key == name)
                {
                    found.Add(value);
                }

                Descend(value, name, found);
            }
        }
        else if (node is JsonArray a)
        {
            foreach (var item in a)
            {
                Descend(item, name, found);
            }
        }
    }

    [GeneratedRegex(@"^(?:\.\.(?<deep>[A-Za-z0-9_\-]+)|\.(?<name>[A-Za-z0-9_\-]+)|\['(?<quoted>[^']*)'\]|\[(?<index>-?[0-9]+)\]|\[\*\]|\.\*)")]
    private static partial Regex Step();
}

/// <summary>A mapping the admin API cannot accept; WireMock answers these with 422 and a JSON pointer.</summary>
internal sealed class StubMappingException(string pointer, string message) : Exception(message)
{
    public string Pointer { get; } = pointer;
}

/// <summary>
/// One stub mapping in WireMock's JSON shape (the subset of issue 4: method, url/urlPath/urlPathPattern/urlPattern,
/// headers, queryParameters, bodyPatterns; status, body/jsonBody/base64Body, headers, fixedDelayMilliseconds, fault).
/// </summary>
internal sealed class StubMapping
{
    private static readonly string[] Faults = ["EMPTY_RESPONSE", "MALFORMED_RESPONSE_CHUNK", "RANDOM_DATA_THEN_CLOSE", "CONNECTION_RESET_BY_PEER"];

    private StubMapping(JsonObject json)
    {
        Json = json;
    }

    public Guid Id { get; private init; }

    public int Priority { get; private init; } = 5;

    public long Sequence { get; init; }

    /// <summary>The mapping as stored and listed (with <c>id</c> and <c>uuid</c>).</summary>
    public JsonObject Json { get; }

    private string? Method { get; init; }

    private (string Kind, string Value, Regex? Regex)? Url { get; init; }

    private List<(string Name, ValueMatcher Matcher)> Headers { get; init; } = [];

    private List<(string Name, ValueMatcher Matcher)> QueryParameters { get; init; } = [];

    private List<ValueMatcher> BodyPatterns { get; init; } = [];

    public int Status { get; private init; } = 200;

    public string? StatusMessage { get; private init; }

    public byte[] Body { get; private init; } = [];

    public List<(string Name, string[] Values)> ResponseHeaders { get; private init; } = [];

    public int DelayMilliseconds { get; private init; }

    public string? Fault { get; private init; }

    public static StubMapping Parse(JsonNode? node, Guid? id, long sequence)
    {
        if (node is not JsonObject source)
        {
            throw new StubMappingException("", "a mapping must be a JSON object with \"request\" and \"response\"");
        }

        var json = (JsonObject)source.DeepClone();
        var mappingId = id ?? (json["id"] is JsonValue iv && iv.TryGetValue<string>(out var s) && Guid.TryParse(s, out var g) ? g : json["uuid"] is JsonValue uv && uv.TryGetValue<string>(out var u) && Guid.TryParse(u, out var g2) ? g2 : Guid.NewGuid());
        json["id"] = mappingId.ToString();
        json["uuid"] = mappingId.ToString();
        var request = json["request"] as JsonObject ?? throw new StubMappingException("/request", "missing or not an object");
        var response = json["response"] as JsonObject ?? throw new StubMappingException("/response", "missing or not an object");

        (string, string, Regex?)? url = null;
        foreach (var kind in new[] { "url", "urlPattern", "urlPath", "urlPathPattern" })
        {
            if (request[kind] is JsonValue v && v.TryGetValue<string>(out var text))
            {
                Regex? regex = null;
                if (kind.EndsWith("Pattern", StringComparison.Ordinal))
                {
                    try
                    {
                        regex = new Regex("^(?:" + text + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                    }
                    catch (ArgumentException e)
                    {
                        throw new StubMappingException("/request/" + kind, "not a valid regular expression: " + e.Message);
                    }
                }

                url = (kind, text, regex);
                break;
            }
        }

        var headers = Named(request["headers"], "/request/headers");
        var query = Named(request["queryParameters"], "/request/queryParameters");
        var bodyPatterns = new List<ValueMatcher>();
        if (request["bodyPatterns"] is JsonArray patterns)
        {
            for (var i = 0; i < patterns.Count; i++)
            {
                bodyPatterns.Add(ValueMatcher.Parse(patterns[i], $"/request/bodyPatterns/{i}"));
            }
        }
        else if (request["bodyPatterns"] is not null)
        {
            throw new StubMappingException("/request/bodyPatterns", "must be an array of matchers");
        }

        var status = response["status"] is JsonValue st && st.TryGetValue<int>(out var code) ? code : 200;
        if (status is < 100 or > 599)
        {
            throw new StubMappingException("/response/status", $"{status} is not an HTTP status");
        }

        byte[] body = [];
        if (response["base64Body"] is JsonValue b64 && b64.TryGetValue<string>(out var base64))
        {
            try
            {
                body = Convert.FromBase64String(base64);
            }
            catch (FormatException)
            {
                throw new StubMappingException("/response/base64Body", "not valid base64");
            }
        }
        else if (response["jsonBody"] is { } jsonBody)
        {
            body = System.Text.Encoding.UTF8.GetBytes(jsonBody.ToJsonString());
        }
        else if (response["body"] is JsonValue bv && bv.TryGetValue<string>(out var text))
        {
            body = System.Text.Encoding.UTF8.GetBytes(text);
        }

        var responseHeaders = new List<(string, string[])>();
        if (response["headers"] is JsonObject rh)
        {
            foreach (var (name, value) in rh)
            {
                responseHeaders.Add((name, value switch
                {
                    JsonArray a => a.Select(x => x?.ToString() ?? "").ToArray(),
                    JsonValue v when v.TryGetValue<string>(out var hs) => [hs],
                    _ => [value?.ToJsonString() ?? ""],
                }));
            }
        }

        var fault = response["fault"] is JsonValue fv && fv.TryGetValue<string>(out var f) ? f : null;
        if (fault is not null && !Faults.Contains(fault))
        {
            throw new StubMappingException("/response/fault", $"\"{fault}\" is not one of {string.Join(", ", Faults)}");
        }

        return new StubMapping(json)
        {
            Id = mappingId,
            Sequence = sequence,
            Priority = json["priority"] is JsonValue pv && pv.TryGetValue<int>(out var p) ? p : 5,
            Method = request["method"] is JsonValue mv && mv.TryGetValue<string>(out var m) ? m : null,
            Url = url,
            Headers = headers,
            QueryParameters = query,
            BodyPatterns = bodyPatterns,
            Status = status,
            StatusMessage = response["statusMessage"]?.GetValue<string>(),
            Body = body,
            ResponseHeaders = responseHeaders,
            DelayMilliseconds = response["fixedDelayMilliseconds"] is JsonValue dv && dv.TryGetValue<int>(out var d) ? Math.Clamp(d, 0, 600_000) : 0,
            Fault = fault,
        };
    }

    private static List<(string, ValueMatcher)> Named(JsonNode? node, string pointer)
    {
        var list = new List<(string, ValueMatcher)>();
        if (node is null)
        {
            return list;
        }

        if (node is not JsonObject o)
        {
            throw new StubMappingException(pointer, "must be an object of name to matcher");
        }

        foreach (var (name, value) in o)
        {
            list.Add((name, ValueMatcher.Parse(value, pointer + "/" + name)));
        }

        return list;
    }

    public bool Matches(HttpRequest request, string body)
    {
        if (Method is not null && Method != "ANY" && !string.Equals(Method, request.Method, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var path = request.Path.Value ?? "/";
        if (Url is var (kind, value, regex))
        {
            var withQuery = path + request.QueryString.Value;
            var ok = kind switch
            {
                "url" => withQuery == value,
                "urlPattern" => regex!.IsMatch(withQuery),
                "urlPath" => path == value,
                _ => regex!.IsMatch(path),
            };
            if (!ok)
            {
                return false;
            }
        }

        foreach (var (name, matcher) in Headers)
        {
            var values = request.Headers.TryGetValue(name, out var v) ? v : default;
            if (values.Count == 0 ? !matcher.Matches(null) : !values.Any(matcher.Matches))
            {
                return false;
            }
        }

        foreach (var (name, matcher) in QueryParameters)
        {
            var values = request.Query.TryGetValue(name, out var v) ? v : default;
            if (values.Count == 0 ? !matcher.Matches(null) : !values.Any(matcher.Matches))
            {
                return false;
            }
        }

        return BodyPatterns.All(p => p.Matches(body));
    }
}
