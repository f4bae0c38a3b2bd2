namespace ProtocolSim.Conformance.Tests;

/// <summary>A client run in this process ends as a process would: its exit code, its deadline, and its crash.</summary>
public sealed class ClientLauncherTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    [Fact]
    public async Task InProcess_AClientThatThrows_ExitsAsACrashedProcess_NotAsAHarnessError()
    {
        var launcher = new InProcessClientLauncher("thrower", async (_, log, _) =>
        {
            await log.WriteLineAsync("fetching the task list");
            throw new InvalidOperationException("boom");
        });

        var exit = await launcher.RunAsync(NoEnvironment, TimeSpan.FromSeconds(10), CancellationToken.None);

        Assert.Equal(InProcessClientLauncher.UnhandledExceptionExitCode, exit.ExitCode);
        Assert.StartsWith("fetching the task list", exit.Output, StringComparison.Ordinal);
        Assert.Contains("Unhandled exception. System.InvalidOperationException: boom", exit.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InProcess_AClientPastItsDeadline_HasNoExitCode_AndTheHarnessStopStillPropagates()
    {
        var hangs = new InProcessClientLauncher("hangs", async (_, _, ct) =>
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return 0;
        });

        var exit = await hangs.RunAsync(NoEnvironment, TimeSpan.FromMilliseconds(50), CancellationToken.None);
        Assert.Null(exit.ExitCode);

        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hangs.RunAsync(NoEnvironment, TimeSpan.FromSeconds(10), stop.Token));
    }
}
