using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>The Data Flow WebSocket integration (dataflow.md §2.6, §4.1): a thin adapter over <see cref="DataFlowSession"/>.</summary>
public static class DataFlowWebSocketEndpoints
{
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

        await SessionFrames.WithJournalAsync(context, "ws", (options, secrets, journal) => RunSessionAsync(context, pathProject, options, secrets, journal));
    }

    private static async Task RunSessionAsync(HttpContext context, string? pathProject, DataFlowOptions options, IReadOnlyList<string> secrets, SessionJournal journal)
    {
        var services = context.RequestServices;
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        journal.Append(Direction.Internal, FrameKind.Open, $"WebSocket {context.Request.Path} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
        CheckUpgradeForSecrets(context.Request, secrets, journal);
        using var sink = new WebSocketSink(socket, journal, context.RequestAborted);
        await using (var session = new DataFlowSession(options, services.GetRequiredService<TokenService>(), journal, sink, pathProject, services.GetService<TimeProvider>()))
        {
            using var closing = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            var closer = CloseAfterFinalResultAsync(session, sink, options, journal, closing.Token);
            await ReceiveAsync(socket, session, options, journal, secrets, sink, context.RequestAborted);
            await closing.CancelAsync();
            await closer;
        }

    }

    /// <summary>DFA-007: only the identity server takes client credentials; a secret in the upgrade request is a finding.</summary>
    private static void CheckUpgradeForSecrets(HttpRequest request, IReadOnlyList<string> secrets, SessionJournal journal)
    {
        var where = request.Headers.Where(h => secrets.Any(s => h.Value.ToString().Contains(s, StringComparison.Ordinal))).Select(h => $"header {h.Key}").ToList();
        if (secrets.Any(s => Uri.UnescapeDataString(request.QueryString.Value ?? string.Empty).Contains(s, StringComparison.Ordinal)))
        {
            where.Add("the URL query");
        }

        if (where.Count > 0)
        {
            journal.AddFinding("DFA-007", "The client secret was sent to the Data Flow endpoint.", "client_secret only on /connect/token", string.Join(", ", where));
        }
    }

    /// <summary>§5 CloseAfterFinalResult: the server closes with 1000 if the client has not closed after FinalResult.</summary>
    private static async Task CloseAfterFinalResultAsync(DataFlowSession session, WebSocketSink sink, DataFlowOptions options, SessionJournal journal, CancellationToken cancellationToken)
    {
        if (options.CloseAfterFinalResult <= TimeSpan.Zero)
        {
            return;
        }

        try
        {
            await session.FinalResultSent.WaitAsync(cancellationToken);
            await Task.Delay(options.CloseAfterFinalResult, session.Time, cancellationToken);
            journal.Append(Direction.ToClient, FrameKind.Close, $"server closes 1000: the client had not closed {options.CloseAfterFinalResult.TotalMilliseconds:0} ms after FinalResult");
            await sink.CloseAsync(WebSocketCloseStatus.NormalClosure, "session ended");
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Reads the socket until the client closes or the connection breaks. Every frame is journaled as it is read and
    /// then handed to the session through a <see cref="SessionInbox"/>, so what the session does (and waits for) never
    /// delays the reading, nor the stamp, of the client's next frame.
    /// </summary>
    private static async Task ReceiveAsync(WebSocket socket, DataFlowSession session, DataFlowOptions options, SessionJournal journal, IReadOnlyList<string> secrets, WebSocketSink sink, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        using var message = new MemoryStream();
        var inbox = new SessionInbox(journal);
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    var close = journal.Append(Direction.FromClient, FrameKind.Close, $"client closed: {(int?)socket.CloseStatus} \"{socket.CloseStatusDescription}\"");

                    // Judged on what the client had sent before it (the session has handled those frames by then).
                    await inbox.PostAsync(async () =>
                    {
                        if (session.State == SessionState.Active)
                        {
                            journal.AddFinding("DFW-016", "The client closed an active session without Finalize.", "Finalize, then FinalResult, then close", "close while Active", close.Seq);
                        }

                        // The close reply goes through the send loop, after the frames already queued.
                        await sink.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
                    }, cancellationToken);
                    return;
                }

                if (message.Length + result.Count > options.MaxFrameBytes)
                {
                    // §5 MaxFrameBytes: bounded; the session ends with 1009 rather than buffering without limit.
                    journal.Append(Direction.FromClient, FrameKind.Error, $"message over {options.MaxFrameBytes} B; closing with 1009");
                    await inbox.PostAsync(() => sink.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"message over {options.MaxFrameBytes} bytes"), cancellationToken);
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
                    var (entry, parsed) = SessionFrames.JournalClientText(journal, text, secrets);
                    await inbox.PostAsync(() => HandleAsync(() => session.OnTextAsync(text, entry.Seq, cancellationToken, parsed), journal, sink), cancellationToken);
                }
                else
                {
                    var entry = journal.Append(Direction.FromClient, FrameKind.Binary, $"audio {bytes.Length} B", bytes: bytes);
                    await inbox.PostAsync(() => HandleAsync(() => session.OnAudioAsync(bytes, entry.Seq, cancellationToken), journal, sink), cancellationToken);
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
            try
            {
                await inbox.CompleteAsync();
            }
            catch (OperationCanceledException)
            {
                // The request was aborted while the session handled a frame; the journal has every frame read.
            }
        }
    }

    /// <summary>
    /// Runs one message through the session. A defect of ours is journaled and the connection closed with 1011, so the
    /// client is told at once instead of waiting on a session that cannot answer.
    /// </summary>
    private static async Task HandleAsync(Func<Task> handle, SessionJournal journal, WebSocketSink sink)
    {
        try
        {
            await handle();
        }
        catch (Exception ex) when (ex is not (OperationCanceledException or WebSocketException or IOException or OutOfMemoryException))
        {
            journal.Append(Direction.Internal, FrameKind.Error, $"the mock failed handling a message: {ex.GetType().Name}: {ex.Message}");
            await sink.CloseAsync(WebSocketCloseStatus.InternalServerError, "mock error; see the journal");
        }
    }

    /// <summary>
    /// Writes a session's frames to its socket. Sends are serialized by a semaphore and made by the caller, so a burst
    /// of events costs no thread hop per frame; a slow reader holds the session back (TCP back-pressure), never the
    /// mock's memory.
    /// </summary>
    private sealed class WebSocketSink(WebSocket socket, SessionJournal journal, CancellationToken aborted) : ISessionSink, IDisposable
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private bool _closed;

        public ValueTask SendTextAsync(JsonObject message, CancellationToken cancellationToken)
        {
            var name = SessionFrames.Describe(message);

            // The message is not changed after it is sent (every output is a fresh object), so the journal keeps it.
            var text = message.ToJsonString();
            return SendAsync(WebSocketMessageType.Text, Encoding.UTF8.GetBytes(text), name, text, message, cancellationToken);
        }

        // Journaled as the UTF-8 that went on the wire (readers parse it when they need to); one lock for the burst.
        public async ValueTask SendTextsAsync(IReadOnlyList<(ReadOnlyMemory<byte> Utf8Json, string Summary)> messages, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken);
            try
            {
                foreach (var (utf8, summary) in messages)
                {
                    if (!CanSend(summary))
                    {
                        continue;
                    }

                    journal.Append(Direction.ToClient, FrameKind.Text, summary, utf8Text: utf8, utf8TextIsImmutable: true);
                    await socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                _closed = true;
                journal.Append(Direction.Internal, FrameKind.Error, "send failed: " + ex.Message);
            }
            finally
            {
                _send.Release();
            }
        }

        public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            SendAsync(WebSocketMessageType.Binary, data.ToArray(), $"audio {data.Length} B", null, null, cancellationToken);

        /// <summary>Sends a close frame after the frames already sent; nothing is sent after it.</summary>
        public async Task CloseAsync(WebSocketCloseStatus status, string description)
        {
            await _send.WaitAsync(CancellationToken.None);
            try
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                    timeout.CancelAfter(TimeSpan.FromSeconds(5));
                    await socket.CloseOutputAsync(status, description, timeout.Token);
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                journal.Append(Direction.Internal, FrameKind.Error, "close failed: " + ex.Message);
            }
            finally
            {
                _send.Release();
            }
        }

        public void Abort()
        {
            _closed = true;
            socket.Abort();
        }

        public void Dispose() => _send.Dispose();

        /// <summary>Under the send lock: whether the socket still takes frames; a frame that cannot go is journaled as not sent.</summary>
        private bool CanSend(string summary)
        {
            if (_closed || socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
            {
                journal.Append(Direction.Internal, FrameKind.Note, $"not sent (connection closing): {summary}");
                return false;
            }

            return true;
        }

        // Pooled: a send that waits for the socket costs no state-machine allocation per frame.
        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
        private async ValueTask SendAsync(WebSocketMessageType type, ReadOnlyMemory<byte> data, string summary, string? text, JsonNode? parsed, CancellationToken cancellationToken)
        {
            await _send.WaitAsync(cancellationToken);
            try
            {
                if (!CanSend(summary))
                {
                    return;
                }

                if (type == WebSocketMessageType.Binary)
                {
                    journal.Append(Direction.ToClient, FrameKind.Binary, summary, bytes: data);
                }
                else
                {
                    journal.Append(Direction.ToClient, FrameKind.Text, summary, text: text, parsed: parsed);
                }

                await socket.SendAsync(data, type, endOfMessage: true, cancellationToken);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
            {
                _closed = true;
                journal.Append(Direction.Internal, FrameKind.Error, "send failed: " + ex.Message);
            }
            finally
            {
                _send.Release();
            }
        }
    }
}
