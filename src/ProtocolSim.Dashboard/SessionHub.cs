using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using ProtocolSim.Core;

namespace ProtocolSim.Dashboard;

/// <summary>
/// The sessions of every fake, for the dashboard: one <see cref="SessionRow"/> per journal, kept up to date by the
/// journals' own events (a flag per append, nothing more on the fakes' hot paths), and a ticker that
/// sends each list subscriber, at most once per <see cref="DashboardOptions.ListInterval"/>, the rows that changed and
/// match its filter, with totals aggregated here. The newest <see cref="DashboardOptions.MaxSessions"/> are kept.
/// </summary>
public sealed class SessionHub : IAsyncDisposable, ISessionObserver
{
    private readonly DashboardOptions _options;
    private readonly ConcurrentDictionary<long, SessionRow> _rows = new();
    private readonly ConcurrentDictionary<SessionJournal, SessionRow> _byJournal = new(ReferenceEqualityComparer.Instance);
    private readonly Lock _orderGate = new();
    private ConcurrentQueue<SessionRow> _order = new();
    private readonly ConcurrentQueue<SessionRow> _dirty = new();
    private readonly ConcurrentQueue<long> _removed = new();
    private readonly ConcurrentDictionary<ListSubscriber, byte> _subscribers = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private readonly List<Action> _detach = [];
    private long _nextKey;

    public SessionHub(DashboardOptions? options = null)
    {
        _options = options ?? new DashboardOptions();
        _ticker = Task.Run(() => TickAsync(_stop.Token));
    }

    public DashboardOptions Options => _options;

    /// <summary>Sessions kept.</summary>
    public int Count => _rows.Count;

    /// <summary>
    /// Follows a fake's journal store: the journals it keeps now and every one it opens from now on; a journal the
    /// store drops leaves the list too, so the dashboard never holds more of a fake's memory than the fake does.
    /// </summary>
    public void Attach(string fake, JournalStore store, string? group = null)
    {
        void OnOpened(SessionJournal journal) => Add(fake, journal, group);
        store.Opened += OnOpened;
        store.Dropped += Remove;
        lock (_detach)
        {
            _detach.Add(() =>
            {
                store.Opened -= OnOpened;
                store.Dropped -= Remove;
            });
        }

        foreach (var journal in store.All)
        {
            Add(fake, journal, group);
        }
    }

    void ISessionObserver.Follow(string fake, JournalStore store, string? group) => Attach(fake, store, group);

    long ISessionObserver.Show(string fake, SessionJournal journal, string? group) => Add(fake, journal, group).Key;

    /// <summary>Shows one journal (a voice call we dial, a fake's service journal); a journal shown already keeps its row.</summary>
    public SessionRow Add(string fake, SessionJournal journal, string? group = null)
    {
        var row = new SessionRow(Interlocked.Increment(ref _nextKey), fake, journal, this) { Group = group };
        var kept = _byJournal.GetOrAdd(journal, row);
        if (!ReferenceEquals(kept, row))
        {
            return kept;
        }

        _rows[row.Key] = row;
        _order.Enqueue(row);
        if (_order.Count > 2 * _options.MaxSessions)
        {
            // Rows removed because their fake dropped them are still queued: start again from the rows kept, so the
            // queue (and the journals it holds) stays bounded.
            lock (_orderGate)
            {
                _order = new ConcurrentQueue<SessionRow>(_rows.Values.OrderBy(r => r.Key));
            }
        }

        journal.Appended += row.OnAppended;
        MarkDirty(row);
        while (_rows.Count > _options.MaxSessions && _order.TryDequeue(out var oldest))
        {
            Remove(oldest.Journal);
        }

        return row;
    }

    /// <summary>Takes a journal's row out of the list (its subscribers are told at the next tick).</summary>
    public void Remove(SessionJournal journal)
    {
        if (_byJournal.TryRemove(journal, out var row) && _rows.TryRemove(row.Key, out _))
        {
            journal.Appended -= row.OnAppended;
            _removed.Enqueue(row.Key);
        }
    }

    /// <summary>The last error a list update met (the updates go on); null when none.</summary>
    public string? LastTickError { get; private set; }

    public SessionRow? Find(long key) => _rows.GetValueOrDefault(key);

    /// <summary>The rows matching <paramref name="filter"/>, newest first.</summary>
    public List<SessionRow> Matching(SessionFilter filter) =>
        [.. _rows.Values.Where(filter.Matches).OrderByDescending(r => r.Key)];

    /// <summary>Counts by state, by protocol and of findings, over every kept session.</summary>
    public HubTotals Totals()
    {
        var totals = new HubTotals();
        foreach (var row in _rows.Values)
        {
            totals.Sessions++;
            totals.Open += row.State == "open" ? 1 : 0;
            totals.Findings += row.Findings;
            totals.ByProtocol[row.Protocol] = totals.ByProtocol.GetValueOrDefault(row.Protocol) + 1;
        }

        return totals;
    }

    /// <summary>A list subscriber: a snapshot of the matching rows first, then deltas, read from <see cref="ListSubscriber.Messages"/>.</summary>
    public ListSubscriber Subscribe(SessionFilter filter)
    {
        var subscriber = new ListSubscriber(this, filter);
        _subscribers[subscriber] = 0;
        subscriber.Offer(Snapshot(filter));
        return subscriber;
    }

    internal void Unsubscribe(ListSubscriber subscriber) => _subscribers.TryRemove(subscriber, out _);

    internal void MarkDirty(SessionRow row)
    {
        if (Interlocked.Exchange(ref row.DirtyFlag, 1) == 0)
        {
            _dirty.Enqueue(row);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_detach)
        {
            _detach.ForEach(d => d());
            _detach.Clear();
        }

        foreach (var row in _rows.Values)
        {
            row.Journal.Appended -= row.OnAppended;
        }

        foreach (var subscriber in _subscribers.Keys)
        {
            subscriber.Complete();
        }

        _stop.Dispose();
    }

    private async Task TickAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ListInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                Tick();
            }
            catch (Exception e)
            {
                // One bad update must not stop the list for good: it is kept for /api/info, and the next tick goes on.
                LastTickError = $"{DateTimeOffset.UtcNow:O} {e.GetType().Name}: {e.Message}";
            }
        }
    }

    /// <summary>One update: the rows that changed since the last (each once, however often it changed).</summary>
    internal void Tick()
    {
        var changed = new List<SessionRow>();
        while (_dirty.TryDequeue(out var row))
        {
            Volatile.Write(ref row.DirtyFlag, 0);
            if (_rows.ContainsKey(row.Key))
            {
                changed.Add(row);
            }
        }

        var removed = new List<long>();
        while (_removed.TryDequeue(out var key))
        {
            removed.Add(key);
        }

        if (_subscribers.IsEmpty || (changed.Count == 0 && removed.Count == 0 && !_subscribers.Keys.Any(s => s.NeedsSnapshot)))
        {
            return;
        }

        var totals = Totals();
        foreach (var subscriber in _subscribers.Keys)
        {
            if (subscriber.NeedsSnapshot)
            {
                subscriber.Offer(Snapshot(subscriber.Filter));
                continue;
            }

            subscriber.Offer(Delta(subscriber.Filter, changed, removed, totals));
        }
    }

    private ListMessage Snapshot(SessionFilter filter)
    {
        var rows = Matching(filter);
        return Write("snapshot", rows, [], Totals(), rows.Count);
    }

    private ListMessage Delta(SessionFilter filter, List<SessionRow> changed, List<long> removed, HubTotals totals)
    {
        var upserts = new List<SessionRow>(changed.Count);
        var gone = new List<long>(removed);
        foreach (var row in changed)
        {
            if (filter.Matches(row))
            {
                upserts.Add(row);
            }
            else
            {
                gone.Add(row.Key);
            }
        }

        return Write("delta", upserts, gone, totals, matched: -1);
    }

    private ListMessage Write(string type, List<SessionRow> rows, List<long> removed, HubTotals totals, int matched)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (rows.Count * 220));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", type);
            totals.WriteTo(json);
            if (matched >= 0)
            {
                json.WriteNumber("matched", matched);
            }

            json.WriteStartArray("rows");
            foreach (var row in rows)
            {
                row.WriteTo(json, _options);
            }

            json.WriteEndArray();
            json.WriteStartArray("removed");
            foreach (var key in removed)
            {
                json.WriteNumberValue(key);
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        DashboardMetrics.ListPushes.Add(1);
        DashboardMetrics.ListRows.Add(rows.Count);
        return new ListMessage(type, buffer.WrittenMemory);
    }
}

/// <summary>One list message: its SSE event name and JSON data.</summary>
public readonly record struct ListMessage(string Type, ReadOnlyMemory<byte> Json);

/// <summary>Totals over every kept session, sent with each list message.</summary>
public sealed class HubTotals
{
    public int Sessions { get; set; }

    public int Open { get; set; }

    public int Findings { get; set; }

    public SortedDictionary<string, int> ByProtocol { get; } = new(StringComparer.Ordinal);

    internal void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject("totals");
        json.WriteNumber("sessions", Sessions);
        json.WriteNumber("open", Open);
        json.WriteNumber("findings", Findings);
        json.WriteStartObject("protocols");
        foreach (var (protocol, count) in ByProtocol)
        {
            json.WriteNumber(protocol, count);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }
}

/// <summary>
/// A browser's list stream. Messages queue up to a small bound; a subscriber that falls behind gets one snapshot
/// in place of the deltas it missed, so a slow tab never holds the hub's memory or sees an inconsistent list.
/// </summary>
public sealed class ListSubscriber : IDisposable
{
    private readonly SessionHub _hub;
    private readonly Channel<ListMessage> _messages = Channel.CreateBounded<ListMessage>(new BoundedChannelOptions(4) { SingleReader = true });
    private int _needsSnapshot;

    internal ListSubscriber(SessionHub hub, SessionFilter filter)
    {
        _hub = hub;
        Filter = filter;
    }

    public SessionFilter Filter { get; }

    public ChannelReader<ListMessage> Messages => _messages.Reader;

    internal bool NeedsSnapshot => Volatile.Read(ref _needsSnapshot) == 1;

    internal void Offer(ListMessage message)
    {
        if (_messages.Writer.TryWrite(message))
        {
            if (message.Type == "snapshot")
            {
                Volatile.Write(ref _needsSnapshot, 0);
            }
        }
        else
        {
            Volatile.Write(ref _needsSnapshot, 1);
        }
    }

    internal void Complete() => _messages.Writer.TryComplete();

    public void Dispose()
    {
        _hub.Unsubscribe(this);
        Complete();
    }
}

/// <summary>What the session list shows: every field is optional; all given must match (server side).</summary>
public sealed record SessionFilter(string? Fake = null, string? Protocol = null, string? State = null, bool FindingsOnly = false, string? Text = null)
{
    public static SessionFilter Parse(Func<string, string?> query) => new(
        Blank(query("fake")),
        Blank(query("protocol")),
        Blank(query("state")),
        query("findings") is "1" or "true",
        Blank(query("q")));

    public bool Matches(SessionRow row) =>
        (Fake is null || string.Equals(row.Fake, Fake, StringComparison.OrdinalIgnoreCase))
        && (Protocol is null || row.Protocol.StartsWith(Protocol, StringComparison.OrdinalIgnoreCase))
        && (State is null || string.Equals(row.State, State, StringComparison.OrdinalIgnoreCase))
        && (!FindingsOnly || row.Findings > 0)
        && (Text is null || row.Contains(Text));

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
