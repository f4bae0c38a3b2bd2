using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The repeatability gate in its reduced form (the full table: docs/verdicts.md): the voice bots whose verdicts turn on
/// timing (barge-in, its latency, stale chunks after killAudio, playback against sending state, slow replies,
/// streaming at about real time) are judged twice each while two busy threads compete for the cores; every broken
/// one must be caught by its rule and every conforming one be clean in both runs.
/// </summary>
public sealed class RepeatabilityGateTests(ITestOutputHelper output)
{
    private static readonly string[] TimingBots =
    [
        "conforming", "streaming-tts", "no-killaudio", "late-killaudio", "stale-chunks", "send-state-playback",
        "streaming-no-killaudio", "streaming-stale-chunks", "slow-reply", "slow-drip",
    ];

    [Fact]
    public async Task TimingSensitiveBots_TwoRunsUnderCpuLoad_EveryVerdictAsExpected()
    {
        var progress = new StringWriter();
        var reportDir = Path.Combine(Path.GetTempPath(), "protosim-selftest-gate");
        var exit = await SelfTestGate.RunAsync(new SelfTestRequest
        {
            Clients = TimingBots,
            Repeat = 2,
            CpuLoad = 2,
            Concurrency = 4,
            ReportDirectory = reportDir,
        }, progress, progress, CancellationToken.None);
        output.WriteLine(progress.ToString());

        Assert.True(exit == 0, "the repeatability gate found runs without the expected verdicts:\n" + File.ReadAllText(Path.Combine(reportDir, "selftest.md")));
        var table = File.ReadAllText(Path.Combine(reportDir, "selftest.md"));
        Assert.Contains("| knowlarity/voice-stream | streaming-no-killaudio | KVS-023 | 2 of 2 | 2 of 2 |", table, StringComparison.Ordinal);
        Assert.Contains("| knowlarity/voice-stream | streaming-tts | (conforming) | – | 2 of 2 |", table, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownClient_IsAUsageError()
    {
        var errors = new StringWriter();

        var exit = await SelfTestGate.RunAsync(new SelfTestRequest { Clients = ["no-such-bot"], ReportDirectory = Path.GetTempPath() }, TextWriter.Null, errors, CancellationToken.None);

        Assert.Equal(ConformanceHost.UsageError, exit);
        Assert.Contains("no reference client or bot \"no-such-bot\"", errors.ToString(), StringComparison.Ordinal);
    }
}
