using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>How the server ends a stream it drops (admin <c>drop</c>, <c>Notify:DropAfter</c>).</summary>
public enum DropMode
{
    /// <summary>The response ends cleanly (chunked terminator): the client sees end of stream.</summary>
    Close,

    /// <summary>The connection is reset: the client sees an error mid-stream.</summary>
    Reset,
}

/// <summary>
/// The journals of the Knowlarity fakes (API request journals, one per stream connection, one per simulated call): the
/// newest <see cref="KnowlarityOptions.KeepJournals"/> are kept so a long-running serve stays bounded.
/// </summary>
public sealed class KnowlarityJournals(KnowlarityOptions options)
{
    private readonly JournalStore _api = new(options.KeepApiJournals);
    private readonly JournalStore _others = new(options.KeepJournals);

    /// <summary>The two stores (API request journals; streams and calls), for the dashboard to follow.</summary>
    public IReadOnlyList<JournalStore> Stores => [_api, _others];

    /// <summary>Every journal kept, API journals first.</summary>
    public IReadOnlyCollection<SessionJournal> All => [.. _api.All, .. _others.All];

    public SessionJournal Start(string sessionId, string protocol, TimeProvider time) =>
        (protocol == "knowlarity-rest" ? _api : _others).Open(sessionId, protocol, time, options.Redactor);

    public void Clear()
    {
        _api.Clear();
        _others.Clear();
    }
}

/// <summary>One open notifications stream (003-N): events queued for it, its journal, and how it is to be dropped.</summary>
public sealed class StreamSubscriber : IDisposable
{
    private readonly CancellationTokenSource _drop = new();

    internal StreamSubscriber(string key, SessionJournal journal, int buffer)
    {
        Key = key;
        Journal = journal;
        Events = Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(buffer) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    public string Key { get; }

    public SessionJournal Journal { get; }

    internal Channel<ReadOnlyMemory<byte>> Events { get; }

    /// <summary>Cancelled when the server drops this stream.</summary>
    internal CancellationToken Dropped => _drop.Token;

    public DropMode? DropRequested { get; private set; }

    /// <summary>A subscriber that could not keep up: its buffer filled and it was disconnected.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Events written to the stream so far (the stream's handler counts; the client's close reads it).</summary>
    public int EventsSent => Volatile.Read(ref SentCount);

    internal int SentCount;

    internal void Drop(DropMode mode, bool overflow = false)
    {
        DropRequested ??= mode;
        Overflowed |= overflow;
        try
        {
            _drop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public void Dispose() => _drop.Dispose();
}

/// <summary>
/// Fan-out of notification events to every open stream of an SR API key (knowlarity.md §4.3): each event is framed
/// once as <c>data: {json}\n\n</c> and the same bytes go to every subscriber.
/// </summary>
public sealed class NotificationHub(KnowlarityOptions options)
{
    private readonly ConcurrentDictionary<StreamSubscriber, byte> _subscribers = new();

    /// <summary>Open streams now.</summary>
    public int Count => _subscribers.Count;

    public IReadOnlyCollection<StreamSubscriber> Subscribers => (IReadOnlyCollection<StreamSubscriber>)_subscribers.Keys;

    /// <summary>Raised when a stream opens or closes (scenario waits).</summary>
    public event Action? Changed;

    internal StreamSubscriber Subscribe(string key, SessionJournal journal)
    {
        var subscriber = new StreamSubscriber(key, journal, options.SubscriberBuffer);
        _subscribers[subscriber] = 0;
        Changed?.Invoke();
        return subscriber;
    }

    internal void Unsubscribe(StreamSubscriber subscriber)
    {
        if (_subscribers.TryRemove(subscriber, out _))
        {
            subscriber.Dispose();
            Changed?.Invoke();
        }
    }

    /// <summary>The SSE frame of one event: a single <c>data:</c> line of one-line JSON and a blank line (003-N).</summary>
    public static byte[] Frame(JsonObject message) => Encoding.UTF8.GetBytes("data: " + message.ToJsonString(JsonDefaults.Relaxed) + "\n\n");

    private long _ids;

    /// <summary>Sends an event to every open stream of <paramref name="key"/>; returns how many streams got it.</summary>
    /// <param name="commentsAndIds">Frame it with a comment line, an <c>id:</c> and a <c>retry:</c> field (valid SSE a consumer must skip, KNS-004).</param>
    public int Publish(string key, JsonObject message, bool commentsAndIds = false)
    {
        var frame = commentsAndIds
            ? Encoding.UTF8.GetBytes($": ping\n\nid: {Interlocked.Increment(ref _ids)}\nretry: 3000\ndata: {message.ToJsonString(JsonDefaults.Relaxed)}\n\n")
            : Frame(message);
        var delivered = 0;
        foreach (var subscriber in _subscribers.Keys)
        {
            if (subscriber.Key != key)
            {
                continue;
            }

            if (subscriber.Events.Writer.TryWrite(frame))
            {
                delivered++;
            }
            else
            {
                subscriber.Journal.AddFinding(null, $"the client did not read {options.SubscriberBuffer} queued events; the fake disconnected the stream");
                subscriber.Drop(DropMode.Reset, overflow: true);
            }
        }

        return delivered;
    }

    /// <summary>Drops every open stream (of one key, or all): forced disconnects so reconnect logic can be tested.</summary>
    public int DropAll(string? key, DropMode mode)
    {
        var dropped = 0;
        foreach (var subscriber in _subscribers.Keys.Where(s => key is null || s.Key == key))
        {
            subscriber.Drop(mode);
            dropped++;
        }

        return dropped;
    }
}
