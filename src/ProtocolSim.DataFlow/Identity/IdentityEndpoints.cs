using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.DataFlow.Identity;

/// <summary>The journal of every token request the mock identity server answered (secrets redacted).</summary>
internal sealed class IdentityJournal(SessionJournal journal)
{
    public SessionJournal Journal { get; } = journal;
}

/// <summary>Composition of the mock identity server (STYLE.md: Add&lt;Name&gt; / Map&lt;Name&gt;).</summary>
public static class IdentityEndpoints
{
    /// <summary>Largest token request body accepted (a form of four short fields).</summary>
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Registers the identity options (validated: throws listing every error), the token service and its journal.</summary>
    public static IServiceCollection AddDataFlowIdentity(this IServiceCollection services, Action<IdentityOptions> configure)
    {
        var options = services.AddFakeOptions(configure, "identity");
        services.AddSingleton(sp => new TokenService(options, sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton(sp =>
        {
            var journal = new SessionJournal("identity", "dataflow-identity", sp.GetService<TimeProvider>(), new Redactor(options.Clients.Select(c => c.ClientSecret)));
            journal.SetLabel(SessionJournal.LifetimeLabel, "service");
            return new IdentityJournal(journal);
        });
        return services;
    }

    /// <summary>Maps <c>POST /connect/token</c> (dataflow.md §2.9, §4.3).</summary>
    public static IEndpointRouteBuilder MapDataFlowIdentity(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("/connect/token", HandleAsync);
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, IdentityOptions options, TokenService tokens, IdentityJournal identity)
    {
        var journal = identity.Journal;
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        var request = context.Request;
        if (!request.HasFormContentType)
        {
            // DFA-001: the token is obtained with a form-encoded POST.
            journal.Append(Direction.FromClient, FrameKind.Text, $"POST /connect/token with Content-Type {request.ContentType ?? "(none)"}", length: (int)(request.ContentLength ?? 0));
            journal.AddFinding("DFA-001", "The token request is not form-encoded.", "Content-Type: application/x-www-form-urlencoded", request.ContentType ?? "no Content-Type");
            return Error(journal, "invalid_request", "The request must be application/x-www-form-urlencoded.");
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException or IOException)
        {
            journal.Append(Direction.FromClient, FrameKind.Error, $"POST /connect/token: unreadable form ({ex.Message})");
            return Error(journal, "invalid_request", "The form could not be read.");
        }

        var (clientId, clientSecret) = Credentials(request, form);
        var fields = string.Join("&", form.Select(f => $"{f.Key}={(f.Key == "client_secret" ? Redactor.Mask : f.Value.ToString())}"));
        journal.Append(Direction.FromClient, FrameKind.Text, $"POST /connect/token grant_type={form["grant_type"]} client_id={clientId} scope={form["scope"]}", text: fields);

        var grant = form["grant_type"].ToString();
        if (grant.Length == 0)
        {
            return Error(journal, "invalid_request", "grant_type is required.");
        }

        if (grant != "client_credentials")
        {
            journal.AddFinding("DFA-001", "The token request does not use the client credentials grant.", "grant_type=client_credentials", $"grant_type={grant}");
            return Error(journal, "unsupported_grant_type", null);
        }

        var client = options.Clients.FirstOrDefault(c => string.Equals(c.ClientId, clientId, StringComparison.Ordinal));
        if (client is null || !CryptographicEquals(client.ClientSecret, clientSecret))
        {
            return Error(journal, "invalid_client", null);
        }

        var scope = form["scope"].ToString();
        if (scope.Length == 0)
        {
            // RN sends no scope; the mock grants Wagtail (§4.3) and notes the SHOULD.
            journal.AddFinding("DFA-002", "The token request has no scope.", "scope=Wagtail", "no scope");
        }
        else if (scope.Split(' ', StringSplitOptions.RemoveEmptyEntries) is not [IdentityOptions.Scope])
        {
            return Error(journal, "invalid_scope", null);
        }

        var (token, _) = tokens.Issue(client);
        var body = new JsonObject
        {
            ["access_token"] = token,
            ["expires_in"] = (long)options.ExpiresIn.TotalSeconds,
            ["token_type"] = "Bearer",
            ["scope"] = IdentityOptions.Scope,
        };
        journal.Append(Direction.ToClient, FrameKind.Text, $"200 token for {client.ClientId} (expires in {(long)options.ExpiresIn.TotalSeconds} s)",
            text: body.ToJsonString().Replace(token, $"<RS256 JWT, {token.Length} chars>", StringComparison.Ordinal));
        context.Response.Headers.CacheControl = "no-store"; // RFC 6749 §5.1
        context.Response.Headers.Pragma = "no-cache";
        return Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8);
    }

    /// <summary>Client credentials from the form or, as RFC 6749 §2.3.1 also allows, from HTTP Basic.</summary>
    private static (string? Id, string? Secret) Credentials(HttpRequest request, IFormCollection form)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                var colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0)
                {
                    return (Uri.UnescapeDataString(decoded[..colon]), Uri.UnescapeDataString(decoded[(colon + 1)..]));
                }
            }
            catch (FormatException)
            {
            }
        }

        return (form["client_id"].ToString(), form["client_secret"].ToString());
    }

    private static bool CryptographicEquals(string expected, string? actual) =>
        actual is not null && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(actual));

    /// <summary>An OAuth2 token endpoint error (RFC 6749 §5.2), status 400 as dataflow.md §4.3 gives it.</summary>
    private static IResult Error(SessionJournal journal, string error, string? description)
    {
        var body = new JsonObject { ["error"] = error };
        if (description is not null)
        {
            body["error_description"] = description;
        }

        journal.Append(Direction.ToClient, FrameKind.Text, $"400 {error}", text: body.ToJsonString());
        return Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, StatusCodes.Status400BadRequest);
    }
}
