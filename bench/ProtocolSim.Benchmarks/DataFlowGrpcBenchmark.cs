using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Audio;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.DataFlow;
using ProtocolSim.DataFlow.Grpc.Wire;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>bench dataflow-grpc</c>: StreamOutput messages per second the Data Flow mock's gRPC integration
/// delivers over bidirectional <c>dataflow/Stream</c> calls, against a <c>@grpc/grpc-js</c> echo server of the same
/// method (tests/peers/dataflow-grpc-echo-server.js) on the same machine in the same run; and the HTTP batch
/// integration's throughput for a 60 s WAV file.
/// </summary>
internal static class DataFlowGrpcBenchmark
{
    private const int EventsPerClientEvent = DataFlowBenchmark.EventsPerClientEvent;
    private const int Window = 8;
    private const int Repeats = 3;
    private const string Tenant = "5a0b2c3d-1111-4222-8333-944455566677";

    public static async Task<int> RunAsync(IReadOnlyList<int> sessionCounts, int eventsPerStep, int batchSeconds, TextWriter output, CancellationToken cancellationToken)
    {
        var fixtures = RepositoryPaths.Fixtures();
        var recordings = RepositoryPaths.Recordings() ?? throw new InvalidOperationException("recordings/audio not found; run from the repository");
        var peers = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(fixtures))!, "tests", "peers");
        var (projects, errors) = ProjectLoader.LoadDirectory(Path.Combine(fixtures, "dataflow", "projects"));
        var load = new List<string>();
        var bench = ProjectLoader.Load("bench.yaml", DataFlowBenchmark.BenchProjectYaml(), load);
        if (errors.Count > 0 || bench is null)
        {
            throw new InvalidOperationException(string.Join("\n", errors.Concat(load)));
        }

        var client = new IdentityClient { ClientId = "bench", ClientSecret = "bench-secret", Tenant = Tenant };
        await using var app = await DataFlowFake.StartAsync(IPAddress.Loopback, client, o =>
        {
            o.AddProjects([.. projects, bench]);
            o.StartDelay = TimeSpan.Zero;
            o.FinalizeDuration = TimeSpan.Zero;
        }, cancellationToken);
        var token = app.Services.GetRequiredService<TokenService>().Issue(client).Token;
        var mockUrl = new Uri(app.GrpcCleartextUrl);
        var sampleEvent = DataFlowBenchmark.SampleEvent();

        using var echo = await NodeEchoServer.StartAsync(peers, Path.Combine(fixtures, "dataflow", "grpcDataFlow.proto"), sampleEvent, cancellationToken);
        using var http = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }) { Timeout = Timeout.InfiniteTimeSpan };
        using var echoChannel = Channel(echo.Url);
        using var mockChannel = Channel(mockUrl);

        output.WriteLine($"Data Flow gRPC benchmark: the mock's cleartext HTTP/2 listener {mockUrl} and a @grpc/grpc-js {echo.Version} echo server {echo.Url} (node {echo.NodeVersion}) of the same method");
        output.WriteLine($"{EventsPerClientEvent} StreamOutput events of {sampleEvent.Length} B per client event; at most {Window} client events outstanding per call; one Grpc.Net.Client channel per server as the load generator");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        output.WriteLine();

        // Warm-up of both servers and the load generator (tiered JIT; V8's optimizer), not reported.
        for (var i = 0; i < 2; i++)
        {
            await MessagesAsync(echoChannel, token, 4, 500, cancellationToken);
            await MessagesAsync(mockChannel, token, 4, 500, cancellationToken);
            Forget(app);
        }

        output.WriteLine($"Each step runs echo and mock alternately {Repeats} times; the medians are reported.");
        output.WriteLine();
        output.WriteLine("| calls | messages | grpc-js echo msgs/s | mock msgs/s | mock / echo |");
        output.WriteLine("|------:|---------:|--------------------:|------------:|------------:|");
        var worst = double.MaxValue;
        foreach (var calls in sessionCounts)
        {
            var perCall = Math.Max(1, eventsPerStep / calls / EventsPerClientEvent);
            var echoes = new List<double>();
            var mocks = new List<double>();
            long messages = 0;
            for (var repeat = 0; repeat < Repeats; repeat++)
            {
                echoes.Add((await MessagesAsync(echoChannel, token, calls, perCall, cancellationToken)).PerSecond);
                GC.Collect();
                var mock = await MessagesAsync(mockChannel, token, calls, perCall, cancellationToken);
                mocks.Add(mock.PerSecond);
                messages = mock.Messages;
                Forget(app);
                GC.Collect();
            }

            var echo50 = echoes.Order().ElementAt(Repeats / 2);
            var mock50 = mocks.Order().ElementAt(Repeats / 2);
            worst = Math.Min(worst, mock50 / echo50);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {calls,5} | {messages,8} | {echo50,19:0} | {mock50,11:0} | {mock50 / echo50,11:0.00} |"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal: the mock at least 2x the grpc-js echo: {(worst >= 2 ? "met" : "NOT met")} (lowest ratio {worst:0.00})"));
        output.WriteLine();

        if (batchSeconds > 0)
        {
            await BatchAsync(app, http, token, recordings, batchSeconds, output, cancellationToken);
        }

        return 0;
    }

    private sealed record Throughput(long Messages, TimeSpan Elapsed)
    {
        public double PerSecond => Messages / Elapsed.TotalSeconds;
    }

    private static void Forget(DataFlowHost app) => app.Services.GetRequiredService<DataFlowJournals>().Store.Clear();

    /// <summary><paramref name="calls"/> Stream calls at once; each sends Start, then client events, and reads every StreamOutput back.</summary>
    private static GrpcChannel Channel(Uri url) => GrpcChannel.ForAddress(url, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
        MaxReceiveMessageSize = null,
    });

    private static async Task<Throughput> MessagesAsync(GrpcChannel channel, string token, int calls, int clientEventsPerCall, CancellationToken cancellationToken)
    {
        var opened = new List<Call>(calls);
        try
        {
            for (var i = 0; i < calls; i++)
            {
                opened.Add(new Call(channel, token, cancellationToken));
            }

            var clock = Stopwatch.StartNew();
            var counts = await Task.WhenAll(opened.Select((c, i) => c.RunAsync(i, clientEventsPerCall, cancellationToken)));
            clock.Stop();
            return new Throughput(counts.Sum(), clock.Elapsed);
        }
        finally
        {
            foreach (var call in opened)
            {
                await call.DisposeAsync();
            }
        }
    }

    /// <summary>HTTP batch: a WAV of <paramref name="seconds"/> s posted one at a time, then four at a time.</summary>
    private static async Task BatchAsync(DataFlowHost app, HttpClient http, string token, string recordings, int seconds, TextWriter output, CancellationToken cancellationToken)
    {
        var speech = Pcm.ToSamples(Wav.ReadFile(Path.Combine(recordings, "question-16k.wav")).Data);
        var samples = new short[16000 * seconds];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = speech[i % speech.Length];
        }

        var wav = Wav.Encode(Pcm.ToBytes(samples), 16000, 1);
        var url = new Uri(app.HttpUrl);
        async Task<(TimeSpan Elapsed, int Results)> PostAsync()
        {
            var form = new MultipartFormDataContent
            {
                { new StringContent("""{"Language":"en-US","Settings":{"Punctuation":true}}""", Encoding.UTF8, "application/json"), "Parameters" },
                { new ByteArrayContent(wav) { Headers = { ContentType = new MediaTypeHeaderValue("audio/wav") } }, "Audio", "call.wav" },
            };
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = form };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            request.Headers.Add("Tenant", Tenant);
            request.Headers.Add("ProjectName", "call-analytics");
            var clock = Stopwatch.StartNew();
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            clock.Stop();
            response.EnsureSuccessStatusCode();
            return (clock.Elapsed, (JsonNode.Parse(body)?["Results"] as JsonArray)?.Count ?? 0);
        }

        await PostAsync();
        Forget(app);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"HTTP batch: POST /batch of a {seconds} s PCM16 16 kHz mono WAV ({wav.Length / 1e6:0.00} MB) to call-analytics (speech detection, transcripts, sentiment); build and finalize delays 0"));
        output.WriteLine();
        output.WriteLine("| requests in flight | requests | median latency | audio s per wall s | MB/s |");
        output.WriteLine("|-------------------:|---------:|---------------:|-------------------:|-----:|");
        foreach (var (inFlight, total) in new[] { (1, 5), (4, 12) })
        {
            var latencies = new List<TimeSpan>();
            var clock = Stopwatch.StartNew();
            var next = 0;
            await Task.WhenAll(Enumerable.Range(0, inFlight).Select(async _ =>
            {
                while (Interlocked.Increment(ref next) <= total)
                {
                    var (elapsed, _) = await PostAsync();
                    lock (latencies)
                    {
                        latencies.Add(elapsed);
                    }
                }
            }));
            clock.Stop();
            Forget(app);
            var median = latencies.Order().ElementAt(latencies.Count / 2);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {inFlight,18} | {total,8} | {median.TotalMilliseconds,11:0} ms | {total * seconds / clock.Elapsed.TotalSeconds,18:0} | {total * wav.Length / clock.Elapsed.TotalSeconds / 1e6,4:0.0} |"));
        }

        output.WriteLine();
    }

    /// <summary>
    /// One Stream call of the load generator on Grpc.Net.Client: StreamInput messages from the proto's generated class,
    /// StreamOutput messages taken as bytes and counted, not parsed.
    /// </summary>
    private sealed class Call : IAsyncDisposable
    {
        private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);
        private static readonly Method<byte[], byte[]> Stream = new(MethodType.DuplexStreaming, "dataflow", "Stream", Bytes, Bytes);
        private readonly AsyncDuplexStreamingCall<byte[], byte[]> _call;
        private readonly string _token;

        /// <summary>Opens the call (Grpc.Net.Client sends the request headers as it starts).</summary>
        public Call(GrpcChannel channel, string token, CancellationToken cancellationToken)
        {
            _token = token;
            _call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(Stream, null, new CallOptions(cancellationToken: cancellationToken));
        }

        /// <summary>Start, then the client events with a window; returns the events read.</summary>
        public async Task<long> RunAsync(int number, int clientEvents, CancellationToken cancellationToken)
        {
            var start = new JsonObject
            {
                ["MessageName"] = "Start",
                ["ProjectName"] = "bench",
                ["Tenant"] = Tenant,
                ["Token"] = _token,
                ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 16000, ["ChannelCount"] = 1 },
            };
            await WriteJsonAsync(start.ToJsonString());
            if (!await _call.ResponseStream.MoveNext(cancellationToken))
            {
                throw new InvalidOperationException($"the call ended before its StartResponse: {_call.GetStatus()}");
            }

            using var window = new SemaphoreSlim(Window, Window);
            var expected = (long)clientEvents * EventsPerClientEvent;
            var reading = CountAsync(expected, window, cancellationToken);
            for (var i = 0; i < clientEvents; i++)
            {
                await window.WaitAsync(cancellationToken);
                var text = string.Create(CultureInfo.InvariantCulture, $"call {number} event {i}");
                await WriteJsonAsync("""{"Event":{"Name":"Client Text","Channel":0,"StartMsec":-1,"EndMsec":-1,"GroupId":"","Tags":[],"Data":{"Text":""" + "\"" + text + "\"}}}");
            }

            return await reading;
        }

        private async Task<long> CountAsync(long expected, SemaphoreSlim window, CancellationToken cancellationToken)
        {
            long count = 0;
            while (count < expected && await _call.ResponseStream.MoveNext(cancellationToken))
            {
                if (++count % EventsPerClientEvent == 0)
                {
                    window.Release();
                }
            }

            return count;
        }

        private Task WriteJsonAsync(string json) => _call.RequestStream.WriteAsync(new StreamInput { Json = json }.ToByteArray());

        public async ValueTask DisposeAsync()
        {
            try
            {
                // Half-close and read to the end: the server completes the call after the half-close.
                await _call.RequestStream.CompleteAsync();
                using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                while (await _call.ResponseStream.MoveNext(limit.Token))
                {
                }
            }
            catch (Exception e) when (e is RpcException or IOException or OperationCanceledException or InvalidOperationException)
            {
            }

            _call.Dispose();
        }
    }

    /// <summary>The grpc-js echo server, a node child process that lives until disposed (its stdin closes).</summary>
    private sealed class NodeEchoServer : IDisposable
    {
        private readonly Process _process;

        private NodeEchoServer(Process process, Uri url, string version, string nodeVersion)
        {
            _process = process;
            Url = url;
            Version = version;
            NodeVersion = nodeVersion;
        }

        public Uri Url { get; }

        public string Version { get; }

        public string NodeVersion { get; }

        public static async Task<NodeEchoServer> StartAsync(string peers, string proto, string eventJson, CancellationToken cancellationToken)
        {
            var script = Path.Combine(peers, "dataflow-grpc-echo-server.js");
            if (!Directory.Exists(Path.Combine(peers, "node_modules", "@grpc", "grpc-js")))
            {
                throw new InvalidOperationException($"@grpc/grpc-js is not installed in {peers}: run scripts/setup.sh first");
            }

            var start = new ProcessStartInfo("node") { WorkingDirectory = peers, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { script, proto, EventsPerClientEvent.ToString(CultureInfo.InvariantCulture), eventJson })
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
            var line = await process.StandardOutput.ReadLineAsync(cancellationToken);
            if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
            {
                var error = await process.StandardError.ReadToEndAsync(cancellationToken);
                process.Kill();
                throw new InvalidOperationException("the grpc-js echo server did not start: " + (line ?? error));
            }

            var package = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(peers, "node_modules", "@grpc", "grpc-js", "package.json"), cancellationToken));
            using var node = Process.Start(new ProcessStartInfo("node", "--version") { RedirectStandardOutput = true })!;
            var nodeVersion = (await node.StandardOutput.ReadToEndAsync(cancellationToken)).Trim();
            return new NodeEchoServer(process, new Uri("http://127.0.0.1:" + line["listening ".Length..]), package?["version"]?.ToString() ?? "?", nodeVersion);
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.Close();
                if (!_process.WaitForExit(3000))
                {
                    _process.Kill();
                }
            }
            finally
            {
                _process.Dispose();
            }
        }
    }
}
