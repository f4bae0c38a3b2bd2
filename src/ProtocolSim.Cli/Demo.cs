using ProtocolSim.Conformance;
using ProtocolSim.ReferenceClients;

namespace ProtocolSim.Cli;

/// <summary><c>protosim demo</c>: every suite against the bundled conforming reference clients, reports written.</summary>
public static class Demo
{
    /// <summary>The Node.js gRPC reference client (tests/peers, on @grpc/grpc-js), run with node rather than <c>protosim reference-client</c>.</summary>
    public const string NodeGrpcClient = "dataflow-grpc-node";

    /// <summary>The suites and the conforming reference client each is run against.</summary>
    public static IReadOnlyList<(string Suite, string Bot)> Suites { get; } =
    [
        ("knowlarity/voice-stream", "conforming"),
        ("knowlarity/verloop", "verloop-conforming"),
        ("dataflow", "dataflow-conforming"),
        ("dataflow", "dataflow-grpc-conforming"),
        ("dataflow", NodeGrpcClient),
        ("dataflow", "dataflow-http-conforming"),
        ("knowlarity/rest", "knowlarity-conforming"),
        ("cti", "cti-socket-conforming"),
        ("cti", "cti-http-conforming"),
    ];

    public static async Task<int> RunAsync(string reportDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var features = RepositoryPaths.Features();
        var exit = 0;
        var summary = new List<string>();
        foreach (var (suite, clientName) in Suites)
        {
            // Suites run with several clients (one per integration or transport) get a directory per client.
            var dir = Path.Combine(reportDirectory, suite is "cti" or "dataflow" ? clientName.Replace("-conforming", "", StringComparison.Ordinal) : suite.Replace('/', '-'));
            RunResult? result;
            int code;
            if (suite is "dataflow" or "knowlarity/rest" or "cti")
            {
                // A client suite: the reference client runs per scenario as a partner's would, through --client-command.
                var command = clientName == NodeGrpcClient
                    ? $"node {Quote(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(features))!, "tests", "peers", "dataflow-grpc-reference-client.js"))}"
                    : $"{SelfCommand()} reference-client {clientName}";
                await output.WriteLineAsync($"== {suite}: client command '{command}' per scenario");
                (code, result) = await ConformanceHost.RunAsync(new RunRequest
                {
                    Paths = [Path.Combine(features, suite)],
                    ClientCommand = command,
                    ReportDirectory = dir,
                    Title = $"{suite} against reference client '{clientName}'",
                }, output, error, cancellationToken);
            }
            else
            {
                await using var bot = await ReferenceBotServer.StartAsync(clientName, cancellationToken: cancellationToken);
                await output.WriteLineAsync($"== {suite}: reference bot '{clientName}' at {bot.Url}");
                (code, result) = await ConformanceHost.RunAsync(new RunRequest
                {
                    Paths = [Path.Combine(features, suite)],
                    Target = bot.Url,
                    Insecure = true,
                    AllowPlainWs = !bot.Info.Tls,
                    ReportDirectory = dir,
                    Title = $"{suite} against reference bot '{clientName}'",
                }, output, error, cancellationToken);
            }

            exit = Math.Max(exit, code);
            var label = suite is "cti" or "dataflow" ? $"{suite} ({clientName})" : suite;
            summary.Add(result is null
                ? $"{label}: not run (exit {code})"
                : $"{label}: {result.Passed} passed, {result.Failed} failed, {result.Errors} harness errors, {result.Skipped} skipped scenarios; reports in {dir}");
        }

        await output.WriteLineAsync();
        foreach (var line in summary)
        {
            await output.WriteLineAsync(line);
        }

        return exit;
    }

    /// <summary>The shell words that start this protosim again: the app host, or <c>dotnet protosim.dll</c>.</summary>
    public static string SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        var name = Path.GetFileNameWithoutExtension(process);
        if (name.Equals("protosim", StringComparison.OrdinalIgnoreCase))
        {
            return Quote(process);
        }

        var dotnet = name.Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? process : "dotnet";
        return $"{Quote(dotnet)} {Quote(Path.Combine(AppContext.BaseDirectory, "protosim.dll"))}";
    }

    private static string Quote(string path) => OperatingSystem.IsWindows() ? $"\"{path}\"" : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
