using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Knowlarity.Rest.Stubbing;
using WireMock.Logging;
using WireMock.Server;
using WireMock.Settings;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>
/// The Knowlarity fake hosted on WireMock.Net (one port): WireMock.Net's stubbing, request log and admin API, with
/// the fake's stateful behaviour as the lowest-priority mapping (<see cref="BuiltInBehaviour"/>) and the
/// notifications stream, OpenAPI document and simulator controls in front of WireMock.Net's middleware.
/// </summary>
/// <remarks>
/// While no user stub exists, an API request is answered by the built-in behaviour directly, before WireMock.Net's
/// middleware (which matches every request against its ~45 admin mappings and re-sorts its request log on every add:
/// 12k requests/s at best, 1.7k with a 10,000-entry log, measured in <c>docs/benchmarks.md</c>); the request still
/// lands in WireMock.Net's log (<see cref="RequestLogFeed"/>). While user stubs exist, each is asked first with
/// WireMock.Net's own matcher, and only a request that one of them may answer goes through WireMock.Net's middleware,
/// so a stub always wins.
/// </remarks>
public sealed partial class KnowlarityHost : IFakeHost
{
    private readonly RequestLogFeed _feed;
    private readonly WireMockServerSettings _settings;
    private readonly BuiltInBehaviour _behaviour;
    private readonly int _maxBody;
    private readonly TimeProvider _time;

    private KnowlarityHost(WireMockServer wireMock, WireMockServerSettings settings, IServiceProvider services, RequestLogFeed feed)
    {
        _settings = settings;
        WireMock = wireMock;
        Services = services;
        _feed = feed;
        Api = services.GetRequiredService<KnowlarityApi>();
        Options = services.GetRequiredService<KnowlarityOptions>();
        _maxBody = Options.MaxBodyBytes;
        _time = services.GetRequiredService<TimeProvider>();
        feed.Max = Options.MaxRequestJournalEntries;
        wireMock.SetMaxRequestLogCount(Options.MaxRequestJournalEntries);
        _behaviour = new BuiltInBehaviour(Api);
        BuiltInBehaviour.EnsureMapped(wireMock, _behaviour);
        wireMock.LogEntriesChanged += (_, e) => BuiltInBehaviour.JournalStubbed(Api, e);
    }

    /// <summary>The WireMock.Net server: add stubs with its fluent API (<c>WireMock.Given(Request.Create()...)</c>).</summary>
    public WireMockServer WireMock { get; }

    /// <summary>The fake's services (options, API, call simulator, notifications hub, journals).</summary>
    public IServiceProvider Services { get; }

    public KnowlarityOptions Options { get; }

    public KnowlarityApi Api { get; }

    public string BaseUrl => WireMock.Url!.TrimEnd('/');

    /// <summary>Whether requests answered by the built-in behaviour reach WireMock.Net's log without its middleware (see <see cref="RequestLogFeed"/>).</summary>
    public bool FastPath => _feed.Active;

    /// <summary>WireMock.Net's request log, with every request the built-in behaviour answered on the fast path moved in first.</summary>
    public IReadOnlyList<ILogEntry> LogEntries
    {
        get
        {
            _feed.Flush();
            return WireMock.LogEntries;
        }
    }

    /// <summary>WireMock.Net's <c>FindLogEntries</c> over the whole log (see <see cref="LogEntries"/>).</summary>
    public IReadOnlyList<ILogEntry> FindLogEntries(params WireMock.Matchers.Request.IRequestMatcher[] matchers)
    {
        _feed.Flush();
        return WireMock.FindLogEntries(matchers);
    }

    public static Task<KnowlarityHost> StartAsync(IPAddress address, Action<KnowlarityOptions> configure, CancellationToken cancellationToken, Action<IServiceCollection>? services = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var feed = new RequestLogFeed();
        IServiceProvider? provider = null;
        KnowlarityHost? self = null;
        var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        var settings = new WireMockServerSettings
        {
            Urls = [$"http://{host}:0"],
            StartAdminInterface = true,
            Logger = new WireMockNullLogger(),

            // Ours to read as well: the fast path asks stubs in a scenario for a match in the scenario's state.
            ScenarioStateStore = new WireMock.Handlers.InMemoryScenarioStateStore(),
            AdditionalServiceRegistration = collection =>
            {
                feed.Attach(collection);

                // WireMock.Net lifts Kestrel's limits (no body, request-buffer or response-buffer bound); the fake's
                // bounds come back after its settings: a stalled notifications reader then holds back the hub's
                // bounded per-subscriber buffer instead of growing Kestrel's output without end.
                collection.PostConfigure<KestrelServerOptions>(kestrel =>
                {
                    kestrel.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
                    kestrel.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
                    kestrel.Limits.MaxRequestBufferSize = 1024 * 1024;
                    kestrel.Limits.MaxResponseBufferSize = 64 * 1024;
                });
                collection.AddRouting();
                collection.AddKnowlarity(configure);
                services?.Invoke(collection);
            },
            PreWireMockMiddlewareInit = builder =>
            {
                var app = (IApplicationBuilder)builder;
                provider = app.ApplicationServices;
                app.Use((context, next) => self is { } server ? server.GateAsync(context, next) : next(context));
                app.UseRouting();
                app.UseEndpoints(endpoints =>
                {
                    endpoints.MapKnowlarity();
                    StubbingEndpoints.Map(endpoints, () => self);
                });
            },
        };

        WireMockServer wireMock;
        try
        {
            wireMock = WireMockServer.Start(settings);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"The Knowlarity fake did not start on {host}: {e.Message}", e);
        }

        self = new KnowlarityHost(wireMock, settings, provider ?? throw new InvalidOperationException("WireMock.Net did not run the fake's middleware set-up."), feed);
        return Task.FromResult(self);
    }

    /// <summary>In front of WireMock.Net's middleware: the fast path, body bounds, and the log kept in order.</summary>
    private Task GateAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith("/__admin", StringComparison.OrdinalIgnoreCase))
        {
            _feed.Flush();
            return AdminAsync(context, next);
        }

        if (path.StartsWith("/update-stream/", StringComparison.Ordinal) || path == "/openapi.json")
        {
            return next(context);
        }

        var isApi = ApiRequest.TryParseApiPath(path, out _, out _);
        if (isApi && _feed.Active)
        {
            return _feed.HasUserStubs() ? PreMatchAsync(context, next) : Api.HandleAsync(context, _feed.Add);
        }

        return WireMockNetAsync(context, next);
    }

    /// <summary>
    /// An API request while user stubs exist: the stubs are asked first, with WireMock.Net's matcher; only a request
    /// that one of them may answer goes through WireMock.Net's middleware (its admin-mapping matching and log sorting
    /// are what make it slow), the rest is answered by the built-in behaviour at once.
    /// </summary>
    private async Task PreMatchAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var (body, tooLarge) = await KnowlarityApi.ReadBodyAsync(request, _maxBody, context.RequestAborted);
        if (tooLarge)
        {
            await Api.AnswerAsync(context, body, tooLarge: true, _feed.Add);
            return;
        }

        if (!ComparableWithoutWireMockNet(request, body) || _settings.AllowPartialMapping == true
            || _feed.AnyUserStubMayMatch(Live(context, body), _settings.ScenarioStateStore!))
        {
            request.Body = new MemoryStream(body, writable: false);
            await WireMockNetAsync(context, next);
            return;
        }

        await Api.AnswerAsync(context, body, tooLarge: false, _feed.Add);
    }

    /// <summary>
    /// Whether <see cref="Live"/> shows the request to a matcher as WireMock.Net's own request parser would: a body that
    /// is UTF-8 text, not compressed and not a form (WireMock.Net decodes those its own way).
    /// </summary>
    private static bool ComparableWithoutWireMockNet(HttpRequest request, byte[] body)
    {
        if (body.Length == 0)
        {
            return true;
        }

        if (request.Headers.ContentEncoding.Count > 0
            || (request.ContentType?.Contains("form-urlencoded", StringComparison.OrdinalIgnoreCase) ?? false)
            || (request.ContentType?.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return false;
        }

        return System.Text.Unicode.Utf8.IsValid(body);
    }

    private WireMock.RequestMessage Live(HttpContext context, byte[] body)
    {
        var request = context.Request;
        var headers = request.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value.ToString())).ToList();
        var raw = new RawRequest(request.Method, (request.Path.Value ?? "/") + request.QueryString.Value, request.Protocol, headers, System.Text.Encoding.UTF8.GetString(body));
        var connection = context.Connection;
        return WireMockRequests.Create(raw, _time.GetUtcNow().UtcDateTime, connection.RemoteIpAddress?.ToString() ?? "", request.Host.Host, request.Host.Port ?? connection.LocalPort);
    }

    /// <summary>Into WireMock.Net's middleware: the fast path's log moved in first, bodies bounded, the built-in mapping present.</summary>
    private Task WireMockNetAsync(HttpContext context, RequestDelegate next)
    {
        _feed.Flush();
        if (context.Request.ContentLength > _maxBody)
        {
            // Answered (413) and journaled by the built-in behaviour, as on the fast path: WireMock.Net would buffer it.
            return Api.HandleAsync(context, _feed.Add);
        }

        LimitBody(context, _maxBody);
        BuiltInBehaviour.EnsureMapped(WireMock, _behaviour);
        return next(context);
    }

    private async Task AdminAsync(HttpContext context, RequestDelegate next)
    {
        LimitBody(context, 16 * 1024 * 1024);
        await next(context);

        // A reset deletes the built-in mapping too; it comes back (and the fast path with it while no stub exists).
        BuiltInBehaviour.EnsureMapped(WireMock, _behaviour);
    }

    /// <summary>Bounds what WireMock.Net's middleware reads of this request's body (it buffers the whole body).</summary>
    private static void LimitBody(HttpContext context, long bytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = bytes;
        }
    }

    /// <summary>WireMock.Net's <c>Reset()</c> (stubs, request log, scenarios), then the built-in behaviour's mapping back.</summary>
    public void Reset()
    {
        _feed.Clear();
        WireMock.Reset();
        BuiltInBehaviour.EnsureMapped(WireMock, _behaviour);
    }

    public Task StopAsync()
    {
        WireMock.Stop();
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        WireMock.Dispose();
        if (Services is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
    }
}
