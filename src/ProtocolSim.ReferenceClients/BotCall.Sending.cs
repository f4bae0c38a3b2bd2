using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;

namespace ProtocolSim.ReferenceClients;

internal sealed partial class BotCall
{
    // ---------------------------------------------------------------- send side and closing

    // state-by-number writes to the socket of whichever call holds its key now (KVS-003 broken on purpose).
    private ChannelWriter<OutboundFrame> Writer()
    {
        if (_b.StateByVirtualNumber)
        {
            string? key;
            lock (_sync)
            {
                key = _registryKey;
            }

            if (key is not null && _rt.Calls.TryGetValue(key, out var owner))
            {
                return owner._outbound.Writer;
            }
        }

        return _outbound.Writer;
    }

    private async Task BotCloseAsync(WebSocketCloseStatus status, string reason)
    {
        lock (_sync)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
        }

        Log.BotClosing(_rt.Logger, Bot, CallId, status, reason);
        await _call.CancelAsync();
        try
        {
            await _outbound.Writer.WriteAsync(OutboundFrame.Close(status, CloseReason(reason), botInitiated: true), _connection.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // connection gone
        }
    }

    private async Task AnswerPeerCloseAsync()
    {
        Task trailing;
        lock (_sync)
        {
            trailing = _trailing;
        }

        // The trailing variants still get their two chunks out if the peer closed right after the control message.
        try
        {
            await trailing.WaitAsync(TrailingGrace, _time);
        }
        catch (TimeoutException)
        {
            // answer the close anyway
        }

        if (Volatile.Read(ref _closing) || _socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        var status = _socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        if (status == WebSocketCloseStatus.Empty)
        {
            status = WebSocketCloseStatus.NormalClosure;
        }

        try
        {
            using var timeout = new CancellationTokenSource(CloseHandshakeTimeout, _time);
            await _outbound.Writer.WriteAsync(OutboundFrame.Close(status, string.Empty, botInitiated: false), timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // send loop already gone
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(ct))
            {
                if (frame.CloseStatus is { } status)
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(status, frame.CloseReason, ct);
                    }

                    if (frame.BotInitiated)
                    {
                        _connection.CancelAfter(CloseHandshakeTimeout); // the peer has this long to answer
                    }

                    break;
                }

                if ((_peerClosed && !frame.Trailing)
                    || _socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    continue; // nothing new after the peer's close, except the trailing variants' audio
                }

                await _socket.SendAsync(frame.Text, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            Log.SendStopped(_rt.Logger, ex, Bot, CallId);
            await _connection.CancelAsync(); // a broken send side ends the receive side too
        }
        finally
        {
            _outbound.Writer.TryComplete();
        }
    }

    private void Release(CallEnd end)
    {
        _ended = true;
        lock (_sync)
        {
            if (_registryKey is not null)
            {
                // KVS-031: release on every kind of end. Remove only our own entry (a newer call may hold the key).
                _rt.Calls.TryRemove(new KeyValuePair<string, BotCall>(_registryKey, this));
            }

            if (_greetedKey is not null && end is CallEnd.PeerClosed or CallEnd.BotClosed)
            {
                // leaks-on-abort: cleared in the close handler only, so an abort leaves the flag behind.
                _rt.GreetedCustomers.TryRemove(new KeyValuePair<string, BotCall>(_greetedKey, this));
            }
        }

        Log.CallEnded(_rt.Logger, Bot, CallId, end);
    }

    private static string CloseReason(string reason)
    {
        // RFC 6455 §5.5: a close frame body is at most 125 bytes, 2 of them the code.
        if (Encoding.UTF8.GetByteCount(reason) <= 123)
        {
            return reason;
        }

        var cut = reason;
        while (Encoding.UTF8.GetByteCount(cut) > 120)
        {
            cut = cut[..^1];
        }

        return cut + "...";
    }

    public void Dispose()
    {
        foreach (var source in _replySources)
        {
            source.Dispose();
        }

        _call.Dispose();
        _connection.Dispose();
        _sendGate.Dispose();
    }
}
