using ProtocolSim.ReferenceClients;

namespace ProtocolSim.Cli;

/// <summary><c>protosim demo</c>: every suite against the bundled conforming reference clients, reports written.</summary>
public static class Demo
{
    /// <summary>The suites and the conforming reference client each is run against.</summary>
    public static IReadOnlyList<(string Suite, string Bot)> Suites { get; } =
    [
        ("knowlarity/voice-stream", "conforming"),
        ("knowlarity/verloop", "verloop-conforming"),
    ];

    public static async Task<int> RunAsync(string reportDirectory, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var features = RepositoryPaths.Features();
        var exit = 0;
        var summary = new List<string>();
        foreach (var (suite, botName) in Suites)
        {
            await using var bot = await ReferenceBotServer.StartAsync(botName, cancellationToken: cancellationToken);
            await output.WriteLineAsync($"== {suite}: reference bot '{botName}' at {bot.Url}");
            var dir = Path.Combine(reportDirectory, suite.Replace('/', '-'));
            var (code, result) = await ConformanceHost.RunAsync(new RunRequest
            {
                Paths = [Path.Combine(features, suite)],
                Target = bot.Url,
                Insecure = true,
                AllowPlainWs = !bot.Info.Tls,
                ReportDirectory = dir,
                Title = $"{suite} against reference bot '{botName}'",
            }, output, error, cancellationToken);
            exit = Math.Max(exit, code);
            summary.Add(result is null
                ? $"{suite}: not run (exit {code})"
                : $"{suite}: {result.Passed} passed, {result.Failed} failed, {result.Skipped} skipped scenarios; reports in {dir}");
        }

        await output.WriteLineAsync();
        foreach (var line in summary)
        {
            await output.WriteLineAsync(line);
        }

        return exit;
    }
}
