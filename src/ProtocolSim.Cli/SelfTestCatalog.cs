using System.Net;
using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.ReferenceClients.Hostile;

namespace ProtocolSim.Cli;

/// <summary>
/// One reference client (or bot) of a suite's self-test: which rules it is built to break, which rules do not apply
/// to it (another integration's or transport's), and how to run the suite against it in process.
/// </summary>
internal sealed record SelfTestSubject(ISuiteModule Module, ReferenceClient Client)
{
    /// <summary>The suite's folder under <c>features/</c>.</summary>
    public string Suite => Module.Folder;

    public string Name => Client.Name;

    public bool Conforming => Client.Conforming;

    public IReadOnlySet<string> Breaks => Client.Breaks;

    public IReadOnlySet<string> NotApplicable => Client.NotApplicable;

    public int Parallel => Module.SelfTestParallel;

    /// <summary>
    /// Runs the suite (or one of its files, <paramref name="feature"/>, with a tag expression) once against this client;
    /// <paramref name="reportDirectory"/>, if given, receives the reports. With <paramref name="hostile"/>, the client
    /// (or bot) reaches the fakes (or the peer) only through a <see cref="HostileProxy"/> acting that way.
    /// </summary>
    public async Task<(int ExitCode, RunResult? Result)> RunAsync(string? reportDirectory, string title, TextWriter output, TextWriter error, CancellationToken cancellationToken, string? feature = null, string? tags = null, HostileMode? hostile = null)
    {
        var features = Path.Combine(RepositoryPaths.Features(), Suite, feature ?? string.Empty);
        if (Client.StartServer is { } startServer)
        {
            await using var server = await startServer(0, cancellationToken);
            await using var proxy = hostile is null ? null : HostileProxy.Start(new IPEndPoint(IPAddress.Loopback, server.Url.Port), hostile, upstreamIsHostile: true);
            return await ConformanceHost.RunAsync(new RunRequest
            {
                Paths = [features],
                Target = new UriBuilder(server.Url) { Port = proxy?.Port ?? server.Url.Port }.Uri,
                Insecure = true,
                Tags = tags,
                ReportDirectory = reportDirectory,
                Parallel = Parallel,
                Title = title,
            }, output, error, cancellationToken);
        }

        var run = Client.RunTask ?? throw new InvalidOperationException($"reference client {Name} runs neither a task nor a server in process");
        if (hostile is not null)
        {
            var direct = run;
            run = async (environment, log, ct) =>
            {
                await using var proxied = HostileEnvironment.Start(environment, hostile);
                return await direct(proxied.Environment, log, ct);
            };
        }

        return await ConformanceHost.RunAsync(new RunRequest
        {
            Paths = [features],
            ClientLauncher = new InProcessClientLauncher($"reference client {Name} (in-process)", run),
            Tags = tags,
            ReportDirectory = reportDirectory,
            Parallel = Parallel,
            Title = title,
        }, output, error, cancellationToken);
    }

    /// <summary>The rules this run broke: FAIL, NON-STRICT, or INFO of a MAY rule (a broken MAY rule is INFO).</summary>
    public static IReadOnlySet<string> Broken(RunResult result) => result.Rules
        .Where(r => r.Verdict is RuleVerdict.Fail or RuleVerdict.NonStrict || (r.Verdict == RuleVerdict.Info && r.Rule.Strength == RuleStrength.May))
        .Select(r => r.Rule.Id).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// How one run went: whether every rule this client breaks was caught, and what else it got wrong (a harness
    /// error, a rule it does not break that failed, a verdict without evidence, or, for a conforming client, an
    /// applicable rule that did not pass).
    /// </summary>
    public SelfTestJudgement Judge(RunResult result)
    {
        var broken = Broken(result);
        var missed = Breaks.Where(id => !broken.Contains(id)).Order(StringComparer.Ordinal).Select(id => $"{id} not caught: {Verdict(result, id)}").ToList();
        var wrong = new List<string>();
        wrong.AddRange(result.Scenarios.Where(s => s.Status == ScenarioStatus.Error).Select(s => $"harness error in {s.Id}: {s.Error}"));
        wrong.AddRange(broken.Where(id => !Breaks.Contains(id)).Order(StringComparer.Ordinal).Select(id => $"{id} failed, but the client does not break it: {Verdict(result, id)}"));
        wrong.AddRange(WithoutEvidence(result));
        if (Conforming)
        {
            wrong.AddRange(result.Rules
                .Where(r => r.Rule.Observable && !NotApplicable.Contains(r.Rule.Id) && r.Verdict != RuleVerdict.Pass && !broken.Contains(r.Rule.Id)
                    && !(r.Rule.Strength == RuleStrength.May && r.Verdict == RuleVerdict.Info))
                .Select(r => $"{r.Rule.Id} not passed: {r.Verdict.ToReportString()} {r.Evidence}"));
        }

        return new SelfTestJudgement(missed, wrong);
    }

    /// <summary>
    /// How a run against a hostile client went: every scenario must end in a verdict with its evidence (a PASS with what
    /// was seen, a FAIL with what was expected and seen, an INFO with its message) or SKIPPED with the reason, never
    /// in a harness error.
    /// </summary>
    public static IReadOnlyList<string> JudgeHostile(RunResult result)
    {
        var problems = new List<string>();
        foreach (var s in result.Scenarios.Where(s => s.Executed))
        {
            if (s.Status == ScenarioStatus.Error)
            {
                problems.Add($"harness error in {s.Id}: {s.Error}");
                continue;
            }

            if (s.Status == ScenarioStatus.Skipped)
            {
                if (string.IsNullOrWhiteSpace(s.SkipReason))
                {
                    problems.Add($"{s.Id} skipped without a reason");
                }

                continue;
            }

            if (s.Outcomes.Count == 0)
            {
                problems.Add($"{s.Id} ended {s.Status} with no verdict");
            }
        }

        problems.AddRange(WithoutEvidence(result));
        return problems;
    }

    /// <summary>Verdicts that do not say what they were decided on: a PASS without what was seen, a FAIL without what was expected and seen, an INFO without its message.</summary>
    public static IEnumerable<string> WithoutEvidence(RunResult result) =>
        from s in result.Scenarios
        from o in s.Outcomes
        where !HasEvidence(o)
        select $"{s.Id}: {o.RuleId} {o.Kind.ToString().ToUpperInvariant()} without evidence";

    private static bool HasEvidence(RuleOutcome o) => o.Kind switch
    {
        OutcomeKind.Pass => !string.IsNullOrWhiteSpace(o.Evidence) || !string.IsNullOrWhiteSpace(o.Actual),
        OutcomeKind.Fail => !string.IsNullOrWhiteSpace(o.Expected) && !string.IsNullOrWhiteSpace(o.Actual),
        OutcomeKind.Info => !string.IsNullOrWhiteSpace(o.Message),
        _ => true,
    };

    private static string Verdict(RunResult result, string id) =>
        result.Rules.FirstOrDefault(r => r.Rule.Id == id) is { } rule ? $"{rule.Verdict.ToReportString()} {rule.Evidence}" : "not in the catalogue";
}

/// <summary>One run of a self-test: the rules the client breaks that went uncaught, and everything else that was wrong.</summary>
internal sealed record SelfTestJudgement(IReadOnlyList<string> Missed, IReadOnlyList<string> Wrong)
{
    /// <summary>Every rule the client breaks was caught.</summary>
    public bool Caught => Missed.Count == 0;

    /// <summary>No harness error, and no rule failed (or, for a conforming client, missed a pass) that should not have.</summary>
    public bool Clean => Wrong.Count == 0;

    public IEnumerable<string> Problems => Missed.Concat(Wrong);
}

/// <summary>Every suite's reference clients, as the self-tests and <c>protosim selftest</c> run them (from the suite modules).</summary>
internal static class SelfTestCatalog
{
    /// <summary>The suites' folders, in the order the gate runs them.</summary>
    public static IReadOnlyList<string> Suites { get; } = [.. SuiteModules.All.Select(m => m.Folder)];

    public static IReadOnlyList<SelfTestSubject> All { get; } =
        [.. SuiteModules.All.SelectMany(m => m.ReferenceClients.Where(c => c.InSelfTest).Select(c => new SelfTestSubject(m, c)))];

    public static SelfTestSubject Get(string name) =>
        All.FirstOrDefault(s => s.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"no reference client or bot \"{name}\"; see protosim reference-bot --list and protosim reference-client --list", nameof(name));
}
