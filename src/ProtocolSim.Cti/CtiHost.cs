using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Cti.Processor;
using ProtocolSim.Cti.Transport;

namespace ProtocolSim.Cti;

/// <summary>A running CTI mock: the host, and where its three transports listen.</summary>
public sealed class CtiHost(WebApplication app, IPEndPoint tcp) : IFakeHost
{
    public string Name => "cti";

    public WebApplication App { get; } = app;

    public InteractionProcessor Processor => App.Services.GetRequiredService<InteractionProcessor>();

    public HttpTransport Http => App.Services.GetRequiredService<HttpTransport>();

    /// <summary>The http:// base URL of the HTTP transport, the WebSocket transport and the admin API.</summary>
    public string BaseUrl => SlimHost.BaseUrl(App);

    public string TcpUrl => $"tcp://{tcp.Address}:{tcp.Port}";

    public IPEndPoint Tcp => tcp;

    public string WebSocketUrl => BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + Processor.Options.WebSocketPath;

    /// <summary>The endpoints-file entries (ARCHITECTURE.md): <c>ctiTcp</c>, <c>ctiHttp</c>, <c>ctiWebSocket</c>, <c>credentials.cti</c>.</summary>
    public JsonObject Endpoints()
    {
        var agent = Processor.Options.World.Agents[0];
        return new JsonObject
        {
            ["ctiTcp"] = TcpUrl,
            ["ctiHttp"] = BaseUrl,
            ["ctiWebSocket"] = WebSocketUrl,
            ["credentials"] = new JsonObject
            {
                ["cti"] = new JsonObject { ["agentId"] = agent.Id, ["password"] = agent.Password, ["model"] = Processor.Options.World.Model },
            },
        };
    }

    /// <summary>The store of the connections' journals.</summary>
    public void Observe(ISessionObserver observer, string? group = null) => observer.Follow(Name, Processor.Journals, group);

    public IReadOnlyList<AdminAction> AdminActions =>
    [
        new AdminAction("cti-inbound-call", Name, "Ring an inbound call",
            "Rings a call on the agent's live session: the desktop gets the interaction's events (POST /__admin/cti/inbound-call).")
        {
            Url = new Uri(BaseUrl + "/__admin/cti/inbound-call"),
            Fields =
            [
                new ActionField("agent", "Agent", Default: Processor.Options.World.Agents[0].Id),
                new ActionField("ani", "Caller (ANI)", Default: "+15550100"),
                new ActionField("talkMs", "Talk time (ms)", ActionFieldKind.Number, "3000"),
            ],
        },
    ];

    /// <summary>Every agent's password (the endpoints file carries the first agent's only).</summary>
    public IEnumerable<string> Secrets => Processor.Options.World.Agents.Select(a => a.Password);

    public string Describe() => $"CTI interaction processor: socket at {TcpUrl}, HTTP at {BaseUrl}/sessions, WebSocket at {WebSocketUrl}, admin at {BaseUrl}/__admin/cti/";

    public async ValueTask DisposeAsync()
    {
        Processor.Dispose();
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
    }
}
