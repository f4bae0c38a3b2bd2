using System.Text;
using Microsoft.AspNetCore.Http;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// <c>GET /update-stream/{SR_API_KEY}/konnect</c> (003-N Notifications (Streaming API)): Server-Sent Events, one
/// <c>data: {json}</c> line and a blank line per event, no <c>event:</c>/<c>id:</c>/<c>retry:</c> (knowlarity.md §4.3).
/// </summary>
internal sealed class NotificationStreamEndpoint(KnowlarityOptions options, KnowlarityJournals journals, NotificationHub hub, TimeProvider time)
{
    private static readonly byte[] KeepAliveComment = Encoding.ASCII.GetBytes(": keep-alive\n\n");
    private int _number;

    /// <summary>Raised when a stream opens (with its journal), for scenario waits and the dashboard.</summary>
    public event Action<SessionJournal>? Opened;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var key = context.Request.RouteValues["key"]?.ToString() ?? "";
        var journal = journals.Start($"knowlarity-stream-{Interlocked.Increment(ref _number)}", "knowlarity-notifications", time);
        journal.SetLabel("remote", context.Connection.RemoteIpAddress + ":" + context.Connection.RemotePort);
        var headers = string.Join("\n", request.Headers.Select(h => $"{h.Key}: {h.Value}"));
        var opened = journal.Append(Direction.FromClient, FrameKind.Open, $"{request.Method} {request.Path}", text: headers);
        Opened?.Invoke(journal);

        if (!HttpMethods.IsGet(request.Method))
        {
            journal.AddFinding("KNS-002", $"stream opened with {request.Method}", "GET", request.Method, opened.Seq);
            await PlainAsync(context, journal, 405, "Method not allowed: the stream is read with GET.");
            return;
        }

        if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            journal.AddFinding("KNS-002", "the stream request has a body", "no body", $"{request.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "chunked"} bytes", opened.Seq);
        }

        if (key != options.Credentials.SrApiKey)
        {
            journal.AddFinding("KNS-002", "the path does not carry the SR API key", "/update-stream/{SR_API_KEY}/konnect", key == options.Credentials.XApiKey ? "the access key" : "another value", opened.Seq);
            await PlainAsync(context, journal, options.BadKeyStatus, "Invalid SR API key.");
            return;
        }

        if (options.TakeRefusal())
        {
            await PlainAsync(context, journal, options.RefusalStatus, options.RefusalBody);
            return;
        }

        if (!request.Headers.Accept.Any(a => a?.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase) == true))
        {
            journal.AddFinding("KNS-005", "no Accept: text/event-stream", "Accept: text/event-stream", request.Headers.Accept.ToString() is { Length: > 0 } a ? a : "absent", opened.Seq);
        }

        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers.AccessControlAllowOrigin = "*";
        response.Headers["X-Accel-Buffering"] = "no";
        var subscriber = hub.Subscribe(key, journal);
        journal.Append(Direction.ToClient, FrameKind.Open, "200 text/event-stream");

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, subscriber.Dropped);
        var token = linked.Token;

        // The client's close is journaled when Kestrel sees it (RequestAborted), not when this loop gets round to it:
        // a write held by a full socket or a busy handler would otherwise stamp it late (issue 17, wire time).
        // Registered after the linked token, so that it runs first (callbacks run last-registered first).
        var closeJournaled = 0;
        void JournalClientClose()
        {
            if (Interlocked.Exchange(ref closeJournaled, 1) == 0)
            {
                journal.Append(Direction.FromClient, FrameKind.Close, $"client closed the stream after {subscriber.EventsSent} event(s)");
            }
        }

        var clientClosed = context.RequestAborted.UnsafeRegister(_ => JournalClientClose(), null);
        try
        {
            await response.StartAsync(token);
            await response.Body.FlushAsync(token);
            var reader = subscriber.Events.Reader;
            Task<bool>? wait = null;
            while (!token.IsCancellationRequested)
            {
                // One pending wait at a time (single reader); a keep-alive that wins leaves it pending for the next turn.
                wait ??= reader.WaitToReadAsync(token).AsTask();
                if (options.KeepAlive is { } every && !wait.IsCompleted)
                {
                    using var idle = CancellationTokenSource.CreateLinkedTokenSource(token);
                    var keepAlive = Task.Delay(every, time, idle.Token);
                    var first = await Task.WhenAny(wait, keepAlive);
                    await idle.CancelAsync();
                    if (first == keepAlive && !wait.IsCompleted)
                    {
                        journal.Append(Direction.ToClient, FrameKind.Text, "keep-alive comment", utf8Text: KeepAliveComment, utf8TextIsImmutable: true);
                        await response.Body.WriteAsync(KeepAliveComment, token);
                        await response.Body.FlushAsync(token);
                        continue;
                    }
                }

                var more = await wait;
                wait = null;
                if (!more)
                {
                    break;
                }

                while (reader.TryRead(out var frame))
                {
                    // Journaled before the write: once written, the client may act on it (fetch the call log) before
                    // an entry appended afterwards, and the judges order the two by their journal times (KNS-007).
                    journal.Append(Direction.ToClient, FrameKind.Text, "event", utf8Text: frame, utf8TextIsImmutable: true);
                    await response.Body.WriteAsync(frame, token);
                    Interlocked.Increment(ref subscriber.SentCount);
                    if (options.DropAfterEvents is { } limit && subscriber.SentCount >= limit)
                    {
                        subscriber.Drop(DropMode.Close);
                        break;
                    }
                }

                await response.Body.FlushAsync(token);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
            // The client went away mid-write.
        }
        finally
        {
            hub.Unsubscribe(subscriber);

            // Waits for a callback already running; once unregistered, nothing else journals a close.
            await clientClosed.DisposeAsync();
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            // Journaled by the callback, unless the loop unwound and unregistered it before it ran (then stamped now).
            JournalClientClose();
        }
        else if (subscriber.DropRequested == DropMode.Reset)
        {
            journal.Append(Direction.ToClient, FrameKind.Close, $"server reset the stream after {subscriber.EventsSent} event(s){(subscriber.Overflowed ? " (the client did not keep up)" : "")}");
            context.Abort();
        }
        else
        {
            journal.Append(Direction.ToClient, FrameKind.Close, $"server ended the stream after {subscriber.EventsSent} event(s)");
        }

        journal.End();
    }

    private static async Task PlainAsync(HttpContext context, SessionJournal journal, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        journal.Append(Direction.ToClient, FrameKind.Close, $"{status} {text}", text: text);
        await context.Response.WriteAsync(text, context.RequestAborted);
        journal.End();
    }
}
