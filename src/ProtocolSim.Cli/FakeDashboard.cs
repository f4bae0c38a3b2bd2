using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.Cti;
using ProtocolSim.Dashboard;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Cli;

/// <summary>
/// The dashboard of <c>protosim serve</c>: a <see cref="SessionHub"/> following every fake's journals, the fakes'
/// admin actions as buttons, the reports directory, and every secret of the endpoints file masked.
/// </summary>
internal static class FakeDashboard
{
    // The credentials' entries that are secrets; the rest (channel, numbers, tenant, agent id) are shown.
    private static readonly HashSet<string> SecretKeys = new(StringComparer.Ordinal) { "xApiKey", "srApiKey", "clientSecret", "password" };

    public static SessionHub CreateHub(JsonObject endpoints, IEnumerable<string> moreSecrets, string? reportsRoot, Uri knowlarityAdmin, Uri ctiBase)
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
        options.Actions.AddRange(Actions(endpoints, knowlarityAdmin, ctiBase));
        return new SessionHub(options);
    }

    /// <summary>Follows the journals of the three hosts (the voice stream has none here: it dials a bot during a run).</summary>
    public static void Follow(SessionHub hub, ProtocolSim.Knowlarity.Rest.KnowlarityServer knowlarity, WebApplication dataflow, CtiHost cti)
    {
        foreach (var store in knowlarity.Services.GetRequiredService<KnowlarityJournals>().Stores)
        {
            hub.Attach("knowlarity", store);
        }

        hub.Add("dataflow", dataflow.Services.GetRequiredService<IdentityJournal>().Journal);
        hub.Attach("dataflow", dataflow.Services.GetRequiredService<DataFlowJournals>().Store);
        hub.Attach("cti", cti.Processor.Journals);
    }

    private static IEnumerable<DashboardAction> Actions(JsonObject endpoints, Uri knowlarityAdmin, Uri ctiBase)
    {
        var knowlarity = endpoints["credentials"]?["knowlarity"];
        var cti = endpoints["credentials"]?["cti"];
        var admin = knowlarityAdmin.ToString().TrimEnd('/');
        yield return new DashboardAction("knowlarity-inbound-call", "knowlarity", "Inject an inbound call",
            "A customer calls the SR number: the call's notifications go to every open stream (POST /__admin/knowlarity/inbound-call).")
        {
            Url = new Uri(admin + "/knowlarity/inbound-call"),
            Fields =
            [
                new ActionField("customer_number", "Customer number (E.164)", Default: "+919900000001"),
                new ActionField("agent_number", "Agent number", Default: knowlarity?["agentNumber"]?.ToString() ?? ""),
                new ActionField("answered", "The agent answers", ActionFieldKind.Checkbox, "true"),
            ],
        };
        yield return new DashboardAction("knowlarity-drop-streams", "knowlarity", "Drop stream subscribers",
            "Ends every open notifications stream: close ends it cleanly, reset cuts the connection (POST /__admin/knowlarity/notifications/drop).")
        {
            Url = new Uri(admin + "/knowlarity/notifications/drop"),
            Fields = [new ActionField("mode", "How", ActionFieldKind.Choice, "close") { Choices = ["close", "reset"] }],
        };
        yield return new DashboardAction("knowlarity-load-state", "knowlarity", "Load account state",
            "Replaces the account (agents, numbers, call log) with a document shaped like fixtures/knowlarity/account.json (POST /__admin/knowlarity/state).")
        {
            Url = new Uri(admin + "/knowlarity/state"),
            Fields = [new ActionField("account", "Account JSON", ActionFieldKind.Json)],
            RawBodyField = "account",
        };
        yield return new DashboardAction("knowlarity-reset-state", "knowlarity", "Reset account state",
            "Back to the account fixture the fake started with (POST /__admin/knowlarity/state/reset).")
        {
            Url = new Uri(admin + "/knowlarity/state/reset"),
        };
        yield return new DashboardAction("knowlarity-reset-stubs", "knowlarity", "Reset stubs and request log",
            "Deletes every stub mapping and clears the request journal of the admin API (POST /__admin/reset).")
        {
            Url = new Uri(admin + "/reset"),
        };
        yield return new DashboardAction("cti-inbound-call", "cti", "Ring an inbound call",
            "Rings a call on the agent's live session: the desktop gets the interaction's events (POST /__admin/cti/inbound-call).")
        {
            Url = new Uri(ctiBase, "/__admin/cti/inbound-call"),
            Fields =
            [
                new ActionField("agent", "Agent", Default: cti?["agentId"]?.ToString() ?? ""),
                new ActionField("ani", "Caller (ANI)", Default: "+15550100"),
                new ActionField("talkMs", "Talk time (ms)", ActionFieldKind.Number, "3000"),
            ],
        };
    }

    /// <summary>The dashboard URL for the endpoints file.</summary>
    public static string Url(WebApplication dashboard) => ProtocolSim.Core.Hosting.SlimHost.BaseUrl(dashboard) + "/";
}
