using System.Text.RegularExpressions;
using Gherkin;
using Gherkin.Pickles;
using Ast = Gherkin.Ast;

namespace ProtocolSim.Conformance;

/// <summary>A scenario as loaded, for listing (the CLI, dry runs).</summary>
public sealed record ScenarioInfo(string Id, string Feature, string FeaturePath, string Name, int Line, IReadOnlyList<string> Tags, IReadOnlyList<string> RuleIds);

/// <summary>
/// What <see cref="ConformanceRunner.Load"/> found: catalogues, scenarios and every error at once. Loading never throws
/// for bad input; a caller exits with 2 when <see cref="Success"/> is false.
/// </summary>
public sealed class LoadResult
{
    internal LoadResult(
        IReadOnlyList<LoadError> errors,
        IReadOnlyList<RuleCatalogue> catalogues,
        IReadOnlyList<FeatureDefinition> features,
        IReadOnlyList<ScenarioDefinition> scenarios,
        BindingRegistry? registry)
    {
        Errors = errors;
        Catalogues = catalogues;
        FeatureDefinitions = features;
        ScenarioDefinitions = scenarios;
        Registry = registry;
        Scenarios = scenarios.Select(s => new ScenarioInfo(s.Id, s.Feature.Name, s.Feature.DisplayPath, s.Name, s.Line, s.Tags, s.RuleIds)).ToList();
    }

    /// <summary>Every problem found, in discovery order.</summary>
    public IReadOnlyList<LoadError> Errors { get; }

    public bool Success => Errors.Count == 0;

    /// <summary>The rule catalogues of the loaded suites, in load order.</summary>
    public IReadOnlyList<RuleCatalogue> Catalogues { get; }

    /// <summary>Every runnable scenario (outline examples expanded), in file order.</summary>
    public IReadOnlyList<ScenarioInfo> Scenarios { get; }

    /// <summary>Full paths of the loaded .feature files.</summary>
    public IReadOnlyList<string> FeatureFiles => FeatureDefinitions.Select(f => f.FullPath).ToList();

    internal IReadOnlyList<FeatureDefinition> FeatureDefinitions { get; }

    internal IReadOnlyList<ScenarioDefinition> ScenarioDefinitions { get; }

    internal BindingRegistry? Registry { get; }
}

/// <summary>Finds feature files and catalogues, parses and validates them, and binds steps.</summary>
internal static partial class FeatureLoader
{
    public const string CatalogueFileName = "rules.yaml";

    public static LoadResult Load(IReadOnlyList<string> paths, IEnumerable<Type>? bindingTypes)
    {
        var errors = new List<LoadError>();
        var registry = bindingTypes is null ? null : BindingRegistry.Build(bindingTypes, errors);
        var (files, catalogueFiles) = Discover(paths, errors);
        var catalogues = new CatalogueSet(errors);
        foreach (var catalogueFile in catalogueFiles)
        {
            catalogues.Get(catalogueFile);
        }

        var features = new List<FeatureDefinition>();
        var scenarios = new List<ScenarioDefinition>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, root, display) in files)
        {
            var catalogue = catalogues.For(file, root);
            if (registry is null)
            {
                // Catalogue-only load (protosim rules): features are not parsed, but each needs a catalogue.
                if (catalogue is null)
                {
                    errors.Add(NoCatalogue(display, 0, file));
                }

                continue;
            }

            var feature = ParseFeature(file, display, catalogue, errors, reported, registry, scenarios);
            if (feature is not null)
            {
                features.Add(feature);
            }
        }

        return new LoadResult(errors, catalogues.All, features, scenarios, registry);
    }

    private static (List<(string File, string Root, string Display)> Features, List<string> Catalogues) Discover(IReadOnlyList<string> paths, List<LoadError> errors)
    {
        var result = new List<(string, string, string)>();
        var catalogues = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (File.Exists(full))
            {
                if (!full.EndsWith(".feature", StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add(new LoadError { Kind = LoadErrorKind.Path, File = path, Message = "not a .feature file or a directory" });
                    continue;
                }

                var dir = Path.GetDirectoryName(full)!;
                if (seen.Add(full))
                {
                    result.Add((full, dir, Display(full, dir)));
                }
            }
            else if (Directory.Exists(full))
            {
                var found = Directory.EnumerateFiles(full, "*.feature", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();

                // Every catalogue under the directory counts, even one no feature uses yet (its rules are NOT-COVERED).
                var rules = Directory.EnumerateFiles(full, CatalogueFileName, SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                catalogues.AddRange(rules);
                if (found.Count == 0 && rules.Count == 0)
                {
                    errors.Add(new LoadError { Kind = LoadErrorKind.Path, File = path, Message = $"no .feature files or {CatalogueFileName} in this directory or below" });
                }

                foreach (var file in found.Where(seen.Add))
                {
                    result.Add((file, full, Display(file, full)));
                }
            }
            else
            {
                errors.Add(new LoadError { Kind = LoadErrorKind.Path, File = path, Message = "no such file or directory" });
            }
        }

        return (result, catalogues);
    }

    private static string Display(string file, string rootDirectory)
    {
        var parent = Path.GetDirectoryName(rootDirectory.TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)) ?? rootDirectory;
        return Path.GetRelativePath(parent, file).Replace('\\', '/');
    }

    private static FeatureDefinition? ParseFeature(
        string file,
        string display,
        RuleCatalogue? catalogue,
        List<LoadError> errors,
        HashSet<string> reported,
        BindingRegistry? registry,
        List<ScenarioDefinition> scenarios)
    {
        Ast.GherkinDocument document;
        try
        {
            using var reader = new StreamReader(file);
            document = new Parser().Parse(reader);
        }
        catch (CompositeParserException ex)
        {
            foreach (var inner in ex.Errors)
            {
                errors.Add(GherkinError(display, inner));
            }

            return null;
        }
        catch (ParserException ex)
        {
            errors.Add(GherkinError(display, ex));
            return null;
        }
        catch (IOException ex)
        {
            errors.Add(new LoadError { Kind = LoadErrorKind.Path, File = display, Message = $"cannot read: {ex.Message}" });
            return null;
        }

        if (document.Feature is null)
        {
            return null;
        }

        var feature = new FeatureDefinition
        {
            FullPath = file,
            DisplayPath = display,
            Name = document.Feature.Name?.Trim() ?? Path.GetFileNameWithoutExtension(file),
            Description = document.Feature.Description?.Trim(),
            Catalogue = catalogue,
        };
        if (catalogue is null)
        {
            errors.Add(NoCatalogue(display, document.Feature.Location.Line, file));
        }

        var dialect = new GherkinDialectProvider("en").GetDialect(document.Feature.Language ?? "en", document.Feature.Location);
        var astSteps = new Dictionary<int, (Ast.Step Step, bool Background)>();
        var examples = new Dictionary<int, (Ast.ScenarioOutline Outline, Ast.TableRow Header, Ast.TableRow Row)>();
        foreach (var child in document.Feature.Children)
        {
            foreach (var step in child.Steps)
            {
                astSteps[step.Location.Line] = (step, child is Ast.Background);
            }

            if (child is Ast.ScenarioOutline outline)
            {
                foreach (var block in outline.Examples.Where(e => e.TableHeader is not null))
                {
                    foreach (var row in block.TableBody ?? [])
                    {
                        examples[row.Location.Line] = (outline, block.TableHeader, row);
                    }
                }
            }
        }

        List<Pickle> pickles;
        try
        {
            pickles = new Compiler().Compile(document);
        }
        catch (ParserException ex)
        {
            errors.Add(GherkinError(display, ex));
            return null;
        }

        foreach (var pickle in pickles)
        {
            var line = pickle.Locations.First().Line;
            var name = pickle.Name?.Trim() ?? string.Empty;
            if (examples.TryGetValue(line, out var example) && string.Equals(name, example.Outline.Name?.Trim(), StringComparison.Ordinal))
            {
                // The outline's name has no <placeholders>: name the example by its values so each reads apart.
                var values = example.Header.Cells.Zip(example.Row.Cells, (h, v) => $"{h.Value}: {v.Value}");
                name = $"{name} ({string.Join(", ", values)})";
            }

            var tags = pickle.Tags.Select(t => t.Name).Distinct(StringComparer.Ordinal).ToList();
            var ruleIds = new List<string>();
            foreach (var tag in pickle.Tags)
            {
                if (!LooksLikeRuleTag().IsMatch(tag.Name))
                {
                    continue;
                }

                var id = tag.Name[1..];
                var rule = catalogue?.Find(id);
                if (catalogue is not null && rule is null)
                {
                    Report(errors, reported, new LoadError
                    {
                        Kind = LoadErrorKind.Tag,
                        File = display,
                        Line = tag.Location.Line,
                        Column = tag.Location.Column,
                        Message = $"tag {tag.Name} looks like a rule id but suite '{catalogue.Suite}' ({Path.GetFileName(catalogue.File)}) has no rule {id}",
                    });
                    continue;
                }

                if (rule is { Observable: false })
                {
                    Report(errors, reported, new LoadError
                    {
                        Kind = LoadErrorKind.Tag,
                        File = display,
                        Line = tag.Location.Line,
                        Column = tag.Location.Column,
                        Message = $"scenario '{name}' tags {tag.Name}, which is not observable ({rule.Reason}); no scenario can judge it",
                    });
                    continue;
                }

                if (!ruleIds.Contains(id, StringComparer.Ordinal))
                {
                    ruleIds.Add(id);
                }
            }

            var steps = new List<ScenarioStep>();
            StepKeyword? previous = null;
            foreach (var pickleStep in pickle.Steps)
            {
                var stepLine = pickleStep.Locations.Last().Line;
                astSteps.TryGetValue(stepLine, out var ast);
                var keyword = ast.Step?.Keyword ?? "* ";
                var type = Classify(dialect, keyword, previous);
                previous = type;
                var argument = pickleStep.Arguments.FirstOrDefault();
                var step = new ScenarioStep
                {
                    Keyword = keyword,
                    KeywordType = type,
                    Text = pickleStep.Text,
                    Line = stepLine,
                    IsBackground = ast.Background,
                    Table = argument is PickleTable table ? table.Rows.Select(r => r.Cells.Select(c => c.Value).ToArray()).ToList() : null,
                    DocString = argument is PickleString doc ? doc.Content : null,
                };
                if (step.Table is { } rows && rows[0].Distinct(StringComparer.Ordinal).Count() != rows[0].Length)
                {
                    Report(errors, reported, new LoadError { Kind = LoadErrorKind.Gherkin, File = display, Line = stepLine + 1, Message = "the data table's header names a column twice" });
                    continue;
                }

                if (registry is not null)
                {
                    Bind(step, registry, display, errors, reported);
                }

                steps.Add(step);
            }

            scenarios.Add(new ScenarioDefinition
            {
                Feature = feature,
                Name = name,
                Line = line,
                Tags = tags,
                RuleIds = ruleIds,
                Steps = steps,
            });
        }

        return feature;
    }

    private static void Bind(ScenarioStep step, BindingRegistry registry, string display, List<LoadError> errors, HashSet<string> reported)
    {
        var matches = registry.Match(step.KeywordType, step.Text);
        if (matches.Count > 1)
        {
            // Several attributes of one method, or bindings whose signature cannot take this step's argument.
            var fitting = matches.Where(m => m.Binding.Accepts == step.ArgumentKind).ToList();
            if (fitting.Count > 0)
            {
                matches = fitting;
            }

            if (matches.Select(m => m.Binding.Method).Distinct().Count() == 1)
            {
                matches = [matches[0]];
            }
        }

        switch (matches.Count)
        {
            case 0:
                Report(errors, reported, new LoadError
                {
                    Kind = LoadErrorKind.UndefinedStep,
                    File = display,
                    Line = step.Line,
                    Message = $"undefined step: {step.Display}",
                    Snippet = SnippetGenerator.Create(step.KeywordType, step.Text, step.ArgumentKind),
                });
                return;
            case 1:
                var match = matches[0];
                if (match.Binding.Accepts != step.ArgumentKind)
                {
                    Report(errors, reported, new LoadError
                    {
                        Kind = LoadErrorKind.Binding,
                        File = display,
                        Line = step.Line,
                        Message = $"step '{step.Display}' has {Describe(step.ArgumentKind)} but {match.Binding.Describe()} takes {Describe(match.Binding.Accepts)}",
                    });
                    return;
                }

                step.Match = match;
                return;
            default:
                Report(errors, reported, new LoadError
                {
                    Kind = LoadErrorKind.AmbiguousStep,
                    File = display,
                    Line = step.Line,
                    Message = $"ambiguous step: {step.Display} matches {matches.Count} bindings:\n      " + string.Join("\n      ", matches.Select(m => m.Binding.Describe())),
                });
                return;
        }
    }

    private static LoadError NoCatalogue(string display, int line, string file) => new()
    {
        Kind = LoadErrorKind.Tag,
        File = display,
        Line = line,
        Message = $"no {CatalogueFileName} for this feature: every feature belongs to a suite; put the suite's catalogue in {Path.GetDirectoryName(file)}",
    };

    private static string Describe(StepArgumentKind kind) => kind switch
    {
        StepArgumentKind.DataTable => "a data table",
        StepArgumentKind.DocString => "a doc string",
        _ => "no table or doc string",
    };

    private static StepKeyword Classify(GherkinDialect dialect, string keyword, StepKeyword? previous)
    {
        bool In(string[] list) => list.Contains(keyword, StringComparer.Ordinal);
        if (In(dialect.AndStepKeywords) || In(dialect.ButStepKeywords) || keyword.Trim() == "*")
        {
            return previous ?? StepKeyword.Given;
        }

        if (In(dialect.GivenStepKeywords))
        {
            return StepKeyword.Given;
        }

        return In(dialect.WhenStepKeywords) ? StepKeyword.When : In(dialect.ThenStepKeywords) ? StepKeyword.Then : previous ?? StepKeyword.Given;
    }

    private static LoadError GherkinError(string display, ParserException ex)
    {
        // Gherkin prefixes messages with "(line:column): ", which the location already says.
        var message = GherkinLocationPrefix().Replace(ex.Message, string.Empty);
        return new LoadError
        {
            Kind = LoadErrorKind.Gherkin,
            File = display,
            Line = ex.Location?.Line ?? 0,
            Column = ex.Location?.Column ?? 0,
            Message = $"Gherkin syntax error: {message}",
        };
    }

    private static void Report(List<LoadError> errors, HashSet<string> reported, LoadError error)
    {
        if (reported.Add($"{error.Kind}|{error.File}|{error.Line}|{error.Column}|{error.Message}"))
        {
            errors.Add(error);
        }
    }

    [GeneratedRegex(@"^@[A-Z]+-\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex LooksLikeRuleTag();

    [GeneratedRegex(@"^\(\d+:\d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex GherkinLocationPrefix();

    /// <summary>Loads each rules.yaml once; a feature belongs to the nearest one at or above its directory, within the loaded root.</summary>
    private sealed class CatalogueSet(List<LoadError> errors)
    {
        private readonly Dictionary<string, RuleCatalogue?> _byFile = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _suiteFiles = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Rule> _ruleIds = new(StringComparer.Ordinal);

        public List<RuleCatalogue> All { get; } = [];

        public RuleCatalogue? For(string featureFile, string root)
        {
            var dir = Path.GetDirectoryName(featureFile)!;
            while (true)
            {
                var candidate = Path.Combine(dir, CatalogueFileName);
                if (File.Exists(candidate))
                {
                    return Get(candidate);
                }

                if (string.Equals(dir, root, StringComparison.Ordinal) || Path.GetDirectoryName(dir) is not { } parent || !parent.StartsWith(root, StringComparison.Ordinal))
                {
                    return null;
                }

                dir = parent;
            }
        }

        public RuleCatalogue? Get(string file)
        {
            if (_byFile.TryGetValue(file, out var known))
            {
                return known;
            }

            var catalogue = RuleCatalogue.Load(file, errors);
            _byFile[file] = catalogue;
            if (catalogue is null)
            {
                return null;
            }

            if (catalogue.Suite.Length > 0 && !_suiteFiles.TryAdd(catalogue.Suite, file))
            {
                errors.Add(new LoadError { Kind = LoadErrorKind.Catalogue, File = file, Line = 1, Message = $"suite id '{catalogue.Suite}' is also used by {_suiteFiles[catalogue.Suite]}" });
            }

            foreach (var rule in catalogue.Rules)
            {
                if (!_ruleIds.TryAdd(rule.Id, rule))
                {
                    var first = _ruleIds[rule.Id];
                    errors.Add(new LoadError { Kind = LoadErrorKind.Catalogue, File = file, Line = rule.Line, Message = $"rule id {rule.Id} is also defined by suite '{first.Suite}' ({first.File}:{first.Line})" });
                }
            }

            All.Add(catalogue);
            return catalogue;
        }
    }
}
