using System.Text;
using Reqnroll;
using Reqnroll.Bindings;

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

    /// <summary>The feature as Reqnroll's runtime knows it (one instance, shared by the feature's scenarios), with its Cucumber messages.</summary>
    public required FeatureInfo Info { get; init; }
}

/// <summary>One runnable scenario: a pickle (a Scenario, or one example row of a Scenario Outline).</summary>
internal sealed class ScenarioDefinition
{
    public required FeatureDefinition Feature { get; init; }

    public required string Name { get; init; }

    public required int Line { get; init; }

    /// <summary>Every tag that applies (feature, rule, scenario, examples), with '@'.</summary>
    public required IReadOnlyList<string> Tags { get; init; }

    /// <summary>Rule ids (without '@') the scenario tags, in tag order.</summary>
    public required IReadOnlyList<string> RuleIds { get; init; }

    public required IReadOnlyList<ScenarioStep> Steps { get; init; }

    /// <summary>What Reqnroll's runtime is told about the scenario: a fresh <see cref="Reqnroll.ScenarioInfo"/> per execution.</summary>
    public required Func<Reqnroll.ScenarioInfo> CreateInfo { get; init; }

    /// <summary>The Gherkin Rule the scenario is under, or null.</summary>
    public RuleInfo? Rule { get; init; }

    public string Id => $"{Feature.DisplayPath}:{Line}";

    public bool IsSerial => Tags.Contains("@serial", StringComparer.OrdinalIgnoreCase);

    public string Slug => Slugs.Make($"{Path.ChangeExtension(Feature.DisplayPath, null)}-{Line}-{Name}", 80);
}

/// <summary>One step of a scenario (Background steps included), as Reqnroll's runner is asked to execute it.</summary>
internal sealed class ScenarioStep
{
    /// <summary>The keyword as written, with its trailing space (e.g. <c>"And "</c>).</summary>
    public required string Keyword { get; init; }

    /// <summary>The keyword's kind (And/But as such: Reqnroll resolves them to the block they continue).</summary>
    public required StepDefinitionKeyword KeywordType { get; init; }

    /// <summary>Given, When or Then: what the step definition must answer to.</summary>
    public required StepDefinitionType DefinitionType { get; init; }

    public required string Text { get; init; }

    public required int Line { get; init; }

    public required bool IsBackground { get; init; }

    /// <summary>Data table rows (the first is the header), or null.</summary>
    public IReadOnlyList<string[]>? Table { get; init; }

    public string? DocString { get; init; }

    public string Display => $"{Keyword.Trim()} {Text}";

    /// <summary>A fresh table per execution, so a step that adds rows cannot leak into another scenario.</summary>
    public Table? CreateTable()
    {
        if (Table is null)
        {
            return null;
        }

        var table = new Table(Table[0]);
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
