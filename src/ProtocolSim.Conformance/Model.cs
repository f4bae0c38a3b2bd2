using System.Text;

namespace ProtocolSim.Conformance;

/// <summary>A loaded .feature file.</summary>
internal sealed class FeatureDefinition
{
    public required string FullPath { get; init; }

    /// <summary>Path relative to the parent of the loaded directory, with '/', e.g. <c>knowlarity/greeting.feature</c>.</summary>
    public required string DisplayPath { get; init; }

    public required string Name { get; init; }

    public string? Description { get; init; }

    public RuleCatalogue? Catalogue { get; init; }
}

/// <summary>One runnable scenario: a Scenario, or one example row of a Scenario Outline.</summary>
internal sealed class ScenarioDefinition
{
    public required FeatureDefinition Feature { get; init; }

    public required string Name { get; init; }

    public required int Line { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Rule ids (without '@') the scenario tags, in tag order.</summary>
    public required IReadOnlyList<string> RuleIds { get; init; }

    public required IReadOnlyList<ScenarioStep> Steps { get; init; }

    public string Id => $"{Feature.DisplayPath}:{Line}";

    public bool IsSerial => Tags.Contains("@serial", StringComparer.OrdinalIgnoreCase);

    public string Slug => Slugs.Make($"{Path.ChangeExtension(Feature.DisplayPath, null)}-{Line}-{Name}", 80);
}

/// <summary>One step of a scenario (Background steps included), bound to its definition.</summary>
internal sealed class ScenarioStep
{
    public required string Keyword { get; init; }

    public required StepKeyword KeywordType { get; init; }

    public required string Text { get; init; }

    public required int Line { get; init; }

    public required bool IsBackground { get; init; }

    /// <summary>Data table rows (the first is the header), or null.</summary>
    public IReadOnlyList<string[]>? Table { get; init; }

    public string? DocString { get; init; }

    public StepMatch? Match { get; set; }

    public StepArgumentKind ArgumentKind => Table is not null ? StepArgumentKind.DataTable : DocString is not null ? StepArgumentKind.DocString : StepArgumentKind.None;

    public string Display => $"{Keyword.Trim()} {Text}";

    /// <summary>A fresh table per execution, so a step that adds rows cannot leak into another scenario.</summary>
    public DataTable? CreateTable()
    {
        if (Table is null)
        {
            return null;
        }

        var table = new DataTable(Table[0]);
        foreach (var row in Table.Skip(1))
        {
            table.AddRow(row);
        }

        return table;
    }
}

/// <summary>File-name-safe slugs.</summary>
internal static class Slugs
{
    public static string Make(string text, int maxLength = 60)
    {
        var sb = new StringBuilder(text.Length);
        var dash = false;
        foreach (var c in text)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                sb.Append(char.ToLowerInvariant(c));
                dash = false;
            }
            else if (!dash && sb.Length > 0)
            {
                sb.Append('-');
                dash = true;
            }
        }

        var slug = sb.ToString().TrimEnd('-');
        if (slug.Length > maxLength)
        {
            slug = slug[..maxLength].TrimEnd('-');
        }

        return slug.Length == 0 ? "x" : slug;
    }
}
