using System.Globalization;
using System.Reflection;
using System.Text;
using WireMock;
using WireMock.Models;
using WireMock.Types;
using WireMock.Util;

namespace ProtocolSim.Knowlarity.Rest.Stubbing;

/// <summary>
/// Makes WireMock.Net's own <see cref="RequestMessage"/> from a <see cref="RawRequest"/>: for a request the built-in
/// behaviour answered on the fast path (read back from the API journal, keys masked) when it is moved into the log,
/// and for a request about to be answered, to ask the user's stubs whether one matches it. It must be WireMock.Net's
/// type, not an <see cref="IRequestMessage"/> of ours: its query-parameter matcher casts to it.
/// </summary>
/// <remarks>
/// <see cref="RequestMessage"/>'s constructors are internal in WireMock.Net 2.31, so the one that takes a URL, method,
/// client address, body, headers and cookies is found once by reflection; <see cref="Available"/> says whether it was
/// (the fast path is off without it, and a test fails).
/// </remarks>
internal static class WireMockRequests
{
    private static readonly ConstructorInfo? Constructor = typeof(RequestMessage).GetConstructor(
        BindingFlags.NonPublic | BindingFlags.Instance,
        [typeof(UrlDetails), typeof(string), typeof(string), typeof(IBodyData), typeof(IDictionary<string, string[]>), typeof(IDictionary<string, string>)]);

    public static bool Available => Constructor is not null;

    public static RequestMessage Create(RawRequest raw, DateTime time, string clientIp, string host, int port)
    {
        var url = new Uri(string.Create(CultureInfo.InvariantCulture, $"http://{host}:{port}{raw.Target}"));
        var headers = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in raw.Headers)
        {
            headers[name] = headers.TryGetValue(name, out var values) ? [.. values, value] : [value];
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

        var message = (RequestMessage)Constructor!.Invoke([new UrlDetails(url), raw.Method, clientIp, Body(raw.Body), headers, cookies]);
        message.DateTime = time;
        return message;
    }

    /// <summary>The body as WireMock.Net's body parser presents text: JSON when it parses as JSON, else a string.</summary>
    private static BodyData? Body(string text)
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
}
