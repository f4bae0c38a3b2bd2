using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Grpc.Wire;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>The gRPC integration over cleartext HTTP/2 with HttpClient as the client (the Node @grpc/grpc-js interop follows).</summary>
public sealed class GrpcStreamTests : IAsyncLifetime
{
    private DataFlowTestHost _host = null!;

    public async Task InitializeAsync() => _host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string GrpcUrl => _host.App.GrpcCleartextUrl;

    private string Start() => new JsonObject
    {
        ["MessageName"] = "Start",
        ["ProjectName"] = "call-analytics",
        ["Token"] = _host.Token,
        ["Tenant"] = DataFlowTestHost.Tenant,
        ["Audio"] = new JsonObject { ["Encoding"] = "ulaw", ["SampleRate"] = "8000", ["ChannelCount"] = "2" },
    }.ToJsonString();

    /// <summary>The method as a Grpc.Net.Client user binds it from the proto's messages.</summary>
    private static readonly global::Grpc.Core.Method<StreamInput, StreamOutput> StreamMethod = new(global::Grpc.Core.MethodType.DuplexStreaming, "dataflow", "Stream",
        global::Grpc.Core.Marshallers.Create(m => m.ToByteArray(), StreamInput.Parser.ParseFrom), global::Grpc.Core.Marshallers.Create(m => m.ToByteArray(), StreamOutput.Parser.ParseFrom));

    private static byte[] Message(StreamInput input) => RawFrames.Encode(input.ToByteArray());

    [Fact]
    public async Task Stream_StartAudioFinalize_EndsWithFinalResultAndStatusOk()
    {
        await using var call = await GrpcCall.StartAsync(GrpcUrl);
        await call.WriteAsync(Message(new StreamInput { Json = Start() }));
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", (await call.ReadAsync())!.Json);
        for (var i = 0; i < 5; i++)
        {
            await call.WriteAsync(Message(new StreamInput { Audio = ByteString.CopyFrom(new byte[320]) }));
        }

        await call.WriteAsync(Message(new StreamInput { Json = """{"MessageName":"Finalize"}""" }));
        Assert.NotNull(await call.ReadUntilAsync(m => m.Json == """{"MessageName":"FinalizeResponse","OperationResult":"Success"}"""));
        Assert.NotNull(await call.ReadUntilAsync(m => m.Json.Contains("\"FinalResult\"", StringComparison.Ordinal)));
        call.HalfClose();
        Assert.Null(await call.ReadUntilAsync(_ => false));
        Assert.Equal("0", call.Trailer("grpc-status"));
        var journal = _host.App.Services.GetRequiredService<DataFlowJournals>().All.Single();
        Assert.Equal("dataflow-grpc", journal.Protocol);
        Assert.Empty(journal.Findings);
    }

    [Theory]
    [InlineData(0, 1, "Request did not include grpc-encoding value with compressed message.")]
    [InlineData(4, 10, "Incomplete message.")]
    public async Task BrokenFraming_EndsWithInternal(int index, int add, string message)
    {
        // A compressed flag without grpc-encoding (byte 0 = 1), or a length that lies (10 more bytes than follow).
        await using var call = await GrpcCall.StartAsync(GrpcUrl);
        var bytes = Message(new StreamInput { Json = Start() });
        bytes[index] += (byte)add;
        await call.WriteAsync(bytes);
        call.HalfClose();
        Assert.Null(await call.ReadAsync());
        Assert.Equal("13", call.Trailer("grpc-status"));
        Assert.Equal(message, call.Trailer("grpc-message"));
    }

    [Fact]
    public async Task Deadline_EndsTheCallWithDeadlineExceeded()
    {
        // grpc-dotnet ends the call at the deadline: DEADLINE_EXCEEDED in the trailers, then RST_STREAM (CANCEL). The
        // raw client sends grpc-timeout without a deadline of its own, so that the server's deadline ends the call.
        await using var call = await GrpcCall.StartAsync(GrpcUrl, timeout: "300m");
        await call.WriteAsync(Message(new StreamInput { Json = Start() }));
        Assert.Contains("StartResponse", (await call.ReadAsync())!.Json, StringComparison.Ordinal);
        try
        {
            Assert.Null(await call.ReadUntilAsync(_ => false));
            Assert.Equal("4", call.Trailer("grpc-status"));
        }
        catch (HttpProtocolException e)
        {
            // HttpClient may take the reset that follows the trailers before the reader has seen them.
            Assert.Equal(8, e.ErrorCode); // CANCEL
        }

        var journals = _host.App.Services.GetRequiredService<DataFlowJournals>();
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await journals.WhenIdleAsync(idle.Token);
        var journal = journals.All.Single();
        Assert.Contains(journal.Entries, e => e.Summary.StartsWith("the call's deadline (grpc-timeout 300m) passed", StringComparison.Ordinal));
        Assert.Contains(journal.Entries, e => e.Summary == "trailers grpc-status 4 DeadlineExceeded: Deadline Exceeded");
    }

    [Fact]
    public async Task Http11AndWrongContentTypeAndUnknownMethod_GetGrpcErrors()
    {
        using var http1 = new HttpClient();
        using var overHttp1 = await http1.PostAsync(_host.App.BaseUrl + DataFlowGrpcEndpoint.StreamPath, new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } });
        Assert.Equal(HttpStatusCode.UpgradeRequired, overHttp1.StatusCode);

        using var http2 = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var json = await http2.PostAsync(GrpcUrl + DataFlowGrpcEndpoint.StreamPath, new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        Assert.Equal("13", json.Headers.GetValues("grpc-status").Single());

        using var unknown = await http2.PostAsync(GrpcUrl + "/dataflow/Other", new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } });
        Assert.Equal(HttpStatusCode.OK, unknown.StatusCode);
        Assert.Equal("12", unknown.Headers.GetValues("grpc-status").Single());
    }

    [Theory]
    [InlineData("not protobuf")]
    [InlineData("not JSON")]
    public async Task AnUnparsableFirstMessage_IsAnsweredWithStartResponseFailed_AndTheCallGoesOn(string what)
    {
        await using var call = await GrpcCall.StartAsync(GrpcUrl);
        await call.WriteAsync(what == "not protobuf" ? RawFrames.Encode([0xFF, 0xFF, 0xFF]) : Message(new StreamInput { Json = "{\"MessageName\": Start" }));
        Assert.NotNull(await call.ReadUntilAsync(m => m.Json == """{"MessageName":"StartResponse","OperationResult":"Failed"}"""));

        // dataflow.md §5: not a gRPC error status; the Start may be retried on the same call.
        await call.WriteAsync(Message(new StreamInput { Json = Start() }));
        Assert.NotNull(await call.ReadUntilAsync(m => m.Json == """{"MessageName":"StartResponse","OperationResult":"Success"}"""));
        call.HalfClose();
        Assert.Null(await call.ReadUntilAsync(_ => false));
        Assert.Equal("0", call.Trailer("grpc-status"));
    }

    [Fact]
    public async Task UnknownMethod_AndFieldsOfAnotherProto_AreRecorded()
    {
        using var http2 = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var unknown = await http2.PostAsync(GrpcUrl + "/dataflow.Dataflow/Stream", new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } });
        Assert.Equal("12", unknown.Headers.GetValues("grpc-status").Single());

        await using (var call = await GrpcCall.StartAsync(GrpcUrl))
        {
            // StreamInput { json = 1 } followed by a field 15 the proto does not define.
            var payload = new StreamInput { Json = Start() }.ToByteArray().Concat(new byte[] { 0x7A, 0x02, 0x68, 0x69 }).ToArray();
            await call.WriteAsync(RawFrames.Encode(payload));
            Assert.Contains("StartResponse", (await call.ReadAsync())!.Json, StringComparison.Ordinal);
        }

        var journals = _host.App.Services.GetRequiredService<DataFlowJournals>();
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await journals.WhenIdleAsync(idle.Token);
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc-method" && j.Findings.Any(f => f.RuleId == "DFG-002"));
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc" && j.Findings.Any(f => f.RuleId == "DFG-008"));
    }

    [Fact]
    public async Task Tls_WithTheCaOfTheEndpointsFile_StreamsAndUntrustedClientsAreJournaled()
    {
        var roots = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        roots.ImportFromPem(_host.App.GrpcCaPem);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == 0 && chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate!));
        };
        await using (var call = await GrpcCall.StartAsync(_host.App.GrpcUrl, handler: handler))
        {
            await call.WriteAsync(Message(new StreamInput { Json = Start() }));
            Assert.Contains("StartResponse", (await call.ReadAsync())!.Json, StringComparison.Ordinal);
        }

        // A client that trusts only the system store refuses the mock's private CA: journaled as a connection without a request.
        using (var strict = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => strict.PostAsync(_host.App.GrpcUrl + DataFlowGrpcEndpoint.StreamPath, new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } }));
        }

        // A client that speaks cleartext HTTP/2 to the TLS port sends no ClientHello: journaled as such (DFG-003 fails it).
        using (var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            var plain = _host.App.GrpcUrl.Replace("https://", "http://", StringComparison.Ordinal);
            await Assert.ThrowsAsync<HttpRequestException>(() => h2c.PostAsync(plain + DataFlowGrpcEndpoint.StreamPath, new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } }));
        }

        var journals = _host.App.Services.GetRequiredService<DataFlowJournals>();
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await journals.WhenIdleAsync(idle.Token);
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc" && j.Labels.GetValueOrDefault("channel") == "tls");
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc-tls" && j.Labels.GetValueOrDefault("clientHello") == "yes");
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc-tls" && j.Labels.GetValueOrDefault("clientHello") == "no");
    }

    [Fact]
    public async Task GrpcNetClient_StreamsASession_AndTheServiceIsListedByReflectionAndHealthy()
    {
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(GrpcUrl);
        using (var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(StreamMethod, null, new global::Grpc.Core.CallOptions()))
        {
            await call.RequestStream.WriteAsync(new StreamInput { Json = Start() });
            Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
            Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", call.ResponseStream.Current.Json);
            await call.RequestStream.WriteAsync(new StreamInput { Audio = ByteString.CopyFrom(new byte[320]) });
            await call.RequestStream.WriteAsync(new StreamInput { Json = """{"MessageName":"Finalize"}""" });
            await call.RequestStream.CompleteAsync();
            var messages = new List<string>();
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                messages.Add(call.ResponseStream.Current.Json);
            }

            Assert.Contains(messages, m => m.Contains("\"FinalResult\"", StringComparison.Ordinal));
            Assert.Equal(global::Grpc.Core.StatusCode.OK, call.GetStatus().StatusCode);
        }

        var health = new global::Grpc.Health.V1.Health.HealthClient(channel);
        Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest())).Status);

        var reflection = new global::Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(channel);
        using var list = reflection.ServerReflectionInfo();
        await list.RequestStream.WriteAsync(new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await list.RequestStream.CompleteAsync();
        Assert.True(await list.ResponseStream.MoveNext(CancellationToken.None));
        var services = list.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("dataflow", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    /// <summary>A bidirectional gRPC call over HttpClient: a duplex request body written as we go, the response read as it comes.</summary>
    internal sealed class GrpcCall : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly DuplexContent _content = new();
        private HttpResponseMessage _response = null!;
        private Stream _responseStream = null!;
        private byte[] _pending = [];

        private GrpcCall(HttpClient client) => _client = client;

        public static async Task<GrpcCall> StartAsync(string url, string? timeout = null, HttpMessageHandler? handler = null)
        {
            var call = new GrpcCall(handler is null ? new HttpClient() : new HttpClient(handler));
            var request = new HttpRequestMessage(HttpMethod.Post, url + DataFlowGrpcEndpoint.StreamPath)
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                Content = call._content,
            };
            request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
            if (timeout is not null)
            {
                request.Headers.Add("grpc-timeout", timeout);
            }

            call._response = await call._client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, call._response.StatusCode);
            call._responseStream = await call._response.Content.ReadAsStreamAsync();
            return call;
        }

        public async Task WriteAsync(byte[] bytes)
        {
            var stream = await _content.Stream;
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
        }

        public void HalfClose() => _content.Complete();

        /// <summary>The next StreamOutput, or null when the response ended.</summary>
        public async Task<StreamOutput?> ReadAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[16 * 1024];
            while (true)
            {
                if (RawFrames.TryRead(ref _pending, out var payload))
                {
                    return StreamOutput.Parser.ParseFrom(payload);
                }

                var read = await _responseStream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return null;
                }

                _pending = [.. _pending, .. buffer.AsSpan(0, read)];
            }
        }

        /// <summary>The first StreamOutput that matches (others skipped), or null when the response ended first.</summary>
        public async Task<StreamOutput?> ReadUntilAsync(Func<StreamOutput, bool> match)
        {
            while (await ReadAsync() is { } message)
            {
                if (match(message))
                {
                    return message;
                }
            }

            return null;
        }

        public string? Trailer(string name) => _response.TrailingHeaders.TryGetValues(name, out var values) ? values.Single() : null;

        public ValueTask DisposeAsync()
        {
            _content.Complete();
            _response?.Dispose();
            _client.Dispose();
            return ValueTask.CompletedTask;
        }
    }

}

/// <summary>
/// gRPC's length prefix written and read by hand: these tests send broken frames (a lying length, a compressed flag
/// without grpc-encoding) that no gRPC client library would send, and read the answers without a client's checks.
/// </summary>
internal static class RawFrames
{
    public static byte[] Encode(ReadOnlySpan<byte> payload)
    {
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    /// <summary>Takes one whole message off the front of <paramref name="pending"/>, if it holds one.</summary>
    public static bool TryRead(ref byte[] pending, out byte[] payload)
    {
        payload = [];
        if (pending.Length < 5)
        {
            return false;
        }

        Assert.Equal(0, pending[0]);
        var length = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(pending.AsSpan(1));
        if (pending.Length < 5 + length)
        {
            return false;
        }

        payload = pending[5..(5 + length)];
        pending = pending[(5 + length)..];
        return true;
    }
}

/// <summary>Interop: the real @grpc/grpc-js client (tests/peers, installed by scripts/setup.sh) against the mock.</summary>
public sealed class GrpcNodeInteropTests : IAsyncLifetime
{
    private DataFlowTestHost _host = null!;

    public async Task InitializeAsync() => _host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "tests", "peers")) && Directory.Exists(Path.Combine(dir.FullName, "fixtures")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("the repository (tests/peers, fixtures) is not above the test assembly");
        }
    }

    private static string Peers => Path.Combine(Root, "tests", "peers");

    private async Task<(int Exit, string[] Lines)> RunNodeAsync(string startJson, int chunks, int? deadlineMs = null)
    {
        var grpc = new Uri(_host.App.GrpcCleartextUrl);
        var start = new System.Diagnostics.ProcessStartInfo("node")
        {
            WorkingDirectory = Peers,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "dataflow-grpc-client.js", Path.Combine(Root, "fixtures", "dataflow", "grpcDataFlow.proto"), $"{grpc.Host}:{grpc.Port}", startJson, chunks.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        if (deadlineMs is { } ms)
        {
            start.ArgumentList.Add(ms.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var process = System.Diagnostics.Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var error = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var lines = (await output).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 0, "node printed nothing; stderr: " + await error);
        return (process.ExitCode, lines);
    }

    private string Start() => new JsonObject
    {
        ["MessageName"] = "Start",
        ["ProjectName"] = "call-analytics",
        ["Token"] = _host.Token,
        ["Tenant"] = DataFlowTestHost.Tenant,
        ["Audio"] = new JsonObject { ["Encoding"] = "ulaw", ["SampleRate"] = "8000", ["ChannelCount"] = "2" },
    }.ToJsonString();

    [Fact]
    public async Task GrpcJsClient_StreamsASession_AndEndsWithStatusOk()
    {
        var (_, lines) = await RunNodeAsync(Start(), chunks: 5);
        Assert.Equal("json {\"MessageName\":\"StartResponse\",\"OperationResult\":\"Success\"}", lines[0]);
        Assert.Contains(lines, l => l == "json {\"MessageName\":\"FinalizeResponse\",\"OperationResult\":\"Success\"}");
        Assert.Contains(lines, l => l.StartsWith("json ", StringComparison.Ordinal) && l.Contains("\"FinalResult\"", StringComparison.Ordinal));
        Assert.Equal("status 0 ", lines[^1]);
        var journal = _host.App.Services.GetRequiredService<DataFlowJournals>().All.Single();
        Assert.Equal(5, journal.Entries.Count(e => e.Kind == Core.FrameKind.Binary && e.Direction == Core.Direction.FromClient));
        Assert.Empty(journal.Findings);
    }

    [Fact]
    public async Task GrpcJsClient_SeesDeadlineExceeded()
    {
        var (_, lines) = await RunNodeAsync(Start(), chunks: -1, deadlineMs: 500);
        Assert.StartsWith("status 4 ", lines[^1], StringComparison.Ordinal);
    }
}
