using System.Collections.ObjectModel;
using Microsoft.AspNetCore.Http;
using WireMock;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// What the API pipeline reads of a request, whichever side received it: Kestrel's <see cref="HttpRequest"/> (the fast
/// path, no stub present) or WireMock.Net's <see cref="IRequestMessage"/> (a stub answered it, or the built-in
/// mapping was reached through WireMock.Net's matcher).
/// </summary>
internal abstract class ApiRequest
{
    public abstract string Method { get; }

    /// <summary>The path as sent (percent-encoding kept).</summary>
    public abstract string Path { get; }

    /// <summary>The query with its <c>?</c>, or empty.</summary>
    public abstract string RawQuery { get; }

    public abstract string Protocol { get; }

    public abstract string? ContentType { get; }

    /// <summary>Header name and value, in the order received; a repeated header once with its values joined by <c>, </c>.</summary>
    public abstract IEnumerable<KeyValuePair<string, string>> Headers { get; }

    public abstract string Header(string name);

    /// <summary>The query's values by name (the shared empty map when there is no query).</summary>
    public abstract IReadOnlyDictionary<string, string> Query();

    public static ApiRequest From(HttpRequest request) => new Kestrel(request);

    public static ApiRequest From(IRequestMessage request) => new WireMockNet(request);

    /// <summary>
    /// Splits <c>/{channel}/v1/account/{rest}</c> and <c>/{channel}/account/{rest}</c> (the plans header's form,
    /// knowlarity.md §6.11); <paramref name="rest"/> starts with <c>/</c> and has no trailing one.
    /// </summary>
    public static bool TryParseApiPath(string path, out string channel, out string rest)
    {
        channel = rest = "";
        var span = path.AsSpan();
        if (span.Length < 2 || span[0] != '/')
        {
            return false;
        }

        var slash = span[1..].IndexOf('/');
        if (slash <= 0)
        {
            return false;
        }

        var tail = span[(slash + 1)..];
        ReadOnlySpan<char> after;
        if (tail.StartsWith("/v1/account", StringComparison.Ordinal))
        {
            after = tail["/v1/account".Length..];
        }
        else if (tail.StartsWith("/account", StringComparison.Ordinal))
        {
            after = tail["/account".Length..];
        }
        else
        {
            return false;
        }

        if (after.Length > 0 && after[0] != '/')
        {
            return false;
        }

        channel = Uri.UnescapeDataString(span[1..(slash + 1)].ToString());
        rest = "/" + after.Trim('/').ToString();
        return true;
    }

    private sealed class Kestrel(HttpRequest request) : ApiRequest
    {
        public override string Method => request.Method;

        public override string Path => request.Path.Value ?? "/";

        public override string RawQuery => request.QueryString.Value ?? "";

        public override string Protocol => request.Protocol;

        public override string? ContentType => request.ContentType;

        public override IEnumerable<KeyValuePair<string, string>> Headers =>
            request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString()));

        public override string Header(string name) => request.Headers.TryGetValue(name, out var v) ? v.ToString() : "";

        public override IReadOnlyDictionary<string, string> Query() =>
            request.QueryString.HasValue ? request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal) : ReadOnlyDictionary<string, string>.Empty;
    }

    private sealed class WireMockNet(IRequestMessage request) : ApiRequest
    {
        public override string Method => request.Method;

        public override string Path => request.Path;

        public override string RawQuery => string.IsNullOrEmpty(request.RawQuery) ? "" : request.RawQuery.StartsWith('?') ? request.RawQuery : "?" + request.RawQuery;

        public override string Protocol => "HTTP/" + request.HttpVersion;

        public override string? ContentType => Header("Content-Type") is { Length: > 0 } t ? t : null;

        public override IEnumerable<KeyValuePair<string, string>> Headers =>
            (request.Headers ?? new Dictionary<string, WireMock.Types.WireMockList<string>>()).Select(h => KeyValuePair.Create(h.Key, string.Join(", ", h.Value)));

        public override string Header(string name)
        {
            if (request.Headers is { } headers)
            {
                foreach (var (key, values) in headers)
                {
                    if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
                    {
                        return string.Join(", ", values);
                    }
                }
            }

            return "";
        }

        public override IReadOnlyDictionary<string, string> Query() => RawQuery.Length == 0 ? ReadOnlyDictionary<string, string>.Empty :
            Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(RawQuery).ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.Ordinal);
    }
}
