using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>The Knowlarity fake as one of <c>serve</c>'s hosts (<see cref="IFakeHost"/>).</summary>
public sealed partial class KnowlarityHost
{
    public string Name => "knowlarity";

    /// <summary>The endpoints-file entries (ARCHITECTURE.md): <c>knowlarityApi</c>, <c>knowlarityNotifications</c>, <c>admin</c>, <c>credentials.knowlarity</c>.</summary>
    public JsonObject Endpoints()
    {
        var account = Options.Account!;
        return new JsonObject
        {
            ["knowlarityApi"] = BaseUrl,
            ["knowlarityNotifications"] = BaseUrl,
            ["admin"] = BaseUrl + "/__admin",
            ["credentials"] = new JsonObject
            {
                ["knowlarity"] = new JsonObject
                {
                    ["xApiKey"] = Options.Credentials.XApiKey,
                    ["srApiKey"] = Options.Credentials.SrApiKey,
                    ["channel"] = account.Channel,
                    ["srNumber"] = account.SrNumber,
                    ["agentNumber"] = account.AgentNumber,
                },
            },
        };
    }

    public void Observe(ISessionObserver observer, string? group = null)
    {
        foreach (var store in Services.GetRequiredService<KnowlarityJournals>().Stores)
        {
            observer.Follow(Name, store, group);
        }
    }

    public IReadOnlyList<AdminAction> AdminActions
    {
        get
        {
            var admin = BaseUrl + "/__admin";
            return
            [
                new AdminAction("knowlarity-inbound-call", Name, "Inject an inbound call",
                    "A customer calls the SR number: the call's notifications go to every open stream (POST /__admin/knowlarity/inbound-call).")
                {
                    Url = new Uri(admin + "/knowlarity/inbound-call"),
                    Fields =
                    [
                        new ActionField("customer_number", "Customer number (E.164)", Default: "+919900000001"),
                        new ActionField("agent_number", "Agent number", Default: Options.Account?.AgentNumber ?? ""),
                        new ActionField("answered", "The agent answers", ActionFieldKind.Checkbox, "true"),
                    ],
                },
                new AdminAction("knowlarity-drop-streams", Name, "Drop stream subscribers",
                    "Ends every open notifications stream: close ends it cleanly, reset cuts the connection (POST /__admin/knowlarity/notifications/drop).")
                {
                    Url = new Uri(admin + "/knowlarity/notifications/drop"),
                    Fields = [new ActionField("mode", "How", ActionFieldKind.Choice, "close") { Choices = ["close", "reset"] }],
                },
                new AdminAction("knowlarity-load-state", Name, "Load account state",
                    "Replaces the account (agents, numbers, call log) with a document shaped like fixtures/knowlarity/account.json (POST /__admin/knowlarity/state).")
                {
                    Url = new Uri(admin + "/knowlarity/state"),
                    Fields = [new ActionField("account", "Account JSON", ActionFieldKind.Json)],
                    RawBodyField = "account",
                },
                new AdminAction("knowlarity-reset-state", Name, "Reset account state",
                    "Back to the account fixture the fake started with (POST /__admin/knowlarity/state/reset).")
                {
                    Url = new Uri(admin + "/knowlarity/state/reset"),
                },
                new AdminAction("knowlarity-reset-stubs", Name, "Reset stubs and request log",
                    "Deletes every stub mapping and clears the request journal of the admin API (POST /__admin/reset).")
                {
                    Url = new Uri(admin + "/reset"),
                },
            ];
        }
    }

    public string Describe() =>
        $"Knowlarity on {BaseUrl}: REST at /{Options.Account!.Channel}/v1/account/..., notifications at /update-stream/<SR key>/konnect, admin at /__admin, OpenAPI at /openapi.json";
}
