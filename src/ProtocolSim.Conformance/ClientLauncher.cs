using System.Diagnostics;
using System.Text;

namespace ProtocolSim.Conformance;

/// <summary>How a client under test ended one task run.</summary>
/// <param name="ExitCode">Its exit code; null when it was stopped because it ran past the deadline.</param>
/// <param name="Output">The tail of what it wrote (stdout and stderr), for the report.</param>
public sealed record ClientExit(int? ExitCode, string Output)
{
    public bool TimedOut => ExitCode is null;

    public string Describe() => ExitCode is { } code ? $"exited with code {code}" : "was stopped at the deadline";
}

/// <summary>
/// Starts the client under test for one scenario with the <c>PROTOSIM_*</c> environment (ARCHITECTURE.md: client
/// under test) and waits until it ends or the deadline passes. The command-line launcher runs
/// <c>--client-command</c>; the self-tests run the reference clients in-process through the same contract.
/// </summary>
public interface IClientLauncher
{
    /// <summary>What the report says was launched.</summary>
    string Description { get; }

    Task<ClientExit> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan deadline, CancellationToken cancellationToken);
}

/// <summary>Runs a shell command (<c>/bin/sh -c</c>, or <c>cmd /c</c> on Windows) per scenario.</summary>
public sealed class ShellClientLauncher(string command) : IClientLauncher
{
    private const int OutputTail = 4000;

    public string Description => command;

    /// <summary>A path as one word of the shell that runs the command (<c>'...'</c>, or <c>"..."</c> on Windows).</summary>
    public static string Quote(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return OperatingSystem.IsWindows() ? $"\"{path}\"" : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public async Task<ClientExit> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan deadline, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var info = OperatingSystem.IsWindows()
            ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", command } }
            : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var output = new StringBuilder();
        void Collect(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
                if (output.Length > OutputTail * 2)
                {
                    output.Remove(0, output.Length - OutputTail);
                }
            }
        }

        using var process = new Process { StartInfo = info };
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new ClientExit(-1, $"could not start \"{command}\": {ex.Message}");
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        int? code;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            await process.WaitForExitAsync(CancellationToken.None); // drains the redirected streams
            code = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            code = null;
        }

        lock (output)
        {
            var text = output.ToString();
            return new ClientExit(code, text.Length > OutputTail ? "…" + text[^OutputTail..] : text);
        }
    }
}

/// <summary>Runs a client in this process (the bundled reference clients in self-tests and the demo).</summary>
public sealed class InProcessClientLauncher(string description, Func<IReadOnlyDictionary<string, string>, TextWriter, CancellationToken, Task<int>> run) : IClientLauncher
{
    public string Description => description;

    public async Task<ClientExit> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan deadline, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(deadline);
        using var log = new StringWriter();
        try
        {
            var code = await run(environment, log, timeout.Token);
            return new ClientExit(code, log.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ClientExit(null, log.ToString());
        }
#pragma warning disable CA1031 // the client's own crash: what it did, judged as a process's crash would be, never a harness error
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
        {
            // As a .NET process that dies of an unhandled exception: "Unhandled exception." and the exception on its
            // error output, exit code 134 (SIGABRT) on Linux.
            return new ClientExit(UnhandledExceptionExitCode, log + "Unhandled exception. " + e);
        }
    }

    /// <summary>The exit code a .NET process that dies of an unhandled exception gets on Linux (SIGABRT: 128 + 6).</summary>
    public const int UnhandledExceptionExitCode = 134;
}
