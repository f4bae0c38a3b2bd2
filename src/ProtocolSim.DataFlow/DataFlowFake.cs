using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core.Hosting;
using ProtocolSim.DataFlow.Grpc;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow;

/// <summary>Where the mock's HTTP/2 gRPC listeners are (known once Kestrel has bound port 0), and their certificates.</summary>
internal sealed class DataFlowPorts
{
    /// <summary>The cleartext HTTP/2 listener (for development; production Data Flow is TLS only, DFG-003).</summary>
    public IPEndPoint? Grpc { get; set; }

    /// <summary>The TLS listener, presenting <see cref="Certificates"/>.Server.</summary>
    public IPEndPoint? GrpcTls { get; set; }

    public GrpcCertificates? Certificates { get; set; }
}

/// <summary>
/// The Data Flow mock as one host: identity server, WebSocket and HTTP batch integrations on an ephemeral port, the
/// gRPC integration on two more (HTTP/2 only: TLS with a certificate from a private CA whose PEM clients are given,
/// and cleartext); the running host is a <see cref="DataFlowHost"/>. Used by <c>protosim serve</c> and by each
/// scenario of the suite.
/// </summary>
public static class DataFlowFake
{
    private const string HandshakeCompleted = "protosim.tls-handshake-completed";
    private const string RequestSeen = "protosim.request-seen";

    /// <summary>Registers the Data Flow options (validated: throws listing every error) and the journals.</summary>
    public static IServiceCollection AddDataFlow(this IServiceCollection services, Action<DataFlowOptions>? configure = null)
    {
        services.AddFakeOptions(configure, "Data Flow");
        services.AddSingleton<DataFlowJournals>();
        return services;
    }

    /// <summary>Fresh client credentials: nothing secret is fixed in the code or the repository.</summary>
    public static IdentityClient NewCredentials() => new()
    {
        ClientId = "protosim-client",
        ClientSecret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24)).ToLowerInvariant(),
        Tenant = Guid.NewGuid().ToString(),
    };

    /// <summary>Builds and starts the host on <paramref name="address"/>, port 0, with one client.</summary>
    /// <param name="certificates">The gRPC TLS listener's certificates (a fresh trusted pair when null); the host owns them.</param>
    public static async Task<DataFlowHost> StartAsync(IPAddress address, IdentityClient client, Action<DataFlowOptions> configure, CancellationToken cancellationToken, GrpcCertificates? certificates = null)
    {
        // Cleartext gRPC needs an HTTP/2-only endpoint (without TLS, Http1AndHttp2 is HTTP/1.1 only).
        // The certificates' validity is on the real clock, whatever clock the mock runs on: the client checks it against its own.
        var ports = new DataFlowPorts { Certificates = certificates ?? GrpcCertificates.Create(TimeProvider.System, address: address) };
        ListenOptions? grpc = null;
        ListenOptions? grpcTls = null;
        var app = await SlimHost.StartAsync(
            o =>
            {
                o.Listen(address, 0);
                o.Listen(address, 0, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    grpc = listen;
                });
                o.Listen(address, 0, listen =>
                {
                    listen.Protocols = HttpProtocols.Http2;
                    listen.Use(next => connection => JournalFailedHandshakeAsync(listen.ApplicationServices, next, connection));
                    listen.UseHttps(ports.Certificates.Server);
                    listen.Use(next => connection =>
                    {
                        connection.Items[HandshakeCompleted] = true;
                        return next(connection);
                    });
                    grpcTls = listen;
                });
            },
            services =>
            {
                services.AddSingleton(ports);
                services.AddDataFlowIdentity(o => o.Clients.Add(client));
                services.AddDataFlow(configure);
                services.AddDataFlowGrpc();
            },
            app =>
            {
                app.Use((context, next) =>
                {
                    if (context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>() is { } connection)
                    {
                        connection.Items[RequestSeen] = true;
                    }

                    return next(context);
                });
                app.UseWebSockets();
                app.MapDataFlowIdentity();
                app.MapDataFlowWebSocket();
                app.MapDataFlowGrpc();
                app.MapDataFlowHttp();
            },
            cancellationToken);
        // The token service signs once as it is made (its key and JIT); made now, before any client asks for a token.
        _ = app.Services.GetRequiredService<TokenService>();
        ports.Grpc = (IPEndPoint)grpc!.EndPoint;
        ports.GrpcTls = (IPEndPoint)grpcTls!.EndPoint;
        app.Lifetime.ApplicationStopped.Register(ports.Certificates.Dispose);
        return new DataFlowHost(app, client, ports);
    }

    /// <summary>
    /// A TLS connection that carried no request (the client refused the certificate, or spoke cleartext to the TLS port)
    /// gets a journal of its own: DFG-003's evidence that a client validates the server certificate.
    /// </summary>
    private static async Task JournalFailedHandshakeAsync(IServiceProvider services, Microsoft.AspNetCore.Connections.ConnectionDelegate next, Microsoft.AspNetCore.Connections.ConnectionContext connection)
    {
        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var started = time.GetTimestamp();
        var journals = services.GetRequiredService<DataFlowJournals>();

        // Counted while open, so that a scenario waits for the handshake's outcome before it judges.
        journals.Enter();
        var clientHello = false;
        try
        {
            // A TLS client opens with a handshake record (content type 22): peeked, not consumed.
            var first = await connection.Transport.Input.ReadAsync(connection.ConnectionClosed);
            clientHello = first.Buffer.Length > 0 && first.Buffer.FirstSpan[0] == 0x16;
            connection.Transport.Input.AdvanceTo(first.Buffer.Start);
            await next(connection);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The connection went away before or during the handshake: journaled below like any other.
        }
        finally
        {
            if (!connection.Items.ContainsKey(RequestSeen))
            {
                // OpenSSL clients refuse a certificate inside the handshake (an alert); .NET on Linux completes the
                // handshake, validates afterwards and closes before its first HTTP/2 byte. Either way: no request.
                var ports = services.GetRequiredService<DataFlowPorts>();
                var journal = journals.Open("grpc-tls", Core.Redactor.None);
                journal.SetLabel("channel", "tls");
                journal.SetLabel("clientHello", clientHello ? "yes" : "no");
                journal.SetLabel("remote", connection.RemoteEndPoint?.ToString() ?? "");
                journal.Append(Core.Direction.FromClient, Core.FrameKind.Open, $"TLS connection from {connection.RemoteEndPoint} to the gRPC TLS port");
                var how = !clientHello ? "the client sent no TLS ClientHello (cleartext to the TLS port, or nothing)"
                    : connection.Items.ContainsKey(HandshakeCompleted) ? "the handshake completed, then the client closed without a request"
                    : "the TLS handshake did not complete";
                journal.Append(Core.Direction.FromClient, Core.FrameKind.Close,
                    $"{how} ({time.GetElapsedTime(started).TotalMilliseconds:0} ms); the server certificate {(ports.Certificates!.ServerIsTrusted ? "chains" : "does not chain")} to the CA the client was given");
                journal.End();
            }

            journals.Leave();
        }
    }
}
