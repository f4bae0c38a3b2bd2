using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace ProtocolSim.Benchmarks.Micro;

/// <summary>
/// The micro-benchmarks' configuration: BenchmarkDotNet's short run, in this process (the project is already built in
/// Release; no per-benchmark project is generated), with allocations measured. <c>--job</c> and the other
/// BenchmarkDotNet arguments after <c>micro</c> change it.
/// </summary>
internal static class MicroConfig
{
    public static IConfig Create(TextWriter output) =>
        ManualConfig.CreateEmpty()
            .AddColumnProvider(DefaultConfig.Instance.GetColumnProviders().ToArray())
            .AddExporter(DefaultConfig.Instance.GetExporters().ToArray())
            .AddAnalyser(DefaultConfig.Instance.GetAnalysers().ToArray())
            .AddValidator(DefaultConfig.Instance.GetValidators().ToArray())
            .AddLogger(output == Console.Out ? ConsoleLogger.Default : new TextLogger(output))
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance))
            .WithArtifactsPath(Path.Combine("artifacts", "benchmarkdotnet"));
}
