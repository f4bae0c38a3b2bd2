using System.Buffers;
using System.Net.WebSockets;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// A frame to send; <paramref name="Due"/> is the pacer timestamp of a paced audio frame. <paramref name="Pooled"/> is
/// an <see cref="ArrayPool{T}"/> array behind <paramref name="Data"/>, returned once the frame has been sent.
/// </summary>
internal readonly record struct Outgoing(
    ReadOnlyMemory<byte> Data,
    WebSocketMessageType Type,
    long? Due,
    WebSocketCloseStatus? CloseStatus = null,
    string? CloseReason = null,
    byte[]? Pooled = null)
{
    public TaskCompletionSource? Completion { get; init; }

    public void Release()
    {
        if (Pooled is not null)
        {
            ArrayPool<byte>.Shared.Return(Pooled);
        }
    }
}

/// <summary>
/// The one send path of a connection (a WebSocket allows one send at a time). A post starts the send at once on the
/// caller's thread when the lane is idle — for paced audio that is the pacer thread, so the frame leaves on time —
/// and queues it otherwise. The queue is bounded: a bot that stops reading cannot grow it without limit.
/// </summary>
internal sealed class SendLane(WebSocket socket, VoiceCall call)
{
    private const int MaxQueued = 1000; // 20 s of 20 ms frames
    private readonly Lock _gate = new();
    private readonly Queue<Outgoing> _queue = new();
    private bool _busy;
    private bool _failed;
    private bool _closing;
    private long _dropped;

    public void Post(Outgoing outgoing)
    {
        lock (_gate)
        {
            if (_failed)
            {
                outgoing.Release();
                outgoing.Completion?.TrySetException(new WebSocketException("The connection failed."));
                return;
            }

            if (_closing && outgoing.Type != WebSocketMessageType.Close)
            {
                // Nothing follows a close frame (RFC 6455 §5.5.1); a frame the pacer raced in is dropped.
                outgoing.Release();
                outgoing.Completion?.TrySetResult();
                return;
            }

            if (outgoing.Type == WebSocketMessageType.Close)
            {
                // The close goes next: queued caller audio is dropped rather than sent ahead of it.
                _closing = true;
                var kept = _queue.Where(o => o.Due is null).ToList();
                foreach (var dropped in _queue.Where(o => o.Due is not null))
                {
                    dropped.Release();
                }

                _queue.Clear();
                kept.ForEach(_queue.Enqueue);
            }

            if (_busy)
            {
                if (_queue.Count >= MaxQueued && outgoing.Due is not null)
                {
                    if (_dropped++ == 0)
                    {
                        call.Journal.Append(ProtocolSim.Core.Direction.Internal, ProtocolSim.Core.FrameKind.Note,
                            $"the bot is not reading: {MaxQueued} frames queued; further caller audio frames are dropped");
                    }

                    outgoing.Release();
                    return;
                }

                _queue.Enqueue(outgoing);
                return;
            }

            _busy = true;
        }

        _ = RunAsync(outgoing);
    }

    public Task PostAsync(Outgoing outgoing, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(outgoing with { Completion = tcs });
        return tcs.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(Outgoing first)
    {
        var current = first;
        while (true)
        {
            try
            {
                if (current.Due is { } due)
                {
                    call.RecordLateness(due);
                }

                if (current.Type == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(current.CloseStatus ?? WebSocketCloseStatus.NormalClosure, current.CloseReason, CancellationToken.None);
                }
                else
                {
                    var send = socket.SendAsync(current.Data, current.Type, endOfMessage: true, CancellationToken.None);
                    if (!send.IsCompleted)
                    {
                        VoiceStreamMetrics.AsyncSends.Add(1);
                    }

                    await send;
                }

                current.Release();
                current.Completion?.TrySetResult();
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException or OperationCanceledException)
            {
                current.Release();
                current.Completion?.TrySetException(ex);
                List<Outgoing> abandoned;
                lock (_gate)
                {
                    _failed = true;
                    _busy = false;
                    abandoned = [.. _queue];
                    _queue.Clear();
                }

                foreach (var item in abandoned)
                {
                    item.Release();
                    item.Completion?.TrySetException(ex);
                }

                call.OnSendFailed(ex);
                return;
            }

            lock (_gate)
            {
                if (!_queue.TryDequeue(out current))
                {
                    _busy = false;
                    return;
                }
            }
        }
    }
}
