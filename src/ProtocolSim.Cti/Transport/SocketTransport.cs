using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Unicode;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections;
using ProtocolSim.Core;
using ProtocolSim.Cti.Processor;

namespace ProtocolSim.Cti.Transport;

/// <summary>
/// The socket transport (SOCK) on a raw Kestrel connection: <c>~!OM</c> frames read incrementally with a
/// <see cref="PipeReader"/>, handshake and protocol negotiation on the reserved index, DCP on the negotiated one, and
/// ERROR then close for a broken boundary, a lying length or a protocol index that was not negotiated. One receive
/// loop and one send loop per connection.
/// </summary>
internal sealed class SocketTransport(InteractionProcessor processor) : ConnectionHandler
{
    private static readonly byte[] BrokenBoundary = "XXXX"u8.ToArray();

    private CtiOptions Options => processor.Options;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var client = processor.Connect(CtiTransportKind.Socket, null, connection.RemoteEndPoint?.ToString() ?? "?");
        if (!Options.Handshake)
        {
            client.HandshakeDone = true;
            client.DcpIndex = Options.Protocols[0].Index;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed, client.Closed);
        var send = SendLoopAsync(connection.Transport.Output, client);
        string reason = "closed";
        var clientLeft = true;
        try
        {
            (reason, clientLeft) = await ReceiveLoopAsync(connection.Transport.Input, client, stop.Token);
        }
        catch (OperationCanceledException) when (client.CloseReason is null)
        {
            // Kestrel saw the client's socket close before the read did.
            (reason, clientLeft) = (client.ErrorSent ? "closed by the client after its ERROR" : "closed by the client", true);
        }
        catch (OperationCanceledException)
        {
            (reason, clientLeft) = (client.CloseReason ?? "closed", false);
        }
        catch (ConnectionResetException)
        {
            reason = "reset by the client";
        }
        catch (IOException e)
        {
            reason = "I/O error: " + e.Message;
        }
#pragma warning disable CA1031 // a defect of the mock must not leave the connection counted and its session bound
        catch (Exception e)
#pragma warning restore CA1031
        {
            client.Journal.AddFinding(null, "the socket transport failed (a defect of the mock)", "a handled connection", e.Message);
            (reason, clientLeft) = ("the processor failed: " + e.Message, false);
        }
        finally
        {
            processor.Disconnect(client, reason, clientLeft);
        }

        await send;
        await connection.Transport.Input.CompleteAsync();
        await connection.Transport.Output.CompleteAsync();
    }

    /// <returns>Why the connection ends, and whether the client ended it.</returns>
    private async Task<(string Reason, bool ClientLeft)> ReceiveLoopAsync(PipeReader input, CtiConnection client, CancellationToken cancellationToken)
    {
        var framesRead = 0;
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            try
            {
                FramingError? error;
                while (SocketFraming.TryReadFrame(ref buffer, Options.Framing, out var frame, out error))
                {
                    framesRead++;
                    if (HandleFrame(client, frame) is { } close)
                    {
                        return (close, close == "teardown");
                    }
                }

                // Without an error, what is left is an incomplete frame (partial or byte-at-a-time delivery): read more.
                if (error is { } broken)
                {
                    return (Broken(client, broken, buffer, framesRead), false);
                }

                if (result.IsCompleted || result.IsCanceled)
                {
                    if (buffer.Length > 0)
                    {
                        var entry = client.Journal.Append(Direction.FromClient, FrameKind.Binary, $"the connection ended inside a frame ({buffer.Length} bytes)", bytes: buffer.ToArray());
                        client.Journal.AddFinding("CTI-003", "the connection ended before the content its length announced", "a length equal to the content's byte count", $"{buffer.Length} bytes of an incomplete frame", entry.Seq);
                    }

                    return client.ErrorSent ? ("closed by the client after its ERROR", true) : (client.CloseReason ?? "closed by the client", true);
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }

    /// <summary>A frame: transport message on the reserved index, DCP on the negotiated one. Returns a close reason to end.</summary>
    private string? HandleFrame(CtiConnection client, SocketFrame frame)
    {
        var reserved = Options.Framing.ReservedIndex;
        var prefix = $"[{frame.Index}] ";
        if (LyingLength(frame.Content.Span) is { } lie)
        {
            // The content is a JSON value cut short or followed by the next frame's bytes: the length lied.
            var entry = client.Journal.Append(Direction.FromClient, FrameKind.Text, prefix + "frame whose content does not match its length", text: Encoding.UTF8.GetString(frame.Content.Span), length: frame.Content.Length);
            client.Journal.AddFinding("CTI-003", "the length field does not match the content", "a length equal to the UTF-8 byte count of the content", lie, entry.Seq);
            return Error(client, "The message length does not match its content.");
        }

        if (frame.Index == reserved)
        {
            return Transport(client, frame, prefix);
        }

        if (!client.HandshakeDone || client.DcpIndex is null)
        {
            var entry = client.Journal.Append(Direction.FromClient, FrameKind.Text, prefix + "DCP before handshake and negotiation", text: Encoding.UTF8.GetString(frame.Content.Span), length: frame.Content.Length);
            client.Journal.AddFinding("CTI-006", "a message on a protocol index before handshake and protocol negotiation", $"handshake and negotiation on index {reserved} first", $"index {frame.Index}", entry.Seq);
            return Error(client, $"Protocol index {frame.Index} has not been negotiated; send the handshake first.");
        }

        if (frame.Index != client.DcpIndex)
        {
            var entry = client.Journal.Append(Direction.FromClient, FrameKind.Text, prefix + "message on an index that was not negotiated", text: Encoding.UTF8.GetString(frame.Content.Span), length: frame.Content.Length);
            client.Journal.AddFinding("CTI-006", $"a message on index {frame.Index}, which was not negotiated", $"DCP on the negotiated index {client.DcpIndex}", $"index {frame.Index}", entry.Seq);
            return Error(client, $"Protocol index {frame.Index} has not been negotiated.");
        }

        processor.Receive(client, frame.Content, prefix);
        return null;
    }

    /// <summary>Handshake, negotiation, teardown and ERROR (cti.md §5 defaults).</summary>
    private string? Transport(CtiConnection client, SocketFrame frame, string prefix)
    {
        JsonObject? message = null;
        var text = Encoding.UTF8.GetString(frame.Content.Span);
        var utf8 = Utf8.IsValid(frame.Content.Span);
        try
        {
            message = JsonNode.Parse(text, documentOptions: InteractionProcessor.ParseOptions) as JsonObject;
        }
        catch (JsonException)
        {
        }

        var type = InteractionProcessor.Text(message?["messageType"]);
        var entry = client.Journal.Append(Direction.FromClient, FrameKind.Text, prefix + (type ?? "transport message that is not JSON"), text: text, length: frame.Content.Length, parsed: message);
        if (!utf8)
        {
            client.Journal.AddFinding("CTI-053", "the message content is not valid UTF-8", "JSON encoded as UTF-8", $"{frame.Content.Length} bytes, not UTF-8 (e.g. Latin-1)", entry.Seq);
        }

        switch (type)
        {
            case "handshake" when !client.HandshakeDone:
                client.HandshakeDone = true;
                if (InteractionProcessor.Text((message!["client"] as JsonObject)?["id"]) is { } id)
                {
                    client.ClientId = id;
                    client.Journal.SetLabel("client", id);
                }

                client.ClientName = InteractionProcessor.Text((message["client"] as JsonObject)?["name"]);
                SendTransport(client, new JsonObject { ["messageType"] = "handshake", ["result"] = "success" });
                return null;
            case "negotiate" when client.HandshakeDone && client.DcpIndex is null:
                var offered = (message!["protocols"] as JsonArray)?.OfType<JsonObject>().Select(p => InteractionProcessor.Text(p["name"])).ToList() ?? [];
                var agreed = Options.Protocols.Where(p => offered.Contains(p.Name)).ToList();
                if (agreed.Count == 0)
                {
                    return Error(client, "None of the offered protocols is supported (DCP 1.0 is).");
                }

                client.DcpIndex = agreed[0].Index;
                SendTransport(client, new JsonObject
                {
                    ["messageType"] = "negotiate",
                    ["result"] = "success",
                    ["protocols"] = new JsonArray(agreed.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["version"] = p.Version, ["index"] = p.Index }).ToArray()),
                });
                return null;
            case "teardown":
                SendTransport(client, new JsonObject { ["messageType"] = "teardown" });
                client.Journal.Append(Direction.Internal, FrameKind.Note, "teardown: the processor closes the connection");
                return "teardown";
            case "ERROR":
                // SOCK: the sender of ERROR closes the socket; the processor waits a moment to see it do so (CTI-005).
                client.ErrorSent = true;
                _ = CloseIfStillOpenAsync(client);
                return null;
            default:
                var expected = !client.HandshakeDone ? "handshake" : client.DcpIndex is null ? "negotiate" : "teardown or ERROR";
                client.Journal.AddFinding("CTI-006", $"transport message \"{type}\" out of order", $"{expected} on index {Options.Framing.ReservedIndex}", type ?? text, entry.Seq);
                return Error(client, $"Expected {expected}.");
        }
    }

    /// <summary>After the client's ERROR: the client should close; if it has not within 2 s the processor does.</summary>
    private async Task CloseIfStillOpenAsync(CtiConnection client)
    {
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), processor.Time, client.Closed);
            client.Journal.Append(Direction.Internal, FrameKind.Note, "the client sent ERROR but kept the socket open for 2 s; the processor closes it");
            processor.Disconnect(client, "the client sent ERROR but did not close the socket");
        }
        catch (OperationCanceledException)
        {
        }
    }

    private string Broken(CtiConnection client, FramingError error, ReadOnlySequence<byte> rest, int framesRead)
    {
        var head = rest.Slice(0, Math.Min(rest.Length, 64)).ToArray();
        var entry = client.Journal.Append(Direction.FromClient, FrameKind.Binary, error == FramingError.BoundaryMismatch ? "bytes where a frame must start with ~!OM" : "a frame length out of range", bytes: head, length: (int)Math.Min(rest.Length, int.MaxValue));
        var (rule, expected) = error == FramingError.LengthOutOfRange
            ? ("CTI-003", $"a length equal to the content's byte count (at most {Options.Framing.MaxContentBytes})")
            : ("CTI-002", "every frame starts with ~!OM, a 1-byte index and a 4-byte length");
        var seen = error == FramingError.LengthOutOfRange ? "length out of range" : $"{Convert.ToHexString(head.AsSpan(0, Math.Min(head.Length, 9)))} after {framesRead} frame(s)";
        client.Journal.AddFinding(rule, error == FramingError.BoundaryMismatch ? "the message boundary is not where a frame must start" : "the declared length is out of range", expected, seen, entry.Seq);
        return Error(client, error == FramingError.BoundaryMismatch ? "Message boundary mismatch: expected ~!OM." : "Message length out of range.");
    }

    /// <summary>SOCK: on a broken boundary the reader sends ERROR and closes the socket.</summary>
    private static string Error(CtiConnection client, string message)
    {
        client.Send(new JsonObject { ["messageType"] = "ERROR", ["message"] = message }, "ERROR " + message, transportMessage: true);
        return "ERROR: " + message;
    }

    private static void SendTransport(CtiConnection client, JsonObject message) =>
        client.Send(message, InteractionProcessor.Text(message["messageType"]) + " " + (InteractionProcessor.Text(message["result"]) ?? ""), transportMessage: true);

    /// <summary>Whether a frame's content shows its length lied: a JSON value cut short, or one followed by more bytes.</summary>
    internal static string? LyingLength(ReadOnlySpan<byte> content)
    {
        var reader = new Utf8JsonReader(content, isFinalBlock: false, state: default);
        try
        {
            if (!reader.Read())
            {
                return content.Length == 0 ? null : "the content ends inside a JSON value (the length is too short)";
            }

            if (!reader.TrySkip())
            {
                return "the content ends inside a JSON value (the length is too short)";
            }

            var rest = content[(int)reader.BytesConsumed..].TrimStart(" \t\r\n"u8);
            return rest.Length == 0 ? null
                : rest.IndexOf(SocketFraming.Token) >= 0 ? "the content runs into the next frame (the length is too long)"
                : $"{rest.Length} bytes follow the JSON value (the length is too long)";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private async Task SendLoopAsync(PipeWriter output, CtiConnection client)
    {
        var reader = client.Outgoing;
        var broke = false;
        try
        {
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var message))
                {
                    var bytes = JsonSerializer.SerializeToUtf8Bytes(message.Message);
                    var index = message.TransportMessage ? Options.Framing.ReservedIndex : client.DcpIndex ?? Options.Protocols[0].Index;
                    SocketFraming.Write(output, index, bytes, Options.Framing);
                    client.Delivered(message, bytes, bytes.Length + SocketFraming.HeaderBytes, index == 1 ? "[1] " : $"[{index}] ");
                    if (!broke && Options.BreakBoundaryAfter is { } after && InteractionProcessor.Text(message.Message["name"]) == after)
                    {
                        // CTI-005: the next "frame" does not start with the token; a conforming client sends ERROR and closes.
                        broke = true;
                        output.Write(BrokenBoundary);
                        client.Journal.Append(Direction.ToClient, FrameKind.Binary, "4 bytes that are not ~!OM where the next frame must start (a broken boundary on purpose)", bytes: BrokenBoundary, length: BrokenBoundary.Length);
                    }
                }

                var flush = await output.FlushAsync();
                if (flush.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or ConnectionResetException or InvalidOperationException or OperationCanceledException)
        {
            processor.Disconnect(client, "send failed: " + e.Message);
        }
    }
}
