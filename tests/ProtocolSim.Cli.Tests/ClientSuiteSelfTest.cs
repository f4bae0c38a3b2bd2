using ProtocolSim.Conformance;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// The self-test of a client suite (Data Flow, Knowlarity REST): one run of the suite against a reference client,
/// in-process through the same <c>PROTOSIM_*</c> contract as <c>--client-command</c>. The conforming client passes
/// every observable rule; every broken one fails exactly the rules it breaks. Also the two coverage checks.
/// </summary>
internal static class ClientSuiteSelfTest
{
    public static async Task RunAsync(
        Xunit.Abstractions.ITestOutputHelper output,
        string suitePath,
        string clientName,
        bool conforming,
        IReadOnlySet<string> breaksRules,
        Func<IReadOnlyDictionary<string, string>, TextWriter, CancellationToken, Task<int>> runClient,
        int parallel,
        IReadOnlySet<string>? notApplicable = null)
    {
        var progress = new StringWriter();
        var errors = new StringWriter();
        var reportDir = Path.Combine(Path.GetTempPath(), "protosim-selftest", clientName);
        var (exitCode, result) = await ConformanceHost.RunAsync(new RunRequest
        {
            Paths = [suitePath],
            ClientLauncher = new InProcessClientLauncher($"reference client {clientName} (in-process)", runClient),
            ReportDirectory = reportDir,
            Parallel = parallel,
            Title = $"self-test: {clientName}",
        }, progress, errors, CancellationToken.None);
        output.WriteLine(progress.ToString());
        output.WriteLine(errors.ToString());
        Assert.NotNull(result);
        HarnessErrors.AssertNone(result, clientName, reportDir);

        // A broken MAY rule is INFO: it counts as broken here.
        var failed = result.Rules.Where(r => r.Verdict is RuleVerdict.Fail or RuleVerdict.NonStrict || r.Verdict == RuleVerdict.Info && r.Rule.Strength == RuleStrength.May)
            .Select(r => r.Rule.Id).Order(StringComparer.Ordinal).ToList();
        var expected = breaksRules.Order(StringComparer.Ordinal).ToList();
        var detail = string.Join("\n", result.Rules.Where(r => r.Verdict is not (RuleVerdict.Pass or RuleVerdict.NotCovered))
            .Select(r => $"  {r.Rule.Id} {r.Verdict}: {r.Evidence}"));
        Assert.True(expected.SequenceEqual(failed),
            $"{clientName}: expected failed rules [{string.Join(", ", expected)}] but got [{string.Join(", ", failed)}]\n{detail}\nreport: {reportDir}/report.html");

        if (conforming)
        {
            // Rules of a transport the client does not use are skipped, not passed.
            var notPassed = result.Rules.Where(r => r.Rule.Observable && r.Verdict != RuleVerdict.Pass && notApplicable?.Contains(r.Rule.Id) != true).ToList();
            Assert.True(notPassed.Count == 0, $"{clientName}: rules not passed:\n" + string.Join("\n", notPassed.Select(r => $"  {r.Rule.Id} {r.Verdict}: {r.Evidence}")));
            Assert.Equal(0, exitCode);
        }
        else
        {
            Assert.Equal(result.Rules.Any(r => r.Verdict == RuleVerdict.Fail) ? 1 : 0, exitCode);
        }
    }

    /// <summary>Every observable rule of the suite is broken by at least one reference client.</summary>
    public static void AssertEveryObservableRuleIsBroken(string suitePath, IEnumerable<IReadOnlySet<string>> breaks)
    {
        var load = ConformanceRunner.LoadCatalogues([suitePath]);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        var broken = breaks.SelectMany(b => b).ToHashSet(StringComparer.Ordinal);
        var unbroken = load.Catalogues.SelectMany(c => c.Rules).Where(r => r.Observable && !broken.Contains(r.Id)).Select(r => r.Id).ToList();
        Assert.True(unbroken.Count == 0, "No reference client breaks: " + string.Join(", ", unbroken));
    }

    /// <summary>Every observable rule of the suite is tagged by a scenario.</summary>
    public static void AssertEveryObservableRuleIsTagged(string suitePath, Type steps)
    {
        var load = ConformanceRunner.Load([suitePath], [steps.Assembly]);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        var tagged = load.Scenarios.SelectMany(s => s.RuleIds).ToHashSet(StringComparer.Ordinal);
        var untagged = load.Catalogues.SelectMany(c => c.Rules).Where(r => r.Observable && !tagged.Contains(r.Id)).Select(r => r.Id).ToList();
        Assert.True(untagged.Count == 0, "Observable rules without a scenario: " + string.Join(", ", untagged));
    }
}
