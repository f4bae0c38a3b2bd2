using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ProtocolSim.Core;
using ProtocolSim.Cti.Processor;

namespace ProtocolSim.Cti.Transport;

/// <summary>
/// The HTTP transport (HTTPT): <c>POST /sessions</c> starts and ends a client, <c>POST /direct/processRequest</c> queues
/// one DCP message (200 means queued, not completed), the polling service (<c>GET /direct/poll</c>, a long poll, cti.md
/// §5) returns every queued response and event in order, and a client that neither polls nor sends within the session
/// timeout is ended. Requests that name no client go to one front journal.
/// </summary>
public sealed class HttpTransport
{
    /// <summary>A client without an outstanding poll for longer than this does not poll continuously (CTI-010).</summary>
    public static readonly TimeSpan PollGap = TimeSpan.FromSeconds(1);

    private readonly InteractionProcessor _processor;
    private readonly ConcurrentDictionary<string, HttpClientState> _clients = new(StringComparer.Ordinal);
    /// <summary>Ids startSession returned (the newest <see cref="IssuedKept"/>), to tell an ended client from one never started (CTI-008).</summary>
    private readonly ConcurrentDictionary<string, byte> _issued = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _issuedOrder = new();
    private const int IssuedKept = 100_000;
    private readonly Lazy<SessionJournal> _front;

    public HttpTransport(InteractionProcessor processor)
    {
        _processor = processor;
        _front = new(() =>
        {
            var journal = processor.Journals.Open("cti-http", "cti", processor.Time, processor.Redactor);
            journal.SetLabel("transport", "http");
            journal.SetLabel("client", "(requests that name no client)");
            journal.SetLabel(SessionJournal.LifetimeLabel, "service");
            return journal;
        });
    }

    /// <summary>The journal of requests that name no started client (probes, unknown ids).</summary>
    public SessionJournal Front => _front.Value;

    private CtiOptions Options => _processor.Options;

    /// <summary>One HTTP client: its connection, activity for the session timeout, and its polls.</summary>
    private sealed class HttpClientState(CtiConnection connection, long now)
    {
        public CtiConnection Connection { get; } = connection;

        public long LastActivity = now;

        public int Polls;

        public long LastPollEnded = now;

        public bool GapRecorded;
    }

    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/direct", ["OPTIONS"], Probe);
        endpoints.MapMethods("/direct/{**rest}", ["OPTIONS"], Probe);
        endpoints.MapPost("/sessions", (Delegate)SessionsAsync);
        endpoints.MapPost("/direct/processRequest", (Delegate)ProcessRequestAsync);
        endpoints.MapGet(Options.PollPath, (Delegate)PollAsync);
    }

    private void Issue(string id)
    {
        _issued[id] = 0;
        _issuedOrder.Enqueue(id);
        while (_issuedOrder.Count > IssuedKept && _issuedOrder.TryDequeue(out var oldest))
        {
            _issued.TryRemove(oldest, out _);
        }
    }

    /// <summary>Ends a client as the processor would (its polls and endSession then get 404); false when there is none.</summary>
    public bool End(string clientId, string reason)
    {
        if (!_clients.TryRemove(clientId, out var state))
        {
            return false;
        }


        state.Connection.Journal.Append(Direction.Internal, FrameKind.Note, reason);
        _processor.Disconnect(state.Connection, reason);
        return true;
    }

    /// <summary>HTTPT: OPTIONS on the protocol's URI prefix tells whether the protocol is supported.</summary>
    private IResult Probe(HttpContext context)
    {
        Front.Append(Direction.FromClient, FrameKind.Text, $"OPTIONS {context.Request.Path} (protocol probe)", text: $"OPTIONS {context.Request.Path}{context.Request.QueryString}");
        context.Response.Headers.Allow = "GET, POST, OPTIONS";
        Front.Append(Direction.ToClient, FrameKind.Text, "204 Allow: GET, POST, OPTIONS");
        return Results.NoContent();
    }

    private async Task<IResult> SessionsAsync(HttpContext context)
    {
        var (bytes, problem) = await ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        var body = Encoding.UTF8.GetString(bytes);
        var message = Parse(body);
        var type = InteractionProcessor.Text(message?["messageType"]);
        var client = message?["client"] as JsonObject;
        var id = InteractionProcessor.Text(client?["id"]);
        switch (type)
        {
            case "startSession":
                return Start(context, id, InteractionProcessor.Text(client?["name"]), body);
            case "endSession":
                if (id is null || !_clients.TryRemove(id, out var state))
                {
                    Front.Append(Direction.FromClient, FrameKind.Text, $"POST /sessions endSession {id}", text: body);
                    Front.Append(Direction.ToClient, FrameKind.Text, "404 unknown or ended client");
                    return Results.Json(new JsonObject { ["error"] = $"Unknown or ended client '{id}'." }, statusCode: StatusCodes.Status404NotFound);
                }

                state.Connection.Journal.Append(Direction.FromClient, FrameKind.Text, "POST /sessions endSession", text: body, parsed: message);
                CheckGap(state, "endSession");
                state.Connection.Journal.Append(Direction.ToClient, FrameKind.Text, "200 session ended");
                _processor.Disconnect(state.Connection, "endSession", clientLeft: true);
                return Results.Json(new JsonObject());
            default:
                var entry = Front.Append(Direction.FromClient, FrameKind.Text, "POST /sessions without startSession or endSession", text: body, parsed: message);
                Front.AddFinding("CTI-008", "POST /sessions with an unknown messageType", "{\"messageType\":\"startSession\",\"client\":{\"id\",\"name\"}}", type ?? body, entry.Seq);
                return Results.Json(new JsonObject { ["error"] = "messageType must be startSession or endSession." }, statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private IResult Start(HttpContext context, string? proposed, string? name, string body)
    {
        // The proposed id when it is free; otherwise a fresh one (claimed atomically: two starts cannot share an id).
        var id = proposed ?? "http-client-" + Guid.NewGuid().ToString("N")[..6];
        var connection = _processor.Connect(CtiTransportKind.Http, id, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        var state = new HttpClientState(connection, _processor.Time.GetTimestamp());
        while (!_clients.TryAdd(id, state))
        {
            id = (proposed ?? "http-client") + "-" + Guid.NewGuid().ToString("N")[..6];
            connection.ClientId = id;
            connection.Journal.SetLabel("client", id);
        }

        connection.ClientName = name;
        Issue(id);
        connection.Journal.Append(Direction.FromClient, FrameKind.Text, "POST /sessions startSession", text: body, parsed: Parse(body));
        var answer = new JsonObject { ["id"] = id };
        connection.Journal.Append(Direction.ToClient, FrameKind.Text, $"200 startSession id {id}", text: answer.ToJsonString(), parsed: answer);
        _ = WatchTimeoutAsync(state);
        return Results.Json(answer);
    }

    private async Task<IResult> ProcessRequestAsync(HttpContext context)
    {
        var (body, problem) = await ReadAsync(context);
        if (problem is not null)
        {
            return problem;
        }

        var id = context.Request.Query["clientId"].ToString();
        if (!_clients.TryGetValue(id, out var state))
        {
            return Unknown(id, "POST /direct/processRequest", Encoding.UTF8.GetString(body));
        }

        Touch(state);
        var received = _processor.Receive(state.Connection, body, "processRequest ");
        return received is null
            ? Results.Json(new JsonObject { ["error"] = "The body is not one JSON object." }, statusCode: StatusCodes.Status400BadRequest)
            : Results.Json(new JsonObject());
    }

    private async Task<IResult> PollAsync(HttpContext context)
    {
        var id = context.Request.Query["clientId"].ToString();
        if (!_clients.TryGetValue(id, out var state))
        {
            return Unknown(id, "GET " + Options.PollPath, "");
        }

        CheckGap(state, "a poll");
        Interlocked.Increment(ref state.Polls);
        Touch(state);
        var connection = state.Connection;
        var messages = new JsonArray();
        try
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, connection.Closed);
            wait.CancelAfter(Options.PollWait);
            var reader = connection.Outgoing;
            var delivered = new List<(Outbound Message, string Text)>();
            try
            {
                if (!reader.TryPeek(out _))
                {
                    await reader.WaitToReadAsync(wait.Token);
                }
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                // The long poll ends empty (or the client ended).
            }

            while (reader.TryRead(out var message))
            {
                messages.Add(message.Message.DeepClone());
                delivered.Add((message, message.Message.ToJsonString()));
            }

            foreach (var (message, text) in delivered)
            {
                connection.Delivered(message, text, Encoding.UTF8.GetByteCount(text), "poll ");
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away mid-poll; what it did not receive stays queued only if not yet read.
        }
        finally
        {
            Interlocked.Decrement(ref state.Polls);
            Interlocked.Exchange(ref state.LastPollEnded, _processor.Time.GetTimestamp());
            Touch(state);
        }

        return Results.Json(new JsonObject { ["messages"] = messages });
    }

    /// <summary>CTI-010: the client had no poll outstanding for longer than <see cref="PollGap"/> while it was started.</summary>
    private void CheckGap(HttpClientState state, string what)
    {
        if (Volatile.Read(ref state.Polls) > 0 || state.GapRecorded)
        {
            return;
        }

        var gap = _processor.Time.GetElapsedTime(Interlocked.Read(ref state.LastPollEnded));
        if (gap > PollGap)
        {
            state.GapRecorded = true;
            state.Connection.Journal.AddFinding("CTI-010", $"no poll was outstanding for {gap.TotalMilliseconds:0} ms before {what}", $"poll continuously (a new poll within {PollGap.TotalSeconds:0} s of the last answer)", $"{gap.TotalMilliseconds:0} ms without a poll");
        }
    }

    private void Touch(HttpClientState state) => Interlocked.Exchange(ref state.LastActivity, _processor.Time.GetTimestamp());

    /// <summary>HTTPT: the server ends a client when no request or poll arrives within the session timeout.</summary>
    private async Task WatchTimeoutAsync(HttpClientState state)
    {
        var connection = state.Connection;
        try
        {
            while (!connection.IsClosed)
            {
                var idle = Volatile.Read(ref state.Polls) > 0 ? TimeSpan.Zero : _processor.Time.GetElapsedTime(Interlocked.Read(ref state.LastActivity));
                var left = Options.SessionTimeout - idle;
                if (left <= TimeSpan.Zero)
                {
                    if (_clients.TryRemove(KeyValuePair.Create(connection.ClientId, state)))
                    {
                        // A client that logged out and left without endSession is CTI-012's case, not a timeout's.
                        if (connection.Bound is { Inactive: true })
                        {
                            connection.Journal.Append(Direction.Internal, FrameKind.Note, $"no request or poll for {idle.TotalSeconds:0.0} s after logout: the processor ended the client");
                        }
                        else
                        {
                            CheckGap(state, "the session timeout");
                            connection.Journal.AddFinding("CTI-011", $"no request or poll for {idle.TotalSeconds:0.0} s: the processor ended the client", $"poll or send within the session timeout ({Options.SessionTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s)", $"{idle.TotalSeconds:0.0} s idle");
                        }

                        _processor.Disconnect(connection, "session timeout");
                    }

                    return;
                }

                await Task.Delay(left < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : left, _processor.Time, connection.Closed);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private IResult Unknown(string id, string what, string body)
    {
        var entry = Front.Append(Direction.FromClient, FrameKind.Text, $"{what} for client \"{id}\"", text: body.Length == 0 ? null : body);
        if (!_issued.ContainsKey(id))
        {
            Front.AddFinding("CTI-008", $"{what} names client \"{id}\", which no startSession returned", "startSession first, then the returned id as clientId", id.Length == 0 ? "no clientId" : id, entry.Seq);
        }

        Front.Append(Direction.ToClient, FrameKind.Text, "404 unknown or ended client");
        return Results.Json(new JsonObject { ["error"] = $"Unknown or ended client '{id}'." }, statusCode: StatusCodes.Status404NotFound);
    }

    private async Task<(byte[] Body, IResult? Problem)> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > Options.MaxMessageBytes)
        {
            return ([], Results.Json(new JsonObject { ["error"] = $"The body is larger than {Options.MaxMessageBytes} bytes." }, statusCode: StatusCodes.Status413PayloadTooLarge));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > Options.MaxMessageBytes)
            {
                return ([], Results.Json(new JsonObject { ["error"] = $"The body is larger than {Options.MaxMessageBytes} bytes." }, statusCode: StatusCodes.Status413PayloadTooLarge));
            }

            buffer.Write(chunk, 0, read);
        }

        // Kept as bytes for the processor's UTF-8 check (CTI-053).
        return (buffer.ToArray(), null);
    }

    private static JsonObject? Parse(string body)
    {
        try
        {
            return JsonNode.Parse(body, documentOptions: InteractionProcessor.ParseOptions) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
