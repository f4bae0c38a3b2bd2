using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Grpc.Wire;
using ProtocolSim.Core.Http;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>The gRPC integration over cleartext HTTP/2 with HttpClient as the client (the Node @grpc/grpc-js interop follows).</summary>
public sealed class GrpcStreamTests : IAsyncLifetime
{
    private DataFlowTestHost _host = null!;

    public async Task InitializeAsync() => _host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects());

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string GrpcUrl => DataFlowMock.GrpcCleartextUrl(_host.App);

    private string Start() => new JsonObject
    {
        ["MessageName"] = "Start",
        ["ProjectName"] = "call-analytics",
        ["Token"] = _host.Token,
        ["Tenant"] = DataFlowTestHost.Tenant,
        ["Audio"] = new JsonObject { ["Encoding"] = "ulaw", ["SampleRate"] = "8000", ["ChannelCount"] = "2" },
    }.ToJsonString();

    private static byte[] Message(StreamInput input) => GrpcFraming.Encode(input.ToByteArray());

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
        await using var call = await GrpcCall.StartAsync(GrpcUrl, timeout: "300m");
        await call.WriteAsync(Message(new StreamInput { Json = Start() }));
        Assert.Contains("StartResponse", (await call.ReadAsync())!.Json, StringComparison.Ordinal);
        Assert.Null(await call.ReadUntilAsync(_ => false));
        Assert.Equal("4", call.Trailer("grpc-status"));
    }

    [Fact]
    public async Task Http11AndWrongContentTypeAndUnknownMethod_GetGrpcErrors()
    {
        using var http1 = new HttpClient();
        using var overHttp1 = await http1.PostAsync(DataFlowMock.BaseUrl(_host.App) + DataFlowGrpcEndpoint.StreamPath, new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } });
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
        await call.WriteAsync(what == "not protobuf" ? GrpcFraming.Encode([0xFF, 0xFF, 0xFF]) : Message(new StreamInput { Json = "{\"MessageName\": Start" }));
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
            await call.WriteAsync(GrpcFraming.Encode(payload));
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
        roots.ImportFromPem(DataFlowMock.GrpcCaPem(_host.App));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            return (errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) == 0 && chain.Build(new System.Security.Cryptography.X509Certificates.X509Certificate2(certificate!));
        };
        await using (var call = await GrpcCall.StartAsync(DataFlowMock.GrpcUrl(_host.App), handler: handler))
        {
            await call.WriteAsync(Message(new StreamInput { Json = Start() }));
            Assert.Contains("StartResponse", (await call.ReadAsync())!.Json, StringComparison.Ordinal);
        }

        // A client that trusts only the system store refuses the mock's private CA: journaled as a connection without a request.
        using (var strict = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => strict.PostAsync(DataFlowMock.GrpcUrl(_host.App) + DataFlowGrpcEndpoint.StreamPath, new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } }));
        }

        // A client that speaks cleartext HTTP/2 to the TLS port sends no ClientHello: journaled as such (DFG-003 fails it).
        using (var h2c = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            var plain = DataFlowMock.GrpcUrl(_host.App).Replace("https://", "http://", StringComparison.Ordinal);
            await Assert.ThrowsAsync<HttpRequestException>(() => h2c.PostAsync(plain + DataFlowGrpcEndpoint.StreamPath, new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/grpc") } }));
        }

        var journals = _host.App.Services.GetRequiredService<DataFlowJournals>();
        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await journals.WhenIdleAsync(idle.Token);
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc" && j.Labels.GetValueOrDefault("channel") == "tls");
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc-tls" && j.Labels.GetValueOrDefault("clientHello") == "yes");
        Assert.Contains(journals.All, j => j.Protocol == "dataflow-grpc-tls" && j.Labels.GetValueOrDefault("clientHello") == "no");
    }

    [Theory]
    [InlineData("5S", 5000)]
    [InlineData("250m", 250)]
    [InlineData("1H", 3_600_000)]
    public void ParseTimeout_ReadsGrpcTimeoutUnits(string value, int ms) =>
        Assert.Equal(TimeSpan.FromMilliseconds(ms), DataFlowGrpcEndpoint.ParseTimeout(value));

    /// <summary>A bidirectional gRPC call over HttpClient: a duplex request body written as we go, the response read as it comes.</summary>
    private sealed class GrpcCall : IAsyncDisposable
    {
        private readonly HttpClient _client;
        private readonly DuplexContent _content = new();
        private HttpResponseMessage _response = null!;
        private Stream _responseStream = null!;
        private ReadOnlySequence<byte> _pending = ReadOnlySequence<byte>.Empty;

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
                var sequence = _pending;
                if (GrpcFraming.TryRead(ref sequence, false, GrpcFraming.DefaultMaxMessageBytes, out var message, out var error))
                {
                    _pending = new ReadOnlySequence<byte>(sequence.ToArray());
                    return StreamOutput.Parser.ParseFrom(message.Payload.Span);
                }

                Assert.Null(error);
                var read = await _responseStream.ReadAsync(buffer, timeout.Token);
                if (read == 0)
                {
                    return null;
                }

                _pending = new ReadOnlySequence<byte>([.. _pending.ToArray(), .. buffer.AsSpan(0, read)]);
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
        var grpc = new Uri(DataFlowMock.GrpcCleartextUrl(_host.App));
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
