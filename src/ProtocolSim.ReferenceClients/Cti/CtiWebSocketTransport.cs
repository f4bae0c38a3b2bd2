using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

/// <summary>The simulator's WebSocket convenience (docs/cti.md "WebSocket"): one DCP message per text frame on <c>/cti</c>.</summary>
internal sealed class CtiWebSocketTransport(string url, Action<JsonObject> receive, Action<Exception> fail, TextWriter log) : ICtiTransport
{
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private volatile bool _closing;
    private int _reported;

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _socket.ConnectAsync(new Uri(url, UriKind.Absolute), cancellationToken);
        log.WriteLine("connected to " + url);
        _receiving = ReceiveLoopAsync(_stop.Token);
    }

    public async Task SendAsync(JsonObject message, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(CtiJson.Serialize(message));
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "logged out", cancellationToken);
            await _receiving.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            log.WriteLine("WebSocket closed");
        }
        catch (TimeoutException)
        {
            log.WriteLine("WebSocket: no close answer within 5 s");
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            log.WriteLine("WebSocket: already closed");
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await _stop.CancelAsync();
        _socket.Abort();
        await _receiving;
        _socket.Dispose();
        _sendLock.Dispose();
        _stop.Dispose();
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    Report(new CtiFailure("the processor closed the WebSocket"));
                    return;
                }

                buffer.Advance(result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var message = CtiJson.Parse(Encoding.UTF8.GetString(buffer.WrittenSpan));
                buffer.Clear();
                receive(message);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or JsonException or CtiFailure)
        {
            Report(new CtiFailure("WebSocket: " + e.Message));
        }
    }

    private void Report(Exception failure)
    {
        if (!_closing && Interlocked.Exchange(ref _reported, 1) == 0)
        {
            fail(failure);
        }
    }
}
