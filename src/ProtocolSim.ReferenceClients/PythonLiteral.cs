using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients;

/// <summary>A Python literal that could not be parsed; <see cref="Offset"/> is where parsing stopped.</summary>
internal sealed class PythonLiteralException(string message, int offset) : FormatException(message)
{
    public int Offset { get; } = offset;
}

/// <summary>
/// Parser for the Python literals <c>ast.literal_eval</c> accepts in call metadata (003-V ch.2 Parsing note,
/// ch.4 Issue 2): strings (single, double or triple quoted; r/u/b prefixes; escapes; adjacent concatenation),
/// numbers, <c>True</c>/<c>False</c>/<c>None</c>, dicts, lists, tuples and sets. Dicts become
/// <see cref="JsonObject"/> (keys as text, last duplicate wins), lists/tuples/sets <see cref="JsonArray"/>,
/// <c>None</c> becomes null.
/// </summary>
internal static class PythonLiteral
{
    private const int MaxDepth = 64;
    private static readonly System.Buffers.SearchValues<char> HexDigits =
        System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Parses <paramref name="text"/> as one Python literal.</summary>
    /// <exception cref="PythonLiteralException">Not a Python literal; the message says what and where.</exception>
    public static JsonNode? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parser = new Parser(text);
        parser.SkipTrivia();
        var value = parser.ParseValue(0).Node;
        parser.SkipTrivia();
        if (!parser.AtEnd)
        {
            throw parser.Error("unexpected text after the literal");
        }

        return value;
    }

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says what and where.</summary>
    public static bool TryParse(string text, out JsonNode? value, out string? error)
    {
        try
        {
            value = Parse(text);
            error = null;
            return true;
        }
        catch (PythonLiteralException ex)
        {
            value = null;
            error = ex.Message;
            return false;
        }
    }

    // Node, the JSON key a dict key made of this value becomes (a str as is, other hashables as their repr), and
    // the Python repr of a hashable value (null when unhashable: list, dict, set).
    private readonly record struct Parsed(JsonNode? Node, string? KeyText, string? Repr)
    {
        public Parsed(JsonNode? node, string? repr)
            : this(node, repr, repr)
        {
        }
    }

    private sealed class Parser(string text)
    {
        private int _pos;

        public bool AtEnd => _pos >= text.Length;

        private char Current => _pos < text.Length ? text[_pos] : '\0';

        public PythonLiteralException Error(string what)
        {
            var near = _pos < text.Length
                ? $"near '{text.Substring(_pos, Math.Min(20, text.Length - _pos))}'"
                : "at end of input";
            return new PythonLiteralException($"Not a Python literal: {what} at offset {_pos} ({near}).", _pos);
        }

        public void SkipTrivia()
        {
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (c is ' ' or '\t' or '\r' or '\n' or '\f')
                {
                    _pos++;
                }
                else if (c == '\\' && Peek(1) is '\n' or '\r')
                {
                    _pos += 2; // explicit line join
                }
                else if (c == '#')
                {
                    while (_pos < text.Length && text[_pos] != '\n')
                    {
                        _pos++;
                    }
                }
                else
                {
                    break;
                }
            }
        }

        private char Peek(int ahead) => _pos + ahead < text.Length ? text[_pos + ahead] : '\0';

        public Parsed ParseValue(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Error($"nesting deeper than {MaxDepth}");
            }

            SkipTrivia();
            if (AtEnd)
            {
                throw Error("expected a value");
            }

            var c = Current;
            switch (c)
            {
                case '{':
                    return ParseDictOrSet(depth);
                case '[':
                    _pos++;
                    return new Parsed(ParseSequence(']', depth), null);
                case '(':
                    return ParseParenthesised(depth);
                case '\'' or '"':
                    return ParseStrings();
                case '+' or '-':
                    return ParseSignedNumber();
            }

            if (char.IsAsciiDigit(c) || (c == '.' && char.IsAsciiDigit(Peek(1))))
            {
                return ParseNumber(negative: false);
            }

            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = _pos;
                while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
                {
                    _pos++;
                }

                var word = text[start.._pos];
                if (Current is '\'' or '"' && IsStringPrefix(word))
                {
                    _pos = start;
                    return ParseStrings();
                }

                switch (word)
                {
                    case "True":
                        return new Parsed(JsonValue.Create(true), "True");
                    case "False":
                        return new Parsed(JsonValue.Create(false), "False");
                    case "None":
                        return new Parsed(null, "None");
                }

                _pos = start;
                throw Error($"'{word}' is not a literal (only True, False and None are)");
            }

            throw Error($"unexpected character '{c}'");
        }

        private static bool IsStringPrefix(string word) =>
            word.ToUpperInvariant() is "R" or "U" or "B" or "BR" or "RB";

        private Parsed ParseDictOrSet(int depth)
        {
            _pos++; // {
            SkipTrivia();
            if (Current == '}')
            {
                _pos++;
                return new Parsed(new JsonObject(), null);
            }

            var first = ParseValue(depth + 1);
            SkipTrivia();
            if (Current is not (':' or ',' or '}'))
            {
                throw Error("expected ':' after dict key");
            }

            if (Current != ':')
            {
                // {a, b}: a set; ast.literal_eval accepts it. Kept as a list.
                var set = new JsonArray(first.Node);
                return new Parsed(ContinueSequence(set, '}', depth), null);
            }

            var dict = new JsonObject();
            var key = first;
            while (true)
            {
                var keyText = key.KeyText ?? throw Error("dict key is not hashable (a list, dict or set)");
                SkipTrivia();
                if (Current != ':')
                {
                    throw Error("expected ':' after dict key");
                }

                _pos++;
                var value = ParseValue(depth + 1);
                dict[keyText] = value.Node; // Python: the last duplicate wins
                SkipTrivia();
                if (Current == ',')
                {
                    _pos++;
                    SkipTrivia();
                }
                else if (Current != '}')
                {
                    throw Error("expected ',' or '}' in dict");
                }

                if (Current == '}')
                {
                    _pos++;
                    return new Parsed(dict, null);
                }

                key = ParseValue(depth + 1);
            }
        }

        private JsonArray ParseSequence(char close, int depth)
        {
            SkipTrivia();
            if (Current == close)
            {
                _pos++;
                return [];
            }

            var list = new JsonArray(ParseValue(depth + 1).Node);
            return ContinueSequence(list, close, depth);
        }

        private JsonArray ContinueSequence(JsonArray list, char close, int depth)
        {
            while (true)
            {
                SkipTrivia();
                if (Current == close)
                {
                    _pos++;
                    return list;
                }

                if (Current != ',')
                {
                    throw Error($"expected ',' or '{close}'");
                }

                _pos++;
                SkipTrivia();
                if (Current == close)
                {
                    _pos++;
                    return list;
                }

                list.Add(ParseValue(depth + 1).Node);
            }
        }

        private Parsed ParseParenthesised(int depth)
        {
            _pos++; // (
            SkipTrivia();
            if (Current == ')')
            {
                _pos++;
                return new Parsed(new JsonArray(), "()");
            }

            var first = ParseValue(depth + 1);
            SkipTrivia();
            if (Current == ')')
            {
                _pos++;
                return first; // (x) is just x
            }

            // A tuple; hashable when its items are, so it can be a dict key.
            var items = new List<Parsed> { first };
            while (true)
            {
                SkipTrivia();
                if (Current == ')')
                {
                    _pos++;
                    break;
                }

                if (Current != ',')
                {
                    throw Error("expected ',' or ')'");
                }

                _pos++;
                SkipTrivia();
                if (Current == ')')
                {
                    _pos++;
                    break;
                }

                items.Add(ParseValue(depth + 1));
            }

            var array = new JsonArray([.. items.Select(i => i.Node)]);
            var hashable = items.All(i => i.Repr is not null);
            var repr = hashable
                ? "(" + string.Join(", ", items.Select(i => i.Repr)) + (items.Count == 1 ? ",)" : ")")
                : null;
            return new Parsed(array, repr);
        }

        private Parsed ParseSignedNumber()
        {
            var negative = false;
            while (Current is '+' or '-')
            {
                negative ^= Current == '-';
                _pos++;
                SkipTrivia();
            }

            if (!(char.IsAsciiDigit(Current) || (Current == '.' && char.IsAsciiDigit(Peek(1)))))
            {
                throw Error("expected a number after the sign");
            }

            return ParseNumber(negative);
        }

        private Parsed ParseNumber(bool negative)
        {
            var start = _pos;
            if (Current == '0' && Peek(1) is 'x' or 'X' or 'o' or 'O' or 'b' or 'B')
            {
                var radix = char.ToLowerInvariant(Peek(1)) switch { 'x' => 16, 'o' => 8, _ => 2 };
                _pos += 2;
                var digitsStart = _pos;
                while (_pos < text.Length && (char.IsAsciiHexDigit(text[_pos]) || text[_pos] == '_'))
                {
                    _pos++;
                }

                var digits = text[digitsStart.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
                if (digits.Length == 0)
                {
                    throw Error("expected digits after the radix prefix");
                }

                ulong value = 0;
                foreach (var d in digits)
                {
                    var v = char.IsAsciiDigit(d) ? d - '0' : char.ToLowerInvariant(d) - 'a' + 10;
                    if (v >= radix)
                    {
                        _pos = start;
                        throw Error($"'{d}' is not a base-{radix} digit");
                    }

                    value = checked((value * (ulong)radix) + (ulong)v);
                }

                return Integer(negative, value.ToString(CultureInfo.InvariantCulture), start);
            }

            var isFloat = false;
            ReadDigits();
            if (Current == '.')
            {
                isFloat = true;
                _pos++;
                ReadDigits();
            }

            if (Current is 'e' or 'E')
            {
                isFloat = true;
                _pos++;
                if (Current is '+' or '-')
                {
                    _pos++;
                }

                if (!char.IsAsciiDigit(Current))
                {
                    throw Error("expected exponent digits");
                }

                ReadDigits();
            }

            if (Current is 'j' or 'J')
            {
                throw Error("complex numbers are not supported");
            }

            if (char.IsAsciiLetter(Current) || Current == '_')
            {
                throw Error("invalid number");
            }

            var literal = text[start.._pos].Replace("_", string.Empty, StringComparison.Ordinal);
            if (!isFloat)
            {
                if (literal.Length > 1 && literal[0] == '0' && literal.Any(ch => ch != '0'))
                {
                    _pos = start;
                    throw Error("leading zeros in a decimal integer are not permitted");
                }

                return Integer(negative, literal, start);
            }

            var number = double.Parse(literal, NumberStyles.Float, CultureInfo.InvariantCulture);
            if (negative)
            {
                number = -number;
            }

            return new Parsed(JsonValue.Create(number), number.ToString("R", CultureInfo.InvariantCulture));
        }

        private Parsed Integer(bool negative, string digits, int start)
        {
            var text = (negative ? "-" : string.Empty) + digits;
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            {
                return new Parsed(JsonValue.Create(l), text);
            }

            if (decimal.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var m))
            {
                return new Parsed(JsonValue.Create(m), text);
            }

            _pos = start;
            throw Error("integer too large");
        }

        private void ReadDigits()
        {
            while (_pos < text.Length && (char.IsAsciiDigit(text[_pos]) || (text[_pos] == '_' && char.IsAsciiDigit(Peek(1)))))
            {
                _pos++;
            }
        }

        // One or more adjacent string literals ('a' "b" → 'ab'), as Python concatenates them.
        private Parsed ParseStrings()
        {
            var sb = new StringBuilder();
            do
            {
                ReadString(sb);
                SkipTrivia();
            }
            while (Current is '\'' or '"' || (char.IsAsciiLetter(Current) && StartsPrefixedString()));

            var s = sb.ToString();
            var repr = "'" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
            return new Parsed(JsonValue.Create(s), s, repr);
        }

        private bool StartsPrefixedString()
        {
            var i = _pos;
            while (i < text.Length && char.IsAsciiLetter(text[i]) && i - _pos < 2)
            {
                i++;
            }

            return i < text.Length && text[i] is '\'' or '"' && IsStringPrefix(text[_pos..i]);
        }

        private void ReadString(StringBuilder sb)
        {
            var raw = false;
            var bytes = false;
            while (char.IsAsciiLetter(Current))
            {
                var p = char.ToLowerInvariant(Current);
                raw |= p == 'r';
                bytes |= p == 'b';
                _pos++;
            }

            var quote = Current;
            if (quote is not ('\'' or '"'))
            {
                throw Error("expected a string");
            }

            var openedAt = _pos;
            var triple = Peek(1) == quote && Peek(2) == quote;
            _pos += triple ? 3 : 1;
            while (true)
            {
                if (AtEnd)
                {
                    _pos = openedAt;
                    throw Error("unterminated string");
                }

                var c = text[_pos];
                if (c == quote && (!triple || (Peek(1) == quote && Peek(2) == quote)))
                {
                    _pos += triple ? 3 : 1;
                    return;
                }

                if (c is '\n' or '\r' && !triple)
                {
                    throw Error("line break inside a single-quoted string");
                }

                if (c == '\\')
                {
                    if (raw)
                    {
                        // Raw strings keep the backslash; it still stops the next quote from closing the string.
                        sb.Append(c);
                        _pos++;
                        if (!AtEnd)
                        {
                            sb.Append(text[_pos]);
                            _pos++;
                        }

                        continue;
                    }

                    ReadEscape(sb, bytes);
                    continue;
                }

                if (bytes && c > 0x7F)
                {
                    throw Error("bytes literal with a non-ASCII character");
                }

                sb.Append(c);
                _pos++;
            }
        }

        private void ReadEscape(StringBuilder sb, bool bytes)
        {
            var escapeAt = _pos;
            _pos++; // backslash
            if (AtEnd)
            {
                throw Error("unterminated string");
            }

            var e = text[_pos];
            _pos++;
            switch (e)
            {
                case '\n':
                    return; // line continuation
                case '\r':
                    if (Current == '\n')
                    {
                        _pos++;
                    }

                    return;
                case '\\': sb.Append('\\'); return;
                case '\'': sb.Append('\''); return;
                case '"': sb.Append('"'); return;
                case 'a': sb.Append('\a'); return;
                case 'b': sb.Append('\b'); return;
                case 'f': sb.Append('\f'); return;
                case 'n': sb.Append('\n'); return;
                case 'r': sb.Append('\r'); return;
                case 't': sb.Append('\t'); return;
                case 'v': sb.Append('\v'); return;
                case 'x':
                    sb.Append((char)ReadHex(2, escapeAt));
                    return;
                case 'u' when !bytes:
                    sb.Append((char)ReadHex(4, escapeAt));
                    return;
                case 'U' when !bytes:
                    var cp = ReadHex(8, escapeAt);
                    if (cp > 0x10FFFF)
                    {
                        _pos = escapeAt;
                        throw Error("\\U escape beyond U+10FFFF");
                    }

                    sb.Append(char.ConvertFromUtf32(cp));
                    return;
                case 'N' when !bytes:
                    _pos = escapeAt;
                    throw Error("\\N{...} named escapes are not supported");
            }

            if (e is >= '0' and <= '7')
            {
                var value = e - '0';
                for (var i = 0; i < 2 && Current is >= '0' and <= '7'; i++)
                {
                    value = (value * 8) + (Current - '0');
                    _pos++;
                }

                sb.Append((char)value);
                return;
            }

            // Python keeps an unknown escape as written (with a warning).
            sb.Append('\\').Append(e);
        }

        private int ReadHex(int count, int escapeAt)
        {
            if (_pos + count > text.Length
                || text.AsSpan(_pos, count).ContainsAnyExcept(HexDigits)
                || !long.TryParse(text.AsSpan(_pos, count), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                _pos = escapeAt;
                throw Error($"truncated \\{text[escapeAt + 1]} escape (needs {count} hex digits)");
            }

            _pos += count;
            return (int)Math.Min(value, int.MaxValue);
        }
    }
}
