using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Cti;
using ProtocolSim.Cti.Transport;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>bench cti</c>: N agent desktops at once over the socket transport, each logging in, adding a channel
/// group and logging out, all N sessions live together (a barrier after log-in); latency p50/p99/max per command
/// and the events per second the processor delivered. The load generator runs in the same process (2 cores here).
/// </summary>
internal static class CtiBenchmark
{
    private static readonly SocketFramingOptions Framing = new();

    /// <summary>The commands timed, in the order a desktop sends them.</summary>
    private static readonly string[] Steps =
    [
        "handshake", "negotiate", "bindService", "prepareSession", "bindResource", "session.start",
        "start → session.initialized", "session.addchannelgroup", "addchannelgroup → channelgroup.initialized", "session.logout",
    ];

    public static async Task<int> RunAsync(int sessions, TextWriter output, CancellationToken cancellationToken)
    {
        var (world, errors) = AgentWorldLoader.Load(AgentWorld.DefaultPath(RepositoryPaths.Fixtures()));
        if (world is null)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        // N agents, each with a Telephony channel the switch reports at log-in (initialization events).
        var agents = Enumerable.Range(1, sessions + 50).Select(i => new Agent
        {
            Id = "bench" + i.ToString("D5", CultureInfo.InvariantCulture),
            Password = "bench-" + i.ToString(CultureInfo.InvariantCulture),
            Channels = [new ExistingChannel { Endpoint = (70000 + i).ToString(CultureInfo.InvariantCulture), Type = "Telephony" }],
        }).ToList();
        world = world with { Agents = agents };
        await using var host = await CtiFake.StartAsync(IPAddress.Loopback, o =>
        {
            o.World = world;
            o.KeepJournals = sessions + 100;
            o.OutboundCapacity = 1000;
        }, cancellationToken);
        await output.WriteLineAsync($"CTI processor: socket at {host.TcpUrl}; logout completes after {host.Processor.Options.LogoutDelay.TotalMilliseconds:0} ms (cti.md §5 default)");

        // Warm-up (JIT, pools): 50 sessions, not counted.
        await RunWaveAsync(host, agents.Skip(sessions).ToList(), cancellationToken);
        host.Processor.Journals.Clear();

        GC.Collect();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var pause0 = GC.GetTotalPauseDuration();
        var allocated0 = GC.GetTotalAllocatedBytes();
        var gcs0 = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var wave = await RunWaveAsync(host, agents.Take(sessions).ToList(), cancellationToken);
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds;
        var gcs = $"{GC.CollectionCount(0) - gcs0.Item1}/{GC.CollectionCount(1) - gcs0.Item2}/{GC.CollectionCount(2) - gcs0.Item3}";

        await output.WriteLineAsync();
        await output.WriteLineAsync($"{sessions} concurrent agent sessions over the socket transport (all {wave.PeakLive} live at once after log-in); {wave.Failures} failed");
        await output.WriteLineAsync();
        await output.WriteLineAsync("| Command | Count | p50 (ms) | p99 (ms) | max (ms) |");
        await output.WriteLineAsync("|---|---|---|---|---|");
        foreach (var step in Steps)
        {
            var samples = wave.Latencies.TryGetValue(step, out var bag) ? bag.Order().ToArray() : [];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| {step} | {samples.Length} | {Percentile(samples, 0.5):0.0} | {Percentile(samples, 0.99):0.0} | {(samples.Length == 0 ? double.NaN : samples[^1]):0.0} |"));
        }

        await output.WriteLineAsync();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"events delivered: {wave.Events} in {wave.Wall.TotalSeconds:0.00} s = {wave.Events / wave.Wall.TotalSeconds:0} events/s; all messages to clients: {wave.Messages / wave.Wall.TotalSeconds:0}/s"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"add-channel-group phase (all {sessions} at once, from the barrier to the last channelgroup.initialized): {wave.GroupEvents} events in {wave.GroupPhase.TotalMilliseconds:0} ms = {wave.GroupEvents / Math.Max(wave.GroupPhase.TotalSeconds, 1e-9):0} events/s"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"CPU {cpu / wave.Wall.TotalSeconds:0.00} cores (processor and load generator together); GC gen0/1/2 {gcs}, paused {(GC.GetTotalPauseDuration() - pause0).TotalMilliseconds:0} ms; {(GC.GetTotalAllocatedBytes() - allocated0) / (double)sessions / 1024:0} KiB allocated per session"));
        await output.WriteLineAsync($"journals kept: {host.Processor.Journals.All.Count}, findings: {host.Processor.Journals.All.Sum(j => j.Findings.Count)} (a conforming load has none)");
        return wave.Failures == 0 ? 0 : 1;
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private sealed record Wave(ConcurrentDictionary<string, ConcurrentBag<double>> Latencies, long Events, long Messages, TimeSpan Wall, int Failures, int PeakLive, long GroupEvents, TimeSpan GroupPhase);

    private static async Task<Wave> RunWaveAsync(CtiHost host, List<Agent> agents, CancellationToken cancellationToken)
    {
        var latencies = new ConcurrentDictionary<string, ConcurrentBag<double>>(StringComparer.Ordinal);
        var counters = new Counters();
        // An async barrier: every session is logged in before any goes on (no thread blocks while it waits).
        var waiting = agents.Count;
        long released = 0, eventsAtRelease = 0, groupsDone = 0, eventsAtGroupsDone = 0;
        var allLoggedIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Arrive()
        {
            if (Interlocked.Decrement(ref waiting) == 0)
            {
                Interlocked.Exchange(ref released, Stopwatch.GetTimestamp());
                Interlocked.Exchange(ref eventsAtRelease, Interlocked.Read(ref counters.Events));
                allLoggedIn.TrySetResult();
            }
        }

        var failures = 0;
        var live = 0;
        var peak = 0;
        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(3));
        var tasks = agents.Select(agent => Task.Run(async () =>
        {
            var joined = false;
            try
            {
                await using var desk = await Desk.ConnectAsync(host, counters, limit.Token);
                void Time(string step, long since) => latencies.GetOrAdd(step, _ => []).Add(Stopwatch.GetElapsedTime(since).TotalMilliseconds);
                await desk.LogInAsync(agent, host.Processor.Options.ServiceId, Time, limit.Token);
                var now = Interlocked.Increment(ref live);
                InterlockedMax(ref peak, now);
                joined = true;
                Arrive();
                await allLoggedIn.Task.WaitAsync(limit.Token);
                await desk.GroupAsync(Time, limit.Token);
                InterlockedMax(ref groupsDone, Stopwatch.GetTimestamp());
                InterlockedMax(ref eventsAtGroupsDone, Interlocked.Read(ref counters.Events));
                await desk.LogOutAsync(Time, limit.Token);
                Interlocked.Decrement(ref live);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or InvalidOperationException or JsonException)
            {
                Interlocked.Increment(ref failures);
                if (!joined)
                {
                    Arrive();
                }
            }
        }, limit.Token)).ToList();
        await Task.WhenAll(tasks);
        return new Wave(latencies, counters.Events, counters.Messages, clock.Elapsed, failures, peak,
            eventsAtGroupsDone - eventsAtRelease, released == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(released, groupsDone));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current;
        while ((current = Interlocked.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }

    private sealed class Counters
    {
        public long Events;
        public long Messages;
    }

    /// <summary>One benchmark desktop: a socket, a reader task that parses frames into a queue, request helpers.</summary>
    private sealed class Desk : IAsyncDisposable
    {
        private readonly TcpClient _tcp;
        private readonly NetworkStream _stream;
        private readonly Channel<BenchFrame> _inbox = Channel.CreateUnbounded<BenchFrame>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        private readonly Task _reader;
        private int _requestId;
        private string _session = "";

        private Desk(TcpClient tcp, Counters counters, CancellationToken cancellationToken)
        {
            _tcp = tcp;
            _stream = tcp.GetStream();
            _reader = ReadAsync(counters, cancellationToken);
        }

        public static async Task<Desk> ConnectAsync(CtiHost host, Counters counters, CancellationToken cancellationToken)
        {
            var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(host.Tcp, cancellationToken);
            return new Desk(tcp, counters, cancellationToken);
        }

        public async Task LogInAsync(Agent agent, string serviceId, Action<string, long> time, CancellationToken cancellationToken)
        {
            var t = Stopwatch.GetTimestamp();
            await SendAsync(0, new JsonObject { ["messageType"] = "handshake", ["client"] = new JsonObject { ["id"] = "desk-" + agent.Id, ["name"] = "bench" } }, cancellationToken);
            await ExpectAsync(m => m.MessageType == "handshake", cancellationToken);
            time("handshake", t);
            t = Stopwatch.GetTimestamp();
            await SendAsync(0, new JsonObject { ["messageType"] = "negotiate", ["protocols"] = new JsonArray(new JsonObject { ["name"] = "DCP", ["version"] = "1.0" }) }, cancellationToken);
            await ExpectAsync(m => m.MessageType == "negotiate", cancellationToken);
            time("negotiate", t);
            await RequestAsync("bindService", new JsonObject { ["messageType"] = "coreRequest", ["command"] = "bindService", ["serviceId"] = serviceId }, time, cancellationToken);
            var prepared = await RequestAsync("prepareSession", new JsonObject
            {
                ["messageType"] = "serviceRequest",
                ["serviceId"] = serviceId,
                ["command"] = "prepareSession",
                ["data"] = new JsonObject { ["model"] = "Simulated", ["override"] = false, ["agent"] = new JsonObject { ["id"] = agent.Id, ["password"] = agent.Password } },
            }, time, cancellationToken);
            _session = Str(JsonNode.Parse(prepared.Content.Span)!["data"] as JsonObject, "resourceId") ?? throw new InvalidOperationException("prepareSession: " + prepared);
            await RequestAsync("bindResource", new JsonObject { ["messageType"] = "coreRequest", ["command"] = "bindResource", ["resourceId"] = _session }, time, cancellationToken);
            t = Stopwatch.GetTimestamp();
            await SessionAsync("session.start", [], time, cancellationToken);
            await ExpectAsync(m => m.Name == "session.initialized", cancellationToken);
            time("start → session.initialized", t);
        }

        public async Task GroupAsync(Action<string, long> time, CancellationToken cancellationToken)
        {
            var t = Stopwatch.GetTimestamp();
            await SessionAsync("session.addchannelgroup", new JsonObject { ["channelgroup"] = new JsonObject { ["name"] = "Sales", ["chat"] = true, ["email"] = true, ["callback"] = false } }, time, cancellationToken);
            await ExpectAsync(m => m.Name == "channelgroup.initialized", cancellationToken);
            time("addchannelgroup → channelgroup.initialized", t);
        }

        public async Task LogOutAsync(Action<string, long> time, CancellationToken cancellationToken)
        {
            await SessionAsync("session.logout", [], time, cancellationToken);
            await SendAsync(0, new JsonObject { ["messageType"] = "teardown" }, cancellationToken);
            await ExpectAsync(m => m.MessageType == "teardown", cancellationToken);
        }

        private Task<BenchFrame> SessionAsync(string command, JsonObject data, Action<string, long> time, CancellationToken cancellationToken) =>
            RequestAsync(command, new JsonObject { ["messageType"] = "resourceRequest", ["resourceId"] = _session, ["command"] = command, ["target"] = _session, ["data"] = data }, time, cancellationToken);

        private async Task<BenchFrame> RequestAsync(string step, JsonObject message, Action<string, long> time, CancellationToken cancellationToken)
        {
            var id = "r" + (++_requestId).ToString(CultureInfo.InvariantCulture);
            message["requestId"] = id;
            var t = Stopwatch.GetTimestamp();
            await SendAsync(1, message, cancellationToken);
            var answer = await ExpectAsync(m => m.RequestId == id, cancellationToken);
            time(step, t);
            return answer.Result is "success" ? answer : throw new InvalidOperationException($"{step}: {answer}");
        }

        private async Task SendAsync(byte index, JsonObject message, CancellationToken cancellationToken)
        {
            await _stream.WriteAsync(SocketFraming.Encode(index, JsonSerializer.SerializeToUtf8Bytes(message), Framing), cancellationToken);
        }

        /// <summary>The next message that matches; the others (events of no interest) are skipped.</summary>
        private async Task<BenchFrame> ExpectAsync(Func<BenchFrame, bool> match, CancellationToken cancellationToken)
        {
            while (true)
            {
                var message = await _inbox.Reader.ReadAsync(cancellationToken);
                if (match(message))
                {
                    return message;
                }
            }
        }

        private async Task ReadAsync(Counters counters, CancellationToken cancellationToken)
        {
            var buffer = new byte[16 * 1024];
            var pending = new ArrayBufferWriter<byte>();
            try
            {
                while (true)
                {
                    var read = await _stream.ReadAsync(buffer, cancellationToken);
                    if (read == 0)
                    {
                        break;
                    }

                    pending.Write(buffer.AsSpan(0, read));
                    var sequence = new ReadOnlySequence<byte>(pending.WrittenMemory);
                    var consumed = 0L;
                    while (SocketFraming.TryReadFrame(ref sequence, Framing, out var frame, out var error))
                    {
                        consumed = pending.WrittenCount - sequence.Length;
                        var message = BenchFrame.Read(frame.Content);
                        Interlocked.Increment(ref counters.Messages);
                        if (message.MessageType == "resourceEvent")
                        {
                            Interlocked.Increment(ref counters.Events);
                        }

                        _inbox.Writer.TryWrite(message);
                        _ = error;
                    }

                    if (consumed > 0)
                    {
                        var rest = pending.WrittenSpan[(int)consumed..].ToArray();
                        pending.ResetWrittenCount();
                        pending.Write(rest);
                    }
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
            }
            finally
            {
                _inbox.Writer.TryComplete();
            }
        }

        private static string? Str(JsonObject? message, string key) => message?[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

        /// <summary>A received message, read lightly: the few top-level members the desk looks at (the generator's own CPU is the processor's too).</summary>
        private sealed record BenchFrame(string? MessageType, string? RequestId, string? Name, string? Result, ReadOnlyMemory<byte> Content)
        {
            public static BenchFrame Read(ReadOnlyMemory<byte> content)
            {
                string? messageType = null, requestId = null, name = null, result = null;
                var reader = new Utf8JsonReader(content.Span);
                reader.Read();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var key = reader.ValueSpan;
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        if (key.SequenceEqual("messageType"u8))
                        {
                            messageType = reader.GetString();
                        }
                        else if (key.SequenceEqual("requestId"u8))
                        {
                            requestId = reader.GetString();
                        }
                        else if (key.SequenceEqual("name"u8))
                        {
                            name = reader.GetString();
                        }
                        else if (key.SequenceEqual("result"u8))
                        {
                            result = reader.GetString();
                        }
                    }
                    else
                    {
                        reader.Skip();
                    }
                }

                return new BenchFrame(messageType, requestId, name, result, content);
            }

            public override string ToString() => System.Text.Encoding.UTF8.GetString(Content.Span);
        }

        public async ValueTask DisposeAsync()
        {
            _tcp.Dispose();
            try
            {
                await _reader;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }
}
