using System.Text.Json;

namespace ProtocolSim.Conformance.Reports;

/// <summary>results.json: summary, rules with verdicts, scenarios (camelCase; null members are written as null).</summary>
internal static class JsonReport
{
    public static void Write(RunResult result, ReportArtifacts artifacts, Stream stream)
    {
        var document = new
        {
            title = result.Title,
            runLabel = result.RunLabel,
            target = result.Target,
            seed = result.Seed,
            tagExpression = result.TagExpression,
            started = result.Started,
            durationMs = Math.Round(result.Duration.TotalMilliseconds),
            cancelled = result.Cancelled,
            exitCode = result.ExitCode,
            summary = new
            {
                scenarios = new { passed = result.Passed, failed = result.Failed, skipped = result.Skipped, error = result.Errors },
                rules = new
                {
                    pass = result.Count(RuleVerdict.Pass),
                    fail = result.Count(RuleVerdict.Fail),
                    error = result.Count(RuleVerdict.Error),
                    nonStrict = result.Count(RuleVerdict.NonStrict),
                    info = result.Count(RuleVerdict.Info),
                    skipped = result.Count(RuleVerdict.Skipped),
                    notCovered = result.Count(RuleVerdict.NotCovered),
                },
            },
            suites = result.Catalogues.Select(c => new { suite = c.Suite, title = c.Title, reference = c.Reference, file = c.File, rules = c.Rules.Count }),
            rules = result.Rules.Select(r => new
            {
                id = r.Rule.Id,
                suite = r.Rule.Suite,
                strength = r.Rule.Strength.ToReportString(),
                verdict = r.Verdict.ToReportString(),
                statement = r.Rule.Statement,
                source = r.Rule.Source,
                observable = r.Rule.Observable,
                reason = r.Rule.Reason,
                scenarios = r.Scenarios,
                scenarioIds = r.ScenarioIds,
                evidence = r.Evidence,
                outcomes = r.Outcomes.Select(o => Outcome(o.Outcome, o.ScenarioId)),
            }),
            scenarios = result.Scenarios.Select(s => new
            {
                id = s.Id,
                feature = s.Feature,
                featurePath = s.FeaturePath,
                name = s.Name,
                line = s.Line,
                tags = s.Tags,
                rules = s.RuleIds,
                status = s.Status.ToReportString(),
                executed = s.Executed,
                skipReason = s.SkipReason,
                durationMs = Math.Round(s.Duration.TotalMilliseconds),
                error = s.Error,
                errorKind = s.ErrorKind == ScenarioErrorKind.None ? null : s.ErrorKind.ToString(),
                stackTrace = s.StackTrace,
                seed = s.Seed,
                judgedRules = s.Outcomes.Select(o => o.RuleId).Distinct(StringComparer.Ordinal),
                unjudgedRules = s.UnjudgedRules,
                warnings = s.Warnings.Select(o => Outcome(o, null)),
                outcomes = s.Outcomes.Select(o => Outcome(o, null)),
                rejectedOutcomes = s.RejectedOutcomes.Select(o => Outcome(o, null)),
                steps = s.Steps.Select(st => new
                {
                    keyword = st.Keyword,
                    text = st.Text,
                    line = st.Line,
                    background = st.IsBackground,
                    hook = st.IsHook,
                    status = st.Status.ToReportString(),
                    durationMs = Math.Round(st.Duration.TotalMilliseconds, 1),
                    error = st.Error,
                    stackTrace = st.StackTrace,
                    binding = st.Binding,
                }),
                logs = s.Logs.Select(l => new { atMs = Math.Round(l.At.TotalMilliseconds, 1), message = l.Message }),
                journals = artifacts.JournalsOf(s).Select(j => new
                {
                    sessionId = j.Journal.SessionId,
                    protocol = j.Journal.Protocol,
                    startedAt = j.Journal.StartedAt,
                    labels = j.Journal.Labels,
                    entries = j.Journal.Entries.Count,
                    file = j.RelativePath,
                    findings = j.Journal.Findings.Select(Core.JournalFile.FindingJson),
                    audio = j.Audio.Select(a => new { track = a.Track, sampleRate = a.SampleRate, durationMs = Math.Round(a.Duration.TotalMilliseconds), file = a.RelativePath }),
                }),
                files = artifacts.FilesOf(s).Select(f => new { name = f.File.Name, mediaType = f.File.MediaType, file = f.RelativePath, error = f.Error }),
            }),
        };
        JsonSerializer.Serialize(stream, document, ReportArtifacts.JsonOptions);
    }

    private static object Outcome(RuleOutcome o, string? scenarioId) => new
    {
        scenario = scenarioId,
        rule = o.RuleId,
        outcome = o.Kind.ToReportString(),
        expected = o.Expected,
        actual = o.Actual,
        evidence = o.Evidence,
        message = o.Message,
        step = o.Step,
        stepLine = o.StepLine,
        atMs = Math.Round(o.At.TotalMilliseconds, 1),
    };
}
