using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ProtocolSim.ReferenceClients;

/// <summary>In-memory self-signed server certificate for the WSS reference bots (never written to a store).</summary>
internal static class SelfSignedCertificate
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>ECDSA P-256, CN=localhost, SAN DNS localhost + IP 127.0.0.1 (+ the bind address), valid now-1d..now+30d.</summary>
    public static X509Certificate2 Create(TimeProvider time, IPAddress? extraAddress = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        if (extraAddress is not null && !extraAddress.Equals(IPAddress.Loopback)
            && !extraAddress.Equals(IPAddress.Any) && !extraAddress.Equals(IPAddress.IPv6Any))
        {
            san.AddIpAddress(extraAddress);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        var now = time.GetUtcNow();
        using var ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));

        // Round-trip through PKCS#12 so SslStream can use the private key on every platform (Windows refuses
        // the ephemeral key CreateSelfSigned attaches).
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
    }
}
