using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Cli;

/// <summary><c>protosim demo</c>: every suite against the bundled conforming reference clients, reports written.</summary>
internal static class Demo
{
    /// <summary>The suites and the conforming reference clients each is run against (the suite modules' demo clients).</summary>
    public static IReadOnlyList<(ISuiteModule Suite, ReferenceClient Client)> Runs { get; } =
        [.. SuiteModules.All.SelectMany(m => m.ReferenceClients.Where(c => c.InDemo).Select(c => (m, c)))];

    public static async Task<int> RunAsync(string reportDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var features = RepositoryPaths.Features();
        var root = Path.GetDirectoryName(Path.GetFullPath(features))!;
        var exit = 0;
        var summary = new List<string>();
        foreach (var (module, client) in Runs)
        {
            // A suite run with several clients (one per integration or transport) gets a directory per client.
            var several = Runs.Count(r => r.Suite == module) > 1;
            var suite = module.Folder;
            var dir = Path.Combine(reportDirectory, several ? client.Name.Replace("-conforming", "", StringComparison.Ordinal) : suite.Replace('/', '-'));
            RunResult? result;
            int code;
            if (client.StartServer is { } startServer)
            {
                await using var server = await startServer(0, cancellationToken);
                await output.WriteLineAsync($"== {suite}: reference bot '{client.Name}' at {server.Url}");
                (code, result) = await ConformanceHost.RunAsync(new RunRequest
                {
                    Paths = [Path.Combine(features, suite)],
                    Target = server.Url,
                    Insecure = true,
                    AllowPlainWs = !server.Tls,
                    ReportDirectory = dir,
                    Title = $"{suite} against reference bot '{client.Name}'",
                }, output, error, cancellationToken);
            }
            else
            {
                // A client suite: the reference client runs per scenario as a partner's would, through --client-command.
                var command = client.DemoCommand?.Invoke(root) ?? $"{SelfCommand()} reference-client {client.Name}";
                await output.WriteLineAsync($"== {suite}: client command '{command}' per scenario");
                (code, result) = await ConformanceHost.RunAsync(new RunRequest
                {
                    Paths = [Path.Combine(features, suite)],
                    ClientCommand = command,
                    ReportDirectory = dir,
                    Title = $"{suite} against reference client '{client.Name}'",
                }, output, error, cancellationToken);
            }

            exit = Math.Max(exit, code);
            var label = several ? $"{suite} ({client.Name})" : suite;
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

    private static string Quote(string path) => ShellClientLauncher.Quote(path);
}
