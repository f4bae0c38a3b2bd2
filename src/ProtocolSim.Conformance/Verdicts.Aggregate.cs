namespace ProtocolSim.Conformance;

/// <summary>Turns scenario outcomes into one verdict per rule.</summary>
internal static class Verdicts
{
    private const int MaxEvidenceItems = 3;

    public static IReadOnlyList<RuleResult> Aggregate(IReadOnlyList<RuleCatalogue> catalogues, IReadOnlyList<ScenarioResult> scenarios)
    {
        var results = new List<RuleResult>();
        foreach (var rule in catalogues.SelectMany(c => c.Rules))
        {
            var tagging = scenarios.Where(s => s.RuleIds.Contains(rule.Id, StringComparer.Ordinal)).ToList();
            var outcomes = tagging
                .SelectMany(s => s.Outcomes.Where(o => string.Equals(o.RuleId, rule.Id, StringComparison.Ordinal)).Select(o => new ScenarioOutcome(s.Id, s.Name, o)))
                .ToList();
            var (verdict, evidence) = Judge(rule, tagging, outcomes);
            results.Add(new RuleResult
            {
                Rule = rule,
                Verdict = verdict,
                Evidence = evidence,
                Scenarios = tagging.Select(s => s.Name).ToList(),
                ScenarioIds = tagging.Select(s => s.Id).ToList(),
                Outcomes = outcomes,
            });
        }

        return results;
    }

    private static (RuleVerdict Verdict, string Evidence) Judge(Rule rule, List<ScenarioResult> tagging, List<ScenarioOutcome> outcomes)
    {
        if (!rule.Observable)
        {
            return (RuleVerdict.NotCovered, $"not observable: {rule.Reason}");
        }

        if (tagging.Count == 0)
        {
            return (RuleVerdict.NotCovered, "no scenario in this run tags it");
        }

        var fails = outcomes.Where(o => o.Outcome.Kind == OutcomeKind.Fail).ToList();
        var errors = outcomes.Where(o => o.Outcome.Kind == OutcomeKind.Error).ToList();
        if (fails.Count > 0 && rule.Strength == RuleStrength.Must)
        {
            // The client broke it: a harness error in another scenario does not make that less true.
            return (RuleVerdict.Fail, Join(fails.Select(f => $"{f.ScenarioId}: {f.Outcome.Describe()}")));
        }

        if (errors.Count > 0)
        {
            // Unverified: whatever passed elsewhere, one scenario that should have judged it could not.
            return (RuleVerdict.Error, Join(errors.Select(e => $"{e.ScenarioId}: {e.Outcome.Describe()}")));
        }

        if (fails.Count > 0)
        {
            var verdict = rule.Strength == RuleStrength.Should ? RuleVerdict.NonStrict : RuleVerdict.Info;
            return (verdict, Join(fails.Select(f => $"{f.ScenarioId}: {f.Outcome.Describe()}")));
        }

        var passes = outcomes.Where(o => o.Outcome.Kind == OutcomeKind.Pass).ToList();
        if (passes.Count > 0)
        {
            return (RuleVerdict.Pass, Join(passes.Select(p => p.Outcome.Describe())));
        }

        var infos = outcomes.Where(o => o.Outcome.Kind == OutcomeKind.Info).ToList();
        if (infos.Count > 0)
        {
            return (RuleVerdict.Info, Join(infos.Select(i => i.Outcome.Describe())));
        }

        return (RuleVerdict.Skipped, Join(tagging.Select(s => $"{s.Id}: {s.SkipReason ?? s.Error ?? "not judged"}")));
    }

    private static string Join(IEnumerable<string> items)
    {
        var distinct = items.Where(s => !string.IsNullOrWhiteSpace(s)).Distinct(StringComparer.Ordinal).ToList();
        var text = string.Join("; ", distinct.Take(MaxEvidenceItems));
        return distinct.Count > MaxEvidenceItems ? $"{text}; (+{distinct.Count - MaxEvidenceItems} more)" : text;
    }
}
