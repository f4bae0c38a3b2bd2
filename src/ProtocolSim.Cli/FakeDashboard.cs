using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Dashboard;

namespace ProtocolSim.Cli;

/// <summary>
/// The dashboard of <c>protosim serve</c>: a <see cref="SessionHub"/> for every fake's journals (each host hands them
/// over, <see cref="IFakeHost.Observe"/>), the fakes' admin actions as buttons, the reports directory, and every
/// secret of the endpoints file masked.
/// </summary>
internal static class FakeDashboard
{
    // The credentials' entries that are secrets; the rest (channel, numbers, tenant, agent id) are shown.
    private static readonly HashSet<string> SecretKeys = new(StringComparer.Ordinal) { "xApiKey", "srApiKey", "clientSecret", "password" };

    public static SessionHub CreateHub(JsonObject endpoints, IEnumerable<string> moreSecrets, string? reportsRoot, IEnumerable<AdminAction> actions)
    {
        var secrets = new List<string>(moreSecrets);
        if (endpoints["credentials"] is JsonObject credentials)
        {
            foreach (var (_, fake) in credentials)
            {
                if (fake is JsonObject entries)
                {
                    secrets.AddRange(entries.Where(e => SecretKeys.Contains(e.Key) && e.Value is JsonValue).Select(e => e.Value!.ToString()));
                }
            }
        }

        var options = new DashboardOptions
        {
            Redactor = new Redactor(secrets.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal)),
            ReportsRoot = reportsRoot,
        };
        options.Actions.AddRange(actions);
        return new SessionHub(options);
    }

    /// <summary>The dashboard URL for the endpoints file.</summary>
    public static string Url(WebApplication dashboard) => ProtocolSim.Core.Hosting.SlimHost.BaseUrl(dashboard) + "/";
}
