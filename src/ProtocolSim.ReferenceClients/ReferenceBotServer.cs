using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ProtocolSim.ReferenceClients;

/// <summary>
/// A running reference bot: a WebSocket server (Kestrel, loopback, TLS with an in-memory self-signed certificate
/// unless the variant is plain WS) that the Knowlarity peer dials.
/// </summary>
/// <remarks>
/// The Stream-Node metadata carries no sample rate: a real bot is configured with the rate of its Stream Node. A
/// reference bot is configured per call through the query of the URL the peer dials, <c>?sampling_rate=8000</c>
/// (8000..48000; default 16000). Verloop bots take <c>sample_rate</c> from the first message, and use the query
/// only for audio sent before it (verloop-greet-early).
/// </remarks>
public sealed class ReferenceBotServer : IAsyncDisposable
{
    /// <summary>Query parameter that configures the Stream-Node rate of a call.</summary>
    public const string SamplingRateQuery = "sampling_rate";

    private const int DefaultSampleRate = 16000;

    private readonly WebApplication _app;
    private readonly BotRuntime _runtime;
    private readonly X509Certificate2? _certificate;
    private int _disposed;

    private ReferenceBotServer(WebApplication app, BotRuntime runtime, X509Certificate2? certificate, Uri url)
    {
        _app = app;
        _runtime = runtime;
        _certificate = certificate;
        Url = url;
    }

    /// <summary>The URL to dial, e.g. <c>wss://127.0.0.1:40123/voice</c>.</summary>
    public Uri Url { get; }

    public ReferenceBotInfo Info => _runtime.Info;

    /// <summary>The self-signed server certificate (public part useful for pinning); null for plain-WS variants.</summary>
    public X509Certificate2? Certificate => _certificate;

    /// <summary>Connections being served now.</summary>
    public int ActiveCalls => _runtime.ActiveCalls;

    /// <summary>Connections finished since start.</summary>
    public long CallsHandled => _runtime.CallsHandled;

    internal BotRuntime Runtime => _runtime;

    /// <summary>Starts the bot called <paramref name="name"/> (see <see cref="ReferenceBots.All"/>).</summary>
    /// <exception cref="ArgumentException">Unknown name or invalid options (every problem listed).</exception>
    public static async Task<ReferenceBotServer> StartAsync(
        string name, ReferenceBotOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (info, behavior) = ReferenceBots.Resolve(name);
        options ??= new ReferenceBotOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid reference bot options: " + string.Join(" ", errors), nameof(options));
        }

        var bind = IPAddress.Parse(options.Bind);
        var certificate = info.Tls ? SelfSignedCertificate.Create(options.TimeProvider, bind) : null;
        try
        {
            var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions
            {
                ApplicationName = typeof(ReferenceBotServer).Assembly.GetName().Name,
            });
            builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                kestrel.AddServerHeader = false;
                kestrel.Listen(bind, options.Port, listen =>
                {
                    if (certificate is not null)
                    {
                        listen.UseHttps(certificate);
                    }
                });
            });
            builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
            if (options.LoggerFactory is { } loggerFactory)
            {
                builder.Services.AddSingleton(loggerFactory);
            }
            else
            {
                builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
            }

            var app = builder.Build();
            var runtime = new BotRuntime
            {
                Info = info,
                Behavior = behavior,
                Options = options,
                Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ProtocolSim.ReferenceClients." + info.Name),
            };
            var stopping = app.Lifetime.ApplicationStopping;
            app.UseWebSockets();
            app.Run(context => HandleAsync(context, runtime, stopping));
            await app.StartAsync(cancellationToken);

            var url = BuildUrl(app, bind, info);
            Log.Listening(runtime.Logger, info.Name, url);
            return new ReferenceBotServer(app, runtime, certificate, url);
        }
        catch
        {
            certificate?.Dispose();
            throw;
        }
    }

    private static Uri BuildUrl(WebApplication app, IPAddress bind, ReferenceBotInfo info)
    {
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.First();
        var port = new Uri(address).Port;
        var host = bind.Equals(IPAddress.Any) ? IPAddress.Loopback
            : bind.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : bind;
        return new UriBuilder(info.Tls ? "wss" : "ws", host.ToString(), port, info.Path).Uri;
    }

    private static async Task HandleAsync(HttpContext context, BotRuntime runtime, CancellationToken stopping)
    {
        var request = context.Request;

        // 003-V ch.4 Issue 8: a path other than the configured one is a 404 the peer sees as a failed upgrade.
        if (!string.Equals(request.Path.Value, runtime.Info.Path, StringComparison.Ordinal))
        {
            Log.Refused(runtime.Logger, runtime.Info.Name, request.Path.Value ?? string.Empty, "path not served");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status426UpgradeRequired;
            return;
        }

        if (!TryReadRate(request.Query[SamplingRateQuery], out var rate))
        {
            Log.Refused(runtime.Logger, runtime.Info.Name, request.Path.Value ?? string.Empty, "bad sampling_rate");
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var call = new BotCall(runtime, socket, rate, context.RequestAborted);
        runtime.OnCallStarted();
        var end = CallEnd.Aborted;
        try
        {
            end = await call.RunAsync(stopping);
        }
        finally
        {
            runtime.OnCallFinished(call.CallId, end);
        }
    }

    private static bool TryReadRate(string? text, out int rate)
    {
        if (string.IsNullOrEmpty(text))
        {
            rate = DefaultSampleRate;
            return true;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out rate)
            && rate is >= CallMetadataParser.MinSampleRate and <= CallMetadataParser.MaxSampleRate;
    }

    /// <summary>Stops accepting, ends every call (connections are aborted) and releases the certificate.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _app.StopAsync(CancellationToken.None);
        }
        finally
        {
            await _app.DisposeAsync();
            _certificate?.Dispose();
        }
    }
}
