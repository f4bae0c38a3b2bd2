using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace ProtocolSim.Conformance;

/// <summary>What extra argument a step carries after its text.</summary>
internal enum StepArgumentKind
{
    None,
    DataTable,
    DocString,
}

/// <summary>One step definition: a method and one of its step attributes.</summary>
internal sealed class StepBinding
{
    public required MethodInfo Method { get; init; }

    public required StepKeyword? Keyword { get; init; }

    public required StepPattern Pattern { get; init; }

    /// <summary>Parameters that receive expression arguments, in order.</summary>
    public required IReadOnlyList<ParameterInfo> ArgumentParameters { get; init; }

    /// <summary>The extra argument the method takes after the expression arguments.</summary>
    public required StepArgumentKind Accepts { get; init; }

    public string Describe() =>
        $"{Method.DeclaringType!.FullName}.{Method.Name}({string.Join(", ", Method.GetParameters().Select(p => p.ParameterType.Name))}) [{Keyword?.ToString() ?? "StepDefinition"}(\"{Pattern.Source}\")]";
}

/// <summary>A scenario hook method.</summary>
internal sealed class HookBinding
{
    public required MethodInfo Method { get; init; }

    public required bool IsBefore { get; init; }

    public required IReadOnlyList<string> Tags { get; init; }

    public required int Order { get; init; }

    public bool AppliesTo(IReadOnlyList<string> scenarioTags) =>
        Tags.Count == 0 || Tags.Any(t => scenarioTags.Contains(t.StartsWith('@') ? t : "@" + t, StringComparer.OrdinalIgnoreCase));

    public string Describe() => $"{Method.DeclaringType!.FullName}.{Method.Name}";
}

/// <summary>A step binding matched to a step, with the raw (unconverted) expression arguments.</summary>
internal sealed record StepMatch(StepBinding Binding, string?[] Arguments);

/// <summary>All bindings found in the binding assemblies.</summary>
internal sealed class BindingRegistry
{
    private BindingRegistry(IReadOnlyList<StepBinding> steps, IReadOnlyList<HookBinding> hooks)
    {
        Steps = steps;
        Hooks = hooks;
    }

    public IReadOnlyList<StepBinding> Steps { get; }

    public IReadOnlyList<HookBinding> Hooks { get; }

    public static IEnumerable<Type> TypesOf(IEnumerable<Assembly> assemblies) => assemblies.Distinct().SelectMany(GetTypes);

    public static BindingRegistry Build(IEnumerable<Type> types, IList<LoadError> errors)
    {
        var steps = new List<StepBinding>();
        var hooks = new List<HookBinding>();
        foreach (var type in types.Distinct().Where(t => t.IsDefined(typeof(BindingAttribute), inherit: true)).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            var where = type.FullName ?? type.Name;
            if (type.IsGenericTypeDefinition || (type.IsAbstract && !type.IsSealed) || type.IsInterface)
            {
                errors.Add(BindingError(where, "a [Binding] class must be a concrete, non-generic class"));
                continue;
            }

            var isStatic = type.IsAbstract && type.IsSealed;
            if (!isStatic && type.GetConstructors(BindingFlags.Public | BindingFlags.Instance).Length == 0)
            {
                errors.Add(BindingError(where, "a [Binding] class needs a public constructor"));
                continue;
            }

            const BindingFlags Flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy;
            foreach (var method in type.GetMethods(Flags).Where(m => m.DeclaringType != typeof(object)).OrderBy(m => m.Name, StringComparer.Ordinal).ThenBy(m => m.MetadataToken))
            {
                var stepAttributes = method.GetCustomAttributes<StepDefinitionBaseAttribute>(inherit: true).ToList();
                var hookAttribute = method.GetCustomAttribute<HookAttribute>(inherit: true);
                if (stepAttributes.Count == 0 && hookAttribute is null)
                {
                    continue;
                }

                var methodWhere = $"{where}.{method.Name}";
                if (method.IsGenericMethodDefinition || method.GetParameters().Any(p => p.ParameterType.IsByRef))
                {
                    errors.Add(BindingError(methodWhere, "a step or hook method cannot be generic or take ref/out parameters"));
                    continue;
                }

                foreach (var attribute in stepAttributes)
                {
                    var binding = CreateStep(method, attribute, methodWhere, errors);
                    if (binding is not null)
                    {
                        steps.Add(binding);
                    }
                }

                if (hookAttribute is not null)
                {
                    hooks.Add(new HookBinding
                    {
                        Method = method,
                        IsBefore = hookAttribute is BeforeScenarioAttribute,
                        Tags = hookAttribute.Tags,
                        Order = hookAttribute.Order,
                    });
                }
            }
        }

        var ordered = hooks.OrderBy(h => h.Order).ThenBy(h => h.Method.DeclaringType!.FullName, StringComparer.Ordinal).ThenBy(h => h.Method.Name, StringComparer.Ordinal).ToList();
        return new BindingRegistry(steps, ordered);
    }

    /// <summary>Every binding whose keyword fits and whose expression matches the whole text.</summary>
    public List<StepMatch> Match(StepKeyword keyword, string text)
    {
        var matches = new List<StepMatch>();
        foreach (var binding in Steps)
        {
            if (binding.Keyword is { } k && k != keyword)
            {
                continue;
            }

            if (binding.Pattern.TryMatch(text, out var args))
            {
                matches.Add(new StepMatch(binding, args));
            }
        }

        return matches;
    }

    private static StepBinding? CreateStep(MethodInfo method, StepDefinitionBaseAttribute attribute, string where, IList<LoadError> errors)
    {
        // CancellationToken parameters are injected wherever they are; the rest take expression arguments in order,
        // then optionally a DataTable or a doc string.
        var positional = method.GetParameters().Where(p => p.ParameterType != typeof(CancellationToken)).ToList();
        bool CustomType(int index, string name)
        {
            if (index >= positional.Count)
            {
                return false;
            }

            var type = Nullable.GetUnderlyingType(positional[index].ParameterType) ?? positional[index].ParameterType;
            return type.IsEnum && string.Equals(type.Name, name, StringComparison.Ordinal);
        }

        if (!StepPattern.TryCreate(attribute.Expression, CustomType, out var pattern, out var error))
        {
            errors.Add(BindingError(where, $"\"{attribute.Expression}\": {error}"));
            return null;
        }

        var count = pattern.Parameters.Count;
        var accepts = StepArgumentKind.None;
        if (positional.Count == count + 1)
        {
            var last = positional[^1].ParameterType;
            if (last == typeof(DataTable))
            {
                accepts = StepArgumentKind.DataTable;
            }
            else if (last == typeof(string))
            {
                accepts = StepArgumentKind.DocString;
            }
            else
            {
                errors.Add(BindingError(where, $"\"{attribute.Expression}\" yields {count} argument(s) but the method takes {positional.Count}; an extra last parameter must be DataTable or string (doc string)"));
                return null;
            }
        }
        else if (positional.Count != count)
        {
            errors.Add(BindingError(where, $"\"{attribute.Expression}\" yields {count} argument(s) but the method takes {positional.Count} (not counting CancellationToken)"));
            return null;
        }

        var arguments = positional.Take(count).ToList();
        foreach (var p in arguments)
        {
            if (!ArgumentConverter.IsSupported(p.ParameterType))
            {
                errors.Add(BindingError(where, $"parameter '{p.Name}' of type {p.ParameterType.Name} cannot receive a step argument (string, numbers, bool, TimeSpan, Guid, Uri and enums can)"));
                return null;
            }
        }

        return new StepBinding
        {
            Method = method,
            Keyword = attribute.Keyword,
            Pattern = pattern,
            ArgumentParameters = arguments,
            Accepts = accepts,
        };
    }

    private static IEnumerable<Type> GetTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException ex)
        {
            return ex.Types.Where(t => t is not null)!;
        }
    }

    private static LoadError BindingError(string where, string message) =>
        new() { Kind = LoadErrorKind.Binding, File = where, Message = message };
}

/// <summary>Suggests a C# step definition for an undefined step, turning literals into parameters.</summary>
internal static partial class SnippetGenerator
{
    public static string Create(StepKeyword keyword, string text, StepArgumentKind argument)
    {
        var expression = new StringBuilder();
        var name = new StringBuilder(keyword.ToString());
        var parameters = new List<string>();
        var last = 0;
        foreach (Match m in LiteralPattern().Matches(text))
        {
            AppendLiteral(text[last..m.Index], expression, name);
            var index = parameters.Count;
            if (m.Groups["str"].Success)
            {
                expression.Append("{string}");
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"string p{index}"));
            }
            else if (m.Groups["dec"].Success)
            {
                expression.Append("{double}");
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"double p{index}"));
            }
            else if (long.TryParse(m.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n is >= int.MinValue and <= int.MaxValue)
            {
                expression.Append("{int}");
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"int p{index}"));
            }
            else
            {
                expression.Append("{long}");
                parameters.Add(string.Create(CultureInfo.InvariantCulture, $"long p{index}"));
            }

            last = m.Index + m.Length;
        }

        AppendLiteral(text[last..], expression, name);
        switch (argument)
        {
            case StepArgumentKind.DataTable:
                parameters.Add("DataTable dataTable");
                break;
            case StepArgumentKind.DocString:
                parameters.Add("string docString");
                break;
        }

        var csharpLiteral = expression.ToString().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        return $"[{keyword}(\"{csharpLiteral}\")] public void {name}({string.Join(", ", parameters)}) {{ }}";
    }

    private static void AppendLiteral(string literal, StringBuilder expression, StringBuilder name)
    {
        foreach (var c in literal)
        {
            if (c is '(' or ')' or '{' or '}' or '/' or '\\')
            {
                expression.Append('\\');
            }

            expression.Append(c);
        }

        foreach (var word in WordPattern().Matches(literal).Select(m => m.Value))
        {
            name.Append(char.ToUpperInvariant(word[0])).Append(word.AsSpan(1));
        }
    }

    // Quoted strings anywhere; numbers only as whole words (so "KVS-008" and "8kHz" stay literal).
    [GeneratedRegex("(?<str>\"(?:[^\"\\\\]|\\\\.)*\"|(?<=^|\\s)'(?:[^'\\\\]|\\\\.)*'(?=$|[\\s.,;:!?]))|(?<=^|\\s)(?:(?<dec>-?\\d+\\.\\d+)|-?\\d+)(?=$|[\\s,;:!?]|\\.(?:\\s|$))", RegexOptions.CultureInvariant)]
    private static partial Regex LiteralPattern();

    [GeneratedRegex(@"[\p{L}\p{Nd}]+", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();
}
