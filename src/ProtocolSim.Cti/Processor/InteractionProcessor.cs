using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Processor;

/// <summary>
/// The HIS network core with one Interaction Processor service (cti.md §2.1): DCP message classes and request ids,
/// service discovery and status, service and resource binding, prepareSession with the credential check and the
/// confirm/override flow, and the session resources it creates. Every transport hands it messages of one connection
/// in order; it answers through the connection's queue and journals everything, with the client's rule breaks as
/// findings. Bad input gets a DCP error, never an exception.
/// </summary>
public sealed partial class InteractionProcessor : IDisposable
{
    /// <summary>How soon <c>session.start</c> must follow the binding of the session resource (CTI-022).</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(2);

    /// <summary>How every client message is parsed: bounded depth, and a duplicated member is an error (not an exception later).</summary>
    internal static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ConcurrentDictionary<string, CtiSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<CtiConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, byte> _phantoms = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private long _connectionCount;

    public InteractionProcessor(CtiOptions options, TimeProvider time, ILogger<InteractionProcessor> logger)
    {
        Options = options;
        Time = time;
        _logger = logger;
        Redactor = options.CreateRedactor();
        Journals = new JournalStore(options.KeepJournals);

        // IPS: an agent the world marks as logged in elsewhere has a session the desktop must confirm to replace.
        foreach (var agent in options.World.Agents.Where(a => a.ExistingSession))
        {
            _phantoms[agent.Id] = 0;
        }
    }

    public CtiOptions Options { get; }

    public TimeProvider Time { get; }

    public Redactor Redactor { get; }

    /// <summary>One journal per client connection (protocol <c>cti</c>).</summary>
    public JournalStore Journals { get; }

    /// <summary>Raised when prepareSession creates a session (scenarios, admin API).</summary>
    public event Action<CtiSession>? SessionCreated;

    /// <summary>Raised when a session's logout completed or it was replaced.</summary>
    public event Action<CtiSession>? SessionEnded;

    public IReadOnlyCollection<CtiSession> Sessions => (IReadOnlyCollection<CtiSession>)_sessions.Values;

    public int ClientCount => _connections.Count;

    /// <summary>The live session of an agent, if any.</summary>
    public CtiSession? SessionOf(string agentId) => _sessions.Values.FirstOrDefault(s => s.Agent.Id == agentId && !s.Inactive);

    // ------------------------------------------------------------------ connections

    /// <summary>A client connected; opens its journal.</summary>
    public CtiConnection Connect(CtiTransportKind transport, string? clientId, string remote)
    {
        var n = Interlocked.Increment(ref _connectionCount);
        var id = clientId ?? "client-" + n.ToString(CultureInfo.InvariantCulture);
        var journal = Journals.Open($"cti-{n}", "cti", Time, Redactor);
        var transportName = Describe(transport);
        journal.SetLabel("transport", transportName);
        journal.SetLabel("client", id);
        journal.SetLabel("remote", remote);
        var connection = new CtiConnection(id, transport, journal, Options.OutboundCapacity);
        _connections[connection] = 0;
        Journals.Enter();
        journal.Append(Direction.Internal, FrameKind.Open, $"{transportName} client connected from {remote}");
        Log.Connected(_logger, id, transportName, remote);
        return connection;
    }

    /// <summary>
    /// The connection ended: its binding is released. A logout still in progress completes (the client asked for it);
    /// when the client itself left meanwhile (<paramref name="clientLeft"/>) that is a finding (CTI-036).
    /// </summary>
    public void Disconnect(CtiConnection connection, string reason, bool clientLeft = false)
    {
        if (!connection.MarkClosed(reason))
        {
            return;
        }

        _connections.TryRemove(connection, out _);
        if (connection.Bound is { } session)
        {
            if (session.Inactive)
            {
                session.Stop();
            }

            if (session.LogoutPending)
            {
                if (clientLeft)
                {
                    connection.Journal.AddFinding("CTI-036", "the client left while its logout was in progress", "wait for the session.logout response without an early timeout", reason);
                }

                session.FinishLogout();
            }

            Release(connection);
        }

        connection.Journal.Append(Direction.Internal, FrameKind.Close, "connection ended: " + reason);
        Journals.Leave();
        Log.Disconnected(_logger, connection.ClientId, reason);
    }

    private void Release(CtiConnection connection)
    {
        lock (_gate)
        {
            if (connection.Bound is { } session && session.BoundBy == connection)
            {
                session.BoundBy = null;
            }

            connection.Bound = null;
        }
    }

    internal static string Describe(CtiTransportKind transport) => transport switch
    {
        CtiTransportKind.Socket => "socket",
        CtiTransportKind.Http => "http",
        CtiTransportKind.WebSocket => "websocket",
        _ => "websocket-bare",
    };
}
