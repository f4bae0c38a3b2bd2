using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ProtocolSim.Knowlarity.Rest.Admin;

/// <summary>
/// The stub mappings posted to <c>/__admin/mappings</c>, checked before the fake's own routes so a user can override
/// any endpoint. Selection as WireMock does it: lowest <c>priority</c> first, then the newest mapping.
/// </summary>
public sealed class StubStore
{
    private readonly Lock _gate = new();
    private readonly List<StubMapping> _mappings = [];
    private long _sequence;

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _mappings.Count;
            }
        }
    }

    internal StubMapping Add(JsonNode? json, Guid? id = null)
    {
        var mapping = StubMapping.Parse(json, id, Interlocked.Increment(ref _sequence));
        lock (_gate)
        {
            _mappings.RemoveAll(m => m.Id == mapping.Id);
            _mappings.Add(mapping);
        }

        return mapping;
    }

    internal StubMapping? Get(Guid id)
    {
        lock (_gate)
        {
            return _mappings.FirstOrDefault(m => m.Id == id);
        }
    }

    internal bool Remove(Guid id)
    {
        lock (_gate)
        {
            return _mappings.RemoveAll(m => m.Id == id) > 0;
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _mappings.Clear();
        }
    }

    /// <summary>WireMock's <c>GET /__admin/mappings</c> body.</summary>
    public JsonObject ToJson()
    {
        lock (_gate)
        {
            var list = new JsonArray(_mappings.OrderByDescending(m => m.Sequence).Select(m => (JsonNode?)m.Json.DeepClone()).ToArray());
            return new JsonObject { ["mappings"] = list, ["meta"] = new JsonObject { ["total"] = list.Count } };
        }
    }

    internal StubMapping? Find(HttpRequest request, string body)
    {
        StubMapping[] candidates;
        lock (_gate)
        {
            if (_mappings.Count == 0)
            {
                return null;
            }

            candidates = [.. _mappings.OrderBy(m => m.Priority).ThenByDescending(m => m.Sequence)];
        }

        return candidates.FirstOrDefault(m => m.Matches(request, body));
    }

    /// <summary>Writes a matched stub's response, faults included (WireMock's four).</summary>
    internal static async Task RespondAsync(HttpContext context, StubMapping mapping, TimeProvider time)
    {
        if (mapping.DelayMilliseconds > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(mapping.DelayMilliseconds), time, context.RequestAborted);
        }

        var socket = context.Features.Get<IConnectionSocketFeature>()?.Socket;
        switch (mapping.Fault)
        {
            case "EMPTY_RESPONSE":
                // Close without a byte of response.
                context.Abort();
                return;
            case "CONNECTION_RESET_BY_PEER":
                // Linger 0 turns the close into a TCP RST.
                socket?.LingerState = new LingerOption(true, 0);
                socket?.Close(0);
                context.Abort();
                return;
            case "RANDOM_DATA_THEN_CLOSE":
                if (socket is not null)
                {
                    await socket.SendAsync(Garbage(), SocketFlags.None, context.RequestAborted);
                }

                context.Abort();
                return;
            case "MALFORMED_RESPONSE_CHUNK":
                context.Response.StatusCode = 200;
                await context.Response.StartAsync(context.RequestAborted);
                await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
                if (socket is not null)
                {
                    await socket.SendAsync(Garbage(), SocketFlags.None, context.RequestAborted);
                }

                context.Abort();
                return;
        }

        var response = context.Response;
        response.StatusCode = mapping.Status;
        if (mapping.StatusMessage is { } reason && context.Features.Get<IHttpResponseFeature>() is { } feature)
        {
            feature.ReasonPhrase = reason;
        }

        foreach (var (name, values) in mapping.ResponseHeaders)
        {
            response.Headers[name] = values;
        }

        response.ContentLength = mapping.Body.Length;
        await response.Body.WriteAsync(mapping.Body, context.RequestAborted);
    }

    private static byte[] Garbage() => Encoding.ASCII.GetBytes("lskdu018973t09sylgasjkfg1][]'./.sdlv");
}
