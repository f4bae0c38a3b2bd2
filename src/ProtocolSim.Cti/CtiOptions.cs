using ProtocolSim.Core;
using ProtocolSim.Cti.Transport;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti;

/// <summary>Which command names of the session resource the processor accepts (cti.md §5 <c>Cti:CommandSet</c>).</summary>
public enum CommandSet
{
    /// <summary>The names of 004: <c>session.logout</c>, <c>session.addchannel</c>.</summary>
    Seed,

    /// <summary>The later names: <c>session.request.logout</c>, <c>session.request.addchannel</c>.</summary>
    Current,

    /// <summary>Both (the default).</summary>
    Both,
}

/// <summary>
/// Options of the CTI mock; the defaults are cti.md §5's. A scenario changes them before the mock starts; the few a
/// scenario changes while it runs are read at each use.
/// </summary>
public sealed class CtiOptions : ProtocolSim.Core.Hosting.IFakeOptions
{
    /// <summary>The agent world (agents, switch state, reasons, directory, inbound script).</summary>
    public AgentWorld World { get; set; } = new() { Name = "empty", Agents = [] };

    /// <summary>Socket header layout (<c>Cti:Socket:*</c>).</summary>
    public SocketFramingOptions Framing { get; set; } = new();

    /// <summary>The socket transport asks for handshake and negotiation first (<c>Cti:Socket:Handshake</c>).</summary>
    public bool Handshake { get; set; } = true;

    /// <summary>Protocols offered at negotiation, with the index each gets (<c>Cti:Socket:Protocols</c>).</summary>
    public IReadOnlyList<(string Name, string Version, byte Index)> Protocols { get; set; } = [("DCP", "1.0", 1)];

    /// <summary>HTTP transport: the polling path (<c>Cti:Http:PollPath</c>).</summary>
    public string PollPath { get; set; } = "/direct/poll";

    /// <summary>Longest wait of a long poll (<c>Cti:Http:PollWait</c>).</summary>
    public TimeSpan PollWait { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>An HTTP client that neither polls nor sends for this long is ended (<c>Cti:Http:SessionTimeout</c>).</summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>WebSocket convenience transport path (<c>Cti:Ws:Path</c>).</summary>
    public string WebSocketPath { get; set; } = "/cti";

    /// <summary>Session payload nested under <c>message</c> in DCP resource envelopes (<c>Cti:Dcp:Nested</c>).</summary>
    public bool Nested { get; set; }

    /// <summary>Name of the DCP core command that binds a resource (<c>Cti:Core:BindResourceCommand</c>).</summary>
    public string BindResourceCommand { get; set; } = "bindResource";

    /// <summary>Member of the prepareSession result that names the session (<c>Cti:PrepareSession:IdField</c>).</summary>
    public string PrepareSessionIdField { get; set; } = "resourceId";

    /// <summary>Secondary events are sent before the response (<c>Cti:EventsBeforeResponse</c>).</summary>
    public bool EventsBeforeResponse { get; set; }

    /// <summary>How long logout takes before its response (<c>Cti:LogoutDelay</c>).</summary>
    public TimeSpan LogoutDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Spacing between consecutive events (<c>Cti:EventDelay</c>).</summary>
    public TimeSpan EventDelay { get; set; }

    /// <summary>Extra time before the answers to bindService, bindResource and prepareSession (a slow core); 0 by default.</summary>
    public TimeSpan SetupDelay { get; set; }

    /// <summary>Extra time before each response (a slow platform); 0 by default.</summary>
    public TimeSpan ResponseDelay { get; set; }

    public CommandSet CommandSet { get; set; } = CommandSet.Both;

    /// <summary>Emit the document's typo <c>channelgruop.disposed</c> (cti.md §4.11).</summary>
    public bool EmitDocumentTypos { get; set; }

    /// <summary>Add a debugging <c>context</c> and undocumented members to every message (CTI-033).</summary>
    public bool DebugContext { get; set; }

    /// <summary>Interleave events with names no document lists (CTI-035).</summary>
    public bool UnknownEvents { get; set; }

    /// <summary>Socket: after the event of this name, 4 bytes that are not the token follow (CTI-005); null = never.</summary>
    public string? BreakBoundaryAfter { get; set; }

    /// <summary>A call rings on the group's last Telephony member as a session's first removechannelgroup arrives (CTI-046).</summary>
    public bool RingOnGroupRemoval { get; set; }

    /// <summary>The processor reports <c>acceptingClients</c> (MON).</summary>
    public bool AcceptingClients { get; set; } = true;

    /// <summary>Largest HTTP request body and WebSocket message accepted.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Outbound messages queued for one client before it counts as too slow and is disconnected.</summary>
    public int OutboundCapacity { get; set; } = 10_000;

    /// <summary>Journals kept for reports and the dashboard (the newest).</summary>
    public int KeepJournals { get; set; } = 2_000;

    /// <summary>The service id of the interaction processor (fresh per run).</summary>
    public string ServiceId { get; set; } = Guid.NewGuid().ToString();

    /// <summary>A redactor that masks every agent password in journals and reports (built anew from the world on each call).</summary>
    public Redactor CreateRedactor() => new(World.Agents.Select(a => a.Password));

    /// <summary>Every configuration error at once (STYLE.md).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Protocols.Count == 0 || Protocols.Any(p => p.Index == Framing.ReservedIndex))
        {
            errors.Add($"Cti:Socket:Protocols: every protocol needs an index other than the reserved {Framing.ReservedIndex}");
        }

        if (PollWait <= TimeSpan.Zero || SessionTimeout <= TimeSpan.Zero)
        {
            errors.Add("Cti:Http: PollWait and SessionTimeout must be positive");
        }

        if (!WebSocketPath.StartsWith('/') || !PollPath.StartsWith('/'))
        {
            errors.Add("Cti: WebSocketPath and PollPath must start with /");
        }

        if (LogoutDelay < TimeSpan.Zero || EventDelay < TimeSpan.Zero || ResponseDelay < TimeSpan.Zero || SetupDelay < TimeSpan.Zero)
        {
            errors.Add("Cti: delays cannot be negative");
        }

        return errors;
    }
}
