using System.Globalization;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

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

/// <summary>The outcome of <see cref="TokenService.CheckAsync"/>: the verdict, and the claims of a valid token.</summary>
public readonly record struct TokenResult(TokenCheck Check, TokenClaims? Claims = null);

/// <summary>
/// Issues and checks the mock's access tokens with Microsoft.IdentityModel's <see cref="JsonWebTokenHandler"/>: RS256
/// JWTs like the documented example (dataflow.md §2.9; its header names a <c>kid</c>), signed with a key made when the
/// mock starts, so a token from another run or another server is refused. Lifetimes are judged on the injected clock.
/// </summary>
public sealed class TokenService : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly SigningCredentials _signing;
    private readonly TokenValidationParameters _validation;
    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly IdentityOptions _options;
    private readonly TimeProvider _time;

    public TokenService(IdentityOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;

        // A key id as in the documented token's header: ten digits, new with every key.
        var key = new RsaSecurityKey(_rsa) { KeyId = RandomNumberGenerator.GetInt32(1_000_000_000, int.MaxValue).ToString(CultureInfo.InvariantCulture) };
        _signing = new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
        _validation = new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            ValidIssuer = options.Issuer,
            ValidateAudience = false,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.Zero,

            // The handler's own lifetime check reads the system clock; ours reads the injected one, so a test's virtual
            // clock expires a token (its TimeProvider property is not public in 8.x).
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                if (expires is { } end && now >= end)
                {
                    throw new SecurityTokenExpiredException($"The token expired at {end:O}.") { Expires = end };
                }

                if (notBefore is { } start && now < start)
                {
                    throw new SecurityTokenNotYetValidException($"The token is valid from {start:O}.") { NotBefore = start };
                }

                return expires is not null;
            },

            // Tokens carry client_id and scope as they are; no mapping onto .NET claim types.
            NameClaimType = "client_id",
        };

        // The key is made lazily by the first signature, and the handler's first token JIT-compiles its path: both are
        // done here, when the mock starts, not inside a client's first token request (on a loaded machine together
        // they took seconds, past a client's HTTP timeout).
        var warm = Issue(new IdentityClient { ClientId = "warm-up", ClientSecret = "-", Tenant = Guid.Empty.ToString() });
        _ = _handler.ReadJsonWebToken(warm.Token);
    }

    /// <summary>Issues a token for <paramref name="client"/>.</summary>
    public (string Token, DateTimeOffset Expires) Issue(IdentityClient client)
    {
        var now = _time.GetUtcNow();
        var expires = now + _options.ExpiresIn;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _options.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = _signing,
            Claims = new Dictionary<string, object>
            {
                ["client_id"] = client.ClientId,
                ["tenant_id"] = client.Tenant,
                ["scope"] = IdentityOptions.Scope,
                ["jti"] = Guid.NewGuid().ToString("N"),
            },
        });
        return (token, expires);
    }

    /// <summary>Checks a token as the Data Flow endpoints do (§5 <c>Auth:Validate</c>).</summary>
    public async ValueTask<TokenResult> CheckAsync(string? token)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return new(_options.Validation == TokenValidation.Off ? TokenCheck.Valid : TokenCheck.Missing);
        }

        if (_options.Validation != TokenValidation.Full)
        {
            return new(TokenCheck.Valid);
        }

        var result = await _handler.ValidateTokenAsync(token, _validation).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return new(result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenNotYetValidException => TokenCheck.Expired,
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidIssuerException
                    or SecurityTokenInvalidAlgorithmException => TokenCheck.BadSignature,
                _ => TokenCheck.Malformed,
            });
        }

        if (!result.Claims.TryGetValue("client_id", out var clientId) || !result.Claims.TryGetValue("tenant_id", out var tenant)
            || result.SecurityToken is not JsonWebToken jwt)
        {
            return new(TokenCheck.Malformed);
        }

        var claims = new TokenClaims(clientId.ToString()!, tenant.ToString()!, result.Claims.TryGetValue("scope", out var scope) ? scope.ToString()! : "",
            new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
        return new(claims.Scope == IdentityOptions.Scope ? TokenCheck.Valid : TokenCheck.WrongScope, claims);
    }

    public void Dispose() => _rsa.Dispose();
}
