using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ProtocolSim.Conformance;
using ProtocolSim.Core;
using ProtocolSim.ReferenceClients.Hostile;

namespace ProtocolSim.Cli;

/// <summary>What <c>protosim selftest</c> is asked to do.</summary>
internal sealed record SelfTestRequest
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

    /// <summary>Run the hostile-client corpus against the conforming clients instead of the gate.</summary>
    public bool Hostile { get; init; }

    /// <summary>The hostile modes to run (<see cref="HostileMode.Corpus"/> names); empty = all.</summary>
    public IReadOnlyList<string> Modes { get; init; } = [];
}

/// <summary>
/// The repeatability gate (issue 17): every chosen reference client is judged <see cref="SelfTestRequest.Repeat"/>
/// times while busy threads compete for the cores, and the table says, per client, in how many runs each rule got
/// the verdict the client is built for (a broken client caught by its rules, a conforming one clean), and what went
/// wrong in the others. Exit code 0 only when every client got its expected verdicts in every run.
/// </summary>
internal static class SelfTestGate
{

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
        if (request.Hostile)
        {
            List<HostileMode> modes;
            try
            {
                modes = request.Modes.Count > 0 ? [.. request.Modes.Select(HostileMode.Get)] : [.. HostileMode.Corpus];
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync("error: " + ex.Message);
                return ConformanceHost.UsageError;
            }

            return await RunHostileAsync(request.Clients.Count > 0 ? subjects : [.. subjects.Where(s => s.Conforming)], modes, request, output, cancellationToken);
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"selftest: {subjects.Count} reference client(s), {request.Repeat} run(s) each, {request.CpuLoad} busy thread(s) on {Environment.ProcessorCount} core(s), {request.Concurrency} at a time"));

        var started = Stopwatch.StartNew();
        var work = Enumerable.Range(1, request.Repeat).SelectMany(run => subjects.Select(subject => (run, subject))).ToList();
        var outcomes = await RunUnderLoadAsync(work, request, output,
            async (item, ct) =>
            {
                var (run, subject) = item;
                var dir = Path.Combine(request.ReportDirectory, subject.Name, run.ToString(CultureInfo.InvariantCulture));
                var (_, result) = await subject.RunAsync(dir, $"selftest run {run}: {subject.Suite} against {subject.Name}", TextWriter.Null, TextWriter.Null, ct);
                return new Outcome(subject, run, result is null ? new([], ["the run did not start (see its report directory)"]) : subject.Judge(result));
            },
            (item, crash) => new Outcome(item.subject, item.run, new([], [crash])),
            o => string.Create(CultureInfo.InvariantCulture,
                $"{(o.AsExpected ? "as expected" : "MISMATCH"),-11} run {o.Run} {o.Subject.Name} ({o.Subject.Suite}){(o.AsExpected ? string.Empty : ": " + string.Join("; ", o.Judgement.Problems))}"),
            cancellationToken);

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

    /// <summary>
    /// The hostile-client corpus (issue 17): every chosen client, through every hostile mode, <see cref="SelfTestRequest.Repeat"/>
    /// times; a run is right when every scenario ended in a verdict with evidence or SKIPPED with its reason.
    /// </summary>
    private static async Task<int> RunHostileAsync(List<SelfTestSubject> subjects, List<HostileMode> modes, SelfTestRequest request, TextWriter output, CancellationToken cancellationToken)
    {
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"selftest --hostile: {subjects.Count} client(s) x {modes.Count} hostile mode(s), {request.Repeat} run(s) each, {request.CpuLoad} busy thread(s), {request.Concurrency} at a time"));
        var started = Stopwatch.StartNew();
        var work = (from run in Enumerable.Range(1, request.Repeat) from subject in subjects from mode in modes select (run, subject, mode)).ToList();
        var outcomes = await RunUnderLoadAsync(work, request, output,
            async (item, ct) =>
            {
                var (run, subject, mode) = item;
                var dir = Path.Combine(request.ReportDirectory, subject.Name, mode.Name, run.ToString(CultureInfo.InvariantCulture));
                var (_, result) = await subject.RunAsync(dir, $"selftest --hostile run {run}: {subject.Suite} against {subject.Name}, {mode.Name}", TextWriter.Null, TextWriter.Null, ct, hostile: mode);
                return result is null
                    ? new HostileOutcome(subject, mode, run, null, ["the run did not start (see its report directory)"])
                    : new HostileOutcome(subject, mode, run, result.Scenarios.Where(s => s.Executed).GroupBy(s => s.Status).ToDictionary(g => g.Key, g => g.Count()), SelfTestSubject.JudgeHostile(result));
            },
            (item, crash) => new HostileOutcome(item.subject, item.mode, item.run, null, [crash]),
            o => string.Create(CultureInfo.InvariantCulture,
                $"{(o.Problems.Count == 0 ? "verdicts" : "PROBLEM"),-8} run {o.Run} {o.Subject.Name} ({o.Subject.Suite}) {o.Mode.Name}: {o.Counts}{(o.Problems.Count == 0 ? string.Empty : "; " + string.Join("; ", o.Problems.Take(3)))}"),
            cancellationToken);

        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.Append(inv, $"Hostile-client corpus: {subjects.Count} client(s) x {modes.Count} mode(s), {request.Repeat} run(s), {request.CpuLoad} busy thread(s) on {Environment.ProcessorCount} core(s), {started.Elapsed.TotalMinutes:0.0} min.\n\n");
        sb.Append("| suite | client | hostile mode | what it does | scenarios: passed / failed / skipped | harness errors | what went wrong |\n|---|---|---|---|---|---:|---|\n");
        foreach (var o in outcomes.OrderBy(o => subjects.IndexOf(o.Subject)).ThenBy(o => modes.IndexOf(o.Mode)).ThenBy(o => o.Run))
        {
            var problems = string.Join("; ", o.Problems.Take(3).Select(p => Truncate(p, 160))).Replace("|", "\\|", StringComparison.Ordinal);
            sb.Append(inv, $"| {o.Subject.Suite} | {o.Subject.Name} | {o.Mode.Name} | {o.Mode.Description} | {o.Counts} | {o.Problems.Count(p => p.StartsWith("harness error", StringComparison.Ordinal))} | {problems} |\n");
        }

        var table = sb.ToString();
        await File.WriteAllTextAsync(Path.Combine(request.ReportDirectory, "hostile.md"), table, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(request.ReportDirectory, "hostile.json"), JsonSerializer.Serialize(outcomes.Select(o => new
        {
            suite = o.Subject.Suite,
            client = o.Subject.Name,
            mode = o.Mode.Name,
            run = o.Run,
            scenarios = o.ByStatus?.ToDictionary(p => p.Key.ToString().ToLowerInvariant(), p => p.Value),
            problems = o.Problems,
        }), JsonDefaults.Indented), cancellationToken);
        await output.WriteLineAsync();
        await output.WriteAsync(table);
        var bad = outcomes.Count(o => o.Problems.Count > 0);
        await output.WriteLineAsync(string.Create(inv, $"{outcomes.Count - bad} of {outcomes.Count} hostile run(s) ended every scenario in a verdict with evidence; table in {Path.Combine(request.ReportDirectory, "hostile.md")}"));
        return bad == 0 ? 0 : 1;
    }

    private sealed record HostileOutcome(SelfTestSubject Subject, HostileMode Mode, int Run, Dictionary<ScenarioStatus, int>? ByStatus, IReadOnlyList<string> Problems)
    {
        public string Counts => ByStatus is null ? "not run"
            : string.Create(CultureInfo.InvariantCulture, $"{ByStatus.GetValueOrDefault(ScenarioStatus.Passed)} / {ByStatus.GetValueOrDefault(ScenarioStatus.Failed)} / {ByStatus.GetValueOrDefault(ScenarioStatus.Skipped)}");
    }

    private sealed record Outcome(SelfTestSubject Subject, int Run, SelfTestJudgement Judgement)
    {
        public bool AsExpected => Judgement.Caught && Judgement.Clean;
    }

    /// <summary>
    /// Runs every item, <see cref="SelfTestRequest.Concurrency"/> at a time, while <see cref="SelfTestRequest.CpuLoad"/>
    /// busy threads compete for the cores; prints a line per finished run. A run that crashes is an outcome too
    /// (<paramref name="crashed"/>), reported with the others.
    /// </summary>
    private static async Task<List<T>> RunUnderLoadAsync<TItem, T>(
        List<TItem> work, SelfTestRequest request, TextWriter output,
        Func<TItem, CancellationToken, Task<T>> run, Func<TItem, string, T> crashed, Func<T, string> describe, CancellationToken cancellationToken)
    {
        var outcomes = new List<T>();
        var gate = new Lock();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var load = StartLoad(request.CpuLoad, stop.Token);
        try
        {
            await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = request.Concurrency, CancellationToken = cancellationToken }, async (item, ct) =>
            {
                T outcome;
                try
                {
                    outcome = await run(item, ct);
                }
#pragma warning disable CA1031 // A run that crashes is a finding of the gate, reported with the others.
                catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
                {
                    outcome = crashed(item, $"the run crashed: {ex.GetType().Name}: {ex.Message}");
                }

                lock (gate)
                {
                    outcomes.Add(outcome);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{outcomes.Count}/{work.Count}] {describe(outcome)}"));
                    output.Flush();
                }
            });
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(load);
        }

        return outcomes;
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
        }, JsonDefaults.Indented);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
