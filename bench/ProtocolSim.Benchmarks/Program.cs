using System.CommandLine;
using System.Globalization;
using BenchmarkDotNet.Running;
using ProtocolSim.Benchmarks.Micro;
using ProtocolSim.Core;

namespace ProtocolSim.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project bench/ProtocolSim.Benchmarks -- NAME [options]</c>: the benchmarks of
/// docs/benchmarks.md. Each prints figures; speed and memory goals are shown by them, never by timed tests.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        HarnessThreadPool.Reserve();
        using var shutdown = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            shutdown.Cancel();
        };
        var parse = Build(Console.Out).Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
            }

            return 2;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration(), shutdown.Token);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return 130;
        }
    }

    private static RootCommand Build(TextWriter output)
    {
        var streams = new Option<string>("--streams") { Description = "Comma-separated stream counts.", DefaultValueFactory = _ => "100,500,1000,2000" };
        var seconds = new Option<int>("--seconds") { Description = "Measuring time per step.", DefaultValueFactory = _ => 10 };
        var rate = new Option<int>("--rate") { Description = "Sampling rate of the streams.", DefaultValueFactory = _ => 16000 };
        var voice = new Command("voice-stream", "N concurrent caller streams against a loopback sink bot: frame-send lateness and CPU.") { streams, seconds, rate };
        voice.SetAction(async (parse, ct) =>
        {
            var counts = parse.GetValue(streams)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            return await VoiceStreamBenchmark.RunAsync(counts, parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(seconds)), output, ct);
        });
        var sessions = new Option<string>("--sessions") { Description = "Comma-separated counts of concurrent sessions.", DefaultValueFactory = _ => "1,200" };
        var events = new Option<int>("--events") { Description = "Events delivered per step (split over the sessions).", DefaultValueFactory = _ => 200_000 };
        var audio = new Option<double>("--audio-seconds") { Description = "Seconds of audio streamed for the intake figure.", DefaultValueFactory = _ => 600 };
        var dataflow = new Command("dataflow", "Events per second to one and to many Data Flow WebSocket sessions against a raw Kestrel echo; audio intake MB/s.") { sessions, events, audio };
        dataflow.SetAction(async (parse, ct) =>
        {
            var counts = parse.GetValue(sessions)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            return await DataFlowBenchmark.RunAsync(counts, parse.GetValue(events), parse.GetValue(audio), output, ct);
        });
        var calls = new Option<string>("--calls") { Description = "Comma-separated counts of concurrent Stream calls.", DefaultValueFactory = _ => "1,50" };
        var grpcEvents = new Option<int>("--events") { Description = "StreamOutput events per step (split over the calls).", DefaultValueFactory = _ => 100_000 };
        var batchSeconds = new Option<int>("--batch-seconds") { Description = "Length of the WAV file posted to the HTTP batch integration (0: skip).", DefaultValueFactory = _ => 60 };
        var dataflowGrpc = new Command("dataflow-grpc", "StreamOutput messages/s of the Data Flow gRPC integration against a @grpc/grpc-js echo server; HTTP batch throughput for a 60 s WAV.") { calls, grpcEvents, batchSeconds };
        dataflowGrpc.SetAction(async (parse, ct) =>
        {
            var counts = parse.GetValue(calls)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
            return await DataFlowGrpcBenchmark.RunAsync(counts, parse.GetValue(grpcEvents), parse.GetValue(batchSeconds), output, ct);
        });
        var connections = new Option<int>("--connections") { Description = "HTTP connections of the load generator.", DefaultValueFactory = _ => 64 };
        var httpSeconds = new Option<int>("--seconds") { Description = "Measuring time per HTTP measurement.", DefaultValueFactory = _ => 10 };
        var subscribers = new Option<int>("--subscribers") { Description = "Notification stream subscribers for the fan-out.", DefaultValueFactory = _ => 1000 };
        var fanOutEvents = new Option<int>("--events") { Description = "Events published in the fan-out burst.", DefaultValueFactory = _ => 2000 };
        var knowlarity = new Command("knowlarity", "Requests/s and p99 of the Knowlarity REST fake against WireMock 3.13 with an equivalent stub; SSE fan-out to many subscribers.") { connections, httpSeconds, subscribers, fanOutEvents };
        knowlarity.SetAction(async (parse, ct) =>
            await KnowlarityBenchmark.RunAsync(parse.GetValue(connections), TimeSpan.FromSeconds(parse.GetValue(httpSeconds)), parse.GetValue(subscribers), parse.GetValue(fanOutEvents), output, ct));
        var agentSessions = new Option<int>("--sessions") { Description = "Concurrent agent sessions.", DefaultValueFactory = _ => 1000 };
        var cti = new Command("cti", "Concurrent agent sessions over the CTI socket transport (log in, add a channel group, log out): latency per command and events/s.") { agentSessions };
        cti.SetAction(async (parse, ct) => await CtiBenchmark.RunAsync(parse.GetValue(agentSessions), output, ct));
        var dashboardSessions = new Option<int>("--sessions") { Description = "Concurrent voice streams shown by the dashboard.", DefaultValueFactory = _ => 1000 };
        var dashboardSeconds = new Option<int>("--seconds") { Description = "Measuring time.", DefaultValueFactory = _ => 10 };
        var chromium = new Option<string>("--chromium") { Description = "The browser (headless).", DefaultValueFactory = _ => "/usr/bin/chromium" };
        var dashboard = new Command("dashboard", "The dashboard in headless Chromium while N voice streams run: list push rate and the browser's frame times.") { dashboardSessions, dashboardSeconds, chromium };
        dashboard.SetAction(async (parse, ct) =>
            await DashboardBenchmark.RunAsync(parse.GetValue(dashboardSessions), TimeSpan.FromSeconds(parse.GetValue(dashboardSeconds)), parse.GetValue(chromium)!, output, ct));
        var micro = new Command("micro", "BenchmarkDotNet micro-benchmarks of framing, parsing and rendering; the arguments after -- go to BenchmarkDotNet (e.g. --filter '*Framing*', --job short).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        micro.SetAction(parse =>
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run([.. parse.UnmatchedTokens], MicroConfig.Create(output));
            return 0;
        });
        var sink = new Command("sink", "Internal: the voice-stream benchmark's sink bot (child process).") { Hidden = true };
        sink.SetAction((_, ct) => VoiceStreamBenchmark.RunSinkAsync(output, ct));

        // The Knowlarity benchmark serves the fake from a child process, as a user runs it: protosim itself.
        var protosim = new Command("protosim", "Internal: runs protosim with the arguments that follow (child process).") { Hidden = true, TreatUnmatchedTokensAsErrors = false };
        protosim.SetAction((parse, _) => Cli.Program.Main([.. parse.UnmatchedTokens]));
        return new RootCommand("ProtocolSim's benchmarks: each prints its figures (docs/benchmarks.md); none is a test.")
        {
            voice, dataflow, dataflowGrpc, knowlarity, cti, dashboard, micro, sink, protosim,
        };
    }
}
