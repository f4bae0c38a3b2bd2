using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using ProtocolSim.Core;

namespace ProtocolSim.Conformance.Reports;

/// <summary>Text helpers shared by the reports.</summary>
internal static partial class ReportText
{
    /// <summary>Text longer than this is shown truncated, with its full length stated.</summary>
    public const int MaxShownText = 4096;

    /// <summary>Replaces characters XML 1.0 cannot carry (control characters, lone surrogates) with a visible \uXXXX.</summary>
    public static string XmlSafe(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                sb?.Append(c).Append(text[i + 1]);
                i++;
                continue;
            }

            if (XmlConvert.IsXmlChar(c))
            {
                sb?.Append(c);
                continue;
            }

            sb ??= new StringBuilder(text, 0, i, text.Length + 16);
            sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
        }

        return sb?.ToString() ?? text;
    }

    /// <summary>Text cut to <see cref="MaxShownText"/> characters with the full length stated.</summary>
    public static string Truncate(string text, int max = MaxShownText) =>
        text.Length <= max
            ? text
            : string.Create(CultureInfo.InvariantCulture, $"{text[..max]}\n… (truncated: {max:N0} of {text.Length:N0} characters shown)");

    public static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    public static string Arrow(Direction direction) => direction switch
    {
        Direction.FromClient => "→",
        Direction.ToClient => "←",
        _ => "•",
    };

    public static string DirectionTitle(Direction direction) => direction switch
    {
        Direction.FromClient => "client under test → fake",
        Direction.ToClient => "fake → client under test",
        _ => "note from the fake",
    };

    /// <summary>Journal entries around the ones a failure points at (findings of the rule, or "#N" in the evidence), else the last few.</summary>
    public static IEnumerable<string> JournalExcerpt(ScenarioResult scenario, IEnumerable<RuleOutcome> failures, int context = 3, int tail = 8)
    {
        var failureList = failures.ToList();
        foreach (var journal in scenario.Journals)
        {
            var entries = journal.Entries;
            if (entries.Count == 0)
            {
                continue;
            }

            var focus = new HashSet<long>();
            foreach (var outcome in failureList)
            {
                foreach (var finding in journal.FindingsFor(outcome.RuleId))
                {
                    if (finding.EntrySeq is { } seq)
                    {
                        focus.Add(seq);
                    }
                }

                foreach (Match m in EntryReference().Matches(outcome.Evidence ?? string.Empty))
                {
                    focus.Add(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                }
            }

            var shown = focus.Count > 0
                ? entries.Where(e => focus.Any(f => Math.Abs(e.Seq - f) <= context)).ToList()
                : entries.Skip(Math.Max(0, entries.Count - tail)).ToList();
            yield return $"journal {journal.SessionId} ({journal.Protocol}, {entries.Count} entries):";
            foreach (var e in shown)
            {
                var mark = focus.Contains(e.Seq) ? ">>" : "  ";
                yield return string.Create(CultureInfo.InvariantCulture, $"{mark} #{e.Seq,-5} {e.Offset.TotalMilliseconds,8:0} ms {Arrow(e.Direction)} {e.Kind,-6} {e.Summary}");
            }
        }
    }

    /// <summary>"journal #12": an evidence string pointing at a journal entry.</summary>
    [GeneratedRegex(@"#(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex EntryReference();
}
