using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ProtocolSim.Core;
using ProtocolSim.Cti.Processor;

namespace ProtocolSim.Cti.Transport;

/// <summary>
/// The simulator's WebSocket convenience transport for browser desktops (cti.md §5; not a documented transport, see
/// CTI-001): one text frame is one DCP message, no header and no handshake. <c>/cti/session/{id}</c> is the bare mode:
/// the session resource is bound on connect and frames are session messages without the DCP envelope.
/// </summary>
internal sealed class WebSocketTransport(InteractionProcessor processor)
{
    public void Map(IEndpointRouteBuilder endpoints)
    {
        var path = processor.Options.WebSocketPath;
        endpoints.Map(path, context => AcceptAsync(context, null));
        endpoints.Map(path + "/session/{sessionId}", context => AcceptAsync(context, context.Request.RouteValues["sessionId"] as string));
    }

    private async Task AcceptAsync(HttpContext context, string? bareSession)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            await context.Response.WriteAsync("The CTI WebSocket transport needs a WebSocket upgrade.", context.RequestAborted);
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var client = processor.Connect(bareSession is null ? CtiTransportKind.WebSocket : CtiTransportKind.WebSocketBare, null, context.Connection.RemoteIpAddress?.ToString() ?? "?");
        if (bareSession is not null && processor.BindBare(client, bareSession) is { } refusal)
        {
            client.Journal.Append(Direction.Internal, FrameKind.Note, "bare mode refused: " + refusal);
            await socket.CloseAsync(WebSocketCloseStatus.PolicyViolation, refusal.Length > 120 ? refusal[..120] : refusal, CancellationToken.None);
            processor.Disconnect(client, "bare mode refused");
            return;
        }

        var send = SendLoopAsync(socket, client);
        var reason = "the processor failed";
        try
        {
            reason = await ReceiveLoopAsync(socket, client, context.RequestAborted);
        }
        finally
        {
            processor.Disconnect(client, reason, clientLeft: reason == "closed by the client" || reason.StartsWith("connection lost", StringComparison.Ordinal));
        }

        await send;
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, patience.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or InvalidOperationException)
            {
            }
        }
    }

    private async Task<string> ReceiveLoopAsync(WebSocket socket, CtiConnection client, CancellationToken cancellationToken)
    {
        var max = processor.Options.MaxMessageBytes;
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(4096), cancellationToken);
                    buffer.Advance(result.Count);
                    if (buffer.WrittenCount > max)
                    {
                        client.Journal.AddFinding(null, $"a message larger than {max} bytes", $"at most {max} bytes", $"{buffer.WrittenCount}+ bytes");
                        await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big", CancellationToken.None);
                        return "message too big";
                    }
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return "closed by the client";
                }

                if (result.MessageType == WebSocketMessageType.Binary)
                {
                    var entry = client.Journal.Append(Direction.FromClient, FrameKind.Binary, "binary frame", bytes: buffer.WrittenMemory.ToArray());
                    client.Journal.AddFinding(null, "a binary frame on the CTI WebSocket transport", "one DCP message per text frame", $"{buffer.WrittenCount} bytes", entry.Seq);
                    processor.SendDcp(client, InteractionProcessor.CoreError(null, null, "InvalidRequest", "Send one JSON message per text frame."), "coreError InvalidRequest (binary frame)");
                    continue;
                }

                processor.Receive(client, buffer.WrittenMemory.ToArray(), bare: client.Transport == CtiTransportKind.WebSocketBare);
            }
        }
        catch (WebSocketException e)
        {
            return "connection lost: " + e.Message;
        }
        catch (OperationCanceledException)
        {
            return client.CloseReason ?? "aborted";
        }
    }

    private async Task SendLoopAsync(WebSocket socket, CtiConnection client)
    {
        var reader = client.Outgoing;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var message))
                {
                    var bytes = JsonSerializer.SerializeToUtf8Bytes(message.Message);
                    await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    client.Delivered(message, bytes, bytes.Length);
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or InvalidOperationException)
        {
            processor.Disconnect(client, "send failed: " + e.Message);
        }
    }
}
