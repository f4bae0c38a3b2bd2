namespace ProtocolSim.DataFlow.Identity;

/// <summary>A client the mock identity server knows (client credentials grant).</summary>
public sealed record IdentityClient
{
    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    /// <summary>Tenant GUID the client's tokens are for.</summary>
    public required string Tenant { get; init; }
}

/// <summary>How tokens are checked by the Data Flow endpoints (dataflow.md §5 <c>Auth:Validate</c>).</summary>
public enum TokenValidation
{
    /// <summary>Signature, expiry and scope.</summary>
    Full,

    /// <summary>Any non-empty token.</summary>
    Presence,

    /// <summary>No check.</summary>
    Off,
}

/// <summary>Options of the mock identity server (dataflow.md §2.9, §4.3, §5).</summary>
public sealed class IdentityOptions : ProtocolSim.Core.Hosting.IFakeOptions
{
    /// <summary>The one scope Data Flow tokens carry.</summary>
    public const string Scope = "Wagtail";

    public List<IdentityClient> Clients { get; } = [];

    /// <summary>Token lifetime, <c>expires_in</c> (§5 <c>Auth:ExpiresIn</c>).</summary>
    public TimeSpan ExpiresIn { get; set; } = TimeSpan.FromSeconds(31_536_000);

    public TokenValidation Validation { get; set; } = TokenValidation.Full;

    /// <summary>The <c>iss</c> claim.</summary>
    public string Issuer { get; set; } = "https://core-identity.protosim.local";

    /// <summary>Every configuration error at once (empty when valid).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (ExpiresIn <= TimeSpan.Zero)
        {
            errors.Add($"Identity: ExpiresIn must be positive (is {ExpiresIn}).");
        }

        foreach (var (client, i) in Clients.Select((c, i) => (c, i)))
        {
            if (string.IsNullOrWhiteSpace(client.ClientId) || string.IsNullOrEmpty(client.ClientSecret))
            {
                errors.Add($"Identity: Clients[{i}] needs a ClientId and a ClientSecret.");
            }

            if (!Guid.TryParse(client.Tenant, out _))
            {
                errors.Add($"Identity: Clients[{i}] ({client.ClientId}) Tenant \"{client.Tenant}\" is not a GUID.");
            }
        }

        foreach (var duplicate in Clients.GroupBy(c => c.ClientId, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"Identity: client id \"{duplicate.Key}\" is configured {duplicate.Count()} times.");
        }

        return errors;
    }
}
