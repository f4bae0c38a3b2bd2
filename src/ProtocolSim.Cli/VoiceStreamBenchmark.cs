using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Cli;

/// <summary>
/// <c>protosim bench voice-stream</c>: N concurrent caller streams against a loopback sink bot running in a child
/// process (so the CPU figure is the peer's alone), reporting frame-send lateness and CPU per N.
/// </summary>
internal static class VoiceStreamBenchmark
{
    public static async Task<int> RunAsync(IReadOnlyList<int> counts, int sampleRate, TimeSpan measure, TextWriter output, CancellationToken cancellationToken)
    {
        await using var sink = await SinkProcess.StartAsync(cancellationToken);
        output.WriteLine($"voice-stream benchmark: {sampleRate} Hz, 20 ms frames, {measure.TotalSeconds:0} s per step, sink bot at {sink.Url} (child process {sink.ProcessId})");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        output.WriteLine();
        output.WriteLine("| streams | frames sent | lateness p50 | p99 | max | CPU (cores) | frames/s |");
        output.WriteLine("|--------:|------------:|-------------:|----:|----:|------------:|---------:|");
        using var pacer = new MediaPacer(TimeProvider.System);
        foreach (var n in counts)
        {
            var lateness = new LatenessRecorder();
            var calls = new List<VoiceCall>(n);
            try
            {
                // Dial in batches so the sink's accept queue keeps up.
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
                    }, new SessionJournal($"bench-{i}", "bench"), pacer, lateness, seed: i, journalAudioFrames: false)).ToList();
                    calls.AddRange(dialled);
                    var outcomes = await Task.WhenAll(dialled.Select(c => c.ConnectAsync(cancellationToken)));
                    if (outcomes.FirstOrDefault(o => !o.Connected) is { } failed)
                    {
                        throw new InvalidOperationException($"Stream could not connect to the sink: {failed.Error}");
                    }
                }

                // Warm up one second, then measure.
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                lateness.Reset();
                var process = Process.GetCurrentProcess();
                var cpu0 = process.TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                await Task.Delay(measure, cancellationToken);
                process.Refresh();
                var cores = (process.TotalProcessorTime - cpu0).TotalSeconds / wall.Elapsed.TotalSeconds;
                var frames = lateness.Count;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {n,7} | {frames,11} | {Ms(lateness.Percentile(0.5)),12} | {Ms(lateness.Percentile(0.99))} | {Ms(lateness.Max)} | {cores,11:0.00} | {frames / wall.Elapsed.TotalSeconds,8:0} |"));
            }
            finally
            {
                await Task.WhenAll(calls.Select(c => c.DisposeAsync().AsTask()));
            }
        }

        output.WriteLine();
        output.WriteLine("lateness = time from a frame's due time to the start of its send; CPU = this process's CPU time / wall time while measuring.");
        return 0;
    }

    /// <summary>The sink: accepts WebSocket calls on loopback and reads everything, answering nothing.</summary>
    public static async Task<int> RunSinkAsync(TextWriter output, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        app.Map("/sink", async (HttpContext context) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = 400;
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
                }
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        });
        await app.StartAsync(cancellationToken);
        var address = app.Urls.First().Replace("http://", "ws://", StringComparison.Ordinal);
        await output.WriteLineAsync($"SINK {address}/sink");
        await output.FlushAsync(cancellationToken);
        try
        {
            // The parent closes our stdin when it is done.
            await Console.In.ReadToEndAsync(cancellationToken);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }

        return 0;
    }

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0.000} ms");

    private sealed class SinkProcess : IAsyncDisposable
    {
        private readonly Process _process;

        private SinkProcess(Process process, Uri url)
        {
            _process = process;
            Url = url;
        }

        public Uri Url { get; }

        public int ProcessId => _process.Id;

        public static async Task<SinkProcess> StartAsync(CancellationToken cancellationToken)
        {
            var info = SelfCommand.StartInfo("bench-sink");
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
