using System.Collections.Specialized;
using System.Globalization;
using System.Text.RegularExpressions;
using Gherkin;
using Gherkin.CucumberMessages;
using Gherkin.CucumberMessages.Pickles;
using Io.Cucumber.Messages.Types;
using Reqnroll;
using Reqnroll.Bindings;
using Reqnroll.BindingSkeletons;
using Reqnroll.Infrastructure;
using Messages = Io.Cucumber.Messages.Types;

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
        ReqnrollSession? session)
    {
        Errors = errors;
        Catalogues = catalogues;
        FeatureDefinitions = features;
        ScenarioDefinitions = scenarios;
        Session = session;
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

    /// <summary>The bindings the scenarios were matched against (null for a catalogue-only load).</summary>
    internal ReqnrollSession? Session { get; }
}

/// <summary>
/// Finds feature files and catalogues, parses them with Gherkin into Cucumber messages (the pickles Reqnroll's runtime
/// and formatters work on), validates tags against the catalogues and matches every step with Reqnroll's own step
/// matcher, so an undefined, ambiguous or ill-fitting step is a load error with file and line, before anything runs.
/// </summary>
internal static partial class FeatureLoader
{
    public const string CatalogueFileName = "rules.yaml";

    /// <summary>
    /// The language Reqnroll is told the features are in: it names keywords in snippets and traces after it. Step
    /// arguments convert with the invariant culture whatever it is (the runtime's binding culture).
    /// </summary>
    internal static readonly CultureInfo FeatureLanguage = CultureInfo.GetCultureInfo("en-US");

    public static LoadResult Load(IReadOnlyList<string> paths, ReqnrollSession? session)
    {
        var errors = new List<LoadError>();
        var (files, catalogueFiles) = Discover(paths, errors);
        var catalogues = new CatalogueSet(errors);
        foreach (var catalogueFile in catalogueFiles)
        {
            catalogues.Get(catalogueFile);
        }

        var features = new List<FeatureDefinition>();
        var scenarios = new List<ScenarioDefinition>();
        var reported = new HashSet<string>(StringComparer.Ordinal);
        using var matcher = session is null ? null : StepMatcher.Start(session, errors);
        foreach (var (file, root, display) in files)
        {
            var catalogue = catalogues.For(file, root);
            if (session is null)
            {
                // Catalogue-only load (protosim rules): features are not parsed, but each needs a catalogue.
                if (catalogue is null)
                {
                    errors.Add(NoCatalogue(display, 0, file));
                }

                continue;
            }

            var feature = ParseFeature(file, display, catalogue, errors, reported, matcher, scenarios);
            if (feature is not null)
            {
                features.Add(feature);
            }
        }

        return new LoadResult(errors, catalogues.All, features, scenarios, session);
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

    // Over ~100 lines on purpose: a validating parser of a feature file that collects every error at once, checks in the order the document gives them.
    private static FeatureDefinition? ParseFeature(
        string file,
        string display,
        RuleCatalogue? catalogue,
        List<LoadError> errors,
        HashSet<string> reported,
        StepMatcher? matcher,
        List<ScenarioDefinition> scenarios)
    {
        string text;
        Gherkin.Ast.GherkinDocument ast;
        try
        {
            text = File.ReadAllText(file);
            ast = new Parser().Parse(new StringReader(text));
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

        if (ast.Feature is null)
        {
            return null;
        }

        // Ids are the feature's path and a counter: unique across the run and the same in every run.
        var ids = new PathIdGenerator(display);
        GherkinDocument document;
        List<Pickle> pickles;
        try
        {
            document = new AstMessagesConverter(ids).ConvertGherkinDocumentToEventArgs(ast, display);
            pickles = new PickleCompiler(ids).Compile(document);
        }
        catch (ParserException ex)
        {
            errors.Add(GherkinError(display, ex));
            return null;
        }

        var gherkinFeature = document.Feature;
        var featureTags = gherkinFeature.Tags.Select(t => t.Name[1..]).ToArray();
        var info = new FeatureInfo(
            FeatureLanguage,
            Path.GetDirectoryName(display)?.Replace('\\', '/') ?? string.Empty,
            gherkinFeature.Name?.Trim() ?? Path.GetFileNameWithoutExtension(file),
            gherkinFeature.Description?.Trim(),
            ProgrammingLanguage.CSharp,
            featureTags,
            new FeatureMessages(new Source(display, text, SourceMediaType.TEXT_X_CUCUMBER_GHERKIN_PLAIN), document, pickles));
        var feature = new FeatureDefinition
        {
            FullPath = file,
            DisplayPath = display,
            Name = info.Title,
            Description = info.Description,
            Catalogue = catalogue,
            Info = info,
        };
        if (catalogue is null)
        {
            errors.Add(NoCatalogue(display, (int)gherkinFeature.Location.Line, file));
        }

        var nodes = new GherkinNodes(gherkinFeature);
        for (var index = 0; index < pickles.Count; index++)
        {
            var pickle = pickles[index];
            var (scenarioNode, rule) = nodes.Scenarios[pickle.AstNodeIds[0]];
            var example = pickle.AstNodeIds.Count > 1 ? nodes.Rows[pickle.AstNodeIds[1]] : default;
            var line = (int)(example.Row?.Location ?? scenarioNode.Location).Line;
            var name = pickle.Name?.Trim() ?? string.Empty;
            if (example.Row is not null && string.Equals(name, scenarioNode.Name?.Trim(), StringComparison.Ordinal))
            {
                // The outline's name has no <placeholders>: name the example by its values so each reads apart.
                var values = example.Header!.Cells.Zip(example.Row.Cells, (h, v) => $"{h.Value}: {v.Value}");
                name = $"{name} ({string.Join(", ", values)})";
            }

            var tags = pickle.Tags.Select(t => t.Name).Distinct(StringComparer.Ordinal).ToList();
            var ruleIds = RuleIdsOf(pickle, name, nodes, catalogue, display, errors, reported);
            var steps = new List<ScenarioStep>();
            var previous = StepDefinitionType.Given;
            foreach (var pickleStep in pickle.Steps)
            {
                var (astStep, isBackground) = nodes.Steps[pickleStep.AstNodeIds[0]];
                var (keywordType, definitionType) = Classify(nodes.Dialect, astStep, previous);
                previous = definitionType;
                var step = new ScenarioStep
                {
                    Keyword = astStep.Keyword,
                    KeywordType = keywordType,
                    DefinitionType = definitionType,
                    Text = pickleStep.Text,
                    Line = (int)astStep.Location.Line,
                    IsBackground = isBackground,
                    Table = pickleStep.Argument?.DataTable is { } table ? table.Rows.Select(r => r.Cells.Select(c => c.Value).ToArray()).ToList() : null,
                    DocString = pickleStep.Argument?.DocString?.Content,
                };
                if (step.Table is { } rows && rows[0].Distinct(StringComparer.Ordinal).Count() != rows[0].Length)
                {
                    Report(errors, reported, new LoadError { Kind = LoadErrorKind.Gherkin, File = display, Line = step.Line + 1, Message = "the data table's header names a column twice" });
                    continue;
                }

                matcher?.Check(step, info, name, tags, display, errors, reported);
                steps.Add(step);
            }

            string[] ruleTags = rule is null ? [] : [.. rule.Tags.Select(t => t.Name[1..])];
            var inherited = rule is null ? featureTags : [.. featureTags, .. ruleTags];
            var own = pickle.Tags.Select(t => t.Name[1..]).Except(inherited, StringComparer.Ordinal).ToArray();
            var arguments = example.Row is null ? null : example.Header!.Cells.Zip(example.Row.Cells).ToList();
            var pickleIndex = index.ToString(CultureInfo.InvariantCulture);
            var description = scenarioNode.Description?.Trim();
            scenarios.Add(new ScenarioDefinition
            {
                Feature = feature,
                Name = name,
                Line = line,
                Tags = tags,
                RuleIds = ruleIds,
                Steps = steps,
                Rule = rule is null ? null : new RuleInfo(rule.Name, rule.Description?.Trim(), ruleTags),
                CreateInfo = () =>
                {
                    var values = new OrderedDictionary();
                    foreach (var (header, value) in arguments ?? [])
                    {
                        values[header.Value] = value.Value;
                    }

                    return new Reqnroll.ScenarioInfo(name, description, own, values, inherited, pickleIndex);
                },
            });
        }

        return feature;
    }

    private static List<string> RuleIdsOf(Pickle pickle, string name, GherkinNodes nodes, RuleCatalogue? catalogue, string display, List<LoadError> errors, HashSet<string> reported)
    {
        var ruleIds = new List<string>();
        foreach (var tag in pickle.Tags)
        {
            if (!LooksLikeRuleTag().IsMatch(tag.Name))
            {
                continue;
            }

            var location = nodes.Tags[tag.AstNodeId].Location;
            var id = tag.Name[1..];
            var rule = catalogue?.Find(id);
            if (catalogue is not null && rule is null)
            {
                Report(errors, reported, new LoadError
                {
                    Kind = LoadErrorKind.Tag,
                    File = display,
                    Line = (int)location.Line,
                    Column = (int)(location.Column ?? 0),
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
                    Line = (int)location.Line,
                    Column = (int)(location.Column ?? 0),
                    Message = $"scenario '{name}' tags {tag.Name}, which is not observable ({rule.Reason}); no scenario can judge it",
                });
                continue;
            }

            if (!ruleIds.Contains(id, StringComparer.Ordinal))
            {
                ruleIds.Add(id);
            }
        }

        return ruleIds;
    }

    /// <summary>The keyword as Reqnroll's runner takes it, and the Given/When/Then it stands for (And, But and * continue the previous one).</summary>
    private static (StepDefinitionKeyword Keyword, StepDefinitionType Type) Classify(GherkinDialect dialect, Messages.Step step, StepDefinitionType previous) => step.KeywordType switch
    {
        Messages.StepKeywordType.CONTEXT => (StepDefinitionKeyword.Given, StepDefinitionType.Given),
        Messages.StepKeywordType.ACTION => (StepDefinitionKeyword.When, StepDefinitionType.When),
        Messages.StepKeywordType.OUTCOME => (StepDefinitionKeyword.Then, StepDefinitionType.Then),
        _ when dialect.ButStepKeywords.Contains(step.Keyword, StringComparer.Ordinal) && step.Keyword.Trim() != "*" => (StepDefinitionKeyword.But, previous),
        _ => (StepDefinitionKeyword.And, previous),
    };

    private static LoadError NoCatalogue(string display, int line, string file) => new()
    {
        Kind = LoadErrorKind.Tag,
        File = display,
        Line = line,
        Message = $"no {CatalogueFileName} for this feature: every feature belongs to a suite; put the suite's catalogue in {Path.GetDirectoryName(file)}",
    };

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

    /// <summary>The document's scenarios, example rows, steps and tags by id, as the pickles refer to them.</summary>
    private sealed class GherkinNodes
    {
        public GherkinNodes(Messages.Feature feature)
        {
            Dialect = new GherkinDialectProvider("en").GetDialect(string.IsNullOrEmpty(feature.Language) ? "en" : feature.Language, null);
            AddTags(feature.Tags);
            foreach (var child in feature.Children)
            {
                Add(child.Background, child.Scenario, null);
                if (child.Rule is { } rule)
                {
                    AddTags(rule.Tags);
                    foreach (var ruleChild in rule.Children)
                    {
                        Add(ruleChild.Background, ruleChild.Scenario, rule);
                    }
                }
            }
        }

        public GherkinDialect Dialect { get; }

        public Dictionary<string, (Messages.Scenario Scenario, Messages.Rule? Rule)> Scenarios { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (TableRow? Header, TableRow? Row)> Rows { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, (Messages.Step Step, bool Background)> Steps { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Tag> Tags { get; } = new(StringComparer.Ordinal);

        private void Add(Background? background, Messages.Scenario? scenario, Messages.Rule? rule)
        {
            foreach (var step in background?.Steps ?? [])
            {
                Steps[step.Id] = (step, true);
            }

            if (scenario is null)
            {
                return;
            }

            Scenarios[scenario.Id] = (scenario, rule);
            AddTags(scenario.Tags);
            foreach (var step in scenario.Steps)
            {
                Steps[step.Id] = (step, false);
            }

            foreach (var examples in scenario.Examples)
            {
                AddTags(examples.Tags);
                foreach (var row in examples.TableBody)
                {
                    Rows[row.Id] = (examples.TableHeader, row);
                }
            }
        }

        private void AddTags(IEnumerable<Tag> tags)
        {
            foreach (var tag in tags)
            {
                Tags[tag.Id] = tag;
            }
        }
    }

    /// <summary>Message ids made of the feature's path and a counter.</summary>
    private sealed class PathIdGenerator(string path) : IIdGenerator
    {
        private int _next;

        public string GetNewId() => string.Create(CultureInfo.InvariantCulture, $"{path}#{_next++}");

        public void Reset() => _next = 0;
    }

    /// <summary>
    /// Reqnroll's step matcher and snippet generator over the session's bindings (a Reqnroll runtime of its own, torn
    /// down after the load): what the runner will do with each step, decided before anything runs.
    /// </summary>
    private sealed class StepMatcher : IDisposable
    {
        private readonly ITestRunnerManager _manager;
        private readonly ITestRunner _runner;
        private readonly IStepDefinitionMatchService _matches;
        private readonly IStepDefinitionSkeletonProvider _snippets;

        /// <summary>An invalid step definition fails every match in Reqnroll: the bindings are reported, the steps not.</summary>
        private bool _broken;

        /// <summary>Reqnroll names the snippet's keyword from the culture's Gherkin dialect (the invariant culture has none).</summary>
        private static readonly CultureInfo SnippetCulture = FeatureLanguage;

        private StepMatcher(ITestRunnerManager manager, ITestRunner runner)
        {
            _manager = manager;
            _runner = runner;
            var container = runner.TestThreadContext.TestThreadContainer;
            _matches = container.Resolve<IStepDefinitionMatchService>();
            _snippets = container.Resolve<IStepDefinitionSkeletonProvider>();
        }

        public static StepMatcher Start(ReqnrollSession session, List<LoadError> errors)
        {
            var manager = session.Start();
            var runner = manager.GetTestRunner();
            var registry = runner.TestThreadContext.TestThreadContainer.Resolve<IBindingRegistry>();
            var broken = false;
            foreach (var error in registry.GetErrorMessages())
            {
                errors.Add(new LoadError { Kind = LoadErrorKind.Binding, File = "bindings", Message = $"{error.Type}: {error.Message}" });
                broken = true;
            }

            return new StepMatcher(manager, runner) { _broken = broken };
        }

        public void Check(ScenarioStep step, FeatureInfo feature, string scenario, IReadOnlyList<string> tags, string display, List<LoadError> errors, HashSet<string> reported)
        {
            if (_broken)
            {
                return;
            }

            var context = new StepContext(feature.Title, scenario, tags.Select(t => t.TrimStart('@')), feature.Language);
            var instance = new StepInstance(step.DefinitionType, step.KeywordType, step.Keyword, step.Text, step.DocString, step.CreateTable(), context);
            BindingMatch match;
            StepDefinitionAmbiguityReason reason;
            List<BindingMatch> candidates;
            try
            {
                match = _matches.GetBestMatch(instance, CultureInfo.InvariantCulture, out reason, out candidates);
            }
            catch (BindingException ex)
            {
                // An invalid step definition (say, an expression naming an unknown parameter type) fails every match.
                Report(errors, reported, new LoadError { Kind = LoadErrorKind.Binding, File = "bindings", Message = ex.Message.ReplaceLineEndings(" ") });
                return;
            }

            if (match.Success && _matches.Match(match.StepBinding, instance, CultureInfo.InvariantCulture).Success)
            {
                return;
            }

            if (match.Success)
            {
                // Reqnroll takes a lone candidate whose parameters do not fit and fails the step when it runs: say so now.
                (reason, candidates) = (StepDefinitionAmbiguityReason.None, [match]);
            }

            var extra = step.Table is not null ? "a data table" : step.DocString is not null ? "a doc string" : "no table or doc string";
            var error = (reason, candidates.Count) switch
            {
                (StepDefinitionAmbiguityReason.None, 0) => new LoadError
                {
                    Kind = LoadErrorKind.UndefinedStep,
                    File = display,
                    Line = step.Line,
                    Message = $"undefined step: {step.Display}",
                    Snippet = _snippets.GetStepDefinitionSkeleton(ProgrammingLanguage.CSharp, instance, StepDefinitionSkeletonStyle.CucumberExpressionAttribute, SnippetCulture).Trim(),
                },
                (StepDefinitionAmbiguityReason.None, 1) => new LoadError
                {
                    Kind = LoadErrorKind.Binding,
                    File = display,
                    Line = step.Line,
                    Message = $"step '{step.Display}' (with {extra}) matches {Describe(candidates[0].StepBinding)}, but its {candidates[0].Arguments.Length} argument(s) do not fit the method's parameters",
                },
                (StepDefinitionAmbiguityReason.AmbiguousScopes, _) => new LoadError
                {
                    Kind = LoadErrorKind.UndefinedStep,
                    File = display,
                    Line = step.Line,
                    Message = $"undefined step: {step.Display} (only bindings scoped away from this scenario match: {string.Join("; ", candidates.Select(c => Describe(c.StepBinding)))})",
                },
                _ => new LoadError
                {
                    Kind = LoadErrorKind.AmbiguousStep,
                    File = display,
                    Line = step.Line,
                    Message = $"ambiguous step: {step.Display} matches {candidates.Count} bindings:\n      " + string.Join("\n      ", candidates.Select(c => Describe(c.StepBinding))),
                },
            };
            Report(errors, reported, error);
        }

        public void Dispose()
        {
            _manager.ReleaseTestRunnerToPool(_runner);
            _manager.DisposeAsync().GetAwaiter().GetResult();
        }

        private static string Describe(IStepDefinitionBinding binding) =>
            $"{binding.Method.Type.FullName}.{binding.Method.Name}({string.Join(", ", binding.Method.Parameters.Select(p => p.Type.Name))}) [{binding.StepDefinitionType}(\"{binding.SourceExpression}\")]";
    }
}
