using System.Collections.Concurrent;

namespace ProtocolSim.ReferenceClients;

/// <summary>How a call's connection ended.</summary>
internal enum CallEnd
{
    /// <summary>The peer sent a close frame; the bot answered it.</summary>
    PeerClosed,

    /// <summary>The bot closed and the peer answered its close frame.</summary>
    BotClosed,

    /// <summary>The connection broke without a close handshake (TCP reset, abort, close timeout).</summary>
    Aborted,

    /// <summary>The server is stopping.</summary>
    Shutdown,
}

/// <summary>What every call of one running bot shares: its behaviour, options and call registries.</summary>
internal sealed class BotRuntime
{
    private int _activeCalls;
    private long _callsHandled;

    public required ReferenceBotInfo Info { get; init; }

    public required BotBehavior Behavior { get; init; }

    public required ReferenceBotOptions Options { get; init; }

    public required ILogger Logger { get; init; }

    public TimeProvider Time => Options.TimeProvider;

    /// <summary>Live calls by state key: <c>callid</c>/<c>uuid</c>, or <c>virtual_number</c> for state-by-number (KVS-003).</summary>
    public ConcurrentDictionary<string, BotCall> Calls { get; } = new(StringComparer.Ordinal);

    /// <summary>leaks-on-abort: "already greeted" flags by customer number, with the call that set them.</summary>
    public ConcurrentDictionary<string, BotCall> GreetedCustomers { get; } = new(StringComparer.Ordinal);

    public int ActiveCalls => Volatile.Read(ref _activeCalls);

    public long CallsHandled => Interlocked.Read(ref _callsHandled);

    /// <summary>Raised after a call's connection is gone and its state released.</summary>
    public event EventHandler<CallEndedEventArgs>? CallEnded;

    public void OnCallStarted() => Interlocked.Increment(ref _activeCalls);

    public void OnCallFinished(string callId, CallEnd end)
    {
        Interlocked.Decrement(ref _activeCalls);
        Interlocked.Increment(ref _callsHandled);
        CallEnded?.Invoke(this, new CallEndedEventArgs(callId, end));
    }
}

/// <summary>A call is over.</summary>
internal sealed class CallEndedEventArgs(string callId, CallEnd end) : EventArgs
{
    public string CallId { get; } = callId;

    public CallEnd End { get; } = end;
}
