using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace ProtocolSim.Conformance;

/// <summary>The kind of one expression parameter, which decides its regex and how its text is unquoted.</summary>
internal enum ParameterKind
{
    Int,
    Float,
    String,
    Word,
    Anonymous,

    /// <summary>A regular-expression capture group, passed as matched.</summary>
    Raw,
}

/// <summary>A compiled step expression: a Cucumber expression or an anchored regular expression.</summary>
internal sealed class StepPattern
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(2);

    private readonly Regex _regex;

    private StepPattern(string source, bool isRegex, Regex regex, IReadOnlyList<(ParameterKind Kind, string Name)> parameters)
    {
        Source = source;
        IsRegex = isRegex;
        _regex = regex;
        Parameters = parameters;
    }

    public string Source { get; }

    public bool IsRegex { get; }

    /// <summary>One entry per argument the expression yields, in order.</summary>
    public IReadOnlyList<(ParameterKind Kind, string Name)> Parameters { get; }

    public string RegexPattern => _regex.ToString();

    /// <summary>A step text starting with <c>^</c> or ending with <c>$</c> is a regular expression.</summary>
    public static bool LooksLikeRegex(string expression) =>
        expression.StartsWith('^') || expression.EndsWith('$');

    /// <summary>
    /// Compiles an expression. <paramref name="customTypeNames"/> resolves <c>{Name}</c> parameters that are not built in
    /// (e.g. an enum type named by the method parameter in that position); it returns false for unknown names.
    /// </summary>
    public static bool TryCreate(
        string expression,
        Func<int, string, bool>? customTypeNames,
        [NotNullWhen(true)] out StepPattern? pattern,
        [NotNullWhen(false)] out string? error)
    {
        pattern = null;
        if (LooksLikeRegex(expression))
        {
            var text = expression;
            if (!text.StartsWith('^'))
            {
                text = "^" + text;
            }

            if (!text.EndsWith('$') || text.EndsWith("\\$", StringComparison.Ordinal))
            {
                text += "$";
            }

            Regex regex;
            try
            {
                regex = new Regex(text, RegexOptions.CultureInvariant, MatchTimeout);
            }
            catch (ArgumentException ex)
            {
                error = $"invalid regular expression: {ex.Message}";
                return false;
            }

            var groups = regex.GetGroupNumbers().Where(n => n > 0).Select(_ => (ParameterKind.Raw, "group")).ToList();
            pattern = new StepPattern(expression, true, regex, groups);
            error = null;
            return true;
        }

        var compiler = new CucumberCompiler(expression, customTypeNames);
        if (!compiler.TryCompile(out var regexText, out var parameters, out error))
        {
            error = $"invalid Cucumber expression: {error}";
            return false;
        }

        pattern = new StepPattern(expression, false, new Regex(regexText, RegexOptions.CultureInvariant, MatchTimeout), parameters);
        return true;
    }

    /// <summary>Matches the whole step text; the arguments are unquoted (for <c>{string}</c>) but not converted.</summary>
    public bool TryMatch(string text, [NotNullWhen(true)] out string?[]? arguments)
    {
        arguments = null;
        Match match;
        try
        {
            match = _regex.Match(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }

        if (!match.Success)
        {
            return false;
        }

        var numbers = _regex.GetGroupNumbers().Where(n => n > 0).ToArray();
        arguments = new string?[numbers.Length];
        for (var i = 0; i < numbers.Length; i++)
        {
            var group = match.Groups[numbers[i]];
            var value = group.Success ? group.Value : null;
            if (value is not null && Parameters[i].Kind == ParameterKind.String)
            {
                value = Unquote(value);
            }

            arguments[i] = value;
        }

        return true;
    }

    private static string Unquote(string quoted)
    {
        var quote = quoted[0];
        var inner = quoted[1..^1];
        return quote == '"'
            ? inner.Replace("\\\"", "\"", StringComparison.Ordinal)
            : inner.Replace("\\'", "'", StringComparison.Ordinal);
    }

    /// <summary>Cucumber expression to regex: parameters, optional text, alternation, escapes.</summary>
    private sealed class CucumberCompiler(string expression, Func<int, string, bool>? customTypeNames)
    {
        private const string IntRegex = @"(-?\d+)";
        private const string FloatRegex = @"([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)";
        private const string StringRegex = "(\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*')";
        private const string WordRegex = @"(\S+)";
        private const string AnonymousRegex = "(.*)";

        private readonly List<(ParameterKind, string)> _parameters = [];

        private abstract record Node(int Column);

        private sealed record TextNode(int Column, string Text) : Node(Column);

        private sealed record SpaceNode(int Column, string Text) : Node(Column);

        private sealed record ParamNode(int Column, string Name) : Node(Column);

        private sealed record OptionalNode(int Column, string Text) : Node(Column);

        private sealed record SlashNode(int Column) : Node(Column);

        public bool TryCompile(
            [NotNullWhen(true)] out string? regex,
            out IReadOnlyList<(ParameterKind Kind, string Name)> parameters,
            [NotNullWhen(false)] out string? error)
        {
            regex = null;
            parameters = _parameters;
            var nodes = Tokenize(out var tokenizeError);
            if (nodes is null)
            {
                error = tokenizeError ?? "invalid expression";
                return false;
            }

            var sb = new StringBuilder("^");
            var segment = new List<Node>();
            foreach (var node in nodes)
            {
                if (node is SpaceNode or ParamNode)
                {
                    if (!EmitSegment(segment, sb, out error))
                    {
                        return false;
                    }

                    segment.Clear();
                    if (node is SpaceNode space)
                    {
                        sb.Append(Regex.Escape(space.Text));
                    }
                    else if (!EmitParameter((ParamNode)node, sb, out error))
                    {
                        return false;
                    }
                }
                else
                {
                    segment.Add(node);
                }
            }

            if (!EmitSegment(segment, sb, out error))
            {
                return false;
            }

            sb.Append('$');
            regex = sb.ToString();
            error = null;
            return true;
        }

        private List<Node>? Tokenize(out string? error)
        {
            var nodes = new List<Node>();
            var text = new StringBuilder();
            var textStart = 0;
            void FlushText()
            {
                if (text.Length > 0)
                {
                    nodes.Add(new TextNode(textStart, text.ToString()));
                    text.Clear();
                }
            }

            var i = 0;
            while (i < expression.Length)
            {
                var c = expression[i];
                var column = i + 1;
                if (c == '\\')
                {
                    if (!TryEscape(i, out var escaped, out error))
                    {
                        return null;
                    }

                    if (text.Length == 0)
                    {
                        textStart = column;
                    }

                    text.Append(escaped);
                    i += 2;
                    continue;
                }

                if (char.IsWhiteSpace(c))
                {
                    FlushText();
                    var start = i;
                    while (i < expression.Length && char.IsWhiteSpace(expression[i]))
                    {
                        i++;
                    }

                    nodes.Add(new SpaceNode(start + 1, expression[start..i]));
                    continue;
                }

                switch (c)
                {
                    case '{':
                        {
                            FlushText();
                            var end = expression.IndexOf('}', i + 1);
                            if (end < 0)
                            {
                                error = string.Create(CultureInfo.InvariantCulture, $"'{{' at column {column} has no matching '}}'");
                                return null;
                            }

                            var name = expression[(i + 1)..end];
                            if (name.IndexOfAny(['{', '(', ')', '/', '\\']) >= 0 || name.Any(char.IsWhiteSpace))
                            {
                                error = string.Create(CultureInfo.InvariantCulture, $"parameter at column {column} has an invalid name '{name}'");
                                return null;
                            }

                            nodes.Add(new ParamNode(column, name));
                            i = end + 1;
                            continue;
                        }

                    case '(':
                        {
                            FlushText();
                            var inner = new StringBuilder();
                            var j = i + 1;
                            var closed = false;
                            while (j < expression.Length)
                            {
                                var d = expression[j];
                                if (d == '\\')
                                {
                                    if (!TryEscape(j, out var escaped, out error))
                                    {
                                        return null;
                                    }

                                    inner.Append(escaped);
                                    j += 2;
                                    continue;
                                }

                                if (d == ')')
                                {
                                    closed = true;
                                    break;
                                }

                                if (d == '(')
                                {
                                    error = string.Create(CultureInfo.InvariantCulture, $"optional text at column {column} cannot contain another optional (column {j + 1}); escape it as \\(");
                                    return null;
                                }

                                if (d == '{')
                                {
                                    error = string.Create(CultureInfo.InvariantCulture, $"optional text at column {column} cannot contain a parameter (column {j + 1}); escape it as \\{{");
                                    return null;
                                }

                                inner.Append(d);
                                j++;
                            }

                            if (!closed)
                            {
                                error = string.Create(CultureInfo.InvariantCulture, $"'(' at column {column} has no matching ')'");
                                return null;
                            }

                            if (inner.Length == 0)
                            {
                                error = string.Create(CultureInfo.InvariantCulture, $"optional text at column {column} is empty; escape the parentheses as \\(\\) to match them literally");
                                return null;
                            }

                            nodes.Add(new OptionalNode(column, inner.ToString()));
                            i = j + 1;
                            continue;
                        }

                    case '/':
                        FlushText();
                        nodes.Add(new SlashNode(column));
                        i++;
                        continue;

                    case '}' or ')':
                        error = string.Create(CultureInfo.InvariantCulture, $"'{c}' at column {column} has no matching opening; escape it as \\{c}");
                        return null;

                    default:
                        if (text.Length == 0)
                        {
                            textStart = column;
                        }

                        text.Append(c);
                        i++;
                        continue;
                }
            }

            FlushText();
            error = null;
            return nodes;
        }

        private bool TryEscape(int index, out char escaped, [NotNullWhen(false)] out string? error)
        {
            escaped = default;
            if (index + 1 >= expression.Length)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"'\\' at column {index + 1} escapes nothing");
                return false;
            }

            escaped = expression[index + 1];
            if (escaped is not ('\\' or '{' or '}' or '(' or ')' or '/') && !char.IsWhiteSpace(escaped))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"'\\{escaped}' at column {index + 1}: only '{{', '}}', '(', ')', '/', '\\' and white space can be escaped");
                return false;
            }

            error = null;
            return true;
        }

        private static bool EmitSegment(List<Node> segment, StringBuilder sb, [NotNullWhen(false)] out string? error)
        {
            error = null;
            if (segment.Count == 0)
            {
                return true;
            }

            if (!segment.Any(n => n is SlashNode))
            {
                foreach (var node in segment)
                {
                    EmitTextOrOptional(node, sb);
                }

                return true;
            }

            // Alternation: bounded by white space and parameters (Cucumber's rule), e.g. "belly/stomach".
            var alternatives = new List<List<Node>> { new() };
            foreach (var node in segment)
            {
                if (node is SlashNode)
                {
                    alternatives.Add([]);
                }
                else
                {
                    alternatives[^1].Add(node);
                }
            }

            var column = segment[0].Column;
            if (alternatives.Any(a => a.Count == 0))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"alternation at column {column} has an empty alternative; escape '/' as \\/ to match it literally");
                return false;
            }

            if (alternatives.Any(a => a.All(n => n is OptionalNode)))
            {
                error = string.Create(CultureInfo.InvariantCulture, $"alternation at column {column} has an alternative made only of optional text");
                return false;
            }

            sb.Append("(?:");
            for (var i = 0; i < alternatives.Count; i++)
            {
                if (i > 0)
                {
                    sb.Append('|');
                }

                foreach (var node in alternatives[i])
                {
                    EmitTextOrOptional(node, sb);
                }
            }

            sb.Append(')');
            return true;
        }

        private static void EmitTextOrOptional(Node node, StringBuilder sb)
        {
            switch (node)
            {
                case TextNode t:
                    sb.Append(Regex.Escape(t.Text));
                    break;
                case OptionalNode o:
                    sb.Append("(?:").Append(Regex.Escape(o.Text)).Append(")?");
                    break;
            }
        }

        private bool EmitParameter(ParamNode node, StringBuilder sb, [NotNullWhen(false)] out string? error)
        {
            error = null;
            (ParameterKind kind, string regex) = node.Name switch
            {
                "int" or "long" or "short" or "byte" or "biginteger" => (ParameterKind.Int, IntRegex),
                "float" or "double" or "decimal" or "bigdecimal" => (ParameterKind.Float, FloatRegex),
                "string" => (ParameterKind.String, StringRegex),
                "word" => (ParameterKind.Word, WordRegex),
                "" => (ParameterKind.Anonymous, AnonymousRegex),
                _ => (ParameterKind.Raw, string.Empty),
            };
            if (kind == ParameterKind.Raw)
            {
                if (customTypeNames is null || !customTypeNames(_parameters.Count, node.Name))
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"undefined parameter type {{{node.Name}}} at column {node.Column} (built in: int, long, short, byte, float, double, decimal, string, word, and {{}}; an enum parameter may be named by its type)");
                    return false;
                }

                kind = ParameterKind.Word;
                regex = WordRegex;
            }

            _parameters.Add((kind, node.Name));
            sb.Append(regex);
            return true;
        }
    }
}
