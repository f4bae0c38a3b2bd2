using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace ProtocolSim.ReferenceClients.Hostile;

/// <summary>
/// A client's task environment with every loopback endpoint behind a <see cref="HostileProxy"/>: the values that name
/// <c>127.0.0.1:port</c> (and the endpoints file <c>PROTOSIM_ENDPOINTS</c> points to) name the proxy instead, so the
/// client under test reaches every fake through the hostile side.
/// </summary>
public sealed partial class HostileEnvironment : IAsyncDisposable
{
    private readonly List<HostileProxy> _proxies;
    private readonly string? _endpointsFile;

    private HostileEnvironment(IReadOnlyDictionary<string, string> environment, List<HostileProxy> proxies, string? endpointsFile)
    {
        Environment = environment;
        _proxies = proxies;
        _endpointsFile = endpointsFile;
    }

    /// <summary>The environment to give the client.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public static HostileEnvironment Start(IReadOnlyDictionary<string, string> environment, HostileMode mode)
    {
        var proxies = new Dictionary<int, HostileProxy>();
        string Rewrite(string text) => Loopback().Replace(text, m =>
        {
            var port = int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture);
            if (!proxies.TryGetValue(port, out var proxy))
            {
                proxy = HostileProxy.Start(new IPEndPoint(IPAddress.Loopback, port), mode, upstreamIsHostile: false, seed: port);
                proxies[port] = proxy;
            }

            return string.Create(CultureInfo.InvariantCulture, $"{m.Groups["host"].Value}:{proxy.Port}");
        });

        var rewritten = environment.ToDictionary(p => p.Key, p => Rewrite(p.Value), StringComparer.Ordinal);
        string? endpointsFile = null;
        if (environment.TryGetValue("PROTOSIM_ENDPOINTS", out var path) && File.Exists(path))
        {
            endpointsFile = Path.Combine(Path.GetTempPath(), $"protosim-hostile-{Guid.NewGuid():N}.json");
            File.WriteAllText(endpointsFile, Rewrite(File.ReadAllText(path)));
            rewritten["PROTOSIM_ENDPOINTS"] = endpointsFile;
        }

        return new HostileEnvironment(rewritten, [.. proxies.Values], endpointsFile);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies)
        {
            await proxy.DisposeAsync();
        }

        if (_endpointsFile is not null)
        {
            File.Delete(_endpointsFile);
        }
    }

    [GeneratedRegex(@"(?<host>127\.0\.0\.1|localhost):(?<port>\d{1,5})\b")]
    private static partial Regex Loopback();
}
