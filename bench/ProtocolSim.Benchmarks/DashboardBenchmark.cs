using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Dashboard;
using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>bench dashboard</c>: the voice-stream benchmark's load (N caller streams against the sink bot, every
/// caller frame journaled) shown live by the dashboard in headless Chromium, one session's timeline open. Prints
/// what the server pushed (list messages and rows per second) and what the browser did with it (frame times).
/// </summary>
internal static class DashboardBenchmark
{
    public static async Task<int> RunAsync(int sessions, TimeSpan measure, string chromium, TextWriter output, CancellationToken cancellationToken)
    {
        if (!File.Exists(chromium))
        {
            await output.WriteLineAsync($"error: no browser at {chromium} (scripts/setup.sh installs Debian's chromium); --chromium names another");
            return 2;
        }

        await using var hub = new SessionHub(new DashboardOptions());
        await using var dashboard = await DashboardEndpoints.StartAsync(IPAddress.Loopback, hub, cancellationToken);
        await using var sink = await VoiceStreamBenchmark.SinkProcess.StartAsync(cancellationToken);
        using var pacer = new MediaPacer(TimeProvider.System);
        var url = SlimHost.BaseUrl(dashboard) + "/";
        await output.WriteLineAsync($"dashboard benchmark: {sessions} voice streams at 8000 Hz (every caller frame journaled) against the sink bot {sink.Url}; dashboard {url} in {chromium} (headless, 1280x720); {measure.TotalSeconds:0} s measured");
        await using var browser = await HeadlessChromium.StartAsync(chromium, url, cancellationToken);

        var calls = new List<VoiceCall>(sessions);
        try
        {
            var first = 0L;
            await VoiceStreamBenchmark.DialAsync(sink, sessions, 8000, pacer, i =>
            {
                var journal = new SessionJournal($"bench-{i}", "knowlarity-voice-stream");
                var row = hub.Add("voice", journal);
                first = first == 0 ? row.Key : first;
                return journal;
            }, calls, cancellationToken);

            // The first call's timeline is open beside the list, as a developer watching one session would have it.
            await browser.EvaluateAsync($"location.hash = '#/session/{first}'", cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var before = await browser.EvaluateAsync(Snapshot, cancellationToken);
            long pushes = 0, pushedRows = 0;
            using var listener = new MeterListener
            {
                InstrumentPublished = (instrument, l) =>
                {
                    if (instrument.Meter.Name == DashboardMetrics.MeterName)
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                },
            };
            listener.SetMeasurementEventCallback<long>((instrument, value, _, _) =>
                Interlocked.Add(ref instrument.Name == DashboardMetrics.ListPushesName ? ref pushes : ref pushedRows, value));
            listener.Start();
            var (messages0, rows0) = (Interlocked.Read(ref pushes), Interlocked.Read(ref pushedRows));
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            await Task.Delay(measure, cancellationToken);
            var after = await browser.EvaluateAsync(Snapshot, cancellationToken);
            var (messages1, rows1) = (Interlocked.Read(ref pushes), Interlocked.Read(ref pushedRows));
            var seconds = wall.Elapsed.TotalSeconds;
            var cores = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalSeconds / seconds;
            double Delta(string name) => after![name]!.GetValue<double>() - before![name]!.GetValue<double>();
            var frames = Delta("frames");
            var entries = calls.Sum(c => c.Journal.Entries.Count);

            await output.WriteLineAsync();
            await output.WriteLineAsync("| sessions | journal entries | server pushes/s | rows/s | browser messages/s | renders/s | frames/s | frame ms avg | p99 | max | frames > 50 ms | timeline entries shown | server CPU (cores) |");
            await output.WriteLineAsync("|---------:|----------------:|----------------:|-------:|-------------------:|----------:|---------:|-------------:|----:|----:|---------------:|-----------------------:|-------------------:|");
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"| {hub.Count,8} | {entries,15:N0} | {(messages1 - messages0) / seconds,15:0.0} | {(rows1 - rows0) / seconds,6:0} | {Delta("messages") / seconds,18:0.0} | {Delta("renders") / seconds,9:0.0} | {frames / seconds,8:0.0} | {Delta("frameMsTotal") / Math.Max(1, frames),12:0.0} | {after!["p99"]!.GetValue<double>():0.0} | {after["max"]!.GetValue<double>():0.0} | {Delta("longFrames"),14:0} | {after["timeline"]!.GetValue<int>(),22:N0} | {cores,18:0.00} |"));
            await output.WriteLineAsync();
            await output.WriteLineAsync("server pushes = list messages sent (one per tick at most, 250 ms, carrying every row that changed); browser messages = those the page received; frame times from requestAnimationFrame over the measured window (p99 and max over it).");
            return 0;
        }
        finally
        {
            await Task.WhenAll(calls.Select(c => c.DisposeAsync().AsTask()));
        }
    }

    // What the page counts (window.__dashboardStats), and the p99/max of the frame times logged since the last call.
    private const string Snapshot = """
        (() => {
          const s = window.__dashboardStats, log = window.__dashboardFrames.splice(0).sort((a, b) => a - b);
          return { messages: s.messages, rows: s.rows, renders: s.renders, frames: s.frames, frameMsTotal: s.frameMsTotal, longFrames: s.longFrames,
                   p99: log.length ? log[Math.floor(log.length * 0.99)] : 0, max: log.length ? log[log.length - 1] : 0,
                   timeline: document.querySelectorAll('#timeline li.entry').length };
        })()
        """;

    /// <summary>
    /// Chromium headless driven over the DevTools protocol (one page, Runtime.evaluate): enough for a figure, without
    /// making the command line carry Playwright.
    /// </summary>
    private sealed class HeadlessChromium : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ClientWebSocket _socket;
        private readonly string _profile;
        private int _id;

        private HeadlessChromium(Process process, ClientWebSocket socket, string profile)
        {
            _process = process;
            _socket = socket;
            _profile = profile;
        }

        public static async Task<HeadlessChromium> StartAsync(string executable, string url, CancellationToken cancellationToken)
        {
            var profile = Directory.CreateTempSubdirectory("protosim-bench-chromium-").FullName;
            var info = new ProcessStartInfo(executable)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[] { "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", $"--user-data-dir={profile}", "--window-size=1280,720", "--no-first-run", url })
            {
                info.ArgumentList.Add(argument);
            }

            var process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start.");
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            string? browserUrl = null;
            while (browserUrl is null && await process.StandardError.ReadLineAsync(timeout.Token) is { } line)
            {
                const string Marker = "DevTools listening on ";
                browserUrl = line.StartsWith(Marker, StringComparison.Ordinal) ? line[Marker.Length..].Trim() : null;
            }

            _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
            _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var endpoint = new Uri(browserUrl ?? throw new InvalidOperationException($"{executable} printed no DevTools address."));
            using var http = new HttpClient();
            var targets = JsonNode.Parse(await http.GetStringAsync(new Uri($"http://{endpoint.Authority}/json/list"), timeout.Token))!.AsArray();
            var page = targets.First(t => t!["type"]!.ToString() == "page" && t["url"]!.ToString().StartsWith(url, StringComparison.Ordinal))!;
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(page["webSocketDebuggerUrl"]!.ToString()), timeout.Token);
            return new HeadlessChromium(process, socket, profile);
        }

        /// <summary>Evaluates a JavaScript expression in the page; its value (JSON) comes back.</summary>
        public async Task<JsonNode?> EvaluateAsync(string expression, CancellationToken cancellationToken)
        {
            var id = ++_id;
            var request = new JsonObject
            {
                ["id"] = id,
                ["method"] = "Runtime.evaluate",
                ["params"] = new JsonObject { ["expression"] = expression, ["returnByValue"] = true },
            };
            await _socket.SendAsync(Encoding.UTF8.GetBytes(request.ToJsonString()), WebSocketMessageType.Text, true, cancellationToken);
            var buffer = new byte[64 * 1024];
            while (true)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer, cancellationToken);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                var reply = JsonNode.Parse(message.ToArray());
                if (reply?["id"]?.GetValue<int>() != id)
                {
                    continue;
                }

                if (reply["result"]?["exceptionDetails"] is { } error)
                {
                    throw new InvalidOperationException("The page threw: " + error.ToJsonString());
                }

                return reply["result"]?["result"]?["value"];
            }
        }

        public async ValueTask DisposeAsync()
        {
            _socket.Dispose();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }

            _process.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium may still hold a file a moment after exiting; the temp directory is the system's to clean.
            }
        }
    }
}
