using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using ProtocolSim.Core;
using WireMock;
using WireMock.Types;
using WireMock.Util;

namespace ProtocolSim.Knowlarity.Rest.Stubbing;

/// <summary>
/// A request the built-in behaviour answered on the fast path, as WireMock.Net's request log shows it: read back
/// from the API journal's raw request (<see cref="RawRequest"/>, keys masked) the first time a property is read, so
/// that a request costs the log nothing until someone looks.
/// </summary>
internal sealed class JournaledRequest(JournalEntry entry, string clientIp, string host, int port) : IRequestMessage
{
    private Parsed? _parsed;

    private sealed class Parsed
    {
        public required RawRequest Raw { get; init; }

        public required Dictionary<string, WireMockList<string>> Headers { get; init; }

        public required Dictionary<string, WireMockList<string>> Query { get; init; }

        public required Dictionary<string, string> Cookies { get; init; }

        public required BodyData? Body { get; init; }
    }

    private Parsed P => _parsed ??= Parse();

    private Parsed Parse()
    {
        var raw = RawRequest.Parse(entry.Text);
        var headers = new Dictionary<string, WireMockList<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in raw.Headers)
        {
            headers[name] = headers.TryGetValue(name, out var list) ? new WireMockList<string>([.. list, value]) : new WireMockList<string>(value);
        }

        var query = new Dictionary<string, WireMockList<string>>(StringComparer.Ordinal);
        foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(raw.Query))
        {
            query[name] = new WireMockList<string>(values.Select(v => v ?? "").ToArray());
        }

        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        if (headers.TryGetValue("cookie", out var cookieHeader))
        {
            foreach (var pair in string.Join("; ", cookieHeader).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    cookies[pair[..eq]] = pair[(eq + 1)..];
                }
            }
        }

        return new Parsed { Raw = raw, Headers = headers, Query = query, Cookies = cookies, Body = ParseBody(raw.Body) };
    }

    /// <summary>The body as WireMock.Net's body parser would present it: JSON when it parses as JSON, else text.</summary>
    internal static BodyData? ParseBody(string text)
    {
        if (text.Length == 0)
        {
            return null;
        }

        var body = new BodyData { BodyAsBytes = Encoding.UTF8.GetBytes(text), BodyAsString = text, Encoding = Encoding.UTF8, DetectedBodyType = BodyType.String };
        try
        {
            body.BodyAsJson = Newtonsoft.Json.Linq.JToken.Parse(text);
            body.DetectedBodyType = BodyType.Json;
        }
        catch (Newtonsoft.Json.JsonException)
        {
            // Text it is.
        }

        return body;
    }

    public string ClientIP => clientIp;

    public string Url => Origin + P.Raw.Target;

    public string AbsoluteUrl => Url;

    public string? ProxyUrl { get; set; }

    public DateTime DateTime => entry.Time.UtcDateTime;

    public string Path => P.Raw.Path;

    public string AbsolutePath => P.Raw.Path;

    public string[] PathSegments => Path.Split('/', StringSplitOptions.RemoveEmptyEntries);

    public string[] AbsolutePathSegments => PathSegments;

    public string Method => P.Raw.Method;

    public string HttpVersion => P.Raw.Protocol.StartsWith("HTTP/", StringComparison.Ordinal) ? P.Raw.Protocol[5..] : P.Raw.Protocol;

    public IDictionary<string, WireMockList<string>>? Headers => P.Headers;

    public IDictionary<string, string>? Cookies => P.Cookies;

    public IDictionary<string, WireMockList<string>>? Query => P.Query;

    public IDictionary<string, WireMockList<string>>? QueryIgnoreCase => new Dictionary<string, WireMockList<string>>(P.Query, StringComparer.OrdinalIgnoreCase);

    public string RawQuery => P.Raw.Query;

    public IBodyData? BodyData => P.Body;

    public string? Body => P.Body?.BodyAsString;

    public object? BodyAsJson => P.Body?.BodyAsJson;

    public byte[]? BodyAsBytes => P.Body?.BodyAsBytes;

    public WireMock.Models.Mime.IMimeMessageData? BodyAsMimeMessage => null;

    public string? DetectedBodyType => P.Body?.DetectedBodyType?.ToString();

    public string? DetectedBodyTypeFromContentType => null;

    public string? DetectedCompression => null;

    public string Host => host;

    public string Protocol => "http";

    public int Port => port;

    public string Origin => string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}");

    public X509Certificate2? ClientCertificate => null;

    public WireMockList<string>? GetParameter(string key, bool ignoreCase = false) =>
        (ignoreCase ? QueryIgnoreCase : Query)!.TryGetValue(key, out var values) ? values : null;
}
