using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProtocolSim.Conformance;

/// <summary>One rule of a suite's catalogue.</summary>
public sealed record Rule
{
    /// <summary>E.g. <c>KVS-001</c>.</summary>
    public required string Id { get; init; }

    public required string Statement { get; init; }

    public required RuleStrength Strength { get; init; }

    /// <summary>Where the rule comes from, e.g. "003-V ch.4 Issue 8".</summary>
    public required string Source { get; init; }

    /// <summary>Whether the rule can be judged from the wire; unobservable rules are always NOT-COVERED.</summary>
    public bool Observable { get; init; } = true;

    /// <summary>Why an unobservable rule cannot be judged.</summary>
    public string? Reason { get; init; }

    /// <summary>Id of the suite whose catalogue defines the rule.</summary>
    public required string Suite { get; init; }

    /// <summary>The rules.yaml the rule was read from.</summary>
    public string? File { get; init; }

    /// <summary>Line of the rule's entry in <see cref="File"/>.</summary>
    public int Line { get; init; }
}

/// <summary>The rule catalogue of one suite (<c>features/&lt;system&gt;/rules.yaml</c>).</summary>
public sealed partial class RuleCatalogue
{
    private static readonly string[] TopKeys = ["suite", "title", "reference", "rules"];
    private static readonly string[] RuleKeys = ["id", "statement", "strength", "source", "observable", "reason"];
    private readonly Dictionary<string, Rule> _byId;

    public RuleCatalogue(string suite, string title, string? reference, string file, IReadOnlyList<Rule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Suite = suite;
        Title = title;
        Reference = reference;
        File = file;
        Rules = rules;
        _byId = new Dictionary<string, Rule>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            _byId.TryAdd(rule.Id, rule);
        }
    }

    /// <summary>Id of the suite, e.g. <c>knowlarity-voice</c>.</summary>
    public string Suite { get; }

    public string Title { get; }

    /// <summary>The protocol reference document (informational).</summary>
    public string? Reference { get; }

    /// <summary>Full path of the rules.yaml.</summary>
    public string File { get; }

    /// <summary>The rules in file order.</summary>
    public IReadOnlyList<Rule> Rules { get; }

    public Rule? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>
    /// Reads and validates a rules.yaml, adding every problem to <paramref name="errors"/> (file, line, what is wrong).
    /// Returns the catalogue of the valid rules, or null when the file cannot be read as a catalogue at all.
    /// </summary>
    public static RuleCatalogue? Load(string path, IList<LoadError> errors)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(errors);
        var full = Path.GetFullPath(path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(full);
            stream.Load(reader);
        }
        catch (YamlException ex)
        {
            errors.Add(Error(path, ex.Start, $"YAML syntax error: {ex.Message}"));
            return null;
        }
        catch (IOException ex)
        {
            errors.Add(new LoadError { Kind = LoadErrorKind.Catalogue, File = path, Message = $"cannot read: {ex.Message}" });
            return null;
        }
        catch (UnauthorizedAccessException ex)
        {
            errors.Add(new LoadError { Kind = LoadErrorKind.Catalogue, File = path, Message = $"cannot read: {ex.Message}" });
            return null;
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(new LoadError { Kind = LoadErrorKind.Catalogue, File = path, Line = 1, Message = "expected a mapping with 'suite', 'title' and 'rules'" });
            return null;
        }

        CheckKeys(path, root, TopKeys, "the catalogue", errors);
        var suite = Scalar(root, "suite");
        if (string.IsNullOrWhiteSpace(suite?.Value))
        {
            errors.Add(Error(path, suite?.Start ?? root.Start, "'suite' (the suite id) is missing or empty"));
        }

        var suiteId = suite?.Value?.Trim() ?? string.Empty;
        var title = Scalar(root, "title")?.Value?.Trim();
        var reference = Scalar(root, "reference")?.Value?.Trim();
        var rules = new List<Rule>();
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        root.Children.TryGetValue(new YamlScalarNode("rules"), out var rulesNode);
        if (rulesNode is not YamlSequenceNode sequence)
        {
            errors.Add(Error(path, rulesNode?.Start ?? root.Start, "'rules' is missing or is not a list"));
            return new RuleCatalogue(suiteId, string.IsNullOrEmpty(title) ? suiteId : title, reference, full, rules);
        }

        foreach (var item in sequence.Children)
        {
            if (item is not YamlMappingNode entry)
            {
                errors.Add(Error(path, item.Start, "a rule must be a mapping with id, statement, strength and source"));
                continue;
            }

            var rule = ReadRule(path, full, suiteId, entry, errors);
            if (rule is null)
            {
                continue;
            }

            if (seen.TryGetValue(rule.Id, out var firstLine))
            {
                errors.Add(Error(path, entry.Start, $"duplicate rule id {rule.Id} (first defined on line {firstLine})"));
                continue;
            }

            seen.Add(rule.Id, rule.Line);
            rules.Add(rule);
        }

        return new RuleCatalogue(suiteId, string.IsNullOrEmpty(title) ? suiteId : title, reference, full, rules);
    }

    internal static bool IsRuleId(string id) => RuleIdPattern().IsMatch(id);

    private static Rule? ReadRule(string path, string full, string suite, YamlMappingNode entry, IList<LoadError> errors)
    {
        var before = errors.Count;
        CheckKeys(path, entry, RuleKeys, "a rule", errors);
        var idNode = Scalar(entry, "id");
        var id = idNode?.Value?.Trim() ?? string.Empty;
        var label = id.Length > 0 ? $"rule {id}" : "rule";
        if (id.Length == 0)
        {
            errors.Add(Error(path, entry.Start, "rule has no 'id'"));
        }
        else if (!IsRuleId(id))
        {
            errors.Add(Error(path, idNode!.Start, $"rule id '{id}' does not match ^[A-Z]+-\\d{{3}}$ (e.g. KVS-001)"));
        }

        var statement = Scalar(entry, "statement");
        if (string.IsNullOrWhiteSpace(statement?.Value))
        {
            errors.Add(Error(path, statement?.Start ?? entry.Start, $"{label}: 'statement' is missing or empty"));
        }

        var source = Scalar(entry, "source");
        if (string.IsNullOrWhiteSpace(source?.Value))
        {
            errors.Add(Error(path, source?.Start ?? entry.Start, $"{label}: 'source' is missing or empty"));
        }

        var strengthNode = Scalar(entry, "strength");
        if (!ConformanceNames.TryParseStrength(strengthNode?.Value?.Trim(), out var strength))
        {
            errors.Add(Error(path, strengthNode?.Start ?? entry.Start, strengthNode is null
                ? $"{label}: 'strength' is missing (MUST, SHOULD or MAY)"
                : $"{label}: strength '{strengthNode.Value}' is not MUST, SHOULD or MAY"));
        }

        var observable = true;
        var observableNode = Scalar(entry, "observable");
        if (observableNode is not null)
        {
            switch (observableNode.Value?.Trim().ToUpperInvariant())
            {
                case "TRUE" or "YES":
                    observable = true;
                    break;
                case "FALSE" or "NO":
                    observable = false;
                    break;
                default:
                    errors.Add(Error(path, observableNode.Start, $"{label}: 'observable' must be true or false, not '{observableNode.Value}'"));
                    break;
            }
        }

        var reason = Scalar(entry, "reason")?.Value?.Trim();
        if (!observable && string.IsNullOrEmpty(reason))
        {
            errors.Add(Error(path, observableNode!.Start, $"{label}: 'reason' is required when observable is false (why it cannot be judged from the wire)"));
        }

        if (errors.Count != before)
        {
            return null;
        }

        return new Rule
        {
            Id = id,
            Statement = statement!.Value!.Trim(),
            Strength = strength,
            Source = source!.Value!.Trim(),
            Observable = observable,
            Reason = string.IsNullOrEmpty(reason) ? null : reason,
            Suite = suite,
            File = full,
            Line = (int)entry.Start.Line,
        };
    }

    private static void CheckKeys(string path, YamlMappingNode node, string[] allowed, string what, IList<LoadError> errors)
    {
        foreach (var key in node.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: { } name } || !allowed.Contains(name, StringComparer.Ordinal))
            {
                errors.Add(Error(path, key.Start, $"unknown key '{(key as YamlScalarNode)?.Value ?? key.ToString()}' in {what} (allowed: {string.Join(", ", allowed)})"));
            }
        }
    }

    private static YamlScalarNode? Scalar(YamlMappingNode node, string key)
    {
        node.Children.TryGetValue(new YamlScalarNode(key), out var value);
        return value as YamlScalarNode;
    }

    private static LoadError Error(string path, Mark mark, string message) => new()
    {
        Kind = LoadErrorKind.Catalogue,
        File = path,
        Line = (int)mark.Line,
        Column = (int)mark.Column,
        Message = message,
    };

    [GeneratedRegex(@"^[A-Z]+-\d{3}$", RegexOptions.CultureInvariant)]
    private static partial Regex RuleIdPattern();
}
