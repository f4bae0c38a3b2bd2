using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace ProtocolSim.Cli;

/// <summary>What <c>protosim selftest</c> is asked to do.</summary>
public sealed record SelfTestRequest
{
    /// <summary>Suites to run (<see cref="SelfTestCatalog.Suites"/>); empty = all.</summary>
    public IReadOnlyList<string> Suites { get; init; } = [];

    /// <summary>Reference clients or bots to run; empty = every one of the chosen suites.</summary>
    public IReadOnlyList<string> Clients { get; init; } = [];

    /// <summary>Runs of every client.</summary>
    public int Repeat { get; init; } = 5;

    /// <summary>Busy threads (normal priority) that compete with the runs for the cores.</summary>
    public int CpuLoad { get; init; }

    /// <summary>Clients run at the same time.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Where each run's reports and the gate's table (selftest.md, selftest.json) go.</summary>
    public required string ReportDirectory { get; init; }
}

/// <summary>
/// The repeatability gate (issue 17): every chosen reference client is judged <see cref="SelfTestRequest.Repeat"/>
/// times while busy threads compete for the cores, and the table says, per client, in how many runs each rule got
/// the verdict the client is built for (a broken client caught by its rules, a conforming one clean), and what went
/// wrong in the others. Exit code 0 only when every client got its expected verdicts in every run.
/// </summary>
public static class SelfTestGate
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static async Task<int> RunAsync(SelfTestRequest request, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var unknown = request.Suites.Where(s => !SelfTestCatalog.Suites.Contains(s, StringComparer.Ordinal)).ToList();
        if (unknown.Count > 0 || request.Repeat < 1 || request.CpuLoad < 0 || request.Concurrency < 1)
        {
            await error.WriteLineAsync(unknown.Count > 0
                ? $"error: unknown suite(s) {string.Join(", ", unknown)}; the suites are {string.Join(", ", SelfTestCatalog.Suites)}"
                : "error: --repeat and --concurrency must be at least 1, --cpu-load at least 0");
            return ConformanceHost.UsageError;
        }

        List<SelfTestSubject> subjects;
        try
        {
            subjects = request.Clients.Count > 0 ? [.. request.Clients.Select(SelfTestCatalog.Get)] : [.. SelfTestCatalog.All];
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync("error: " + ex.Message);
            return ConformanceHost.UsageError;
        }

        subjects = [.. subjects.Where(s => request.Suites.Count == 0 || request.Suites.Contains(s.Suite, StringComparer.Ordinal))];
        Directory.CreateDirectory(request.ReportDirectory);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"selftest: {subjects.Count} reference client(s), {request.Repeat} run(s) each, {request.CpuLoad} busy thread(s) on {Environment.ProcessorCount} core(s), {request.Concurrency} at a time"));

        var started = Stopwatch.StartNew();
        var outcomes = new List<Outcome>();
        var gate = new Lock();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var load = StartLoad(request.CpuLoad, stop.Token);
        try
        {
            var work = Enumerable.Range(1, request.Repeat).SelectMany(run => subjects.Select(subject => (run, subject))).ToList();
            var total = work.Count;
            var done = 0;
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                var (run, subject) = item;
                var dir = Path.Combine(request.ReportDirectory, subject.Name, run.ToString(CultureInfo.InvariantCulture));
                SelfTestJudgement judgement;
                try
                {
                    var (_, result) = await subject.RunAsync(dir, $"selftest run {run}: {subject.Suite} against {subject.Name}", TextWriter.Null, TextWriter.Null, ct);
                    judgement = result is null ? new([], ["the run did not start (see its report directory)"]) : subject.Judge(result);
                }
#pragma warning disable CA1031 // A run that crashes is a mismatch of the gate, reported with the others.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    judgement = new([], [$"the run crashed: {ex.GetType().Name}: {ex.Message}"]);
                }

                lock (gate)
                {
                    outcomes.Add(new Outcome(subject, run, judgement));
                    done++;
                    var ok = judgement.Caught && judgement.Clean;
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{done}/{total}] {(ok ? "as expected" : "MISMATCH"),-11} run {run} {subject.Name} ({subject.Suite}){(ok ? string.Empty : ": " + string.Join("; ", judgement.Problems))}"));
                    output.Flush();
                }
            });
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        var table = Table(subjects, outcomes, request, started.Elapsed);
        await File.WriteAllTextAsync(Path.Combine(request.ReportDirectory, "selftest.md"), table, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(request.ReportDirectory, "selftest.json"), Json(subjects, outcomes, request), cancellationToken);
        await output.WriteLineAsync();
        await output.WriteAsync(table);
        var failedClients = subjects.Count(s => outcomes.Any(o => o.Subject == s && !o.AsExpected));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{subjects.Count - failedClients} of {subjects.Count} reference client(s) got their expected verdicts in {request.Repeat} of {request.Repeat} runs; table in {Path.Combine(request.ReportDirectory, "selftest.md")}"));
        return failedClients == 0 ? 0 : 1;
    }

    private sealed record Outcome(SelfTestSubject Subject, int Run, SelfTestJudgement Judgement)
    {
        public bool AsExpected => Judgement.Caught && Judgement.Clean;
    }

    /// <summary>Busy threads at normal priority: each spins until the gate is over.</summary>
    private static List<Task> StartLoad(int threads, CancellationToken stop) =>
        [.. Enumerable.Range(0, threads).Select(_ => Task.Factory.StartNew(() =>
        {
            var x = 0UL;
            while (!stop.IsCancellationRequested)
            {
                for (var i = 0; i < 100_000; i++)
                {
                    x = (x * 6364136223846793005UL) + 1442695040888963407UL;
                }
            }

            GC.KeepAlive(x);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default))];

    private static string Table(List<SelfTestSubject> subjects, List<Outcome> outcomes, SelfTestRequest request, TimeSpan elapsed)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"Repeatability gate: {request.Repeat} run(s) of every client, {request.CpuLoad} busy thread(s) on {Environment.ProcessorCount} core(s), {request.Concurrency} client(s) at a time, {elapsed.TotalMinutes:0.0} min.\n\n");
        sb.Append("| suite | reference client | breaks | caught by its rules | clean otherwise | what went wrong |\n|---|---|---|---:|---:|---|\n");
        foreach (var subject in subjects)
        {
            var mine = outcomes.Where(o => o.Subject == subject).OrderBy(o => o.Run).ToList();
            var breaks = subject.Conforming ? "(conforming)" : string.Join(", ", subject.Breaks.Order(StringComparer.Ordinal));
            var caught = subject.Conforming ? "–" : $"{mine.Count(o => o.Judgement.Caught)} of {mine.Count}";
            var wrong = string.Join("; ", mine.Where(o => !o.AsExpected).Select(o => $"run {o.Run}: {string.Join(", ", o.Judgement.Problems.Select(p => Truncate(p, 160)))}"));
            sb.Append(inv, $"| {subject.Suite} | {subject.Name} | {breaks} | {caught} | {mine.Count(o => o.Judgement.Clean)} of {mine.Count} | {wrong.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
        }

        return sb.ToString();
    }

    private static string Json(List<SelfTestSubject> subjects, List<Outcome> outcomes, SelfTestRequest request) =>
        JsonSerializer.Serialize(new
        {
            repeat = request.Repeat,
            cpuLoad = request.CpuLoad,
            cores = Environment.ProcessorCount,
            concurrency = request.Concurrency,
            clients = subjects.Select(s => new
            {
                suite = s.Suite,
                name = s.Name,
                conforming = s.Conforming,
                breaks = s.Breaks.Order(StringComparer.Ordinal),
                runs = outcomes.Where(o => o.Subject == s).OrderBy(o => o.Run).Select(o => new { run = o.Run, caught = o.Judgement.Caught, clean = o.Judgement.Clean, missed = o.Judgement.Missed, wrong = o.Judgement.Wrong }),
            }),
        }, Indented);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
