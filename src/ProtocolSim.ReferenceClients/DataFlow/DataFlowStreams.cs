using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Core.Http;

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
internal sealed record GrpcChannelOptions
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
/// The gRPC integration over <see cref="HttpClient"/> HTTP/2 (dataflow.md §2.7): one bidirectional
/// <c>dataflow/Stream</c> call, gRPC's length-prefixed framing and the two-field StreamInput/StreamOutput messages of
/// grpcDataFlow.proto (<c>string json = 1; bytes audio = 2;</c>) encoded here, the server certificate validated
/// against the CA the task names.
/// </summary>
internal sealed class GrpcDataFlowStream : IDataFlowStream
{
    private const int MaxMessageBytes = 4 * 1024 * 1024;
    private readonly HttpClient _http;
    private readonly DuplexContent _body = new();
    private readonly CancellationTokenSource _cancel = new();
    private readonly GrpcChannelOptions _options;
    private readonly SemaphoreSlim _send = new(1, 1);
    private Task<HttpResponseMessage>? _responding;
    private HttpResponseMessage? _response;
    private Task? _reading;

    private GrpcDataFlowStream(GrpcChannelOptions options)
    {
        _options = options;
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (options.Url.Scheme == Uri.UriSchemeHttps)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                ApplicationProtocols = [SslApplicationProtocol.Http2],
#pragma warning disable CA5359 // Accepting any certificate is the defect of the broken variant dataflow-grpc-trusts-any-certificate (DFG-003).
                RemoteCertificateValidationCallback = options.TrustAnyCertificate ? (_, _, _, _) => true : ValidateAgainst(options.CaPem),
#pragma warning restore CA5359
            };
        }

        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>
    /// Starts the call: the request headers go out (and TLS is set up) before this returns; the response headers are
    /// awaited by the reader (a gRPC server may send them only with its first message, after the client's Start).
    /// </summary>
    public static async Task<GrpcDataFlowStream> StartAsync(GrpcChannelOptions options, CancellationToken cancellationToken)
    {
        var stream = new GrpcDataFlowStream(options);
        try
        {
            var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.Url, options.Method))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = stream._body,
            };
            request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("protosim-dataflow-reference", "1.0"));
            stream._responding = stream._http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stream._cancel.Token);

            // The request body's stream exists once the connection (and its TLS handshake) is up and the headers are sent.
            if (await stream._body.WaitOpenAsync(stream._responding, cancellationToken) is { } response)
            {
                throw new ClientFailure($"the call was refused: HTTP {(int)response.StatusCode}, grpc-status {Header(response.Headers, "grpc-status") ?? "-"} {Uri.UnescapeDataString(Header(response.Headers, "grpc-message") ?? "")}");
            }

            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    public Task SendTextAsync(string json, CancellationToken cancellationToken) => WriteAsync(1, Encoding.UTF8.GetBytes(json), cancellationToken);

    public Task SendBinaryAsync(byte[] data, CancellationToken cancellationToken) => WriteAsync(2, data, cancellationToken);

    public Task ReadAsync(ChannelWriter<ServerMessage> inbox, CancellationToken cancellationToken) => _reading = ReadCoreAsync(inbox, cancellationToken);

    /// <summary>DFG-006: half-close, then read on to the end of the call and its status.</summary>
    public async Task CloseAsync(TextWriter log)
    {
        _body.Complete();
        if (_reading is not null)
        {
            await _reading.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (_response is not null && _reading is { IsCompleted: true })
        {
            var headers = _response.Headers.Contains("grpc-status") ? (HttpHeaders)_response.Headers : _response.TrailingHeaders;
            await log.WriteLineAsync($"call ended: grpc-status {Header(headers, "grpc-status") ?? "(none)"} {Uri.UnescapeDataString(Header(headers, "grpc-message") ?? "")}".TrimEnd());
        }
    }

    /// <summary>Cancels the call: HttpClient resets the stream (RST_STREAM CANCEL).</summary>
    public void Abort() => _cancel.Cancel();

    public async ValueTask DisposeAsync()
    {
        _body.Complete();
        await _cancel.CancelAsync();
        if (_responding is not null)
        {
            // Observed, so that a failed or cancelled call leaves no unobserved exception behind.
            await ((Task)_responding).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _response?.Dispose();
        _http.Dispose();
        _cancel.Dispose();
        _send.Dispose();
    }

    private async Task WriteAsync(int field, byte[] payload, CancellationToken cancellationToken)
    {
        // StreamInput: one field of the oneof (tag = field << 3 | 2, length-delimited); the gRPC prefix: flag 0 and the length.
        var extra = _options.ExtraField ? "\u0000protosim"u8.ToArray() : [];
        var message = new MemoryStream();
        WriteField(message, field, payload);
        if (extra.Length > 0)
        {
            WriteField(message, 15, extra);
        }

        var frame = new byte[5 + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)message.Length);
        message.GetBuffer().AsSpan(0, (int)message.Length).CopyTo(frame.AsSpan(5));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancel.Token);
        await _send.WaitAsync(linked.Token);
        try
        {
            var stream = await _body.Stream.WaitAsync(linked.Token);
            await stream.WriteAsync(frame, linked.Token);
            await stream.FlushAsync(linked.Token);
        }
        catch (ObjectDisposedException)
        {
            // The server ended the call (a Trailers-Only refusal, or its status) while we were still sending: HttpClient
            // disposes the request stream. That is the call's end, not a defect of this client.
            throw new ClientFailure($"the call ended while sending: {EndedStatus()}");
        }
        finally
        {
            _send.Release();
        }
    }

    /// <summary>The status of a call the server ended, as far as it is known yet.</summary>
    private string EndedStatus()
    {
        if (_responding is not { IsCompletedSuccessfully: true } || _responding.Result is not { } response)
        {
            return "no response yet";
        }

        var headers = response.Headers.Contains("grpc-status") ? (HttpHeaders)response.Headers : response.TrailingHeaders;
        return $"HTTP {(int)response.StatusCode}, grpc-status {Header(headers, "grpc-status") ?? "-"} {Uri.UnescapeDataString(Header(headers, "grpc-message") ?? "")}".TrimEnd();
    }

    private static void WriteField(MemoryStream message, int field, byte[] payload)
    {
        WriteVarint(message, (uint)((field << 3) | 2));
        WriteVarint(message, (uint)payload.Length);
        message.Write(payload);
    }

    private static void WriteVarint(MemoryStream stream, uint value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }

        stream.WriteByte((byte)value);
    }

    private async Task ReadCoreAsync(ChannelWriter<ServerMessage> inbox, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cancel.Token);
        try
        {
            _response = await _responding!.WaitAsync(linked.Token);
            if (_response.StatusCode != HttpStatusCode.OK || _response.Headers.TryGetValues("grpc-status", out _))
            {
                // A refusal (Trailers-Only): the status is in the headers; nothing to read.
                return;
            }

            await using var body = await _response.Content.ReadAsStreamAsync(linked.Token);
            var prefix = new byte[5];
            while (true)
            {
                if (!await ReadExactlyOrEndAsync(body, prefix, linked.Token))
                {
                    break;
                }

                var length = BinaryPrimitives.ReadUInt32BigEndian(prefix.AsSpan(1));
                if (prefix[0] != 0 || length > MaxMessageBytes)
                {
                    break;
                }

                var payload = new byte[length];
                if (!await ReadExactlyOrEndAsync(body, payload, linked.Token))
                {
                    break;
                }

                if (Decode(payload) is { } received)
                {
                    await inbox.WriteAsync(received, linked.Token);
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException or ObjectDisposedException or ArgumentOutOfRangeException)
        {
            // The call ended, or a StreamOutput did not parse (a length past its end): the session reads no further.
        }
        finally
        {
            inbox.TryComplete();
        }
    }

    /// <summary>StreamOutput: field 1 json (string) or field 2 audio (bytes); other fields are skipped.</summary>
    private static ServerMessage? Decode(byte[] payload)
    {
        var i = 0;
        ServerMessage? result = null;
        while (i < payload.Length)
        {
            var key = ReadVarint(payload, ref i);
            var wire = (int)(key & 7);
            var field = (int)(key >> 3);
            switch (wire)
            {
                case 0:
                    ReadVarint(payload, ref i);
                    break;
                case 1:
                    i += 8;
                    break;
                case 5:
                    i += 4;
                    break;
                case 2:
                    var length = (int)ReadVarint(payload, ref i);
                    var value = payload.AsSpan(i, length);
                    i += length;
                    result = field switch
                    {
                        1 => ServerMessage.FromText(value),
                        2 => new ServerMessage(null, value.ToArray()),
                        _ => result,
                    };
                    break;
                default:
                    return result;
            }
        }

        return result;
    }

    private static ulong ReadVarint(byte[] buffer, ref int i)
    {
        ulong value = 0;
        for (var shift = 0; i < buffer.Length && shift < 64; shift += 7)
        {
            var b = buffer[i++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }
        }

        return value;
    }

    private static async Task<bool> ReadExactlyOrEndAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken);
            if (n == 0)
            {
                return false;
            }

            read += n;
        }

        return true;
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

    private static string? Header(HttpHeaders headers, string name) => headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

}
