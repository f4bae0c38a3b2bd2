using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Knowlarity.Rest;
using ProtocolSim.TestSupport;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>bench knowlarity</c>: requests/s and latency of the Knowlarity REST fake against WireMock 3.13 (Java, the
/// npm package from tests/peers) serving an equivalent stub in two configurations (journal bounded, journal off), each
/// in its own process and driven by the same independent load generators (wrk; h2load for a fixed rate); then the
/// notifications stream's fan-out to many subscribers.
/// </summary>
internal static class KnowlarityBenchmark
{
    private const int Rounds = 3;

    public static async Task<int> RunAsync(int connections, TimeSpan duration, int subscribers, int events, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync($"# bench knowlarity: {connections} connections, {duration.TotalSeconds:0} s per measurement, {Rounds} rounds (medians); SSE {subscribers} subscribers, {events} events");
        await output.WriteLineAsync($"# machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}");
        await HttpAsync(connections, duration, output, cancellationToken);
        await FanOutAsync(subscribers, events, output, cancellationToken);
        return 0;
    }

    // ---------------------------------------------------------------- HTTP: fake vs WireMock

    private sealed record Target(string Name, string Url, string XApiKey, string SrKey);

    private sealed record Measurement(double RequestsPerSecond, double P50Ms, double P99Ms, double MaxMs, int Errors);

    private static async Task HttpAsync(int connections, TimeSpan duration, TextWriter output, CancellationToken cancellationToken)
    {
        foreach (var tool in new[] { "wrk", "h2load" })
        {
            if (!OnPath(tool))
            {
                throw new InvalidOperationException($"{tool} is not installed: run scripts/setup.sh (Debian packages wrk and nghttp2-client).");
            }
        }

        var directory = Directory.CreateTempSubdirectory("protosim-bench-knowlarity-").FullName;
        var endpointsFile = Path.Combine(directory, "endpoints.json");
        using var fake = StartProtosim("serve", "--endpoints-file", endpointsFile);

        // WireMock as its performance notes advise for load: enough container threads for the connections; one
        // instance with its request journal bounded like ours, one with the journal off (its fastest).
        var threads = (connections + 16).ToString(CultureInfo.InvariantCulture);
        await using var journaled = await WireMockPeer.StartAsync("--container-threads", threads, "--max-request-journal-entries", "10000");
        await using var unjournaled = await WireMockPeer.StartAsync("--container-threads", threads, "--no-request-journal");
        try
        {
            var endpoints = await EndpointsAsync(endpointsFile, fake, cancellationToken);
            var credentials = endpoints["credentials"]!["knowlarity"]!;
            var api = endpoints["knowlarityApi"]!.GetValue<string>();
            var path = $"/{credentials["channel"]}/v1/account/agent";
            var xKey = credentials["xApiKey"]!.GetValue<string>();
            var srKey = credentials["srApiKey"]!.GetValue<string>();

            // The stub answers what the fake's endpoint answers, for a request with both keys (the same matching work).
            using var http = new HttpClient();
            using var probe = new HttpRequestMessage(HttpMethod.Get, api + path);
            probe.Headers.Add("x-api-key", xKey);
            probe.Headers.TryAddWithoutValidation("Authorization", srKey);
            using var probed = await http.SendAsync(probe, cancellationToken);
            var body = await probed.Content.ReadAsStringAsync(cancellationToken);
            var javaMapping = new JsonObject
            {
                ["request"] = new JsonObject
                {
                    ["method"] = "GET",
                    ["urlPath"] = path,
                    ["headers"] = new JsonObject { ["x-api-key"] = new JsonObject { ["equalTo"] = xKey }, ["Authorization"] = new JsonObject { ["equalTo"] = srKey } },
                },
                ["response"] = new JsonObject { ["status"] = 200, ["body"] = body, ["headers"] = new JsonObject { ["Content-Type"] = "application/json" } },
            }.ToJsonString();
            foreach (var peer in new[] { journaled, unjournaled })
            {
                using var posted = await http.PostAsync(peer.BaseUrl + "/__admin/mappings", new StringContent(javaMapping, Encoding.UTF8, "application/json"), cancellationToken);
                posted.EnsureSuccessStatusCode();
            }

            await output.WriteLineAsync($"# request: GET {path} with x-api-key and Authorization; answer {body.Length} bytes of JSON");
            await output.WriteLineAsync($"# load: wrk -t2 -c{connections} -d{duration.TotalSeconds:0}s --latency (after 3 s of warm-up each); second reading: protosim's own generator");
            await output.WriteLineAsync("| server | round | wrk requests/s | wrk p50 ms | wrk p99 ms | errors |");
            await output.WriteLineAsync("|---|---|---|---|---|---|");
            var results = new Dictionary<string, List<Measurement>>(StringComparer.Ordinal);
            var fakeTarget = new Target("fake, built-in behaviour (no stub: fast path)", api + path, xKey, srKey);
            var targets = new[]
            {
                fakeTarget,
                new Target("WireMock 3.13, journal bounded to 10,000", journaled.BaseUrl + path, xKey, srKey),
                new Target("WireMock 3.13, journal off", unjournaled.BaseUrl + path, xKey, srKey),
            };

            async Task MeasureAsync(Target target, int round)
            {
                var m = await WrkAsync(target, connections, duration, cancellationToken);
                results.TryAdd(target.Name, []);
                results[target.Name].Add(m);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| {target.Name} | {round} | {m.RequestsPerSecond:0} | {m.P50Ms:0.00} | {m.P99Ms:0.00} | {m.Errors} |"));
            }

            // Each server is warmed up under the same load for 15 s before the rounds: the JVM's JIT takes that long to
            // reach WireMock's speed (its rate still doubled from one 13 s round to the next without it).
            foreach (var target in targets)
            {
                await WrkAsync(target, connections, TimeSpan.FromSeconds(12), cancellationToken);
            }

            for (var round = 1; round <= Rounds; round++)
            {
                foreach (var target in targets)
                {
                    await MeasureAsync(target, round);
                }
            }

            // Once a user stub exists: a request that no stub matches is still answered by the built-in behaviour before
            // WireMock.Net's middleware (the stubs are asked with its matcher first); the stub itself is answered by
            // WireMock.Net's middleware (its admin-mapping matching and request log).
            var netMapping = new JsonObject
            {
                ["Request"] = new JsonObject { ["Path"] = new JsonObject { ["Matchers"] = new JsonArray(new JsonObject { ["Name"] = "ExactMatcher", ["Pattern"] = "/elsewhere" }) }, ["Methods"] = new JsonArray("GET") },
                ["Response"] = new JsonObject { ["StatusCode"] = 200, ["Body"] = "elsewhere" },
            };
            await PostAsync(http, api, netMapping, cancellationToken);
            var throughMatcher = fakeTarget with { Name = "fake, built-in behaviour while a user stub for another path exists" };
            await MeasureAsync(throughMatcher, 1);
            netMapping["Request"]!["Path"]!["Matchers"]![0]!["Pattern"] = path;
            netMapping["Request"]!["Headers"] = new JsonArray(
                new JsonObject { ["Name"] = "x-api-key", ["Matchers"] = new JsonArray(new JsonObject { ["Name"] = "ExactMatcher", ["Pattern"] = xKey }) },
                new JsonObject { ["Name"] = "Authorization", ["Matchers"] = new JsonArray(new JsonObject { ["Name"] = "ExactMatcher", ["Pattern"] = srKey }) });
            netMapping["Response"] = new JsonObject { ["StatusCode"] = 200, ["Body"] = body, ["Headers"] = new JsonObject { ["Content-Type"] = "application/json" } };
            await PostAsync(http, api, netMapping, cancellationToken);
            await MeasureAsync(fakeTarget with { Name = "fake, the same stub as WireMock's (WireMock.Net's middleware answers)" }, 1);
            using (var reset = await http.PostAsync(api + "/__admin/reset", null, cancellationToken))
            {
                reset.EnsureSuccessStatusCode();
            }

            // Latency when offered half of our maximum rate: h2load holds the rate (--rps per connection) and logs every
            // request; our generator holds it too and counts from each request's scheduled send time (stricter).
            var peak = Median(results[fakeTarget.Name].Select(m => m.RequestsPerSecond));
            var half = peak / 2;
            await output.WriteLineAsync();
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"# paced at half the fake's median peak: {half:0} requests/s over {connections} connections"));
            await output.WriteLineAsync("| reading | round | requests/s | p50 ms | p99 ms | max ms | errors |");
            await output.WriteLineAsync("|---|---|---|---|---|---|---|");
            var paced = new Dictionary<string, List<Measurement>>(StringComparer.Ordinal) { ["h2load --rps"] = [], ["protosim generator, from scheduled time"] = [] };
            for (var round = 1; round <= Rounds; round++)
            {
                var h = await H2LoadAsync(fakeTarget, connections, duration, half, directory, cancellationToken);
                paced["h2load --rps"].Add(h);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| h2load --rps | {round} | {h.RequestsPerSecond:0} | {h.P50Ms:0.00} | {h.P99Ms:0.00} | {h.MaxMs:0.0} | {h.Errors} |"));
                var o = await LoadAsync(fakeTarget, connections, duration, cancellationToken, rate: half);
                paced["protosim generator, from scheduled time"].Add(o);
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| protosim generator, from scheduled time | {round} | {o.RequestsPerSecond:0} | {o.P50Ms:0.00} | {o.P99Ms:0.00} | {o.MaxMs:0.0} | {o.Errors} |"));
            }

            var second = await LoadAsync(fakeTarget, connections, duration, cancellationToken);
            var fastest = Math.Max(Median(results[targets[1].Name].Select(m => m.RequestsPerSecond)), Median(results[targets[2].Name].Select(m => m.RequestsPerSecond)));
            await output.WriteLineAsync();
            await output.WriteLineAsync("| server (median of rounds) | requests/s | p99 ms | × the faster WireMock |");
            await output.WriteLineAsync("|---|---|---|---|");
            foreach (var (name, list) in results)
            {
                var rate = Median(list.Select(m => m.RequestsPerSecond));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| {name} | {rate:0} | {Median(list.Select(m => m.P99Ms)):0.00} | {rate / fastest:0.00} |"));
            }

            foreach (var (name, list) in paced)
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| fake at half its peak, {name} | {Median(list.Select(m => m.RequestsPerSecond)):0} | {Median(list.Select(m => m.P99Ms)):0.00} | |"));
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| fake, protosim's own generator (second reading) | {second.RequestsPerSecond:0} | {second.P99Ms:0.00} | {second.RequestsPerSecond / fastest:0.00} |"));
            await output.WriteLineAsync();
        }
        finally
        {
            Stop(fake);
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task PostAsync(HttpClient http, string api, JsonObject mapping, CancellationToken cancellationToken)
    {
        using var posted = await http.PostAsync(api + "/__admin/mappings", new StringContent(mapping.ToJsonString(), Encoding.UTF8, "application/json"), cancellationToken);
        posted.EnsureSuccessStatusCode();
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));

    /// <summary>wrk, closed loop: 2 threads, <paramref name="connections"/> keep-alive connections; 3 s of warm-up first.</summary>
    private static async Task<Measurement> WrkAsync(Target target, int connections, TimeSpan duration, CancellationToken cancellationToken)
    {
        string[] Args(int seconds) =>
            ["-t2", $"-c{connections}", $"-d{seconds}s", "--latency", "-H", "x-api-key: " + target.XApiKey, "-H", "Authorization: " + target.SrKey, target.Url];
        await RunToolAsync("wrk", Args(3), cancellationToken);
        var text = await RunToolAsync("wrk", Args((int)Math.Ceiling(duration.TotalSeconds)), cancellationToken);
        double Latency(string label)
        {
            var m = System.Text.RegularExpressions.Regex.Match(text, @"^\s*" + label + @"\s+([\d.]+)(us|ms|s)\s*$", System.Text.RegularExpressions.RegexOptions.Multiline);
            if (!m.Success)
            {
                return double.NaN;
            }

            var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
        }

        var rps = System.Text.RegularExpressions.Regex.Match(text, @"Requests/sec:\s+([\d.]+)");
        var non2xx = System.Text.RegularExpressions.Regex.Match(text, @"Non-2xx or 3xx responses:\s+(\d+)");
        var socket = System.Text.RegularExpressions.Regex.Match(text, @"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)");
        var errors = (non2xx.Success ? int.Parse(non2xx.Groups[1].Value, CultureInfo.InvariantCulture) : 0)
            + (socket.Success ? Enumerable.Range(1, 4).Sum(i => int.Parse(socket.Groups[i].Value, CultureInfo.InvariantCulture)) : 0);
        return new Measurement(rps.Success ? double.Parse(rps.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN, Latency("50%"), Latency("99%"), double.NaN, errors);
    }

    /// <summary>h2load over HTTP/1.1 at a fixed rate (<c>--rps</c> per connection), every request's time from its log.</summary>
    private static async Task<Measurement> H2LoadAsync(Target target, int connections, TimeSpan duration, double rate, string directory, CancellationToken cancellationToken)
    {
        var perConnection = Math.Max(1, (int)Math.Round(rate / connections));
        var log = Path.Combine(directory, "h2load.log");
        File.Delete(log);
        var seconds = (int)Math.Ceiling(duration.TotalSeconds);
        var text = await RunToolAsync("h2load", ["--h1", "-t1", $"-c{connections}", $"--rps={perConnection}", $"-D{seconds}", "--warm-up-time=3",
            "-H", "x-api-key: " + target.XApiKey, "-H", "Authorization: " + target.SrKey, "--log-file=" + log, target.Url], cancellationToken);

        // The log: start time (µs since the epoch), status, request time (µs), one line per request.
        var times = new List<double>();
        var errors = 0;
        foreach (var line in await File.ReadAllLinesAsync(log, cancellationToken))
        {
            var parts = line.Split('\t');
            if (parts.Length >= 3 && double.TryParse(parts[2], CultureInfo.InvariantCulture, out var us))
            {
                times.Add(us / 1000);
                if (parts[1] != "200")
                {
                    errors++;
                }
            }
        }

        var failed = System.Text.RegularExpressions.Regex.Match(text, @"(\d+) failed, (\d+) errored, (\d+) timeout");
        if (failed.Success)
        {
            errors += int.Parse(failed.Groups[2].Value, CultureInfo.InvariantCulture) + int.Parse(failed.Groups[3].Value, CultureInfo.InvariantCulture);
        }

        times.Sort();
        double P(double p) => times.Count == 0 ? double.NaN : times[Math.Min(times.Count - 1, (int)(p * times.Count))];
        return new Measurement(times.Count / (double)seconds, P(0.5), P(0.99), times.Count == 0 ? double.NaN : times[^1], errors);
    }

    private static async Task<string> RunToolAsync(string tool, string[] arguments, CancellationToken cancellationToken)
    {
        using var process = StartProcess(tool, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        var text = await stdout;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} exited with {process.ExitCode}: {await stderr}{text}");
        }

        return text;
    }

    /// <summary>A closed loop: <paramref name="connections"/> workers, each one request at a time on its own connection.</summary>
    /// <param name="rate">Requests per second over all workers, paced; null = as fast as answers come. Paced latency counts from the scheduled time.</param>
    private static async Task<Measurement> LoadAsync(Target target, int connections, TimeSpan duration, CancellationToken cancellationToken, double? rate = null)
    {
        var interval = rate is { } r ? (long)(connections / r * Stopwatch.Frequency) : 0;
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseProxy = false, AutomaticDecompression = DecompressionMethods.None };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var warmUp = TimeSpan.FromSeconds(3);
        var latencies = new List<long>[connections];
        var errors = 0;
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmUp.TotalSeconds * Stopwatch.Frequency);
        var end = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var buffer = new byte[64 * 1024];
        var workers = Enumerable.Range(0, connections).Select(i => Task.Run(async () =>
        {
            var mine = latencies[i] = new List<long>(100_000);
            var scratch = new byte[64 * 1024];
            var scheduled = start + (interval * i / connections);
            while (true)
            {
                var t0 = Stopwatch.GetTimestamp();
                if (interval > 0)
                {
                    if (scheduled > t0)
                    {
                        await Task.Delay(TimeSpan.FromTicks((scheduled - t0) * TimeSpan.TicksPerSecond / Stopwatch.Frequency), cancellationToken);
                    }

                    t0 = scheduled;
                    scheduled += interval;
                }

                if (t0 >= end)
                {
                    return;
                }

                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, target.Url);
                    request.Headers.Add("x-api-key", target.XApiKey);
                    request.Headers.TryAddWithoutValidation("Authorization", target.SrKey);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                    while (await stream.ReadAsync(scratch, cancellationToken) > 0)
                    {
                    }

                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }

                var t1 = Stopwatch.GetTimestamp();
                if (t0 >= measureFrom && t1 <= end)
                {
                    mine.Add(t1 - t0);
                }
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        GC.KeepAlive(buffer);
        var all = latencies.SelectMany(l => l).ToArray();
        Array.Sort(all);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        double Percentile(double p) => all.Length == 0 ? double.NaN : Ms(all[Math.Min(all.Length - 1, (int)(p * all.Length))]);
        return new Measurement(all.Length / duration.TotalSeconds, Percentile(0.5), Percentile(0.99), all.Length == 0 ? double.NaN : Ms(all[^1]), errors);
    }

    private static Process StartProcess(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start");
    }

    /// <summary>protosim in a child process (this program's hidden <c>protosim</c> command), with protosim's server GC.</summary>
    private static Process StartProtosim(params string[] arguments)
    {
        var start = SelfCommand.StartInfo(["protosim", .. arguments]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.Environment["DOTNET_gcServer"] = "1";
        return Process.Start(start) ?? throw new InvalidOperationException("protosim serve did not start");
    }

    private static async Task<JsonNode> EndpointsAsync(string file, Process fake, CancellationToken cancellationToken)
    {
        _ = fake.StandardOutput.ReadToEndAsync(CancellationToken.None);
        _ = fake.StandardError.ReadToEndAsync(CancellationToken.None);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (fake.HasExited)
            {
                throw new InvalidOperationException($"protosim serve exited with {fake.ExitCode}");
            }

            if (File.Exists(file))
            {
                try
                {
                    return JsonNode.Parse(await File.ReadAllTextAsync(file, cancellationToken))!;
                }
                catch (System.Text.Json.JsonException)
                {
                    // Still being written.
                }
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException("protosim serve did not write its endpoints file within 90 s");
    }

    private static void Stop(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
    }

    // ---------------------------------------------------------------- SSE fan-out

    private static async Task FanOutAsync(int subscribers, int events, TextWriter output, CancellationToken cancellationToken)
    {
        var (account, errors) = AccountFixture.Load(AccountFixture.DefaultPath(RepositoryPaths.Fixtures()));
        if (account is null)
        {
            throw new InvalidOperationException(string.Join("\n", errors));
        }

        await using var app = await KnowlarityFake.StartAsync(IPAddress.Loopback, o =>
        {
            o.Account = account;
            o.SubscriberBuffer = Math.Max(4096, events + 16);
            o.KeepJournals = subscribers + 16;
        }, cancellationToken);
        var hub = app.Services.GetRequiredService<NotificationHub>();
        var key = app.Services.GetRequiredService<KnowlarityOptions>().Credentials.SrApiKey;
        var url = app.BaseUrl + $"/update-stream/{key}/konnect";
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = subscribers + 1, UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lags = new List<double>[subscribers];
        var received = new int[subscribers];
        var expected = 0;
        var allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = 0;
        var readers = Enumerable.Range(0, subscribers).Select(i => Task.Run(async () =>
        {
            var mine = lags[i] = new List<double>(events + 16);
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Accept.ParseAdd("text/event-stream");
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(stop.Token));
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    continue;
                }

                var now = Stopwatch.GetTimestamp();
                var at = line.IndexOf("\"sent\":", StringComparison.Ordinal);
                var sent = long.Parse(line.AsSpan(at + 7, line.IndexOf('}', at) - at - 7), CultureInfo.InvariantCulture);
                mine.Add((now - sent) * 1000.0 / Stopwatch.Frequency);
                if (++received[i] == Volatile.Read(ref expected) && Interlocked.Increment(ref finished) == subscribers)
                {
                    allDone.TrySetResult();
                }
            }
        }, stop.Token)).ToArray();
        var connecting = Stopwatch.StartNew();
        while (hub.Count < subscribers)
        {
            if (connecting.Elapsed > TimeSpan.FromSeconds(60))
            {
                throw new TimeoutException($"only {hub.Count} of {subscribers} subscribers connected in 60 s");
            }

            await Task.Delay(20, cancellationToken);
        }

        await output.WriteLineAsync($"# SSE fan-out: {subscribers} subscribers connected in {connecting.Elapsed.TotalSeconds:0.0} s");
        await output.WriteLineAsync("| phase | events published | deliveries | seconds | deliveries/s | lag p50 ms | lag p99 ms | lag max ms |");
        await output.WriteLineAsync("|---|---|---|---|---|---|---|---|");

        // Phase 1, throughput: every event published at once; time until every subscriber has them all.
        Volatile.Write(ref expected, events);
        var wall = Stopwatch.StartNew();
        for (var n = 0; n < events; n++)
        {
            hub.Publish(key, Event(n));
        }

        await allDone.Task.WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
        wall.Stop();
        await Row("burst", events, wall.Elapsed);

        // Phase 2, lag at a steady rate of 100 events/s (a busy account's call events) for 5 s.
        foreach (var l in lags)
        {
            l.Clear();
        }

        Array.Clear(received);
        finished = 0;
        allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int Steady = 500;
        Volatile.Write(ref expected, Steady);
        wall.Restart();
        for (var n = 0; n < Steady; n++)
        {
            hub.Publish(key, Event(n));
            var due = TimeSpan.FromMilliseconds((n + 1) * 10.0);
            if (due > wall.Elapsed)
            {
                await Task.Delay(due - wall.Elapsed, cancellationToken);
            }
        }

        await allDone.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
        wall.Stop();
        await Row("steady 100/s", Steady, wall.Elapsed);
        await stop.CancelAsync();
        try
        {
            await Task.WhenAll(readers);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }

        async Task Row(string phase, int published, TimeSpan elapsed)
        {
            var all = lags.SelectMany(l => l).ToArray();
            Array.Sort(all);
            double P(double p) => all[Math.Min(all.Length - 1, (int)(p * all.Length))];
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"| {phase} | {published} | {all.Length} | {elapsed.TotalSeconds:0.00} | {all.Length / elapsed.TotalSeconds:0} | {P(0.5):0.0} | {P(0.99):0.0} | {all[^1]:0.0} |"));
        }
    }

    private static JsonObject Event(int n) => new()
    {
        ["event_type"] = "AGENT_CALL",
        ["call_direction"] = "Outbound",
        ["business_call_type"] = "Outbound",
        ["agent_number"] = "+919845000001",
        ["customer_number"] = null,
        ["knowlarity_number"] = "+918047250000",
        ["uuid"] = "00000000-0000-4000-8000-" + n.ToString("x12", CultureInfo.InvariantCulture),
        ["sent"] = Stopwatch.GetTimestamp(),
    };

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
