using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ProtocolSim.DataFlow.Identity;

namespace ProtocolSim.DataFlow.Tests;

public sealed class IdentityTests : IAsyncLifetime
{
    private const string Tenant = "5a0b2c3d-1111-4222-8333-944455566677";
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private WebApplication? _app;
    private HttpClient? _http;

    private HttpClient Http => _http!;

    private IServiceProvider Services => _app!.Services;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddSingleton<TimeProvider>(_clock);
        builder.Services.AddDataFlowIdentity(o => o.Clients.Add(new IdentityClient { ClientId = "ca-client", ClientSecret = "s3cret-value-42", Tenant = Tenant }));
        _app = builder.Build();
        _app.MapDataFlowIdentity();
        await _app.StartAsync();
        _http = new HttpClient { BaseAddress = new Uri(_app.Urls.First()) };
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private Task<HttpResponseMessage> PostFormAsync(params (string Key, string Value)[] fields) =>
        Http.PostAsync("/connect/token", new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))));

    private static readonly (string, string)[] Good =
        [("client_id", "ca-client"), ("client_secret", "s3cret-value-42"), ("grant_type", "client_credentials"), ("scope", "Wagtail")];

    [Fact]
    public async Task Token_ClientCredentials_ReturnsDocumentedBodyAndRs256Jwt()
    {
        using var response = await PostFormAsync(Good);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal(31536000, root.GetProperty("expires_in").GetInt64());
        Assert.Equal("Bearer", root.GetProperty("token_type").GetString());
        Assert.Equal("Wagtail", root.GetProperty("scope").GetString());
        var token = root.GetProperty("access_token").GetString()!;
        var parts = token.Split('.');
        Assert.Equal(3, parts.Length);
        using (var header = JsonDocument.Parse(Base64Url(parts[0])))
        {
            // The documented example's header: RS256 with a key id.
            Assert.Equal("RS256", header.RootElement.GetProperty("alg").GetString());
            Assert.Equal("JWT", header.RootElement.GetProperty("typ").GetString());
            Assert.Matches("^[0-9]{10}$", header.RootElement.GetProperty("kid").GetString()!);
        }


        using var payload = JsonDocument.Parse(Base64Url(parts[1]));
        Assert.Equal(Tenant, payload.RootElement.GetProperty("tenant_id").GetString());
        var (check, claims) = await Services.GetRequiredService<TokenService>().CheckAsync(token);
        Assert.Equal(TokenCheck.Valid, check);
        Assert.Equal("ca-client", claims!.ClientId);
        Assert.Equal(Tenant, claims.Tenant);
        Assert.Equal(_clock.GetUtcNow().AddSeconds(31_536_000), claims.Expires);
    }

    [Fact]
    public async Task Token_BasicAuthCredentials_Accepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent([new("grant_type", "client_credentials"), new("scope", "Wagtail")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ca-client:s3cret-value-42")));
        using var response = await Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("ca-client", "wrong", "client_credentials", "Wagtail", "invalid_client")]
    [InlineData("nobody", "s3cret-value-42", "client_credentials", "Wagtail", "invalid_client")]
    [InlineData("ca-client", "s3cret-value-42", "password", "Wagtail", "unsupported_grant_type")]
    [InlineData("ca-client", "s3cret-value-42", "client_credentials", "openid", "invalid_scope")]
    [InlineData("ca-client", "s3cret-value-42", "", "Wagtail", "invalid_request")]
    public async Task Token_BadRequest_ReturnsOAuth2Error(string id, string secret, string grant, string scope, string error)
    {
        using var response = await PostFormAsync(("client_id", id), ("client_secret", secret), ("grant_type", grant), ("scope", scope));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(error, body.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Token_NoScope_GrantedWagtailAndNotedAsDfa002()
    {
        using var response = await PostFormAsync(("client_id", "ca-client"), ("client_secret", "s3cret-value-42"), ("grant_type", "client_credentials"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"scope\":\"Wagtail\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(Services.GetRequiredService<IdentityJournal>().Journal.Findings, f => f.RuleId == "DFA-002");
    }

    [Fact]
    public async Task Token_JsonBody_IsInvalidRequestAndDfa001()
    {
        using var response = await Http.PostAsync("/connect/token", new StringContent("""{"client_id":"ca-client"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("invalid_request", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains(Services.GetRequiredService<IdentityJournal>().Journal.Findings, f => f.RuleId == "DFA-001");
    }

    [Fact]
    public async Task Token_Get_IsMethodNotAllowed()
    {
        using var response = await Http.GetAsync("/connect/token");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
    }

    [Fact]
    public async Task Journal_NeverHoldsTheSecretOrTheToken()
    {
        using var response = await PostFormAsync(Good);
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        var journal = Services.GetRequiredService<IdentityJournal>().Journal;
        var text = string.Join("\n", journal.Entries.Select(e => e.Summary + " " + e.Text));
        Assert.DoesNotContain("s3cret-value-42", text, StringComparison.Ordinal);
        Assert.DoesNotContain(token, text, StringComparison.Ordinal);
        Assert.Contains("client_secret=***", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_ExpiredTamperedOrForeignToken_IsRefused()
    {
        using var response = await PostFormAsync(Good);
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
        var service = Services.GetRequiredService<TokenService>();
        var parts = token.Split('.');

        // Another tenant written into the payload, the signature kept.
        var payload = Encoding.UTF8.GetString(Base64Url(parts[1])).Replace(Tenant, "00000000-0000-4000-8000-000000000000", StringComparison.Ordinal);
        var tampered = parts[0] + "." + Convert.ToBase64String(Encoding.UTF8.GetBytes(payload)).TrimEnd('=').Replace('+', '-').Replace('/', '_') + "." + parts[2];
        Assert.Equal(TokenCheck.BadSignature, (await service.CheckAsync(tampered)).Check);
        Assert.Equal(TokenCheck.BadSignature, (await service.CheckAsync(parts[0] + "." + parts[1] + ".")).Check); // signature removed
        Assert.Equal(TokenCheck.Malformed, (await service.CheckAsync("not-a-jwt")).Check);
        Assert.Equal(TokenCheck.Malformed, (await service.CheckAsync("a.b.c")).Check);
        Assert.Equal(TokenCheck.Missing, (await service.CheckAsync(null)).Check);
        using var other = new TokenService(new IdentityOptions(), _clock);
        Assert.Equal(TokenCheck.BadSignature, (await other.CheckAsync(token)).Check); // another run's key
        _clock.Advance(TimeSpan.FromSeconds(31_536_000) - TimeSpan.FromSeconds(1));
        Assert.Equal(TokenCheck.Valid, (await service.CheckAsync(token)).Check);
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(TokenCheck.Expired, (await service.CheckAsync(token)).Check);
    }

    [Fact]
    public async Task Tokens_IssuedAndCheckedByManyServicesAtOnce_AreAllValid()
    {
        // Every scenario has its own mock, so many token services sign and validate at once on first use.
        var client = new IdentityClient { ClientId = "ca-client", ClientSecret = "s3cret-value-42", Tenant = Tenant };
        var services = Enumerable.Range(0, 16).Select(_ => new TokenService(new IdentityOptions(), _clock)).ToList();
        try
        {
            var checks = await Task.WhenAll(services.SelectMany(service => Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
                (await service.CheckAsync(service.Issue(client).Token)).Check))));
            Assert.All(checks, check => Assert.Equal(TokenCheck.Valid, check));
        }
        finally
        {
            services.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void Options_InvalidConfiguration_ReportsEveryError()
    {
        var options = new IdentityOptions { ExpiresIn = TimeSpan.Zero };
        options.Clients.Add(new IdentityClient { ClientId = "a", ClientSecret = "x", Tenant = "not-a-guid" });
        options.Clients.Add(new IdentityClient { ClientId = "a", ClientSecret = "", Tenant = Tenant });
        var errors = options.Validate();
        Assert.Equal(4, errors.Count);
    }

    private static byte[] Base64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '='));
    }
}
