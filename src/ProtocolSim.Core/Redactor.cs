namespace ProtocolSim.Core;

/// <summary>Replaces known secrets (API keys, passwords, tokens) with a fixed mask before anything is stored or shown.</summary>
public sealed class Redactor
{
    /// <summary>The mask that replaces a secret.</summary>
    public const string Mask = "***";

    private readonly string[] _secrets;
    private readonly byte[][] _utf8Secrets;

    public Redactor(IEnumerable<string> secrets)
    {
        // Longest first, so a secret that contains another is masked whole.
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s) && s.Length >= 4)
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length)
            .ToArray();
        _utf8Secrets = _secrets.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>Whether UTF-8 text holds a known secret (checked without decoding it).</summary>
    public bool ContainsSecret(ReadOnlySpan<byte> utf8)
    {
        foreach (var secret in _utf8Secrets)
        {
            if (utf8.IndexOf(secret) >= 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A redactor that knows no secrets.</summary>
    public static Redactor None { get; } = new([]);

    public string Redact(string value)
    {
        if (_secrets.Length == 0 || string.IsNullOrEmpty(value))
        {
            return value;
        }

        foreach (var secret in _secrets)
        {
            if (value.Contains(secret, StringComparison.Ordinal))
            {
                value = value.Replace(secret, Mask, StringComparison.Ordinal);
            }
        }

        return value;
    }
}
