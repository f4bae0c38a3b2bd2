using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.DataFlow.Identity;

/// <summary>Why a token was refused (an expected outcome, not an exception).</summary>
public enum TokenCheck
{
    Valid,
    Missing,
    Malformed,
    BadSignature,
    Expired,
    WrongScope,
}

/// <summary>The claims of a valid token.</summary>
public sealed record TokenClaims(string ClientId, string Tenant, string Scope, DateTimeOffset Expires);

/// <summary>
/// Issues and checks the mock's access tokens: RS256 JWTs like the documented example (dataflow.md §2.9), signed with
/// a key made when the mock starts, so a token from another run or another server is refused.
/// </summary>
public sealed class TokenService : IDisposable
{
    private static readonly byte[] Header = Encoding.UTF8.GetBytes("""{"alg":"RS256","typ":"JWT"}""");
    private readonly RSA _key = RSA.Create(2048);
    private readonly IdentityOptions _options;
    private readonly TimeProvider _time;

    public TokenService(IdentityOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    /// <summary>Issues a token for <paramref name="client"/>.</summary>
    public (string Token, DateTimeOffset Expires) Issue(IdentityClient client)
    {
        var now = _time.GetUtcNow();
        var expires = now + _options.ExpiresIn;
        var payload = new JsonObject
        {
            ["iss"] = _options.Issuer,
            ["client_id"] = client.ClientId,
            ["tenant_id"] = client.Tenant,
            ["scope"] = IdentityOptions.Scope,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        var signingInput = Base64Url(Header) + "." + Base64Url(Encoding.UTF8.GetBytes(payload.ToJsonString()));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return (signingInput + "." + Base64Url(signature), expires);
    }

    /// <summary>Checks a token as the Data Flow endpoints do (§5 <c>Auth:Validate</c>).</summary>
    public TokenCheck Check(string? token, out TokenClaims? claims)
    {
        claims = null;
        if (string.IsNullOrWhiteSpace(token))
        {
            return _options.Validation == TokenValidation.Off ? TokenCheck.Valid : TokenCheck.Missing;
        }

        if (_options.Validation != TokenValidation.Full)
        {
            return TokenCheck.Valid;
        }

        var parts = token.Split('.');
        if (parts.Length != 3 || !TryBase64Url(parts[1], out var payloadBytes) || !TryBase64Url(parts[2], out var signature))
        {
            return TokenCheck.Malformed;
        }

        if (!_key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
        {
            return TokenCheck.BadSignature;
        }

        try
        {
            using var payload = JsonDocument.Parse(payloadBytes);
            var root = payload.RootElement;
            var expires = DateTimeOffset.FromUnixTimeSeconds(root.GetProperty("exp").GetInt64());
            claims = new TokenClaims(root.GetProperty("client_id").GetString()!, root.GetProperty("tenant_id").GetString()!, root.GetProperty("scope").GetString()!, expires);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return TokenCheck.Malformed;
        }

        if (_time.GetUtcNow() >= claims.Expires)
        {
            return TokenCheck.Expired;
        }

        return claims.Scope == IdentityOptions.Scope ? TokenCheck.Valid : TokenCheck.WrongScope;
    }

    public void Dispose() => _key.Dispose();

    private static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryBase64Url(string text, out byte[] bytes)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded = padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=');
        bytes = new byte[padded.Length];
        if (Convert.TryFromBase64String(padded, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        bytes = [];
        return false;
    }
}
