using Xunit.Abstractions;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The hostile-client corpus in its reduced form (the whole corpus: <c>protosim selftest --hostile</c>, measured in
/// docs/verdicts.md): a conforming client of every suite that closes early, aborts, goes silent, garbles a write and
/// sends one twice; every scenario of every suite must end in a verdict with its evidence or SKIPPED with a reason.
/// </summary>
public sealed class HostileCorpusTests(ITestOutputHelper output)
{
    private static readonly string[] Clients =
    [
        "conforming", "verloop-conforming", "dataflow-conforming", "dataflow-grpc-conforming", "dataflow-http-conforming",
        "knowlarity-conforming", "cti-socket-conforming", "cti-http-conforming",
    ];

    private static readonly string[] Modes = ["close-after-1", "reset-after-4", "silent-after-1", "garbage-at-1", "twice-at-2", "stale-at-2"];

    [Fact]
    public async Task EveryScenario_EndsInAVerdictWithEvidence_WhateverTheClientDoes()
    {
        var progress = new StringWriter();
        var reportDir = Path.Combine(Path.GetTempPath(), "protosim-selftest-hostile");
        var exit = await SelfTestGate.RunAsync(new SelfTestRequest
        {
            Hostile = true,
            Clients = Clients,
            Modes = Modes,
            Repeat = 1,
            Concurrency = 4,
            ReportDirectory = reportDir,
        }, progress, progress, CancellationToken.None);
        output.WriteLine(progress.ToString());

        Assert.True(exit == 0, "a hostile client drove a scenario into a harness error or a verdict without evidence:\n" + File.ReadAllText(Path.Combine(reportDir, "hostile.md")));
    }

    [Fact]
    public async Task UnknownMode_IsAUsageError()
    {
        var errors = new StringWriter();

        var exit = await SelfTestGate.RunAsync(new SelfTestRequest { Hostile = true, Modes = ["explode"], ReportDirectory = Path.GetTempPath() }, TextWriter.Null, errors, CancellationToken.None);

        Assert.Equal(ConformanceHost.UsageError, exit);
        Assert.Contains("no hostile mode \"explode\"", errors.ToString(), StringComparison.Ordinal);
    }
}
