using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest.Admin;

/// <summary>
/// The request journal of <c>/__admin/requests</c> in WireMock's shape (newest first, <c>meta.total</c>), bounded by
/// <see cref="KnowlarityOptions.MaxRequestJournalEntries"/>. Keys are masked as in every other journal.
/// </summary>
public sealed class RequestLog(KnowlarityOptions options, TimeProvider time)
{
    private readonly ConcurrentQueue<JsonObject> _entries = new();
    private int _count;

    public int Count => _count;

    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _count, 0);
    }

    /// <summary>Records one served request; <paramref name="matched"/> is the stub mapping that answered, null when the fake did.</summary>
    public void Add(HttpContext context, byte[] body, int status, IHeaderDictionary responseHeaders, ReadOnlySpan<byte> responseBody, JsonObject? matched)
    {
        if (options.MaxRequestJournalEntries == 0)
        {
            return;
        }

        var redactor = new Redactor([options.Credentials.XApiKey, options.Credentials.SrApiKey]);
        var request = context.Request;
        var now = time.GetUtcNow();
        var headers = new JsonObject();
        foreach (var (name, value) in request.Headers)
        {
            headers[name] = redactor.Redact(value.ToString());
        }

        var query = new JsonObject();
        foreach (var (name, value) in request.Query)
        {
            query[name] = new JsonObject { ["key"] = name, ["values"] = new JsonArray(value.Select(v => (JsonNode?)redactor.Redact(v ?? "")).ToArray()) };
        }

        var responseHeaderJson = new JsonObject();
        foreach (var (name, value) in responseHeaders)
        {
            responseHeaderJson[name] = value.ToString();
        }

        var url = request.Path.Value + request.QueryString.Value;
        var entry = new JsonObject
        {
            ["id"] = Guid.NewGuid().ToString(),
            ["request"] = new JsonObject
            {
                ["url"] = redactor.Redact(url),
                ["absoluteUrl"] = redactor.Redact($"{request.Scheme}://{request.Host}{url}"),
                ["method"] = request.Method,
                ["clientIp"] = context.Connection.RemoteIpAddress?.ToString(),
                ["headers"] = headers,
                ["cookies"] = new JsonObject(),
                ["browserProxyRequest"] = false,
                ["loggedDate"] = now.ToUnixTimeMilliseconds(),
                ["bodyAsBase64"] = Convert.ToBase64String(body),
                ["body"] = redactor.Redact(Encoding.UTF8.GetString(body)),
                ["protocol"] = request.Protocol,
                ["scheme"] = request.Scheme,
                ["host"] = request.Host.Host,
                ["port"] = request.Host.Port,
                ["loggedDateString"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["queryParams"] = query,
            },
            ["response"] = new JsonObject
            {
                ["status"] = status,
                ["headers"] = responseHeaderJson,
                ["body"] = redactor.Redact(Encoding.UTF8.GetString(responseBody)),
            },
            ["wasMatched"] = matched is not null,
            ["servedBy"] = matched is null ? "fake" : "stub",
        };
        if (matched is not null)
        {
            entry["stubMapping"] = matched.DeepClone();
        }

        _entries.Enqueue(entry);
        if (Interlocked.Increment(ref _count) > options.MaxRequestJournalEntries && _entries.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>WireMock's <c>GET /__admin/requests</c> body: newest first, optionally <c>limit</c> entries.</summary>
    public JsonObject ToJson(int? limit)
    {
        var all = _entries.ToArray();
        var requests = new JsonArray();
        foreach (var entry in all.Reverse().Take(limit ?? int.MaxValue))
        {
            requests.Add(entry.DeepClone());
        }

        return new JsonObject
        {
            ["requests"] = requests,
            ["meta"] = new JsonObject { ["total"] = all.Length },
            ["requestJournalDisabled"] = options.MaxRequestJournalEntries == 0,
        };
    }
}
