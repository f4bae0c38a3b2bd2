using System.Globalization;
using System.Text;
using System.Xml;

namespace ProtocolSim.Conformance.Reports;

/// <summary>junit.xml: a testsuite per feature, a testcase per scenario.</summary>
internal static class JUnitReport
{
    public static void Write(RunResult result, Stream stream)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), CheckCharacters = true };
        using var xml = XmlWriter.Create(stream, settings);
        xml.WriteStartDocument();
        xml.WriteStartElement("testsuites");
        xml.WriteAttributeString("name", ReportText.XmlSafe(result.Title));
        WriteCounts(xml, result.Scenarios);
        xml.WriteAttributeString("time", ReportText.Seconds(result.Duration));
        xml.WriteAttributeString("timestamp", result.Started.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        foreach (var feature in result.Scenarios.GroupBy(s => s.FeaturePath))
        {
            var scenarios = feature.ToList();
            xml.WriteStartElement("testsuite");
            xml.WriteAttributeString("name", ReportText.XmlSafe(scenarios[0].Feature));
            WriteCounts(xml, scenarios);
            xml.WriteAttributeString("time", ReportText.Seconds(TimeSpan.FromTicks(scenarios.Sum(s => s.Duration.Ticks))));
            xml.WriteAttributeString("timestamp", result.Started.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
            xml.WriteAttributeString("file", ReportText.XmlSafe(feature.Key));
            xml.WriteStartElement("properties");
            WriteProperty(xml, "seed", result.Seed.ToString(CultureInfo.InvariantCulture));
            if (result.Target is not null)
            {
                WriteProperty(xml, "target", result.Target);
            }

            if (result.RunLabel is not null)
            {
                WriteProperty(xml, "run", result.RunLabel);
            }

            if (result.TagExpression is not null)
            {
                WriteProperty(xml, "tags", result.TagExpression);
            }

            xml.WriteEndElement();
            foreach (var scenario in scenarios)
            {
                WriteCase(xml, result, scenario);
            }

            xml.WriteEndElement();
        }

        xml.WriteEndElement();
        xml.WriteEndDocument();
    }

    private static void WriteCounts(XmlWriter xml, IReadOnlyCollection<ScenarioResult> scenarios)
    {
        xml.WriteAttributeString("tests", scenarios.Count.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("failures", scenarios.Count(s => s.Status == ScenarioStatus.Failed).ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("errors", scenarios.Count(s => s.Status == ScenarioStatus.Error).ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("skipped", scenarios.Count(s => s.Status == ScenarioStatus.Skipped).ToString(CultureInfo.InvariantCulture));
    }

    private static void WriteProperty(XmlWriter xml, string name, string value)
    {
        xml.WriteStartElement("property");
        xml.WriteAttributeString("name", name);
        xml.WriteAttributeString("value", ReportText.XmlSafe(value));
        xml.WriteEndElement();
    }

    private static void WriteCase(XmlWriter xml, RunResult result, ScenarioResult scenario)
    {
        xml.WriteStartElement("testcase");
        xml.WriteAttributeString("classname", ReportText.XmlSafe(scenario.Feature));
        xml.WriteAttributeString("name", ReportText.XmlSafe(scenario.Name));
        xml.WriteAttributeString("time", ReportText.Seconds(scenario.Duration));
        xml.WriteAttributeString("file", ReportText.XmlSafe(scenario.FeaturePath));
        xml.WriteAttributeString("line", scenario.Line.ToString(CultureInfo.InvariantCulture));
        var rules = result.Rules.ToDictionary(r => r.Rule.Id, r => r.Rule, StringComparer.Ordinal);
        if (scenario.Status is ScenarioStatus.Failed or ScenarioStatus.Error)
        {
            // JUnit's own distinction: <failure> for what the client did, <error> for the harness's defect.
            var harness = scenario.Status == ScenarioStatus.Error;
            var failures = scenario.Outcomes.Where(o => o.Kind == OutcomeKind.Fail && !scenario.Warnings.Contains(o)).ToList();
            string message;
            if (failures.Count > 0 && !harness)
            {
                var first = failures[0];
                message = $"{first.RuleId}: expected {first.Expected} but saw {first.Actual}";
                if (failures.Count > 1)
                {
                    message += string.Create(CultureInfo.InvariantCulture, $" (+{failures.Count - 1} more)");
                }
            }
            else
            {
                message = scenario.Error ?? "failed";
            }

            var details = new StringBuilder();
            foreach (var outcome in failures)
            {
                rules.TryGetValue(outcome.RuleId, out var rule);
                details.Append(CultureInfo.InvariantCulture, $"{outcome.RuleId} ({rule?.Strength.ToReportString() ?? "?"}): {rule?.Statement}\n");
                details.Append(CultureInfo.InvariantCulture, $"  expected: {outcome.Expected}\n  actual:   {outcome.Actual}\n");
                if (outcome.Evidence is not null)
                {
                    details.Append(CultureInfo.InvariantCulture, $"  evidence: {outcome.Evidence}\n");
                }

                if (outcome.Step is not null)
                {
                    details.Append(CultureInfo.InvariantCulture, $"  step:     {outcome.Step}{(outcome.StepLine is { } l ? $" (line {l})" : string.Empty)}\n");
                }
            }

            if (scenario.Error is not null)
            {
                details.Append(CultureInfo.InvariantCulture, $"harness error ({scenario.ErrorKind}): {scenario.Error}\n");
            }

            if (scenario.StackTrace is not null)
            {
                details.Append(scenario.StackTrace).Append('\n');
            }

            foreach (var line in ReportText.JournalExcerpt(scenario, failures))
            {
                details.Append(line).Append('\n');
            }

            xml.WriteStartElement(harness ? "error" : "failure");
            xml.WriteAttributeString("message", ReportText.XmlSafe(ReportText.Truncate(message, 1000)));
            xml.WriteAttributeString("type", harness ? $"harness-{scenario.ErrorKind.ToString().ToLowerInvariant()}" : "rule-violation");
            xml.WriteString(ReportText.XmlSafe(details.ToString()));
            xml.WriteEndElement();
        }
        else if (scenario.Status == ScenarioStatus.Skipped)
        {
            xml.WriteStartElement("skipped");
            xml.WriteAttributeString("message", ReportText.XmlSafe(scenario.SkipReason ?? "skipped"));
            xml.WriteEndElement();
        }

        var output = new StringBuilder();
        foreach (var warning in scenario.Warnings)
        {
            rules.TryGetValue(warning.RuleId, out var rule);
            var verdict = rule?.Strength == RuleStrength.Should ? RuleVerdict.NonStrict : RuleVerdict.Info;
            output.Append(CultureInfo.InvariantCulture, $"{verdict.ToReportString()} {warning.RuleId}: {warning.Describe()}\n");
        }

        if (scenario.Status == ScenarioStatus.Passed && scenario.SkipReason is not null)
        {
            output.Append(CultureInfo.InvariantCulture, $"note: {scenario.SkipReason}\n");
        }

        foreach (var log in scenario.Logs)
        {
            output.Append(CultureInfo.InvariantCulture, $"[{log.At.TotalSeconds,7:0.000} s] {log.Message}\n");
        }

        if (output.Length > 0)
        {
            xml.WriteStartElement("system-out");
            xml.WriteString(ReportText.XmlSafe(output.ToString()));
            xml.WriteEndElement();
        }

        xml.WriteEndElement();
    }
}
