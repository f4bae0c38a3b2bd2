using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Processor;

/// <summary>How a desktop reaches the processor.</summary>
public enum CtiTransportKind
{
    /// <summary>TCP with <c>~!OM</c> frames (SOCK).</summary>
    Socket,

    /// <summary><c>/sessions</c>, <c>/direct/processRequest</c> and polling (HTTPT).</summary>
    Http,

    /// <summary>The simulator's WebSocket convenience transport, DCP per text frame.</summary>
    WebSocket,

    /// <summary>The WebSocket bare mode: session messages without the DCP envelope, resource pre-bound.</summary>
    WebSocketBare,
}

/// <summary>A message on its way to a client, and what to do once it is on the wire.</summary>
internal readonly record struct Outbound(JsonObject Message, string Summary, Action? OnSent = null, bool TransportMessage = false);

/// <summary>
/// One connected desktop (a DCP client): its identity, transport, journal, bindings and the bounded queue of messages
/// its transport writes (STYLE.md: one send loop per connection). Thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The close token is cancelled, never disposed: tokens linked from it may outlive the connection, and a source without a timer holds nothing to release.")]
public sealed class CtiConnection
{
    private readonly Channel<Outbound> _outbound;
    private readonly CancellationTokenSource _closed = new();
    private readonly HashSet<string> _requestIds = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _sent;

    internal CtiConnection(string clientId, CtiTransportKind transport, SessionJournal journal, int capacity)
    {
        ClientId = clientId;
        Transport = transport;
        Journal = journal;
        _outbound = Channel.CreateBounded<Outbound>(new BoundedChannelOptions(capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    }

    /// <summary>The client's identity (handshake <c>client.id</c>, HTTP <c>startSession</c> id, or one the processor gave).</summary>
    public string ClientId { get; internal set; }

    public string? ClientName { get; internal set; }

    public CtiTransportKind Transport { get; }

    public SessionJournal Journal { get; }

    /// <summary>The service this client bound (<c>bindService</c>).</summary>
    public string? BoundService { get; internal set; }

    /// <summary>The session resource this client holds, if any.</summary>
    public CtiSession? Bound { get; internal set; }

    /// <summary>Socket: handshake done; negotiated DCP index (null before negotiation).</summary>
    internal bool HandshakeDone { get; set; }

    internal byte? DcpIndex { get; set; }

    /// <summary>Socket: the client sent ERROR (it must then close the socket, SOCK).</summary>
    internal bool ErrorSent { get; set; }

    /// <summary>The processor answered <c>confirm</c> to this client's prepareSession (IPS).</summary>
    internal bool Confirmed { get; set; }

    /// <summary>bindService answers not delivered yet: a service request now did not wait for it (CTI-009 over HTTP).</summary>
    internal int UndeliveredServiceBindings;

    /// <summary>bindResource answers not delivered yet: a resource request now did not wait for it (CTI-009 over HTTP).</summary>
    internal int UndeliveredResourceBindings;

    /// <summary>Messages written to the client so far.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Why the connection ended (client close, teardown, error, timeout, endSession, shutdown); null while open.</summary>
    public string? CloseReason { get; private set; }

    public CancellationToken Closed => _closed.Token;

    public bool IsClosed => CloseReason is not null;

    internal ChannelReader<Outbound> Outgoing => _outbound.Reader;

    /// <summary>Queues a message; false when the connection is closed or its queue is full (a client that does not read).</summary>
    internal bool Send(JsonObject message, string summary, Action? onSent = null, bool transportMessage = false) =>
        !IsClosed && _outbound.Writer.TryWrite(new Outbound(message, summary, onSent, transportMessage));

    /// <summary>Called by the transport after a message reached the wire (or the poll answer).</summary>
    internal void Delivered(in Outbound message, string text, int length, string? prefix = null)
    {
        Interlocked.Increment(ref _sent);
        Journal.Append(Direction.ToClient, FrameKind.Text, prefix + message.Summary, text: text, length: length, parsed: message.Message);
        message.OnSent?.Invoke();
    }

    /// <summary>As <see cref="Delivered(in Outbound, string, int, string?)"/>, with the text as the UTF-8 bytes that were sent (not copied again).</summary>
    internal void Delivered(in Outbound message, byte[] utf8, int length, string? prefix = null)
    {
        Interlocked.Increment(ref _sent);
        Journal.Append(Direction.ToClient, FrameKind.Text, prefix + message.Summary, length: length, parsed: message.Message, utf8Text: utf8, utf8TextIsImmutable: true);
        message.OnSent?.Invoke();
    }

    /// <summary>Whether this request id was used before by this client (CTI-014); records it.</summary>
    internal bool ReusesRequestId(string requestId)
    {
        lock (_gate)
        {
            return !_requestIds.Add(requestId);
        }
    }

    /// <summary>Marks the connection closed (once) and completes its queue; returns false when it already was.</summary>
    internal bool MarkClosed(string reason)
    {
        lock (_gate)
        {
            if (CloseReason is not null)
            {
                return false;
            }

            CloseReason = reason;
        }

        Journal.SetLabel("closed", reason);
        Journal.End();
        _outbound.Writer.TryComplete();
        _closed.Cancel();
        return true;
    }
}
