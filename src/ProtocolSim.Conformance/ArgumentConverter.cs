using System.Globalization;
using System.Text.RegularExpressions;

namespace ProtocolSim.Conformance;

/// <summary>Converts step arguments and table cells to parameter types, with the invariant culture.</summary>
internal static partial class ArgumentConverter
{
    /// <summary>Whether a parameter of this type can receive a converted step argument.</summary>
    public static bool IsSupported(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t == typeof(string) || t == typeof(object) || t == typeof(int) || t == typeof(long) || t == typeof(short)
            || t == typeof(byte) || t == typeof(uint) || t == typeof(ulong) || t == typeof(double) || t == typeof(float)
            || t == typeof(decimal) || t == typeof(bool) || t == typeof(TimeSpan) || t == typeof(Guid) || t == typeof(Uri)
            || t.IsEnum;
    }

    public static bool TryConvert(string? text, Type target, out object? value, out string? error)
    {
        error = null;
        value = null;
        var underlying = Nullable.GetUnderlyingType(target);
        if (underlying is not null)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return true;
            }

            target = underlying;
        }

        if (target == typeof(string) || target == typeof(object))
        {
            value = text;
            return true;
        }

        if (text is null)
        {
            error = $"no value for a parameter of type {target.Name}";
            return false;
        }

        var s = text.Trim();
        var inv = CultureInfo.InvariantCulture;
        bool ok;

        // Enums first: Type.GetTypeCode gives an enum's underlying integer type.
        switch (target.IsEnum ? TypeCode.Object : Type.GetTypeCode(target))
        {
            case TypeCode.Int32:
                ok = int.TryParse(s, NumberStyles.Integer, inv, out var i32);
                value = i32;
                break;
            case TypeCode.Int64:
                ok = long.TryParse(s, NumberStyles.Integer, inv, out var i64);
                value = i64;
                break;
            case TypeCode.Int16:
                ok = short.TryParse(s, NumberStyles.Integer, inv, out var i16);
                value = i16;
                break;
            case TypeCode.Byte:
                ok = byte.TryParse(s, NumberStyles.Integer, inv, out var u8);
                value = u8;
                break;
            case TypeCode.UInt32:
                ok = uint.TryParse(s, NumberStyles.Integer, inv, out var u32);
                value = u32;
                break;
            case TypeCode.UInt64:
                ok = ulong.TryParse(s, NumberStyles.Integer, inv, out var u64);
                value = u64;
                break;
            case TypeCode.Double:
                ok = double.TryParse(s, NumberStyles.Float, inv, out var f64);
                value = f64;
                break;
            case TypeCode.Single:
                ok = float.TryParse(s, NumberStyles.Float, inv, out var f32);
                value = f32;
                break;
            case TypeCode.Decimal:
                ok = decimal.TryParse(s, NumberStyles.Float, inv, out var dec);
                value = dec;
                break;
            case TypeCode.Boolean:
                ok = TryParseBool(s, out var b);
                value = b;
                break;
            default:
                if (target.IsEnum)
                {
                    ok = TryParseEnum(s, target, out value);
                }
                else if (target == typeof(TimeSpan))
                {
                    ok = TryParseTimeSpan(s, out var ts);
                    value = ts;
                }
                else if (target == typeof(Guid))
                {
                    ok = Guid.TryParse(s, out var g);
                    value = g;
                }
                else if (target == typeof(Uri))
                {
                    ok = Uri.TryCreate(s, UriKind.RelativeOrAbsolute, out var u);
                    value = u;
                }
                else
                {
                    error = $"parameters of type {target.Name} are not supported";
                    return false;
                }

                break;
        }

        if (!ok)
        {
            value = null;
            error = $"cannot convert '{text}' to {target.Name}";
        }

        return ok;
    }

    /// <summary>Parses "300 ms", "1.5 s", "2 min", "1 h" or a TimeSpan literal such as "00:00:01.5".</summary>
    public static bool TryParseTimeSpan(string text, out TimeSpan value)
    {
        var m = DurationPattern().Match(text);
        if (m.Success && double.TryParse(m.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
        {
            var unit = m.Groups["u"].Value.ToUpperInvariant();
            double ms = unit switch
            {
                "MS" or "MILLISECOND" or "MILLISECONDS" => n,
                "S" or "SEC" or "SECS" or "SECOND" or "SECONDS" => n * 1000,
                "M" or "MIN" or "MINS" or "MINUTE" or "MINUTES" => n * 60_000,
                _ => n * 3_600_000,
            };
            value = TimeSpan.FromMilliseconds(ms);
            return true;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    private static bool TryParseBool(string s, out bool value)
    {
        switch (s.ToUpperInvariant())
        {
            case "TRUE" or "YES" or "ON":
                value = true;
                return true;
            case "FALSE" or "NO" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static bool TryParseEnum(string s, Type target, out object? value)
    {
        value = null;
        if (s.Length == 0 || char.IsDigit(s[0]) || s[0] == '-')
        {
            return false;
        }

        // "non-strict", "non strict" and "NON_STRICT" all name NonStrict.
        var compact = s.Replace(" ", string.Empty, StringComparison.Ordinal)
            .Replace("-", string.Empty, StringComparison.Ordinal)
            .Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var name in Enum.GetNames(target))
        {
            var compactName = name.Replace("_", string.Empty, StringComparison.Ordinal);
            if (string.Equals(name, s, StringComparison.OrdinalIgnoreCase)
                || string.Equals(compactName, compact, StringComparison.OrdinalIgnoreCase))
            {
                value = Enum.Parse(target, name);
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"^(?<n>[-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?<u>ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hours?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex DurationPattern();
}
