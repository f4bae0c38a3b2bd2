using System.Globalization;
using System.Text;

namespace ProtocolSim.Conformance;

/// <summary>What kind of problem a <see cref="LoadError"/> reports.</summary>
public enum LoadErrorKind
{
    /// <summary>A path that does not exist, or a directory with no feature files.</summary>
    Path,

    /// <summary>A rules.yaml problem (syntax, duplicate id, bad id, strength, missing fields, duplicate suite).</summary>
    Catalogue,

    /// <summary>A Gherkin syntax error.</summary>
    Gherkin,

    /// <summary>A feature tag problem: unknown rule id, unobservable rule, or no catalogue for the feature.</summary>
    Tag,

    /// <summary>A step no binding matches.</summary>
    UndefinedStep,

    /// <summary>A step several bindings match.</summary>
    AmbiguousStep,

    /// <summary>A bad binding: invalid expression, signature that cannot fit, unsupported parameter type.</summary>
    Binding,
}

/// <summary>One problem found while loading features, catalogues and bindings.</summary>
public sealed record LoadError
{
    public required LoadErrorKind Kind { get; init; }

    /// <summary>The file (or, for a binding, the type and method) the problem is in.</summary>
    public required string File { get; init; }

    /// <summary>1-based line; 0 when unknown.</summary>
    public int Line { get; init; }

    /// <summary>1-based column; 0 when unknown.</summary>
    public int Column { get; init; }

    /// <summary>What is wrong.</summary>
    public required string Message { get; init; }

    /// <summary>For an undefined step: a C# binding to paste.</summary>
    public string? Snippet { get; init; }

    /// <summary><c>file:line:column: message</c>, with the snippet on the following lines.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder(File);
        if (Line > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $":{Line}");
            if (Column > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $":{Column}");
            }
        }

        sb.Append(": ").Append(Message);
        if (Snippet is not null)
        {
            sb.Append("\n    ").Append(Snippet.Replace("\n", "\n    ", StringComparison.Ordinal));
        }

        return sb.ToString();
    }
}
