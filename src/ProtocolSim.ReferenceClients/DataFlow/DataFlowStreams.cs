using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace ProtocolSim.ReferenceClients.DataFlow;

/// <summary>A server message: JSON text, or output audio.</summary>
internal sealed record ServerMessage(JsonObject? Json, byte[]? Binary)
{
    public static ServerMessage? FromText(ReadOnlySpan<byte> utf8)
    {
        try
        {
            return JsonNode.Parse(utf8) is JsonObject json ? new ServerMessage(json, null) : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}

/// <summary>One streaming session's channel to Data Flow: a WebSocket connection or a gRPC Stream call.</summary>
internal interface IDataFlowStream : IAsyncDisposable
{
    Task SendTextAsync(string json, CancellationToken cancellationToken);

    Task SendBinaryAsync(byte[] data, CancellationToken cancellationToken);

    /// <summary>Reads server messages into <paramref name="inbox"/> until the server ends; completes the inbox.</summary>
    Task ReadAsync(ChannelWriter<ServerMessage> inbox, CancellationToken cancellationToken);

    /// <summary>The orderly end: the WebSocket close handshake, or the gRPC half-close and the call's status.</summary>
    Task CloseAsync(TextWriter log);

    /// <summary>Drops the connection (WebSocket) or cancels the call (gRPC).</summary>
    void Abort();
}

/// <summary>The WebSocket integration: JSON in text frames, audio in binary frames (dataflow.md §2.6).</summary>
internal sealed class WebSocketDataFlowStream : IDataFlowStream
{
    private readonly ClientWebSocket _socket = new();

    public static async Task<WebSocketDataFlowStream> ConnectAsync(Uri url, CancellationToken cancellationToken)
    {
        var stream = new WebSocketDataFlowStream();
        await stream._socket.ConnectAsync(url, cancellationToken);
        return stream;
    }

    public Task SendTextAsync(string json, CancellationToken cancellationToken) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, cancellationToken);

    public Task SendBinaryAsync(byte[] data, CancellationToken cancellationToken) =>
        _socket.SendAsync(data, WebSocketMessageType.Binary, true, cancellationToken);

    public async Task ReadAsync(ChannelWriter<ServerMessage> inbox, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State is WebSocketState.Open or WebSocketState.CloseSent)
            {
                var result = await _socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var bytes = message.ToArray();
                message.SetLength(0);
                var received = result.MessageType == WebSocketMessageType.Binary ? new ServerMessage(null, bytes) : ServerMessage.FromText(bytes);
                if (received is not null)
                {
                    await inbox.WriteAsync(received, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            inbox.TryComplete();
        }
    }

    public async Task CloseAsync(TextWriter log)
    {
        if (_socket.State != WebSocketState.Open)
        {
            return;
        }

        using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", closing.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
    }

    public void Abort() => _socket.Abort();

    public ValueTask DisposeAsync()
    {
        _socket.Abort();
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>How the gRPC reference client deviates (one defect per broken client).</summary>
internal sealed record GrpcStreamOptions
{
    public required Uri Url { get; init; }

    /// <summary>The PEM of the CA the server certificate must chain to (DFG-003); null on cleartext.</summary>
    public string? CaPem { get; init; }

    /// <summary>Accept any server certificate (a DFG-003 defect).</summary>
    public bool TrustAnyCertificate { get; init; }

    /// <summary>The method path: <c>/dataflow/Stream</c> (the proto declares no package).</summary>
    public string Method { get; init; } = "/dataflow/Stream";

    /// <summary>Adds a field the proto does not define to every StreamInput (a DFG-008 defect).</summary>
    public bool ExtraField { get; init; }
}

/// <summary>
/// The gRPC integration on Grpc.Net.Client (dataflow.md §2.7): one bidirectional <c>dataflow/Stream</c> call, the
/// two-field StreamInput/StreamOutput messages of grpcDataFlow.proto (<c>string json = 1; bytes audio = 2;</c>) read and
/// written with Google.Protobuf's coded streams (the reference clients share no code with the mock), the server
/// certificate validated against the CA the task names.
/// </summary>
internal sealed class GrpcDataFlowStream : IDataFlowStream
{
    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);
    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<byte[], byte[]> _call;
    private readonly GrpcStreamOptions _options;
    private readonly SemaphoreSlim _send = new(1, 1);
    private Task? _reading;

    private GrpcDataFlowStream(GrpcStreamOptions options)
    {
        _options = options;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (options.Url.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
#pragma warning disable CA5359 // Accepting any certificate is the defect of the broken variant dataflow-grpc-trusts-any-certificate (DFG-003).
                RemoteCertificateValidationCallback = options.TrustAnyCertificate ? (_, _, _, _) => true : ValidateAgainst(options.CaPem),
#pragma warning restore CA5359
            };
        }

        _channel = GrpcChannel.ForAddress(options.Url, new global::Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true, MaxReceiveMessageSize = 4 * 1024 * 1024 });
        var path = options.Method.TrimStart('/');
        var slash = path.LastIndexOf('/');
        var method = new Method<byte[], byte[]>(MethodType.DuplexStreaming, path[..slash], path[(slash + 1)..], Bytes, Bytes);
        _call = _channel.CreateCallInvoker().AsyncDuplexStreamingCall(method, null, new CallOptions(new Metadata { { "user-agent", "protosim-dataflow-reference/1.0" } }));
    }

    /// <summary>
    /// Starts the call (Grpc.Net.Client sends the request headers, setting up TLS first); a refused certificate or a
    /// refused call surfaces on the first message. The response headers are not awaited: a gRPC server may send them
    /// only with its first message, after the client's Start.
    /// </summary>
    public static GrpcDataFlowStream Start(GrpcStreamOptions options) => new(options);

    public Task SendTextAsync(string json, CancellationToken cancellationToken) => WriteAsync(1, Encoding.UTF8.GetBytes(json), cancellationToken);

    public Task SendBinaryAsync(byte[] data, CancellationToken cancellationToken) => WriteAsync(2, data, cancellationToken);

    public Task ReadAsync(ChannelWriter<ServerMessage> inbox, CancellationToken cancellationToken) => _reading = ReadCoreAsync(inbox, cancellationToken);

    /// <summary>DFG-006: half-close, then read on to the end of the call and its status.</summary>
    public async Task CloseAsync(TextWriter log)
    {
        try
        {
            await _send.WaitAsync();
            try
            {
                await _call.RequestStream.CompleteAsync();
            }
            finally
            {
                _send.Release();
            }
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or ObjectDisposedException)
        {
            // The call is already over; its status is below.
        }

        if (_reading is not null)
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_reading is { IsCompleted: true } && TryStatus() is { } status)
        {
            await log.WriteLineAsync($"call ended: {Describe(status)}");
        }
    }

    /// <summary>Cancels the call: Grpc.Net.Client resets the stream (RST_STREAM CANCEL).</summary>
    public void Abort() => _call.Dispose();

    public async ValueTask DisposeAsync()
    {
        _call.Dispose();
        if (_reading is not null)
        {
            // Observed, so that a failed or cancelled call leaves no unobserved exception behind.
            await _reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _channel.Dispose();
        _send.Dispose();
    }

    private async Task WriteAsync(int field, byte[] payload, CancellationToken cancellationToken)
    {
        // StreamInput: one field of the oneof; the broken variant dataflow-grpc-extra-field adds a field 15.
        var message = new MemoryStream();
        var output = new CodedOutputStream(message);
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(payload));
        if (_options.ExtraField)
        {
            output.WriteTag(15, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom("\u0000protosim"u8));
        }

        output.Flush();
        await _send.WaitAsync(cancellationToken);
        try
        {
            await _call.RequestStream.WriteAsync(message.ToArray(), cancellationToken);
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or ObjectDisposedException)
        {
            // The server ended the call (a Trailers-Only refusal, or its status), or TLS or the connection failed,
            // while we were still sending. That is the call's end, not a defect of this client.
            throw new ClientFailure($"the call ended while sending: {(((e as RpcException)?.Status ?? TryStatus()) is { } status ? Describe(status) : e.Message)}");
        }
        finally
        {
            _send.Release();
        }
    }

    private static string Describe(Status status) => $"grpc-status {(int)status.StatusCode} {status.Detail}".TrimEnd();

    /// <summary>The call's status once it is known, or null.</summary>
    private Status? TryStatus()
    {
        try
        {
            return _call.GetStatus();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private async Task ReadCoreAsync(ChannelWriter<ServerMessage> inbox, CancellationToken cancellationToken)
    {
        try
        {
            while (await _call.ResponseStream.MoveNext(cancellationToken))
            {
                if (Decode(_call.ResponseStream.Current) is { } received)
                {
                    await inbox.WriteAsync(received, cancellationToken);
                }
            }
        }
        catch (Exception ex) when (ex is RpcException or IOException or OperationCanceledException or ObjectDisposedException or InvalidProtocolBufferException or InvalidOperationException)
        {
            // The call ended, or a StreamOutput did not parse: the session reads no further.
        }
        finally
        {
            inbox.TryComplete();
        }
    }

    /// <summary>StreamOutput: field 1 json (string) or field 2 audio (bytes); other fields are skipped; the last one wins.</summary>
    private static ServerMessage? Decode(byte[] payload)
    {
        var input = new CodedInputStream(payload);
        ServerMessage? result = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag), WireFormat.GetTagWireType(tag))
            {
                case (1, WireFormat.WireType.LengthDelimited):
                    result = ServerMessage.FromText(input.ReadBytes().Span);
                    break;
                case (2, WireFormat.WireType.LengthDelimited):
                    result = new ServerMessage(null, input.ReadBytes().ToByteArray());
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return result;
    }

    private static RemoteCertificateValidationCallback ValidateAgainst(string? caPem)
    {
        var roots = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(caPem))
        {
            roots.ImportFromPem(caPem);
        }

        return (_, certificate, presented, errors) =>
        {
            // Only the task's CA is trusted, and the host name must match (SslPolicyErrors other than the chain).
            if (certificate is not X509Certificate2 server || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None || roots.Count == 0)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1"));

            // Intermediates the server sent help build the chain; they are not trusted themselves.
            if (presented is not null)
            {
                chain.ChainPolicy.ExtraStore.AddRange(presented.ChainElements.Select(e => e.Certificate).Where(c => !c.Equals(server)).ToArray());
            }

            return chain.Build(server);
        };
    }

}
