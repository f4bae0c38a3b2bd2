using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>bench voice-stream</c>: N concurrent caller streams against a loopback sink bot running in a child
/// process (so the CPU figure is the peer's alone), reporting frame-send lateness and CPU per N.
/// </summary>
internal static class VoiceStreamBenchmark
{
    public static async Task<int> RunAsync(IReadOnlyList<int> counts, int sampleRate, TimeSpan measure, TextWriter output, CancellationToken cancellationToken)
    {
        await using var sink = await SinkProcess.StartAsync(cancellationToken);
        output.WriteLine($"voice-stream benchmark: {sampleRate} Hz, 20 ms frames, {measure.TotalSeconds:0} s per step, sink bot at {sink.Url} (child process {sink.ProcessId})");
        using var pacer = new MediaPacer(TimeProvider.System);
        output.WriteLine($"pacer: {pacer.Loops} precise loop(s); machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        output.WriteLine();
        output.WriteLine("| streams | frames sent | lateness p50 | p99 | max | earliest | peer CPU (cores) | sink CPU (cores) | frames/s | peer GC |");
        output.WriteLine("|--------:|------------:|-------------:|----:|----:|---------:|-----------------:|-----------------:|---------:|---------|");
        foreach (var n in counts)
        {
            var lateness = new LatenessRecorder();
            long asyncSends = 0;
            using var listener = Listen(lateness, () => Interlocked.Increment(ref asyncSends));
            var calls = new List<VoiceCall>(n);
            try
            {
                // The pacing alone: caller frames are not journaled (--set JournalCallerFrames=false); with them, the
                // journals' growth is the cost (1,000 calls: 50,000 entries and 1.6 MB of audio a second, kept).
                await DialAsync(sink, n, sampleRate, pacer, i => new SessionJournal($"bench-{i}", "bench"), calls, cancellationToken, journalCallerFrames: false);

                // Warm up one second, then measure.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                lateness.Reset();
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var sinkCpu0 = sink.ProcessorTime;
                var gcPause0 = GC.GetTotalPauseDuration();
                var gcCount0 = GC.CollectionCount(0);
                var async0 = Interlocked.Read(ref asyncSends);
                var pacerCpu0 = ThreadCpu("ProtocolSim pac");
                var wall = Stopwatch.StartNew();
                await Task.Delay(measure, cancellationToken);
                process.Refresh();
                var cores = (process.TotalProcessorTime - cpu0).TotalSeconds / wall.Elapsed.TotalSeconds;
                var sinkCores = (sink.ProcessorTime - sinkCpu0).TotalSeconds / wall.Elapsed.TotalSeconds;
                var gcPause = GC.GetTotalPauseDuration() - gcPause0;
                var gcs = GC.CollectionCount(0) - gcCount0;
                var pacerCores = (ThreadCpu("ProtocolSim pac") - pacerCpu0).TotalSeconds / wall.Elapsed.TotalSeconds;
                var frames = lateness.Count;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n,7} | {frames,11} | {Ms(lateness.Percentile(0.5)),12} | {Ms(lateness.Percentile(0.99))} | {Ms(lateness.Max)} | -{Ms(lateness.MaxEarly)} | {cores,5:0.00} (pacer {pacerCores:0.00}) | {sinkCores,16:0.00} | {frames / wall.Elapsed.TotalSeconds,8:0} | {gcs} GCs, {gcPause.TotalMilliseconds:0} ms paused; {Interlocked.Read(ref asyncSends) - async0} async sends |"));
            }
            finally
            {
                await Task.WhenAll(calls.Select(c => c.DisposeAsync().AsTask()));
            }
        }

        output.WriteLine();
        output.WriteLine("lateness = time from a frame's due time to the start of its send (frames due within 0.5 ms are sent in the same pass: \"earliest\" is the most a frame left early); CPU = a process's CPU time / wall time while measuring (peer = this process, sink = the child).");
        return 0;
    }

    /// <summary>The peer's instruments (<see cref="VoiceStreamMetrics"/>) into a lateness histogram and an async-send count.</summary>
    private static MeterListener Listen(LatenessRecorder lateness, Action asyncSend)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == VoiceStreamMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((instrument, ms, _, _) =>
        {
            if (instrument.Name == VoiceStreamMetrics.SendLatenessName)
            {
                lateness.Record(TimeSpan.FromMilliseconds(ms));
            }
        });
        listener.SetMeasurementEventCallback<long>((instrument, _, _, _) =>
        {
            if (instrument.Name == VoiceStreamMetrics.AsyncSendsName)
            {
                asyncSend();
            }
        });
        listener.Start();
        return listener;
    }

    /// <summary>
    /// Dials <paramref name="n"/> caller streams to the sink, in batches so that its accept queue keeps up, into
    /// <paramref name="calls"/> (the caller disposes them, dialled or not); throws when one cannot connect.
    /// </summary>
    public static async Task DialAsync(SinkProcess sink, int n, int sampleRate, MediaPacer pacer, Func<int, SessionJournal> journal, List<VoiceCall> calls, CancellationToken cancellationToken, bool journalCallerFrames = true)
    {
        foreach (var batch in Enumerable.Range(0, n).Chunk(100))
        {
            var dialled = batch.Select(i => new VoiceCall(new VoicePeerOptions
            {
                Target = sink.Url,
                AllowPlainWs = true,
                SampleRate = sampleRate,
                GreetingTimeout = TimeSpan.Zero,
                RateQueryParameter = string.Empty,
                CallId = $"bench-{n}-{i}",
                // The calls are dialled together, while real calls start at random moments: spread their phases
                // with the golden-ratio sequence, which stays even whatever the dialling order and timing.
                PacingPhase = TimeSpan.FromMilliseconds(20.0 * ((i * 0.6180339887) % 1.0)),
                JournalCallerFrames = journalCallerFrames,
            }, journal(i), pacer, seed: i)).ToList();
            calls.AddRange(dialled);
            var outcomes = await Task.WhenAll(dialled.Select(c => c.ConnectAsync(cancellationToken)));
            if (outcomes.FirstOrDefault(o => !o.Connected) is { } failed)
            {
                throw new InvalidOperationException($"Stream could not connect to the sink: {failed.Error}");
            }
        }
    }

    /// <summary>
    /// The sink: a bot that only listens, built to cost as little as possible so that the benchmark measures the peer.
    /// It completes the WebSocket handshake (RFC 6455 §4.2.2) per connection, then one thread sweeps every socket
    /// each 50 ms and drains what has arrived without parsing frames (a few frames per read instead of one).
    /// </summary>
    public static async Task<int> RunSinkAsync(TextWriter output, CancellationToken cancellationToken)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4096);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        await output.WriteLineAsync($"SINK ws://127.0.0.1:{port}/sink");
        await output.FlushAsync(cancellationToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var open = new List<Socket>();
        var gate = new Lock();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await listener.AcceptAsync(stop.Token);
                _ = Task.Run(async () =>
                {
                    if (await HandshakeAsync(socket, stop.Token))
                    {
                        socket.Blocking = false;
                        lock (gate)
                        {
                            open.Add(socket);
                        }
                    }
                    else
                    {
                        socket.Dispose();
                    }
                }, CancellationToken.None);
            }
        }, CancellationToken.None);
        var drainer = new Thread(() =>
        {
            var buffer = new byte[256 * 1024];
            while (!stop.IsCancellationRequested)
            {
                Socket[] sockets;
                lock (gate)
                {
                    sockets = [.. open];
                }

                foreach (var socket in sockets)
                {
                    try
                    {
                        while (socket.Available > 0 && socket.Receive(buffer, SocketFlags.None, out var error) > 0 && error == SocketError.Success)
                        {
                        }
                    }
                    catch (ObjectDisposedException)
                    {
                    }
                }

                stop.Token.WaitHandle.WaitOne(50);
            }
        }) { IsBackground = true, Name = "bench sink drainer" };
        drainer.Start();
        try
        {
            // The parent closes our stdin when it is done.
            await using var stdin = Console.OpenStandardInput();
            var scratch = new byte[256];
            while (await stdin.ReadAsync(scratch, cancellationToken) > 0)
            {
            }
        }
        finally
        {
            await stop.CancelAsync();
            drainer.Join();
            try
            {
                await accepting;
            }
            catch (OperationCanceledException)
            {
            }

            lock (gate)
            {
                open.ForEach(s => s.Dispose());
            }
        }

        return 0;
    }

    /// <summary>Reads the upgrade request up to its blank line and answers 101 with Sec-WebSocket-Accept.</summary>
    private static async Task<bool> HandshakeAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[8192];
        var length = 0;
        try
        {
            int end;
            while ((end = System.Text.Encoding.ASCII.GetString(buffer, 0, length).IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
            {
                var read = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0 || (length += read) == buffer.Length)
                {
                    return false;
                }
            }

            var request = System.Text.Encoding.ASCII.GetString(buffer, 0, end);
            var keyLine = request.Split("\r\n").FirstOrDefault(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase));
            if (keyLine is null)
            {
                return false;
            }

            // RFC 6455 §4.2.2 fixes SHA-1 for the accept key; it is not used for security here.
#pragma warning disable CA5350
            var accept = Convert.ToBase64String(System.Security.Cryptography.SHA1.HashData(
                System.Text.Encoding.ASCII.GetBytes(keyLine["Sec-WebSocket-Key:".Length..].Trim() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
            await socket.SendAsync(System.Text.Encoding.ASCII.GetBytes(
                $"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"), cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>CPU time of this process's threads whose name starts with <paramref name="prefix"/> (Linux /proc; zero elsewhere).</summary>
    private static TimeSpan ThreadCpu(string prefix)
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks))
        {
            return TimeSpan.Zero;
        }

        long ticks = 0;
        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                // stat: "pid (comm) state ..." — utime and stime are fields 14 and 15 (clock ticks, 100 Hz).
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
            }
        }

        return TimeSpan.FromSeconds(ticks / 100.0);
    }

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0.000} ms");

    internal sealed class SinkProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private SinkProcess(Process process, Uri url)
        {
            _process = process;
            Url = url;
        }

        public Uri Url { get; }

        public int ProcessId => _process.Id;

        public TimeSpan ProcessorTime
        {
            get
            {
                _process.Refresh();
                return _process.TotalProcessorTime;
            }
        }

        public static async Task<SinkProcess> StartAsync(CancellationToken cancellationToken)
        {
            var info = SelfCommand.StartInfo("sink");
            info.RedirectStandardInput = true;
            info.RedirectStandardOutput = true;
            var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the sink process.");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (line.StartsWith("SINK ", StringComparison.Ordinal))
                {
                    return new SinkProcess(process, new Uri(line[5..]));
                }
            }

            throw new InvalidOperationException("The sink process exited before it printed its address.");
        }

        public async ValueTask DisposeAsync()
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync();
            _process.Dispose();
        }
    }
}

/// <summary>Starts this same program with other arguments (apphost or <c>dotnet protosim.dll</c>).</summary>
internal static class SelfCommand
{
    public static ProcessStartInfo StartInfo(params string[] args)
    {
        var path = Environment.ProcessPath ?? "dotnet";
        var info = new ProcessStartInfo { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            info.FileName = path;
            info.ArgumentList.Add(typeof(SelfCommand).Assembly.Location);
        }
        else
        {
            info.FileName = path;
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return info;
    }
}
