using System.Diagnostics;
using System.Text.RegularExpressions;
using ProtocolSim.Conformance.Suites;
namespace ProtocolSim.TestSupport;

/// <summary>
/// Real WireMock 3.13 (the npm package <c>wiremock</c>, installed by scripts/setup.sh into tests/peers) on
/// 127.0.0.1 and a port it picks itself; the port is read from its start-up lines. Used by the admin-API parity
/// test and by the <c>knowlarity</c> benchmark (bench/ProtocolSim.Benchmarks).
/// </summary>
public sealed partial class WireMockPeer : IAsyncDisposable
{
    private readonly Process _process;

    private WireMockPeer(Process process, string baseUrl)
    {
        _process = process;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static string JarPath()
    {
        var peers = Path.Combine(Path.GetDirectoryName(RepositoryPaths.Fixtures())!, "tests", "peers", "node_modules", "wiremock", "build");
        var jar = Directory.Exists(peers) ? Directory.GetFiles(peers, "wiremock-standalone-*.jar").FirstOrDefault() : null;
        return jar ?? throw new InvalidOperationException($"WireMock is not installed under {peers}: run scripts/setup.sh (it runs npm ci in tests/peers).");
    }

    public static async Task<WireMockPeer> StartAsync(params string[] extraArguments)
    {
        var start = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-jar", JarPath(), "--port", "0", "--bind-address", "127.0.0.1", "--disable-banner" }.Concat(extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("java did not start");
        var port = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                port.TrySetException(new InvalidOperationException("WireMock exited before printing its port:\n" + output));
                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (PortLine().Match(e.Data) is { Success: true } m)
            {
                port.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var p = await port.Task.WaitAsync(TimeSpan.FromSeconds(90));
            return new WireMockPeer(process, $"http://127.0.0.1:{p}");
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    [GeneratedRegex(@"^port:\s+(\d+)")]
    private static partial Regex PortLine();
}
