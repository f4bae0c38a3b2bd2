using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest.Admin;

/// <summary>
/// The request journal of <c>/__admin/requests</c> in WireMock's shape (newest first, <c>meta.total</c>), bounded by
/// <see cref="KnowlarityOptions.MaxRequestJournalEntries"/>. It points at the API journal's entries (the raw request
/// with the keys already masked, and the answer) rather than copying them, and renders WireMock's JSON only when asked.
/// </summary>
public sealed class RequestLog(KnowlarityOptions options)
{
    private readonly ConcurrentQueue<Record> _entries = new();
    private int _count;

    private sealed record Record(Guid Id, string? ClientIp, string Host, JournalEntry Request, JournalEntry Answer, int Status, KeyValuePair<string, string>[] ResponseHeaders, JsonObject? Stub);

    public int Count => _count;

    public void Clear()
    {
        _entries.Clear();
        Interlocked.Exchange(ref _count, 0);
    }

    /// <summary>Records one answered request; <paramref name="stub"/> is the stub mapping that answered, null when the fake did.</summary>
    internal void Add(HttpContext context, JournalEntry request, JournalEntry answer, int status, KeyValuePair<string, string>[] responseHeaders, JsonObject? stub)
    {
        if (options.MaxRequestJournalEntries == 0)
        {
            return;
        }

        _entries.Enqueue(new Record(Guid.NewGuid(), context.Connection.RemoteIpAddress?.ToString(), context.Request.Host.Value ?? "", request, answer, status, responseHeaders, stub));
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
        foreach (var record in all.Reverse().Take(limit ?? int.MaxValue))
        {
            requests.Add(Render(record));
        }

        return new JsonObject
        {
            ["requests"] = requests,
            ["meta"] = new JsonObject { ["total"] = all.Length },
            ["requestJournalDisabled"] = options.MaxRequestJournalEntries == 0,
        };
    }

    private static JsonObject Render(Record r)
    {
        var raw = RawRequest.Parse(r.Request.Text);
        var url = raw.Target;
        var headers = new JsonObject();
        foreach (var (name, value) in raw.Headers)
        {
            headers[name] = value;
        }

        var query = new JsonObject();
        foreach (var (name, values) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(raw.Query))
        {
            query[name] = new JsonObject { ["key"] = name, ["values"] = new JsonArray(values.Select(v => (JsonNode?)v).ToArray()) };
        }

        var responseHeaders = new JsonObject();
        foreach (var (name, value) in r.ResponseHeaders)
        {
            responseHeaders[name] = value;
        }

        var entry = new JsonObject
        {
            ["id"] = r.Id.ToString(),
            ["request"] = new JsonObject
            {
                ["url"] = url,
                ["absoluteUrl"] = $"http://{r.Host}{url}",
                ["method"] = raw.Method,
                ["clientIp"] = r.ClientIp,
                ["headers"] = headers,
                ["cookies"] = new JsonObject(),
                ["browserProxyRequest"] = false,
                ["loggedDate"] = r.Request.Time.ToUnixTimeMilliseconds(),
                ["bodyAsBase64"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(raw.Body)),
                ["body"] = raw.Body,
                ["protocol"] = raw.Protocol,
                ["scheme"] = "http",
                ["host"] = r.Host.Split(':')[0],
                ["port"] = r.Host.Contains(':', StringComparison.Ordinal) && int.TryParse(r.Host[(r.Host.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture, out var port) ? port : 80,
                ["loggedDateString"] = r.Request.Time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["queryParams"] = query,
            },
            ["response"] = new JsonObject
            {
                ["status"] = r.Status,
                ["headers"] = responseHeaders,
                ["body"] = r.Answer.Text ?? "",
            },
            ["wasMatched"] = r.Stub is not null,
            ["servedBy"] = r.Stub is null ? "fake" : "stub",
        };
        if (r.Stub is not null)
        {
            entry["stubMapping"] = r.Stub.DeepClone();
        }

        return entry;
    }
}
