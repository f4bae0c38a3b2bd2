using System.Buffers;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>Every Data Flow session's journal, for reports and the dashboard.</summary>
public sealed class DataFlowJournals
{
    private readonly ConcurrentQueue<SessionJournal> _journals = new();
    private int _count;

    public IReadOnlyCollection<SessionJournal> All => _journals;

    internal SessionJournal Open(string transport, Redactor redactor)
    {
        var journal = new SessionJournal($"dataflow-{transport}-{Interlocked.Increment(ref _count)}", "dataflow-" + transport, redactor: redactor);
        _journals.Enqueue(journal);
        return journal;
    }
}

/// <summary>The Data Flow WebSocket integration (dataflow.md §2.6, §4.1): a thin adapter over <see cref="DataFlowSession"/>.</summary>
public static class DataFlowWebSocketEndpoints
{
    /// <summary>Registers the Data Flow options (validated: throws listing every error) and the journals.</summary>
    public static IServiceCollection AddDataFlow(this IServiceCollection services, Action<DataFlowOptions>? configure = null)
    {
        var options = new DataFlowOptions();
        configure?.Invoke(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Invalid Data Flow configuration:\n" + string.Join("\n", errors));
        }

        services.AddSingleton(options);
        services.AddSingleton<DataFlowJournals>();
        return services;
    }

    /// <summary>Maps <c>/project-runner</c> and <c>/project-runner/{project}</c> (the project may be in the path, RN).</summary>
    public static IEndpointRouteBuilder MapDataFlowWebSocket(this IEndpointRouteBuilder endpoints)
    {
        endpoints.Map("/project-runner", context => RunAsync(context, null));
        endpoints.Map("/project-runner/{project}", context => RunAsync(context, context.Request.RouteValues["project"] as string));
        return endpoints;
    }

    private static async Task RunAsync(HttpContext context, string? pathProject)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            await context.Response.WriteAsync("WebSocket upgrade required.", context.RequestAborted);
            return;
        }

        var services = context.RequestServices;
        var options = services.GetRequiredService<DataFlowOptions>();
        var identity = services.GetRequiredService<IdentityOptions>();
        var journal = services.GetRequiredService<DataFlowJournals>().Open("ws", new Redactor(identity.Clients.Select(c => c.ClientSecret)));
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        journal.Append(Direction.Internal, FrameKind.Open, $"WebSocket {context.Request.Path} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
        var sink = new WebSocketSink(socket, journal);
        var sending = sink.RunAsync(context.RequestAborted);
        await using (var session = new DataFlowSession(options, services.GetRequiredService<TokenService>(), journal, sink, pathProject, services.GetService<TimeProvider>()))
        {
            await ReceiveAsync(socket, session, options, journal, context.RequestAborted);
        }

        sink.Complete();
        await sending;
    }

    private static async Task ReceiveAsync(WebSocket socket, DataFlowSession session, DataFlowOptions options, SessionJournal journal, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    journal.Append(Direction.FromClient, FrameKind.Close, $"client closed: {(int?)socket.CloseStatus} \"{socket.CloseStatusDescription}\" in state {session.State}");
                    if (session.State == SessionState.Active)
                    {
                        journal.AddFinding("DFW-016", "The client closed an active session without Finalize.", "Finalize, then FinalResult, then close", "close while Active");
                    }

                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    }

                    return;
                }

                if (message.Length + result.Count > options.MaxFrameBytes)
                {
                    // §5 MaxFrameBytes: bounded; the session ends with 1009 rather than buffering without limit.
                    journal.Append(Direction.FromClient, FrameKind.Error, $"message over {options.MaxFrameBytes} B; closing with 1009");
                    await socket.CloseOutputAsync(WebSocketCloseStatus.MessageTooBig, $"message over {options.MaxFrameBytes} bytes", CancellationToken.None);
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var bytes = message.ToArray();
                message.SetLength(0);
                if (result.MessageType == WebSocketMessageType.Text)
                {
                    var text = Encoding.UTF8.GetString(bytes);
                    JsonNode? parsed = null;
                    try
                    {
                        parsed = JsonNode.Parse(text);
                    }
                    catch (System.Text.Json.JsonException)
                    {
                    }

                    var name = (parsed as JsonObject)?["MessageName"]?.ToString() ?? ((parsed as JsonObject)?["Event"] is JsonObject e ? $"Event {e["Name"]}" : "text");
                    var entry = journal.Append(Direction.FromClient, FrameKind.Text, name, text: text, parsed: parsed);
                    await session.OnTextAsync(text, entry.Seq, cancellationToken);
                }
                else
                {
                    var entry = journal.Append(Direction.FromClient, FrameKind.Binary, $"audio {bytes.Length} B", bytes: bytes);
                    await session.OnBinaryAsync(bytes, entry.Seq, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
            journal.Append(Direction.FromClient, FrameKind.Error, $"connection lost in state {session.State}: {ex.Message}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One send loop per connection; frames queue in a bounded channel (STYLE.md).</summary>
    private sealed class WebSocketSink(WebSocket socket, SessionJournal journal) : ISessionSink
    {
        private readonly Channel<(WebSocketMessageType Type, byte[] Data)> _frames =
            Channel.CreateBounded<(WebSocketMessageType, byte[])>(new BoundedChannelOptions(1024) { SingleReader = true });

        public async ValueTask SendTextAsync(JsonObject message, CancellationToken cancellationToken)
        {
            var text = message.ToJsonString();
            var name = message["MessageName"] is { } m ? $"{m} {message["OperationResult"] ?? message["IncidentLevel"]}" : message["Event"] is JsonObject e ? $"Event {e["Name"]}" : message["Incident"] is JsonObject i ? $"Incident {i["Level"]}: {i["Message"]}" : "text";
            journal.Append(Direction.ToClient, FrameKind.Text, name, text: text, parsed: message.DeepClone());
            await _frames.Writer.WriteAsync((WebSocketMessageType.Text, Encoding.UTF8.GetBytes(text)), cancellationToken);
        }

        public async ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            journal.Append(Direction.ToClient, FrameKind.Binary, $"audio {data.Length} B", bytes: data.ToArray());
            await _frames.Writer.WriteAsync((WebSocketMessageType.Binary, data.ToArray()), cancellationToken);
        }

        public void Complete() => _frames.Writer.TryComplete();

        public void Abort()
        {
            _frames.Writer.TryComplete();
            socket.Abort();
        }

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (var (type, data) in _frames.Reader.ReadAllAsync(cancellationToken))
                {
                    if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await socket.SendAsync(data, type, endOfMessage: true, cancellationToken);
                    }
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                journal.Append(Direction.Internal, FrameKind.Error, "send failed: " + ex.Message);
            }
        }
    }
}
