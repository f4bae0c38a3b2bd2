using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Knowlarity.Tests.Rest;

/// <summary>The Knowlarity fake on 127.0.0.1:0 with the repository's fixture and fast call timings, and a client with both keys.</summary>
internal sealed class KnowlarityTestHost : IAsyncDisposable
{
    private KnowlarityTestHost(KnowlarityHost app, HttpClient client)
    {
        App = app;
        Client = client;
    }

    public static readonly CallTiming Fast = new()
    {
        Ring = TimeSpan.FromMilliseconds(30),
        NoAnswerAfter = TimeSpan.FromMilliseconds(60),
        BusyAfter = TimeSpan.FromMilliseconds(20),
        Talk = TimeSpan.FromMilliseconds(80),
        Gap = TimeSpan.FromMilliseconds(10),
        CdrDelay = TimeSpan.FromMilliseconds(20),
    };

    public KnowlarityHost App { get; }

    /// <summary>Sends x-api-key and Authorization on every request.</summary>
    public HttpClient Client { get; }

    public string BaseUrl => App.BaseUrl;

    public KnowlarityOptions Options => App.Services.GetRequiredService<KnowlarityOptions>();

    public KnowlarityApi Api => App.Services.GetRequiredService<KnowlarityApi>();

    public AccountFixture Account => Options.Account!;

    public static AccountFixture LoadFixture()
    {
        var (fixture, errors) = AccountFixture.Load(AccountFixture.DefaultPath(RepositoryPaths.Fixtures()));
        Assert.True(fixture is not null, string.Join("\n", errors));
        return fixture!;
    }

    public static async Task<KnowlarityTestHost> StartAsync(Action<KnowlarityOptions>? configure = null, TimeProvider? time = null)
    {
        var fixture = LoadFixture();
        var app = await KnowlarityFake.StartAsync(IPAddress.Loopback, o =>
        {
            o.Account = fixture;
            o.Timing = Fast;
            configure?.Invoke(o);
        }, CancellationToken.None, services => services.AddSingleton(time ?? TimeProvider.System));
        var options = app.Services.GetRequiredService<KnowlarityOptions>();
        var client = new HttpClient { BaseAddress = new Uri(app.BaseUrl), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("x-api-key", options.Credentials.XApiKey);
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", options.Credentials.SrApiKey);
        return new KnowlarityTestHost(app, client);
    }

    public string Path(string rest) => "/Basic/v1/account" + rest;

    public async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(HttpMethod method, string path, object? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            var text = body as string ?? System.Text.Json.JsonSerializer.Serialize(body);
            request.Content = new StringContent(text, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await Client.SendAsync(request);
        var content = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, content.Length == 0 ? null : JsonNode.Parse(content));
    }

    public Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string rest) => SendAsync(HttpMethod.Get, Path(rest));

    public Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(string rest, object? body) => SendAsync(HttpMethod.Post, Path(rest), body);

    public Task<(HttpStatusCode Status, JsonNode? Body)> PutAsync(string rest, object? body) => SendAsync(HttpMethod.Put, Path(rest), body);

    public async Task RegisterAsync()
    {
        var (status, body) = await PostAsync("/notifications", new { knowlarity_number = new[] { Account.SrNumber } });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Successfully registered.", body!["message"]!.GetValue<string>());
    }

    /// <summary>Findings of every API journal for one rule.</summary>
    public IReadOnlyList<Core.Finding> Findings(string ruleId) => Api.Journals.SelectMany(j => j.FindingsFor(ruleId)).ToList();

    /// <summary>Opens the notifications stream and parses its <c>data:</c> lines into a channel.</summary>
    public async Task<SseReader> OpenStreamAsync(string? key = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, $"/update-stream/{key ?? Options.Credentials.SrApiKey}/konnect");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return new SseReader(client, response);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>Reads an SSE response line by line: events (from <c>data:</c>), comments, and the end of the stream.</summary>
internal sealed class SseReader : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Task _pump;

    public SseReader(HttpClient client, HttpResponseMessage response)
    {
        _client = client;
        Response = response;
        _pump = Task.Run(async () =>
        {
            try
            {
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                while (await reader.ReadLineAsync() is { } line)
                {
                    await _lines.Writer.WriteAsync(line);
                }

                _lines.Writer.TryComplete();
            }
            catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException or ArgumentException)
            {
                // ArgumentException: the response was disposed before the pump opened its stream ("not readable").
                _lines.Writer.TryComplete(e);
            }
        });
    }

    public HttpResponseMessage Response { get; }

    public List<string> Comments { get; } = [];

    /// <summary>The next event's JSON; null when the stream ended.</summary>
    public async Task<JsonObject?> NextAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            string line;
            try
            {
                if (!await _lines.Reader.WaitToReadAsync(cts.Token))
                {
                    return null;
                }

                line = await _lines.Reader.ReadAsync(cts.Token);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested)
            {
                return null;
            }
            catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or ArgumentException)
            {
                return null;
            }

            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return (JsonObject)JsonNode.Parse(line["data: ".Length..])!;
            }

            if (line.StartsWith(':'))
            {
                Comments.Add(line);
            }
        }
    }

    /// <summary>Events until the CDR of <paramref name="uuid"/> (inclusive).</summary>
    public async Task<List<JsonObject>> UntilCdrAsync(string uuid)
    {
        var events = new List<JsonObject>();
        while (await NextAsync() is { } e)
        {
            events.Add(e);
            if (e["type"]?.GetValue<string>() == "CDR" && e["uuid"]?.GetValue<string>() == uuid)
            {
                return events;
            }
        }

        throw new Xunit.Sdk.XunitException($"the stream ended before the CDR of {uuid}; got {string.Join(", ", events.Select(Name))}");
    }

    /// <summary>JSON text without <c>\u002B</c> escapes, to compare with documented bodies.</summary>
    public static string Text(JsonNode node) => node.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    public static string Name(JsonObject e) => e["event_type"]?.GetValue<string>() ?? e["type"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        Response.Dispose();
        _client.Dispose();
        try
        {
            await _pump;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or ObjectDisposedException or OperationCanceledException or ArgumentException)
        {
        }
    }
}
