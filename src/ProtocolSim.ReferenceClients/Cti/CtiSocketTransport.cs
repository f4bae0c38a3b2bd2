using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

/// <summary>
/// The socket transport as a desktop implements it (docs/cti.md "TCP socket"; SOCK): frames of <c>~!OM</c>, a 1-byte
/// protocol index, a 4-byte big-endian content length and UTF-8 JSON. Transport messages (handshake, negotiate,
/// teardown, ERROR) use index 0; DCP uses the index the negotiation assigns. Written independently of the simulator's
/// own framing so that each checks the other.
/// </summary>
internal sealed class CtiSocketTransport : ICtiTransport
{
    private const byte TransportIndex = 0;
    private const int MaxContentBytes = 16 * 1024 * 1024;

    private readonly CtiClientFault _fault;
    private readonly string _host;
    private readonly int _port;
    private readonly string _clientId;
    private readonly string _clientName;
    private readonly Action<JsonObject> _receive;
    private readonly Action<Exception> _fail;
    private readonly TextWriter _log;
    private readonly TcpClient _tcp = new() { NoDelay = true };
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private NetworkStream? _stream;
    private PipeReader? _reader;
    private Task _receiving = Task.CompletedTask;
    private TaskCompletionSource<JsonObject>? _transportAnswer;
    private byte _dcpIndex = 1;
    private volatile bool _closing;
    private int _reported;

    public CtiSocketTransport(CtiClientFault fault, string endpoint, string clientId, string clientName, Action<JsonObject> receive, Action<Exception> fail, TextWriter log)
    {
        _fault = fault;
        (_host, _port) = ParseEndpoint(endpoint);
        _clientId = clientId;
        _clientName = clientName;
        _receive = receive;
        _fail = fail;
        _log = log;
    }

    /// <summary><c>tcp://host:port</c> or <c>host:port</c>.</summary>
    public static (string Host, int Port) ParseEndpoint(string endpoint)
    {
        if (endpoint.Contains("://", StringComparison.Ordinal) && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Port > 0)
        {
            return (uri.Host, uri.Port);
        }

        var colon = endpoint.LastIndexOf(':');
        return colon > 0 && int.TryParse(endpoint.AsSpan(colon + 1), out var port) && port is > 0 and < 65536
            ? (endpoint[..colon], port)
            : throw new FormatException($"\"{endpoint}\" is not tcp://host:port");
    }

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        await _tcp.ConnectAsync(_host, _port, cancellationToken);
        _stream = _tcp.GetStream();
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _receiving = ReceiveLoopAsync(_reader, _stop.Token);
        _log.WriteLine($"connected to tcp://{_host}:{_port}");
        if (_fault == CtiClientFault.NoHandshake)
        {
            // CTI-006 (the fault): DCP on index 1 straight away.
            _log.WriteLine("no handshake or negotiation: DCP on index 1");
            return;
        }

        // CTI-006: handshake, then negotiation, on the reserved index before any DCP message.
        var handshake = await TransportRequestAsync(new JsonObject
        {
            ["messageType"] = "handshake",
            ["client"] = new JsonObject { ["id"] = _clientId, ["name"] = _clientName },
        }, cancellationToken);
        if (CtiJson.Str(handshake, "result") != "success")
        {
            throw new CtiFailure("handshake refused: " + CtiJson.Serialize(handshake));
        }

        _log.WriteLine($"handshake as {_clientId} → success");
        var negotiated = await TransportRequestAsync(new JsonObject
        {
            ["messageType"] = "negotiate",
            ["protocols"] = new JsonArray(new JsonObject { ["name"] = "DCP", ["version"] = "1.0" }),
        }, cancellationToken);
        var dcp = (negotiated["protocols"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(p => CtiJson.Str(p, "name") == "DCP");
        if (CtiJson.Str(negotiated, "result") != "success" || dcp?["index"] is not JsonValue index || !index.TryGetValue<int>(out var value) || value is < 1 or > 255)
        {
            throw new CtiFailure("negotiation gave no DCP index: " + CtiJson.Serialize(negotiated));
        }

        _dcpIndex = (byte)value;
        _log.WriteLine($"negotiate DCP 1.0 → index {value}");
    }

    public Task SendAsync(JsonObject message, CancellationToken cancellationToken) => WriteAsync(_dcpIndex, message, cancellationToken);

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        try
        {
            await WriteAsync(TransportIndex, new JsonObject { ["messageType"] = "teardown" }, cancellationToken);
            await _ended.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            _log.WriteLine("teardown → the processor ended the connection");
        }
        catch (TimeoutException)
        {
            _log.WriteLine("teardown: no answer within 5 s; closing");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _log.WriteLine("teardown: the connection is already gone");
        }
        finally
        {
            _tcp.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await _stop.CancelAsync();
        _tcp.Dispose();
        await _receiving;
        if (_reader is not null)
        {
            await _reader.CompleteAsync();
        }

        _writeLock.Dispose();
        _stop.Dispose();
    }

    private async Task<JsonObject> TransportRequestAsync(JsonObject message, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<JsonObject>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _transportAnswer, answer);
        await WriteAsync(TransportIndex, message, cancellationToken);
        try
        {
            return await answer.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new CtiFailure($"no {CtiJson.Str(message, "messageType")} answer within 10 s");
        }
    }

    private bool _rejected;

    private async Task WriteAsync(byte index, JsonObject message, CancellationToken cancellationToken, bool rejecting = false)
    {
        var stream = _stream ?? throw new InvalidOperationException("not connected");
        var frame = Frame(index, CtiJson.Serialize(message));
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            // CTI-005: once the reader found a broken boundary, ERROR is the last thing written (no request may follow it).
            if (_rejected)
            {
                throw new CtiFailure("the connection is closing after a broken message boundary");
            }

            _rejected = rejecting;
            await stream.WriteAsync(frame, cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>One frame (SOCK Transport Overview; cti.md §5 header defaults); each fault bends one field.</summary>
    private byte[] Frame(byte index, string json)
    {
        if (_fault == CtiClientFault.EscapesToken)
        {
            json = json.Replace("~!OM", "~~!OM", StringComparison.Ordinal);
        }

        // CTI-053: UTF-8 content; CTI-003: the length is its byte count.
        var content = (_fault == CtiClientFault.Latin1 ? Encoding.Latin1 : Encoding.UTF8).GetBytes(json);
        var length = _fault == CtiClientFault.Utf16Length ? json.Length : content.Length;
        var token = _fault == CtiClientFault.NoBoundary ? 0 : 4;
        var frame = new byte[token + 5 + content.Length];
        "~!OM"u8[..token].CopyTo(frame);
        frame[token] = index;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(token + 1), (uint)length);
        content.CopyTo(frame, token + 5);
        return frame;
    }

    private enum FrameRead
    {
        Incomplete,
        Complete,
        BoundaryMismatch,
        LengthOutOfRange,
        BadContent,
    }

    /// <summary>
    /// Reads one frame off the front of <paramref name="buffer"/>. The token is checked byte by byte where each frame
    /// must start, i.e. right after the previous frame's content (SOCK Message Boundary), so a lying length shows as
    /// soon as the next bytes arrive.
    /// </summary>
    private static FrameRead TryReadFrame(ref ReadOnlySequence<byte> buffer, out byte index, out byte[] content)
    {
        index = 0;
        content = [];
        var reader = new SequenceReader<byte>(buffer);
        foreach (var expected in "~!OM"u8)
        {
            if (!reader.TryRead(out var actual))
            {
                return FrameRead.Incomplete;
            }

            if (actual != expected)
            {
                return FrameRead.BoundaryMismatch;
            }
        }

        if (!reader.TryRead(out index) || !reader.TryReadBigEndian(out int length))
        {
            return FrameRead.Incomplete;
        }

        if (length is < 0 or > MaxContentBytes)
        {
            return FrameRead.LengthOutOfRange;
        }

        if (reader.Remaining < length)
        {
            return FrameRead.Incomplete;
        }

        content = reader.UnreadSequence.Slice(0, length).ToArray();
        reader.Advance(length);
        buffer = buffer.Slice(reader.Position);
        return FrameRead.Complete;
    }

    /// <summary>CTI-005 broken on purpose: drop bytes up to the next token (or keep a possible token start).</summary>
    private static ReadOnlySequence<byte> SkipToToken(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        reader.Advance(1);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "~!OM"u8, advancePastDelimiter: false)
            ? buffer.Slice(reader.Position)
            : buffer.Slice(Math.Max(1, buffer.Length - 3));
    }

    private async Task ReceiveLoopAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        var skipping = false;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(cancellationToken);
                var buffer = read.Buffer;
                var outcome = FrameRead.Complete;
                while (outcome == FrameRead.Complete)
                {
                    outcome = TryReadFrame(ref buffer, out var index, out var content);
                    if (outcome == FrameRead.Complete && Parse(content) is { } message)
                    {
                        skipping = false;
                        Handle(index, message);
                    }
                    else if (outcome == FrameRead.Complete && _fault != CtiClientFault.IgnoresBadBoundary)
                    {
                        // A content that is not JSON: the length did not match it, so the boundary is lost too.
                        outcome = FrameRead.BadContent;
                    }
                    else if (outcome == FrameRead.Complete)
                    {
                        _log.WriteLine("dropped a frame whose content is not JSON");
                    }
                    else if (outcome == FrameRead.BoundaryMismatch && _fault == CtiClientFault.IgnoresBadBoundary)
                    {
                        if (!skipping)
                        {
                            _log.WriteLine("frame boundary mismatch: skipping to the next ~!OM");
                            skipping = true;
                        }

                        buffer = SkipToToken(buffer);
                        outcome = FrameRead.Complete;
                    }
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (outcome != FrameRead.Incomplete)
                {
                    await RejectAsync(outcome switch
                    {
                        FrameRead.BoundaryMismatch => "frame boundary mismatch: expected ~!OM",
                        FrameRead.LengthOutOfRange => "frame length out of range",
                        _ => "frame content is not a JSON message: its length is wrong",
                    }, cancellationToken);
                    return;
                }

                if (read.IsCompleted)
                {
                    break;
                }
            }

            Ended("the processor closed the connection");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ended.TrySetResult();
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Ended("connection lost: " + e.Message);
        }
    }

    /// <summary>CTI-005: a frame that does not start with the token gets ERROR on the reserved index and a close.</summary>
    private async Task RejectAsync(string reason, CancellationToken cancellationToken)
    {
        _log.WriteLine(reason + ": sending ERROR and closing");
        _closing = true;
        try
        {
            await WriteAsync(TransportIndex, new JsonObject { ["messageType"] = "ERROR", ["message"] = reason }, cancellationToken, rejecting: true);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            _log.WriteLine("ERROR could not be sent: " + e.Message);
        }

        _tcp.Close();
        Report(new CtiFailure(reason + " (sent ERROR and closed the connection)"));
    }

    private static JsonObject? Parse(byte[] content)
    {
        try
        {
            return JsonNode.Parse(content) as JsonObject;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private void Handle(byte index, JsonObject message)
    {
        if (index == _dcpIndex)
        {
            _receive(message);
            return;
        }

        if (index != TransportIndex)
        {
            _log.WriteLine($"ignored a frame on index {index}");
            return;
        }

        switch (CtiJson.Str(message, "messageType"))
        {
            case "handshake" or "negotiate":
                Volatile.Read(ref _transportAnswer)?.TrySetResult(message);
                break;
            case "teardown":
                _ended.TrySetResult();
                if (!_closing)
                {
                    Report(new CtiFailure("the processor tore the connection down"));
                }

                break;
            case "ERROR":
                Report(new CtiFailure("the processor sent ERROR: " + CtiJson.Str(message, "message")));
                break;
            default:
                _log.WriteLine("ignored transport message " + CtiJson.Shorten(CtiJson.Serialize(message)));
                break;
        }
    }

    private void Ended(string reason)
    {
        _ended.TrySetResult();
        if (!_closing)
        {
            Report(new CtiFailure(reason));
        }
    }

    private void Report(Exception failure)
    {
        _ended.TrySetResult();
        if (Interlocked.Exchange(ref _reported, 1) == 0)
        {
            Volatile.Read(ref _transportAnswer)?.TrySetException(failure);
            _fail(failure);
        }
    }
}
