using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace ProtocolSim.Conformance;

/// <summary>
/// A Cucumber tag expression: tags combined with <c>and</c>, <c>or</c>, <c>not</c> and parentheses; precedence
/// not &gt; and &gt; or. Tags compare case-insensitively; a tag written without <c>@</c> gets one.
/// An empty expression matches every scenario.
/// </summary>
public sealed class TagExpression
{
    private readonly Node _root;

    private TagExpression(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The expression as written.</summary>
    public string Text { get; }

    /// <summary>Parses the expression; throws <see cref="FormatException"/> naming the position of the problem.</summary>
    public static TagExpression Parse(string? text)
    {
        if (!TryParse(text, out var expression, out var error))
        {
            throw new FormatException(error);
        }

        return expression;
    }

    /// <summary>Parses the expression, or gives a message naming the position of the problem.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out TagExpression? expression, [NotNullWhen(false)] out string? error)
    {
        expression = null;
        text ??= string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            expression = new TagExpression(text, new All());
            error = null;
            return true;
        }

        var tokens = Tokenize(text, out var tokenizeError);
        if (tokens is null)
        {
            error = tokenizeError ?? "invalid tag expression";
            return false;
        }

        var parser = new Parser(text, tokens);
        var root = parser.ParseOr();
        if (parser.Error is null && parser.Position < tokens.Count)
        {
            var t = tokens[parser.Position];
            parser.Error = t.Value == ")"
                ? $"unmatched ')' at position {t.Position + 1}"
                : $"unexpected '{t.Value}' at position {t.Position + 1}: expected 'and', 'or' or the end";
        }

        if (parser.Error is not null)
        {
            error = $"invalid tag expression \"{text}\": {parser.Error}";
            return false;
        }

        expression = new TagExpression(text, root!);
        error = null;
        return true;
    }

    /// <summary>Whether a scenario with these tags is selected.</summary>
    public bool Evaluate(IEnumerable<string> tags)
    {
        var set = new HashSet<string>(tags.Select(Normalize), StringComparer.OrdinalIgnoreCase);
        return _root.Evaluate(set);
    }

    public override string ToString() => _root.ToString() ?? string.Empty;

    private static string Normalize(string tag) => tag.StartsWith('@') ? tag : "@" + tag;

    private static List<Token>? Tokenize(string text, out string? error)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (c is '(' or ')')
            {
                tokens.Add(new Token(c.ToString(), i, false));
                i++;
                continue;
            }

            var start = i;
            var sb = new StringBuilder();
            var escaped = false;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')')
            {
                if (text[i] == '\\')
                {
                    if (i + 1 >= text.Length)
                    {
                        error = $"invalid tag expression \"{text}\": '\\' at the end (position {i + 1}) escapes nothing";
                        return null;
                    }

                    sb.Append(text[i + 1]);
                    escaped = true;
                    i += 2;
                    continue;
                }

                sb.Append(text[i]);
                i++;
            }

            tokens.Add(new Token(sb.ToString(), start, escaped));
        }

        error = null;
        return tokens;
    }

    private readonly record struct Token(string Value, int Position, bool Escaped)
    {
        public bool IsOperator(string op) => !Escaped && string.Equals(Value, op, StringComparison.Ordinal);

        public bool IsAnyOperator => IsOperator("and") || IsOperator("or") || IsOperator("not") || IsOperator("(") || IsOperator(")");
    }

    private sealed class Parser(string text, List<Token> tokens)
    {
        public int Position { get; private set; }

        public string? Error { get; set; }

        public Node? ParseOr()
        {
            var left = ParseAnd();
            while (Error is null && Peek("or"))
            {
                Position++;
                var right = ParseAnd();
                left = new Or(left!, right!);
            }

            return left;
        }

        private Node? ParseAnd()
        {
            var left = ParseNot();
            while (Error is null && Peek("and"))
            {
                Position++;
                var right = ParseNot();
                left = new And(left!, right!);
            }

            return left;
        }

        private Node? ParseNot()
        {
            if (Error is null && Peek("not"))
            {
                Position++;
                var operand = ParseNot();
                return operand is null ? null : new Not(operand);
            }

            return ParsePrimary();
        }

        private Node? ParsePrimary()
        {
            if (Error is not null)
            {
                return null;
            }

            if (Position >= tokens.Count)
            {
                var after = tokens.Count > 0 ? $" after '{tokens[^1].Value}'" : string.Empty;
                Error = string.Create(CultureInfo.InvariantCulture, $"unexpected end{after} at position {text.Length + 1}: expected a tag, 'not' or '('");
                return null;
            }

            var token = tokens[Position];
            if (token.IsOperator("("))
            {
                Position++;
                var inner = ParseOr();
                if (Error is not null)
                {
                    return null;
                }

                if (!Peek(")"))
                {
                    Error = $"unmatched '(' at position {token.Position + 1}";
                    return null;
                }

                Position++;
                return inner;
            }

            if (token.IsAnyOperator)
            {
                Error = $"unexpected '{token.Value}' at position {token.Position + 1}: expected a tag, 'not' or '('";
                return null;
            }

            Position++;
            return new TagNode(Normalize(token.Value));
        }

        private bool Peek(string op) => Position < tokens.Count && tokens[Position].IsOperator(op);
    }

    private abstract class Node
    {
        public abstract bool Evaluate(HashSet<string> tags);
    }

    private sealed class All : Node
    {
        public override bool Evaluate(HashSet<string> tags) => true;

        public override string ToString() => "true";
    }

    private sealed class TagNode(string tag) : Node
    {
        public override bool Evaluate(HashSet<string> tags) => tags.Contains(tag);

        public override string ToString() => tag.Replace("(", "\\(", StringComparison.Ordinal).Replace(")", "\\)", StringComparison.Ordinal);
    }

    private sealed class Not(Node operand) : Node
    {
        public override bool Evaluate(HashSet<string> tags) => !operand.Evaluate(tags);

        public override string ToString() => $"not ( {operand} )";
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Evaluate(HashSet<string> tags) => left.Evaluate(tags) && right.Evaluate(tags);

        public override string ToString() => $"( {left} and {right} )";
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Evaluate(HashSet<string> tags) => left.Evaluate(tags) || right.Evaluate(tags);

        public override string ToString() => $"( {left} or {right} )";
    }
}
