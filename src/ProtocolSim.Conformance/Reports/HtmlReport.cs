using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using ProtocolSim.Core;

namespace ProtocolSim.Conformance.Reports;

/// <summary>
/// report.html: one self-contained file (inline CSS and JS, no network, works from file://), readable when printed
/// (print CSS and a beforeprint handler expand everything).
/// </summary>
internal static class HtmlReport
{
    /// <summary>Journals longer than this show their first entries only (the .jsonl file has them all).</summary>
    public const int MaxEntriesShown = 2000;

    public static void Write(RunResult result, ReportArtifacts artifacts, Stream stream)
    {
        var sb = new StringBuilder(64 * 1024);
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        sb.Append("<title>").Append(H(result.Title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        WriteHeader(sb, result);
        WriteRules(sb, result);
        WriteScenarios(sb, result, artifacts);
        sb.Append("<script>").Append(Script).Append("</script>\n</body>\n</html>\n");
        var bytes = new UTF8Encoding(false).GetBytes(sb.ToString());
        stream.Write(bytes);
    }

    /// <summary>HTML-escapes text (after replacing characters HTML cannot carry).</summary>
    internal static string H(string? text) => WebUtility.HtmlEncode(ReportText.XmlSafe(text));

    private static string Badge(RuleVerdict verdict) =>
        $"<span class=\"badge v-{verdict.ToReportString().ToLowerInvariant()}\">{verdict.ToReportString()}</span>";

    private static string StatusBadge(ScenarioStatus status) =>
        $"<span class=\"badge s-{status.ToReportString()}\">{status.ToReportString().ToUpperInvariant()}</span>";

    private static string OutcomeBadge(RuleOutcome outcome, bool warning) => outcome.Kind switch
    {
        OutcomeKind.Fail when warning => "<span class=\"badge v-non-strict\">FAIL (warning)</span>",
        OutcomeKind.Fail => "<span class=\"badge v-fail\">FAIL</span>",
        OutcomeKind.Pass => "<span class=\"badge v-pass\">PASS</span>",
        OutcomeKind.Error => "<span class=\"badge v-error\">ERROR</span>",
        _ => "<span class=\"badge v-info\">INFO</span>",
    };

    private static void WriteHeader(StringBuilder sb, RunResult result)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append("<header>\n<h1>").Append(H(result.Title)).Append("</h1>\n<dl class=\"meta\">");
        void Meta(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                sb.Append("<div><dt>").Append(H(name)).Append("</dt><dd>").Append(H(value)).Append("</dd></div>");
            }
        }

        Meta("Run", result.RunLabel);
        Meta("Target", result.Target);
        Meta("Started", result.Started.ToString("yyyy-MM-dd HH:mm:ss 'UTC'zzz", inv));
        Meta("Duration", result.Duration.TotalSeconds.ToString("0.0 's'", inv));
        Meta("Seed", result.Seed.ToString(inv));
        Meta("Tag expression", result.TagExpression);
        Meta("Suites", string.Join(", ", result.Catalogues.Select(c => $"{c.Title} ({c.Suite})")));
        Meta("Exit code", result.ExitCode.ToString(inv) + (result.Cancelled ? " (run cancelled)" : string.Empty));
        sb.Append("</dl>\n<p class=\"overall ").Append(result.ExitCode == 0 ? "ok" : "bad").Append("\">")
            .Append(result.ExitCode == 0 ? "No MUST rule failed." : result.Errors > 0 ? "A scenario ended in a harness error (its rules are unverified), or a MUST rule failed." : "At least one MUST rule failed.")
            .Append("</p>\n<div class=\"counts\"><span>Scenarios:</span>")
            .Append(inv, $"<span class=\"badge s-passed\">{result.Passed} passed</span><span class=\"badge s-failed\">{result.Failed} failed</span><span class=\"badge s-error\">{result.Errors} harness errors</span><span class=\"badge s-skipped\">{result.Skipped} skipped</span>")
            .Append("<span>Rules:</span>");
        foreach (var verdict in Enum.GetValues<RuleVerdict>())
        {
            sb.Append(inv, $"<span class=\"badge v-{verdict.ToReportString().ToLowerInvariant()}\">{result.Count(verdict)} {verdict.ToReportString()}</span>");
        }

        sb.Append("</div>\n</header>\n");
    }

    private static void WriteRules(StringBuilder sb, RunResult result)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append("<main>\n<section id=\"rules\">\n<h2>Rules</h2>\n");
        sb.Append("<div class=\"filters\" role=\"toolbar\" aria-label=\"Show rules by verdict\" data-target=\"rule-table\">");
        sb.Append(inv, $"<button type=\"button\" data-filter=\"all\" aria-pressed=\"true\">All ({result.Rules.Count})</button>");
        foreach (var verdict in Enum.GetValues<RuleVerdict>())
        {
            var name = verdict.ToReportString();
            sb.Append(inv, $"<button type=\"button\" data-filter=\"{name}\" aria-pressed=\"false\" class=\"v-{name.ToLowerInvariant()}\">{name} ({result.Count(verdict)})</button>");
        }

        sb.Append("</div>\n<table id=\"rule-table\" class=\"rules\">\n<thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Strength</th><th scope=\"col\">Statement</th><th scope=\"col\">Source</th><th scope=\"col\">Verdict</th><th scope=\"col\">Evidence</th><th scope=\"col\">Scenarios</th></tr></thead>\n<tbody>\n");
        var slugs = result.Scenarios.ToDictionary(s => s.Id, s => s.Slug, StringComparer.Ordinal);
        foreach (var rule in result.Rules)
        {
            sb.Append(inv, $"<tr id=\"rule-{H(rule.Rule.Id)}\" data-filter-value=\"{rule.Verdict.ToReportString()}\">");
            sb.Append("<td class=\"id\">").Append(H(rule.Rule.Id)).Append("</td>");
            sb.Append("<td>").Append(rule.Rule.Strength.ToReportString()).Append("</td>");
            sb.Append("<td>").Append(H(rule.Rule.Statement)).Append("</td>");
            sb.Append("<td class=\"source\">").Append(H(rule.Rule.Source)).Append("</td>");
            sb.Append("<td>").Append(Badge(rule.Verdict)).Append("</td>");
            sb.Append("<td class=\"evidence\">").Append(H(ReportText.Truncate(rule.Evidence, 1000))).Append("</td><td class=\"scen\">");
            for (var i = 0; i < rule.ScenarioIds.Count; i++)
            {
                sb.Append(inv, $"<a href=\"#s-{slugs[rule.ScenarioIds[i]]}\">{H(rule.Scenarios[i])}</a>");
            }

            sb.Append("</td></tr>\n");
        }

        sb.Append("</tbody>\n</table>\n</section>\n");
    }

    private static void WriteScenarios(StringBuilder sb, RunResult result, ReportArtifacts artifacts)
    {
        var inv = CultureInfo.InvariantCulture;
        var rules = result.Rules.ToDictionary(r => r.Rule.Id, r => r.Rule, StringComparer.Ordinal);
        sb.Append("<section id=\"scenarios\">\n<h2>Scenarios</h2>\n");
        sb.Append("<div class=\"filters\" role=\"toolbar\" aria-label=\"Show scenarios by status\" data-target=\"scenario-list\">");
        sb.Append(inv, $"<button type=\"button\" data-filter=\"all\" aria-pressed=\"true\">All ({result.Scenarios.Count})</button>");
        sb.Append(inv, $"<button type=\"button\" data-filter=\"failed\" aria-pressed=\"false\" class=\"s-failed\">failed ({result.Failed})</button>");
        sb.Append(inv, $"<button type=\"button\" data-filter=\"error\" aria-pressed=\"false\" class=\"s-error\">harness error ({result.Errors})</button>");
        sb.Append(inv, $"<button type=\"button\" data-filter=\"passed\" aria-pressed=\"false\" class=\"s-passed\">passed ({result.Passed})</button>");
        sb.Append(inv, $"<button type=\"button\" data-filter=\"skipped\" aria-pressed=\"false\" class=\"s-skipped\">skipped ({result.Skipped})</button>");
        sb.Append("</div>\n<div id=\"scenario-list\">\n");
        foreach (var s in result.Scenarios)
        {
            var open = s.Status is ScenarioStatus.Failed or ScenarioStatus.Error ? " open" : string.Empty;
            sb.Append(inv, $"<section class=\"scenario\" id=\"s-{s.Slug}\" data-filter-value=\"{s.Status.ToReportString()}\">\n<details{open}>\n<summary>");
            sb.Append(StatusBadge(s.Status)).Append(" <span class=\"sname\">").Append(H(s.Name)).Append("</span> <span class=\"sid\">")
                .Append(H(s.Id)).Append("</span> <span class=\"dur\">").Append(s.Duration.TotalSeconds.ToString("0.0 's'", inv)).Append("</span>");
            if (s.Warnings.Count > 0)
            {
                sb.Append(inv, $" <span class=\"badge v-non-strict\">{s.Warnings.Count} warning(s)</span>");
            }

            sb.Append("</summary>\n<div class=\"sbody\">\n<p class=\"tags\">");
            foreach (var tag in s.Tags)
            {
                var id = tag.TrimStart('@');
                sb.Append(rules.ContainsKey(id) ? $"<a class=\"tag\" href=\"#rule-{H(id)}\">{H(tag)}</a>" : $"<span class=\"tag\">{H(tag)}</span>");
            }

            sb.Append(inv, $" <span class=\"muted\">feature: {H(s.Feature)} · seed {s.Seed}</span></p>\n");
            if (s.Error is not null)
            {
                sb.Append("<div class=\"error\"><strong>Harness error").Append(s.ErrorKind == ScenarioErrorKind.None ? string.Empty : $" ({s.ErrorKind})").Append(":</strong> ").Append(H(s.Error))
                    .Append(" <span class=\"muted\">(a defect of the harness or the suite, not a verdict on the client: the rules it had not judged are ERROR)</span>");
                if (s.StackTrace is not null)
                {
                    sb.Append("<details><summary>stack trace</summary><pre>").Append(H(s.StackTrace)).Append("</pre></details>");
                }

                sb.Append("</div>\n");
            }

            if (s.SkipReason is not null)
            {
                sb.Append("<div class=\"note\"><strong>").Append(s.Status == ScenarioStatus.Skipped ? "Skipped" : "Note").Append(":</strong> ").Append(H(s.SkipReason)).Append("</div>\n");
            }

            WriteSteps(sb, s);
            WriteOutcomes(sb, s, rules);
            if (s.Logs.Count > 0)
            {
                sb.Append("<h4>Log</h4>\n<pre class=\"log\">");
                foreach (var log in s.Logs)
                {
                    sb.Append(inv, $"[{log.At.TotalSeconds,7:0.000} s] ").Append(H(log.Message)).Append('\n');
                }

                sb.Append("</pre>\n");
            }

            var files = artifacts.FilesOf(s);
            if (files.Count > 0)
            {
                sb.Append("<h4>Files</h4>\n<ul class=\"files\">");
                foreach (var f in files)
                {
                    sb.Append("<li>").Append(f.RelativePath is null ? H(f.File.Name) + " (not copied: " + H(f.Error) + ")" : $"<a href=\"{H(f.RelativePath)}\">{H(f.File.Name)}</a>")
                        .Append(" <span class=\"muted\">").Append(H(f.File.MediaType)).Append("</span></li>");
                }

                sb.Append("</ul>\n");
            }

            foreach (var journal in artifacts.JournalsOf(s))
            {
                WriteJournal(sb, s, journal);
            }

            sb.Append("</div>\n</details>\n</section>\n");
        }

        sb.Append("</div>\n</section>\n</main>\n");
    }

    private static void WriteSteps(StringBuilder sb, ScenarioResult s)
    {
        var inv = CultureInfo.InvariantCulture;
        sb.Append("<h4>Steps</h4>\n<ol class=\"steps\">\n");
        foreach (var step in s.Steps)
        {
            var cls = step.Status.ToReportString();
            sb.Append(inv, $"<li class=\"st-{cls}{(step.IsHook ? " hook" : string.Empty)}{(step.IsBackground ? " bg" : string.Empty)}\">");
            sb.Append("<span class=\"kw\">").Append(H(step.Keyword)).Append("</span> ").Append(H(step.Text));
            if (step.Line > 0)
            {
                sb.Append(inv, $" <span class=\"muted\">line {step.Line}{(step.IsBackground ? ", background" : string.Empty)}</span>");
            }

            sb.Append(inv, $" <span class=\"st\">{cls}</span>");
            if (step.Status != StepStatus.NotRun)
            {
                sb.Append(inv, $" <span class=\"muted\">{step.Duration.TotalMilliseconds:0} ms</span>");
            }

            if (step.Error is not null)
            {
                sb.Append("<div class=\"sterr\">").Append(H(step.Error)).Append("</div>");
                if (step.StackTrace is not null && step.StackTrace != s.StackTrace)
                {
                    sb.Append("<details><summary>stack trace</summary><pre>").Append(H(step.StackTrace)).Append("</pre></details>");
                }
            }

            sb.Append("</li>\n");
        }

        sb.Append("</ol>\n");
    }

    private static void WriteOutcomes(StringBuilder sb, ScenarioResult s, Dictionary<string, Rule> rules)
    {
        if (s.Outcomes.Count == 0 && s.RejectedOutcomes.Count == 0 && s.UnjudgedRules.Count == 0)
        {
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        sb.Append("<h4>Rule outcomes</h4>\n<table class=\"outcomes\"><thead><tr><th scope=\"col\">Rule</th><th scope=\"col\">Outcome</th><th scope=\"col\">Expected</th><th scope=\"col\">Actual / message</th><th scope=\"col\">Evidence</th><th scope=\"col\">Step</th></tr></thead><tbody>\n");
        void Row(RuleOutcome o, string badge, string cls)
        {
            rules.TryGetValue(o.RuleId, out var rule);
            sb.Append(inv, $"<tr class=\"{cls}\"><td class=\"id\" title=\"{H(rule?.Statement)}\">{H(o.RuleId)}{(rule is null ? string.Empty : $" <span class=\"muted\">{rule.Strength.ToReportString()}</span>")}</td><td>{badge}</td>");
            sb.Append(inv, $"<td>{H(o.Expected)}</td><td>{H(o.Actual ?? o.Message)}</td><td>{H(o.Evidence)}</td><td class=\"muted\">{H(o.Step)}{(o.StepLine is { } l ? $" (line {l})" : string.Empty)}</td></tr>\n");
        }

        foreach (var o in s.Outcomes)
        {
            Row(o, OutcomeBadge(o, s.Warnings.Contains(o)), string.Empty);
        }

        foreach (var o in s.RejectedOutcomes)
        {
            Row(o, "<span class=\"badge v-fail\">NOT TAGGED</span>", "rejected");
        }

        foreach (var id in s.UnjudgedRules)
        {
            sb.Append(inv, $"<tr class=\"unjudged\"><td class=\"id\">{H(id)}</td><td><span class=\"badge v-skipped\">NOT JUDGED</span></td><td colspan=\"4\" class=\"muted\">{H(s.SkipReason ?? "the scenario did not run")}</td></tr>\n");
        }

        sb.Append("</tbody></table>\n");
    }

    private static void WriteJournal(StringBuilder sb, ScenarioResult s, JournalArtifact artifact)
    {
        var inv = CultureInfo.InvariantCulture;
        var journal = artifact.Journal;
        var entries = journal.Entries;
        var findings = journal.Findings;
        var anchor = $"j-{s.Slug}-{artifact.Slug}";
        sb.Append(inv, $"<div class=\"journal\" id=\"{anchor}\">\n<h4>Journal {H(journal.SessionId)} <span class=\"muted\">{H(journal.Protocol)} · started {journal.StartedAt:HH:mm:ss.fff} · {entries.Count} entries · {findings.Count} finding(s)</span></h4>\n");
        if (journal.Labels.Count > 0)
        {
            sb.Append("<p class=\"labels\">");
            foreach (var label in journal.Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                sb.Append("<span class=\"label\">").Append(H(label.Key)).Append(": ").Append(H(label.Value)).Append("</span> ");
            }

            sb.Append("</p>\n");
        }

        if (artifact.RelativePath is not null)
        {
            sb.Append("<p class=\"muted\">Whole journal: <a href=\"").Append(H(artifact.RelativePath)).Append("\">").Append(H(artifact.RelativePath)).Append("</a></p>\n");
        }

        if (findings.Count > 0)
        {
            sb.Append("<ul class=\"findings\">\n");
            foreach (var f in findings)
            {
                sb.Append("<li><span class=\"badge v-fail\">").Append(H(f.RuleId ?? "finding")).Append("</span> ")
                    .Append(inv, $"<span class=\"off\">{f.Offset.TotalMilliseconds:0} ms</span> ").Append(H(f.Message));
                if (f.Expected is not null || f.Actual is not null)
                {
                    sb.Append(" <span class=\"muted\">expected ").Append(H(f.Expected)).Append(", actual ").Append(H(f.Actual)).Append("</span>");
                }

                if (f.EntrySeq is { } seq)
                {
                    sb.Append(inv, $" <a href=\"#{anchor}-{seq}\">#{seq}</a>");
                }

                sb.Append("</li>\n");
            }

            sb.Append("</ul>\n");
        }

        foreach (var audio in artifact.Audio)
        {
            sb.Append("<figure class=\"audio\"><figcaption>Audio track <strong>").Append(H(audio.Track)).Append("</strong>")
                .Append(inv, $" <span class=\"muted\">{audio.Duration.TotalSeconds:0.0} s · {audio.SampleRate} Hz</span>");
            if (audio.RelativePath is not null)
            {
                sb.Append(" <a href=\"").Append(H(audio.RelativePath)).Append("\">").Append(H(audio.RelativePath)).Append("</a>");
            }

            sb.Append("</figcaption>");
            if (journal.Audio.GetValueOrDefault(audio.Track) is { } captured)
            {
                WriteWaveform(sb, captured);
            }

            if (audio.EmbedBase64 is not null)
            {
                sb.Append("<audio controls preload=\"none\" src=\"data:audio/wav;base64,").Append(audio.EmbedBase64).Append("\"></audio>");
            }
            else if (audio.RelativePath is not null)
            {
                sb.Append("<audio controls preload=\"none\" src=\"").Append(H(audio.RelativePath)).Append("\"></audio>");
            }

            if (audio.Note is not null)
            {
                sb.Append("<p class=\"note\">").Append(H(audio.Note)).Append("</p>");
            }

            sb.Append("</figure>\n");
        }

        if (entries.Count == 0)
        {
            sb.Append("<p class=\"muted\">No entries.</p>\n</div>\n");
            return;
        }

        var bySeq = findings.Where(f => f.EntrySeq is not null).ToLookup(f => f.EntrySeq!.Value);
        sb.Append("<p class=\"legend muted\">→ client under test to fake · ← fake to client under test · • note</p>\n<div class=\"timeline\">\n");
        foreach (var e in entries.Take(MaxEntriesShown))
        {
            var hits = bySeq[e.Seq].ToList();
            sb.Append(inv, $"<details class=\"entry{(hits.Count > 0 ? " finding" : string.Empty)}{(e.Kind == FrameKind.Error ? " err" : string.Empty)}\" id=\"{anchor}-{e.Seq}\"><summary>");
            sb.Append(inv, $"<span class=\"seq\">#{e.Seq}</span><span class=\"off\">{e.Offset.TotalMilliseconds:0} ms</span>");
            sb.Append(inv, $"<span class=\"dir\" title=\"{ReportText.DirectionTitle(e.Direction)}\">{ReportText.Arrow(e.Direction)}</span><span class=\"kind\">{e.Kind}</span>");
            sb.Append("<span class=\"sum\">").Append(H(e.Summary)).Append("</span>");
            foreach (var hit in hits)
            {
                sb.Append(" <span class=\"badge v-fail\" title=\"").Append(H(hit.Message)).Append("\">").Append(H(hit.RuleId ?? "finding")).Append("</span>");
            }

            sb.Append("</summary><div class=\"ebody\">");
            sb.Append(inv, $"<p class=\"muted\">{e.Time:HH:mm:ss.fff} · {e.Length:N0} bytes on the wire{(e.AudioTrack is null ? string.Empty : $" · audio {H(e.AudioTrack)} at {e.AudioOffset?.TotalMilliseconds:0} ms")}</p>");
            foreach (var hit in hits)
            {
                sb.Append("<p class=\"error\">").Append(H(hit.RuleId ?? "finding")).Append(": ").Append(H(hit.Message));
                if (hit.Expected is not null || hit.Actual is not null)
                {
                    sb.Append(" — expected ").Append(H(hit.Expected)).Append(", actual ").Append(H(hit.Actual));
                }

                sb.Append("</p>");
            }

            if (EntryText.PrettyJson(e, Redactor.None) is { } json)
            {
                // From the redacted text: Parsed is the message as it arrived, secrets included.
                sb.Append("<pre class=\"json\">").Append(H(ReportText.Truncate(json))).Append("</pre>");
            }
            else if (e.Text is not null)
            {
                sb.Append("<pre class=\"text\">").Append(H(ReportText.Truncate(e.Text))).Append("</pre>");
            }

            if (e.Bytes is { Length: > 0 } bytes)
            {
                sb.Append("<pre class=\"hex\">").Append(H(HexDump.Format(bytes.Span))).Append("</pre>");
            }

            sb.Append("</div></details>\n");
        }

        sb.Append("</div>\n");
        if (entries.Count > MaxEntriesShown)
        {
            sb.Append(inv, $"<p class=\"note\">Showing the first {MaxEntriesShown:N0} of {entries.Count:N0} entries; the whole journal is in {H(artifact.RelativePath ?? "the journal file")}.</p>\n");
        }

        sb.Append("</div>\n");
    }

    /// <summary>The track's waveform as inline SVG: it needs no script, and it prints.</summary>
    private static void WriteWaveform(StringBuilder sb, AudioTrack track)
    {
        const int Width = 600, Height = 48;
        var (min, max) = track.Peaks(Width);
        if (min.Length == 0)
        {
            return;
        }

        var inv = CultureInfo.InvariantCulture;
        sb.Append(inv, $"<svg class=\"wave\" viewBox=\"0 0 {Width} {Height}\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"Waveform of the {H(track.Name)} audio\"><path d=\"");
        for (var x = 0; x < min.Length; x++)
        {
            var top = (Height / 2.0) - (max[x] * Height / 2.0);
            var bottom = Math.Max(top + 0.5, (Height / 2.0) - (min[x] * Height / 2.0));
            sb.Append(inv, $"M{x * (double)Width / min.Length:0.#} {top:0.#}V{bottom:0.#}");
        }

        sb.Append("\"/></svg>");
    }

    private const string Css = """

:root { --pass:#1a7f37; --fail:#cf222e; --warn:#bc4c00; --info:#0969da; --skip:#6e7781; --nc:#8250df; --err:#6639ba; --bg:#fff; --fg:#1f2328; --muted:#59636e; --line:#d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0 auto; max-width: 1400px; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 .6rem; } h2 { margin-top: 2rem; border-bottom: 1px solid var(--line); } h4 { margin: 1rem 0 .4rem; }
.meta { display: flex; flex-wrap: wrap; gap: .3rem 1.5rem; margin: 0; } .meta div { display: flex; gap: .4rem; } .meta dt { color: var(--muted); } .meta dd { margin: 0; font-weight: 600; }
.overall { font-weight: 600; } .overall.ok { color: var(--pass); } .overall.bad { color: var(--fail); }
.counts { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
.badge { display: inline-block; padding: .05rem .45rem; border-radius: 1rem; font-size: .78rem; font-weight: 700; color: #fff; background: var(--skip); white-space: nowrap; }
.v-pass, .s-passed { background: var(--pass); } .v-fail, .s-failed { background: var(--fail); } .v-error, .s-error { background: var(--err); } .v-non-strict { background: var(--warn); } .v-info { background: var(--info); } .v-skipped, .s-skipped { background: var(--skip); } .v-not-covered { background: var(--nc); }
.filters { display: flex; flex-wrap: wrap; gap: .4rem; margin: .6rem 0; }
.filters button { --c: var(--fg); font: inherit; font-size: .85rem; font-weight: 600; padding: .25rem .7rem; border-radius: 1rem; border: 2px solid var(--c); background: #fff; color: var(--c); cursor: pointer; }
.filters button.v-pass, .filters button.s-passed { --c: var(--pass); } .filters button.v-fail, .filters button.s-failed { --c: var(--fail); } .filters button.v-error, .filters button.s-error { --c: var(--err); } .filters button.v-non-strict { --c: var(--warn); }
.filters button.v-info { --c: var(--info); } .filters button.v-skipped, .filters button.s-skipped { --c: var(--skip); } .filters button.v-not-covered { --c: var(--nc); }
.filters button[aria-pressed="true"] { background: var(--c); color: #fff; }
.filters button:focus-visible { outline: 3px solid var(--info); outline-offset: 2px; }
table { border-collapse: collapse; width: 100%; } th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; } th { background: #f6f8fa; }
td.id { font-family: ui-monospace, Consolas, monospace; white-space: nowrap; } td.source, .muted { color: var(--muted); } td.evidence { font-size: .88rem; max-width: 30rem; overflow-wrap: anywhere; }
td.scen a { display: block; } .hidden { display: none; }
.scenario { border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; } .scenario > details > summary { padding: .5rem .7rem; cursor: pointer; } .sbody { padding: 0 .9rem .8rem; }
.sname { font-weight: 600; } .sid { font-family: ui-monospace, Consolas, monospace; color: var(--muted); font-size: .85rem; } .dur { color: var(--muted); }
.tag { font-family: ui-monospace, Consolas, monospace; font-size: .82rem; background: #eef1f4; padding: 0 .35rem; border-radius: 4px; margin-right: .3rem; text-decoration: none; color: var(--fg); }
.error { background: #ffebe9; border-left: 4px solid var(--fail); padding: .4rem .6rem; margin: .4rem 0; overflow-wrap: anywhere; }
.note { background: #fff8c5; border-left: 4px solid #d4a72c; padding: .4rem .6rem; margin: .4rem 0; }
.steps { padding-left: 1.6rem; } .steps li { margin: .15rem 0; } .kw { font-weight: 700; } .st { font-size: .75rem; text-transform: uppercase; color: var(--muted); }
.st-passed .st { color: var(--pass); } .st-failed { color: var(--fail); } .st-error { color: var(--err); } .st-inconclusive .st { color: var(--warn); } .st-not-run { color: var(--muted); } .hook { font-style: italic; } .sterr { font-family: ui-monospace, Consolas, monospace; font-size: .85rem; white-space: pre-wrap; }
tr.rejected td { background: #ffebe9; } pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f8fa; padding: .5rem; border-radius: 4px; font-size: .82rem; margin: .3rem 0; }
.journal { border-top: 1px dashed var(--line); margin-top: .8rem; } .label { font-size: .82rem; background: #eef1f4; border-radius: 4px; padding: 0 .35rem; }
.findings { padding-left: 1.2rem; } .timeline { font-family: ui-monospace, Consolas, monospace; font-size: .82rem; }
.entry > summary { cursor: pointer; padding: .05rem .3rem; list-style-position: outside; } .entry:nth-child(odd) > summary { background: #fafbfc; }
.entry.finding > summary { background: #ffebe9; border-left: 4px solid var(--fail); } .entry.err > summary { color: var(--fail); }
.seq { display: inline-block; min-width: 4rem; color: var(--muted); } .off { display: inline-block; min-width: 6rem; text-align: right; margin-right: .6rem; } .dir { display: inline-block; width: 1.5rem; text-align: center; font-weight: 700; } .kind { display: inline-block; min-width: 4.5rem; color: var(--info); }
.ebody { padding: .2rem 0 .4rem 2rem; } figure.audio { margin: .5rem 0; } audio { width: 100%; max-width: 40rem; display: block; }
svg.wave { display: block; width: 100%; max-width: 40rem; height: 48px; background: #f6f8fa; border-radius: 4px; margin: .2rem 0; } svg.wave path { stroke: var(--info); stroke-width: 1.2; vector-effect: non-scaling-stroke; }
@page { margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 9pt; }
  table.rules { table-layout: fixed; } table.rules th:nth-child(1) { width: 11%; } table.rules th:nth-child(2) { width: 11%; } table.rules th:nth-child(3) { width: 25%; }
  table.rules th:nth-child(4) { width: 10%; } table.rules th:nth-child(5) { width: 13%; } table.rules th:nth-child(6) { width: 18%; } table.rules th:nth-child(7) { width: 12%; }
  td { overflow-wrap: anywhere; } .badge { white-space: normal; overflow-wrap: normal; } td.id { white-space: normal; }
  .filters, audio { display: none !important; }
  .hidden { display: revert !important; } tr.hidden { display: table-row !important; } section.hidden { display: block !important; }
  details > summary { list-style: none; } details > summary::-webkit-details-marker { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  details:not([open]) > *:not(summary) { display: block; }
  .scenario { break-inside: auto; } tr, .entry { break-inside: avoid; } a { color: inherit; text-decoration: none; }
  pre { background: none; border: 1px solid var(--line); }
}

""";

    private const string Script = """

(function () {
  'use strict';
  document.querySelectorAll('.filters').forEach(function (bar) {
    var target = document.getElementById(bar.getAttribute('data-target'));
    if (!target) { return; }
    var buttons = Array.prototype.slice.call(bar.querySelectorAll('button'));
    function apply(value) {
      buttons.forEach(function (b) { b.setAttribute('aria-pressed', String(b.getAttribute('data-filter') === value)); });
      target.querySelectorAll('[data-filter-value]').forEach(function (row) {
        row.classList.toggle('hidden', value !== 'all' && row.getAttribute('data-filter-value') !== value);
      });
    }
    buttons.forEach(function (b, i) {
      b.addEventListener('click', function () {
        var value = b.getAttribute('data-filter');
        apply(b.getAttribute('aria-pressed') === 'true' && value !== 'all' ? 'all' : value);
      });
      b.addEventListener('keydown', function (e) {
        var next = e.key === 'ArrowRight' ? i + 1 : e.key === 'ArrowLeft' ? i - 1 : -1;
        if (next >= 0 && next < buttons.length) { buttons[next].focus(); e.preventDefault(); }
      });
    });
  });
  var opened = [];
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details:not([open])').forEach(function (d) { d.open = true; opened.push(d); });
  });
  window.addEventListener('afterprint', function () {
    opened.forEach(function (d) { d.open = false; }); opened = [];
  });
  function reveal() {
    var el = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === 'DETAILS') { p.open = true; }
      if (p.classList && p.classList.contains('hidden')) { p.classList.remove('hidden'); }
    }
    if (el) { el.scrollIntoView(); }
  }
  window.addEventListener('hashchange', reveal);
  reveal();
})();

""";
}
