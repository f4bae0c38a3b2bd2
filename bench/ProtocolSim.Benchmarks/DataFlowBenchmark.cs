using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProtocolSim.Audio;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.DataFlow;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>bench dataflow</c>: events per second the Data Flow mock delivers to one WebSocket session and to
/// many at once, against a raw Kestrel WebSocket echo in the same process and run (the same frames, none of the
/// mock's work), and the mock's audio intake in MB/s.
/// </summary>
internal static class DataFlowBenchmark
{
    internal const int EventsPerClientEvent = 20;

    /// <summary>Runs of each step (raw and mock alternating); the medians are reported.</summary>
    private const int Repeats = 5;

    /// <summary>Client events a session keeps outstanding (sent, events not yet all read).</summary>
    private const int Window = 8;
    private const string Tenant = "5a0b2c3d-1111-4222-8333-944455566677";

    public static async Task<int> RunAsync(IReadOnlyList<int> sessionCounts, int eventsPerStep, double audioSeconds, TextWriter output, CancellationToken cancellationToken)
    {
        var recordings = RepositoryPaths.Recordings() ?? throw new InvalidOperationException("recordings/audio not found; run from the repository");
        var (projects, errors) = ProjectLoader.LoadDirectory(Path.Combine(RepositoryPaths.Fixtures(), "dataflow", "projects"));
        if (errors.Count > 0)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        var load = new List<string>();
        var bench = ProjectLoader.Load("bench.yaml", BenchProjectYaml(), load) ?? throw new InvalidOperationException(string.Join("\n", load));
        var client = new IdentityClient { ClientId = "bench", ClientSecret = "bench-secret", Tenant = Tenant };
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDataFlowIdentity(o => o.Clients.Add(client));
        builder.Services.AddDataFlow(o =>
        {
            o.AddProjects([.. projects, bench]);
            o.Projects.Add("plain");
            o.StartDelay = TimeSpan.Zero;
            o.FinalizeDuration = TimeSpan.Zero;
        });
        await using var app = builder.Build();
        app.UseWebSockets();
        app.MapDataFlowWebSocket();
        var echoFrame = Encoding.UTF8.GetBytes(SampleEvent());
        app.Map("/echo", context => EchoAsync(context, echoFrame));
        await app.StartAsync(cancellationToken);
        var baseUrl = new Uri(app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal));
        var token = app.Services.GetRequiredService<TokenService>().Issue(client).Token;

        output.WriteLine($"Data Flow WebSocket benchmark: mock and raw Kestrel echo on {baseUrl} in this process; {EventsPerClientEvent} events of {echoFrame.Length} B per client event");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        output.WriteLine();

        // Warm-up of both paths until the JIT has optimized them (tiered compilation), not reported.
        for (var i = 0; i < 3; i++)
        {
            await EventsAsync(new Uri(baseUrl, "/echo"), null, 4, 1000, cancellationToken);
            await EventsAsync(new Uri(baseUrl, "/project-runner/bench"), token, 4, 1000, cancellationToken);
            ForgetJournals(app);
            await Task.Delay(300, cancellationToken);
        }

        output.WriteLine($"Each step runs raw and mock alternately {Repeats} times after a warm-up run; rates are the medians, the other columns are from the last mock run.");
        output.WriteLine();
        output.WriteLine("| sessions | events | raw echo events/s | mock events/s | mock / raw | mock CPU (cores) | allocations raw / mock | mock GCs (gen 0/1/2), pauses |");
        output.WriteLine("|---------:|-------:|------------------:|--------------:|-----------:|-----------------:|-----------------------:|------------------------------:|");
        var worst = double.MaxValue;
        foreach (var sessions in sessionCounts)
        {
            var perSession = Math.Max(1, eventsPerStep / sessions / EventsPerClientEvent);
            // Raw and mock alternate, Repeats times each; the medians are reported (a shared 2-core machine is noisy).
            var raws = new List<Throughput>();
            var mocks = new List<Throughput>();
            double rawAllocatedPerEvent = 0, allocatedPerEvent = 0, cores = 0;
            var paused = TimeSpan.Zero;
            var gcs = (0, 0, 0);
            // Run -1 warms this step up (this many sessions take code paths the warm-up above may not); not reported.
            for (var repeat = -1; repeat < Repeats; repeat++)
            {
                var rawAllocated0 = GC.GetTotalAllocatedBytes();
                var raw = await EventsAsync(new Uri(baseUrl, "/echo"), null, sessions, perSession, cancellationToken);
                rawAllocatedPerEvent = (GC.GetTotalAllocatedBytes() - rawAllocated0) / (double)Math.Max(1, raw.Events);
                if (repeat >= 0)
                {
                    raws.Add(raw);
                }

                GC.Collect();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var allocated0 = GC.GetTotalAllocatedBytes();
                var pause0 = GC.GetTotalPauseDuration();
                var gcs0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
                var mock = await EventsAsync(new Uri(baseUrl, "/project-runner/bench"), token, sessions, perSession, cancellationToken);
                cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / mock.Elapsed.TotalSeconds;
                allocatedPerEvent = (GC.GetTotalAllocatedBytes() - allocated0) / (double)Math.Max(1, mock.Events);
                paused = GC.GetTotalPauseDuration() - pause0;
                gcs = (GC.CollectionCount(0) - gcs0.Item1, GC.CollectionCount(1) - gcs0.Item2, GC.CollectionCount(2) - gcs0.Item3);
                if (repeat >= 0)
                {
                    mocks.Add(mock);
                }

                ForgetJournals(app);
                GC.Collect();
            }

            var raw50 = Median(raws);
            var mock50 = Median(mocks);
            var ratio = mock50.PerSecond / raw50.PerSecond;
            worst = Math.Min(worst, ratio);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {sessions,8} | {mock50.Events,6} | {raw50.PerSecond,17:0} | {mock50.PerSecond,13:0} | {ratio,10:0.00} | {cores,16:0.00} | {rawAllocatedPerEvent,6:0} / {allocatedPerEvent:0} B/event | {gcs.Item1}/{gcs.Item2}/{gcs.Item3}, {paused.TotalMilliseconds:0} ms |"));
        }

        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"goal: mock at least half the raw rate: {(worst >= 0.5 ? "met" : "NOT met")} (lowest ratio {worst:0.00})"));
        output.WriteLine();

        if (audioSeconds <= 0)
        {
            await app.StopAsync(CancellationToken.None);
            return 0;
        }

        // Audio intake: PCM16 16 kHz mono in 100 ms frames, as fast as the socket takes it, until FinalizeResponse.
        var speech = Wav.ReadFile(Path.Combine(recordings, "question-16k.wav")).Data;
        foreach (var project in new[] { "plain", "call-analytics" })
        {
            // Warm-up (JIT), not reported.
            await AudioAsync(new Uri(baseUrl, "/project-runner/" + project), token, speech, 30, cancellationToken);
            ForgetJournals(app);
        }

        output.WriteLine("| audio intake (PCM16 16 kHz mono, 3,200 B frames) | audio | MB/s | x real time |");
        output.WriteLine("|---|---:|---:|---:|");
        foreach (var project in new[] { "plain", "call-analytics" })
        {
            var (bytes, elapsed) = await AudioAsync(new Uri(baseUrl, "/project-runner/" + project), token, speech, audioSeconds, cancellationToken);
            ForgetJournals(app);
            var seconds = bytes / 32000.0;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| project {project}{(project == "plain" ? " (no script)" : " (speech detection, transcripts, sentiment)")} | {seconds:0} s | {bytes / elapsed.TotalSeconds / 1e6:0.0} | {seconds / elapsed.TotalSeconds:0} |"));
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }

    private sealed record Throughput(long Events, TimeSpan Elapsed)
    {
        public double PerSecond => Events / Elapsed.TotalSeconds;
    }

    private static Throughput Median(List<Throughput> runs) => runs.OrderBy(r => r.PerSecond).ElementAt(runs.Count / 2);

    /// <summary>A project whose one rule answers each client event with <see cref="EventsPerClientEvent"/> SR Partial events.</summary>
    internal static string BenchProjectYaml()
    {
        var yaml = new StringBuilder("name: bench\nscript:\n  - on: clientEvent\n    emit:\n");
        for (var i = 0; i < EventsPerClientEvent; i++)
        {
            yaml.Append("      - event: SR Partial\n        channel: 0\n        data: { PartialText: \"{text}\", Confidence: 0.87 }\n");
        }

        return yaml.ToString();
    }

    internal static string SampleEvent() =>
        new JsonObject
        {
            ["Event"] = new JsonObject
            {
                ["Name"] = "SR Partial",
                ["Channel"] = 0,
                ["StartMsec"] = 1200,
                ["EndMsec"] = 1840,
                ["GroupId"] = string.Empty,
                ["Tags"] = new JsonArray(),
                ["Data"] = new JsonObject { ["PartialText"] = "is my order on its way", ["Confidence"] = 0.87 },
            },
        }.ToJsonString();

    /// <summary>The raw baseline: for each text message received, the same number of pre-serialized event frames.</summary>
    private static async Task EchoAsync(HttpContext context, byte[] frame)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, context.RequestAborted);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                if (result.EndOfMessage)
                {
                    for (var i = 0; i < EventsPerClientEvent; i++)
                    {
                        await socket.SendAsync(frame, WebSocketMessageType.Text, true, context.RequestAborted);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException)
        {
        }
    }

    /// <summary>Opens <paramref name="sessions"/> sessions; each sends its client events and reads every event back.</summary>
    private static async Task<Throughput> EventsAsync(Uri url, string? token, int sessions, int clientEventsPerSession, CancellationToken cancellationToken)
    {
        var sockets = new List<ClientWebSocket>(sessions);
        try
        {
            foreach (var batch in Enumerable.Range(0, sessions).Chunk(50))
            {
                sockets.AddRange(await Task.WhenAll(batch.Select(_ => OpenAsync(url, token, cancellationToken))));
            }

            // Each client event has its own text, as a real client's would.
            var clientEvents = Enumerable.Range(0, clientEventsPerSession).Select(n => Encoding.UTF8.GetBytes(new JsonObject
            {
                ["Event"] = new JsonObject
                {
                    ["Name"] = "Client Text",
                    ["Channel"] = 0,
                    ["StartMsec"] = -1,
                    ["EndMsec"] = -1,
                    ["GroupId"] = string.Empty,
                    ["Tags"] = new JsonArray(),
                    ["Data"] = new JsonObject { ["Text"] = string.Create(CultureInfo.InvariantCulture, $"is my order {n} on its way") },
                },
            }.ToJsonString())).ToArray();
            var clock = Stopwatch.StartNew();
            var counts = await Task.WhenAll(sockets.Select(async socket =>
            {
                // A client reads as it goes: at most Window client events are answered but not yet read.
                using var window = new SemaphoreSlim(Window, Window);
                var expected = (long)clientEventsPerSession * EventsPerClientEvent;
                var reading = CountEventsAsync(socket, expected, window, cancellationToken);
                for (var i = 0; i < clientEventsPerSession; i++)
                {
                    await window.WaitAsync(cancellationToken);
                    await socket.SendAsync(clientEvents[i], WebSocketMessageType.Text, true, cancellationToken);
                }

                return await reading;
            }));
            var elapsed = clock.Elapsed;
            return new Throughput(counts.Sum(), elapsed);
        }
        finally
        {
            await Task.WhenAll(sockets.Select(CloseAsync));
        }
    }

    private static async Task<ClientWebSocket> OpenAsync(Uri url, string? token, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(url, cancellationToken);
        if (token is not null)
        {
            var start = new JsonObject
            {
                ["MessageName"] = "Start",
                ["Tenant"] = Tenant,
                ["Token"] = token,
                ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 16000, ["ChannelCount"] = 1 },
            };
            await socket.SendAsync(Encoding.UTF8.GetBytes(start.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);
            var buffer = new byte[4096];
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            var text = Encoding.UTF8.GetString(buffer, 0, result.Count);
            if (!text.Contains("\"Success\"", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("Start was refused: " + text);
            }
        }

        return socket;
    }

    /// <summary>Reads until <paramref name="expected"/> event messages (<c>{"Event":…}</c>) have arrived.</summary>
    private static async Task<long> CountEventsAsync(ClientWebSocket socket, long expected, SemaphoreSlim window, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        long events = 0;
        while (events < expected)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            if (result.EndOfMessage && result.MessageType == WebSocketMessageType.Text && result.Count > 9 && buffer.AsSpan(0, 9).SequenceEqual("{\"Event\":"u8))
            {
                events++;
                if (events % EventsPerClientEvent == 0)
                {
                    window.Release();
                }
            }
        }

        return events;
    }

    /// <summary>Streams PCM into one session as fast as the socket takes it; the time runs until FinalizeResponse.</summary>
    private static async Task<(long Bytes, TimeSpan Elapsed)> AudioAsync(Uri url, string token, byte[] speech, double seconds, CancellationToken cancellationToken)
    {
        using var socket = await OpenAsync(url, token, cancellationToken);
        var total = (long)(seconds * 32000);
        var frame = new byte[3200];
        var finalized = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            while (socket.State == WebSocketState.Open)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                if (Encoding.UTF8.GetString(buffer, 0, result.Count).Contains("FinalizeResponse", StringComparison.Ordinal))
                {
                    finalized.TrySetResult();
                    break;
                }
            }
        }, cancellationToken);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        var offset = 0;
        while (sent < total)
        {
            for (var i = 0; i < frame.Length; i++)
            {
                frame[i] = speech[offset];
                offset = (offset + 1) % speech.Length;
            }

            await socket.SendAsync(frame, WebSocketMessageType.Binary, true, cancellationToken);
            sent += frame.Length;
        }

        await socket.SendAsync("""{"MessageName":"Finalize"}"""u8.ToArray(), WebSocketMessageType.Text, true, cancellationToken);
        await finalized.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        var elapsed = clock.Elapsed;
        await CloseAsync(socket);
        await reading;
        return (sent, elapsed);
    }

    private static async Task CloseAsync(ClientWebSocket socket)
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        finally
        {
            socket.Dispose();
        }
    }

    /// <summary>Drops the journals of finished sessions between steps so that memory does not grow over the run.</summary>
    private static void ForgetJournals(WebApplication app) => app.Services.GetRequiredService<DataFlowJournals>().Store.Clear();
}
