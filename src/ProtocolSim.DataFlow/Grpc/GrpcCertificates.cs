using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ProtocolSim.DataFlow.Grpc;

/// <summary>
/// The certificates of the mock's gRPC TLS listener (DFG-003: a TLS channel with CA-validated server certificates),
/// made in memory per host, never written to a store: a private CA the client is told to trust (its PEM), and a
/// server certificate for 127.0.0.1/localhost that CA issued, or, to see whether a client validates, one that
/// another CA issued.
/// </summary>
public sealed class GrpcCertificates : IDisposable
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    private GrpcCertificates(X509Certificate2 server, string caPem, bool trusted)
    {
        Server = server;
        CaPem = caPem;
        ServerIsTrusted = trusted;
    }

    /// <summary>The certificate (with its key) the TLS listener presents.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The CA certificate the client is given as its trust root, PEM-encoded.</summary>
    public string CaPem { get; }

    /// <summary>Whether <see cref="Server"/> chains to <see cref="CaPem"/>; false when the scenario tests validation.</summary>
    public bool ServerIsTrusted { get; }

    /// <summary>A CA and a server certificate; with <paramref name="trusted"/> false, the server's comes from another CA.</summary>
    /// <param name="address">The address the listener binds, named in the certificate besides 127.0.0.1, ::1 and localhost.</param>
    public static GrpcCertificates Create(TimeProvider time, bool trusted = true, IPAddress? address = null)
    {
        var now = time.GetUtcNow();
        using var ca = CreateCa("CN=ProtocolSim Data Flow test CA", now);
        using var other = trusted ? null : CreateCa("CN=ProtocolSim untrusted CA", now);
        var server = CreateServer(other ?? ca, now, address);
        return new GrpcCertificates(server, ca.ExportCertificatePem(), trusted);
    }

    public void Dispose() => Server.Dispose();

    private static X509Certificate2 CreateCa(string subject, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
    }

    private static X509Certificate2 CreateServer(X509Certificate2 issuer, DateTimeOffset now, IPAddress? address)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (address is not null && !IPAddress.IsLoopback(address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
        {
            san.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var issued = request.Create(issuer, now.AddDays(-1), now.AddDays(29), serial);
        using var withKey = issued.CopyWithPrivateKey(key);

        // Round-trip through PKCS#12 so that SslStream can use the key on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }
}
