using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Core;

namespace ProtocolSim.Cli;

/// <summary>What <c>protosim run</c> was asked to do.</summary>
internal sealed record RunRequest
{
    public IReadOnlyList<string> Paths { get; init; } = [];

    public Uri? Target { get; init; }

    /// <summary>
    /// Shell command of the client under test. For the voice suites it starts the bot once (the run waits until the
    /// target accepts connections); for the client suites (Data Flow) it runs once per scenario with the
    /// <c>PROTOSIM_*</c> task environment.
    /// </summary>
    public string? ClientCommand { get; init; }

    /// <summary>Runs the client of the client suites instead of <see cref="ClientCommand"/> (in-process reference clients).</summary>
    public IClientLauncher? ClientLauncher { get; init; }

    public string? Tags { get; init; }

    public string? ReportDirectory { get; init; }

    public int Seed { get; init; } = 1;

    public bool Insecure { get; init; }

    public bool AllowPlainWs { get; init; }

    public int Parallel { get; init; } = 8;

    /// <summary>Simulator defaults changed with <c>--set Name=Value</c> (knowlarity.md §5).</summary>
    public IReadOnlyDictionary<string, string> Overrides { get; init; } = new Dictionary<string, string>();

    public string? Title { get; init; }

    /// <summary>
    /// Values of the options the suite modules add to <c>run</c>, keyed by <see cref="Core.Hosting.ProgramOption.Key"/>
    /// (<c>dataflow.proto</c> from <c>--dataflow-proto</c>, <c>knowlarity.greeting-timeout</c> from <c>--greeting-timeout</c>).
    /// </summary>
    public IReadOnlyDictionary<string, string> Settings { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Assemblies of the user's own Reqnroll step bindings (<c>--bindings PATH.dll</c>), loaded beside the suites'
    /// bindings so a partner can extend a suite without forking it.
    /// </summary>
    public IReadOnlyList<string> BindingAssemblies { get; init; } = [];

    /// <summary>Watches the scenarios' sessions live (the dashboard of <c>run --dashboard</c>).</summary>
    public ISessionObserver? SessionObserver { get; init; }
}

/// <summary>Runs conformance suites for the CLI, the demo and the self-tests: load, validate, run, report, exit code.</summary>
internal static class ConformanceHost
{
    /// <summary>Exit code for usage and configuration errors.</summary>
    public const int UsageError = 2;

    /// <summary>Runs; returns the exit code (0 no MUST failed, 1 a MUST failed, 2 usage/configuration) and the result when it ran.</summary>
    public static async Task<(int ExitCode, RunResult? Result)> RunAsync(RunRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        HarnessThreadPool.Reserve();
        var paths = request.Paths.Count > 0 ? request.Paths : [RepositoryPaths.Features()];
        var missing = paths.Where(p => !Directory.Exists(p) && !File.Exists(p)).ToList();
        if (missing.Count > 0)
        {
            await error.WriteLineAsync($"error: no such feature path: {string.Join(", ", missing)}");
            return (UsageError, null);
        }

        var (userBindings, bindingErrors) = UserBindings.Load(request.BindingAssemblies);
        if (bindingErrors.Count > 0)
        {
            foreach (var e in bindingErrors)
            {
                await error.WriteLineAsync($"error: --bindings {e}");
            }

            return (UsageError, null);
        }

        var modules = SuiteModules.All;
        var load = ConformanceRunner.Load(paths, [.. modules.Select(m => m.StepAssembly).Distinct(), .. userBindings]);
        if (!load.Success)
        {
            await error.WriteLineAsync($"error: {load.Errors.Count} problem(s) in the suites; nothing was run:");
            foreach (var e in load.Errors)
            {
                await error.WriteLineAsync("  " + e);
            }

            return (UsageError, null);
        }

        if (request.Tags is not null && !TagExpression.TryParse(request.Tags, out _, out var tagError))
        {
            await error.WriteLineAsync($"error: --tags \"{request.Tags}\": {tagError}");
            return (UsageError, null);
        }

        var services = new ServiceCollection();
        if (request.SessionObserver is { } observer)
        {
            services.AddSingleton(observer);
        }

        // The suites of the loaded catalogues, each with its module; a catalogue of the user's own has none.
        var active = modules.Where(m => load.Catalogues.Any(c => c.Suite == m.Suite)).ToList();
        var servers = active.Where(m => m.Role == SuiteClientRole.Server).ToList();
        var clients = active.Where(m => m.Role == SuiteClientRole.Client).ToList();
        if (servers.Count > 0 && clients.Count > 0 && request.ClientCommand is not null)
        {
            await error.WriteLineAsync($"error: --client-command starts your server once for {Folders(servers)} but runs your client per scenario for {Folders(clients)}; run them separately (protosim run features/{servers[0].Folder} ... and protosim run features/{clients[0].Folder} ...)");
            return (UsageError, null);
        }

        var problems = new List<string>(SuiteModules.ValidateOverrides(modules, request.Overrides));
        IClientLauncher? launcher = null;
        if (clients.Count > 0)
        {
            launcher = request.ClientLauncher ?? (request.ClientCommand is { } command ? new ShellClientLauncher(command) : null);
            if (launcher is null)
            {
                problems.Add($"the client suites ({Folders(clients)}) start your client once per scenario: give --client-command \"<command>\" (README: the client task contract)");
            }
        }

        if (problems.Count == 0)
        {
            var context = new SuiteRunContext
            {
                Target = request.Target,
                Insecure = request.Insecure,
                AllowPlainWs = request.AllowPlainWs,
                Launcher = launcher,
                Overrides = request.Overrides,
                Settings = request.Settings,
                Fixtures = RepositoryPaths.Fixtures(),
                Recordings = RepositoryPaths.Recordings(),
            };
            problems.AddRange(active.SelectMany(m => m.Configure(context, services)));
        }

        if (problems.Count > 0)
        {
            foreach (var e in problems.Distinct(StringComparer.Ordinal))
            {
                await error.WriteLineAsync("error: " + e);
            }

            return (UsageError, null);
        }

        var needsServer = servers.Count > 0;
        var botCommand = needsServer ? request.ClientCommand : null;
        using var client = botCommand is null ? null : await ClientProcess.StartAsync(botCommand, request.Target, output, error, cancellationToken);
        if (botCommand is not null && client is null)
        {
            return (UsageError, null);
        }

        // A gate must not go green because the bot was not there: an unreachable target is a configuration error.
        if (needsServer && request.Target is { } target && await ReachAsync(target, cancellationToken) is { } unreachable)
        {
            await error.WriteLineAsync($"error: --target {target}: nothing accepts connections at {target.Host}:{target.Port} ({unreachable}); start the bot or give --client-command");
            return (UsageError, null);
        }

        await using var provider = services.BuildServiceProvider();
        var result = await new ConformanceRunner(load).RunAsync(new RunOptions
        {
            TagExpression = request.Tags,
            ReportDirectory = request.ReportDirectory,
            Seed = request.Seed,
            MaxParallelScenarios = request.Parallel,
            Services = provider,
            Progress = output,
            Title = request.Title ?? string.Join(", ", load.Catalogues.Select(c => c.Title)),
            Target = request.Target?.ToString(),
            RunLabel = $"protosim run {string.Join(' ', paths)}",
        }, cancellationToken);
        var main = result.ReportFiles.Where(f => Path.GetFileName(f) is "junit.xml" or "results.json" or "report.html" or ConformanceRunner.MessagesFileName or ConformanceRunner.ReqnrollHtmlFileName).ToList();
        foreach (var file in main)
        {
            await output.WriteLineAsync($"report: {file}");
        }

        if (result.ReportFiles.Count > main.Count)
        {
            await output.WriteLineAsync($"report: {result.ReportFiles.Count - main.Count} more files (captured audio, journals) beside them");
        }

        foreach (var problem in result.ReportErrors)
        {
            await error.WriteLineAsync($"error writing reports: {problem}");
        }

        return (result.ExitCode, result);
    }

    private static string Folders(IEnumerable<ISuiteModule> modules) => string.Join(", ", modules.Select(m => "features/" + m.Folder));

    /// <summary>Null when a TCP connection to the target's host and port succeeds, else why it did not.</summary>
    private static async Task<string?> ReachAsync(Uri target, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        try
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(target.Host, target.Port, timeout.Token);
            return null;
        }
        catch (SocketException ex)
        {
            return ex.Message;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return "no answer within 5 s";
        }
    }

    /// <summary>The client under test started by <c>--client-command</c>, stopped with its process tree.</summary>
    private sealed class ClientProcess : IDisposable
    {
        private readonly Process _process;

        private ClientProcess(Process process) => _process = process;

        public static async Task<ClientProcess?> StartAsync(string command, Uri? target, TextWriter output, TextWriter error, CancellationToken cancellationToken)
        {
            var info = OperatingSystem.IsWindows()
                ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", command } }
                : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
            info.UseShellExecute = false;
            var process = Process.Start(info);
            if (process is null)
            {
                await error.WriteLineAsync($"error: could not start --client-command \"{command}\"");
                return null;
            }

            var client = new ClientProcess(process);
            if (target is null)
            {
                return client;
            }

            // Wait until the bot accepts TCP connections on the target's port.
            await output.WriteLineAsync($"started client (pid {process.Id}); waiting for {target.Host}:{target.Port} to accept connections");
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && !process.HasExited)
            {
                try
                {
                    using var tcp = new TcpClient();
                    await tcp.ConnectAsync(target.Host, target.Port, cancellationToken);
                    return client;
                }
                catch (SocketException)
                {
                    await Task.Delay(200, cancellationToken);
                }
            }

            await error.WriteLineAsync(process.HasExited
                ? $"error: --client-command exited with code {process.ExitCode} before {target.Authority} accepted connections"
                : $"error: {target.Authority} did not accept connections within 60 s of starting --client-command");
            client.Dispose();
            return null;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }

            _process.Dispose();
        }
    }
}
