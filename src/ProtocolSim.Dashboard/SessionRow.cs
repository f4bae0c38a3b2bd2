using System.Collections.Immutable;
using System.Text.Json;
using ProtocolSim.Core;

namespace ProtocolSim.Dashboard;

/// <summary>One session in the dashboard's list: its journal and what the list shows of it, kept current cheaply.</summary>
public sealed class SessionRow
{
    // Labels that say which dialect, transport or channel a session uses, and who the client is, in order of preference.
    private static readonly string[] VariantLabels = ["dialect", "transport", "channel", "kind"];
    private static readonly string[] ClientLabels = ["remote", "target", "client"];

    private readonly SessionHub _hub;
    private int _entries;
    private int _findings;
    private long _lastOffsetTicks;
    internal int DirtyFlag;

    internal SessionRow(long key, string fake, SessionJournal journal, SessionHub hub)
    {
        Key = key;
        Fake = fake;
        Journal = journal;
        _hub = hub;
    }

    /// <summary>The dashboard's own id (journal ids repeat across fakes and runs).</summary>
    public long Key { get; }

    /// <summary>knowlarity, dataflow, cti or voice.</summary>
    public string Fake { get; }

    public SessionJournal Journal { get; }

    /// <summary>What the session belongs to, when the fakes are a run's (the scenario); null under <c>serve</c>.</summary>
    public string? Group { get; init; }

    public string Protocol => Journal.Protocol;

    public int Entries => Volatile.Read(ref _entries);

    public int Findings => Volatile.Read(ref _findings);

    public bool Ended => Journal.EndedAt is not null;

    /// <summary>open, ended, or service (a journal of a service's requests, which never ends while the fake runs).</summary>
    public string State => Ended ? "ended" : Journal.Labels.GetValueOrDefault(SessionJournal.LifetimeLabel) == "service" ? "service" : "open";

    /// <summary>Dialect, transport or channel, from the journal's labels.</summary>
    public string Variant => Read().Variant;

    /// <summary>The client's address (or the bot we dial).</summary>
    public string Client => Read().Client;

    // The labels last read and what they gave; labels change rarely, and a change replaces the dictionary.
    private LabelView _labels = new(ImmutableDictionary<string, string>.Empty, "", "");

    internal void OnAppended(SessionJournal journal, JournalEntry? entry, Finding? finding)
    {
        if (entry is not null)
        {
            Interlocked.Increment(ref _entries);
            Volatile.Write(ref _lastOffsetTicks, entry.Offset.Ticks);
        }

        if (finding is not null)
        {
            Interlocked.Increment(ref _findings);
        }

        _hub.MarkDirty(this);
    }

    /// <summary>Re-reads the counts (a journal attached late, appends racing the last tick).</summary>
    internal void Sync()
    {
        Volatile.Write(ref _entries, Journal.Entries.Count);
        Volatile.Write(ref _findings, Journal.Findings.Count);
    }

    private LabelView Read()
    {
        var seen = _labels;
        var labels = Journal.Labels;
        if (!ReferenceEquals(labels, seen.Labels))
        {
            seen = new LabelView(labels, First(labels, VariantLabels), First(labels, ClientLabels));
            _labels = seen;
        }

        return seen;
    }

    // What is searched is what is shown: masked, so a search cannot confirm a guessed secret.
    internal bool Contains(string text) =>
        _hub.Options.Mask(Journal.SessionId).Contains(text, StringComparison.OrdinalIgnoreCase)
        || Protocol.Contains(text, StringComparison.OrdinalIgnoreCase)
        || Group?.Contains(text, StringComparison.OrdinalIgnoreCase) == true
        || Journal.Labels.Values.Any(v => _hub.Options.Mask(v).Contains(text, StringComparison.OrdinalIgnoreCase));

    internal void WriteTo(Utf8JsonWriter json, DashboardOptions options)
    {
        json.WriteStartObject();
        json.WriteNumber("key", Key);
        json.WriteString("id", options.Mask(Journal.SessionId));
        json.WriteString("fake", Fake);
        json.WriteString("protocol", Protocol);
        json.WriteString("variant", options.Mask(Variant));
        json.WriteString("client", options.Mask(Client));
        json.WriteString("state", State);
        if (Group is not null)
        {
            json.WriteString("group", Group);
        }

        json.WriteString("started", Journal.StartedAt);
        if (Journal.EndedAt is { } ended)
        {
            json.WriteString("ended", ended);
        }

        json.WriteNumber("entries", Entries);
        json.WriteNumber("findings", Findings);
        json.WriteNumber("lastMs", Math.Round(TimeSpan.FromTicks(Volatile.Read(ref _lastOffsetTicks)).TotalMilliseconds));
        json.WriteEndObject();
    }

    private static string First(ImmutableDictionary<string, string> labels, string[] keys)
    {
        foreach (var key in keys)
        {
            if (labels.TryGetValue(key, out var value) && value.Length > 0)
            {
                return value;
            }
        }

        return "";
    }

    /// <summary>One reading of the labels (replaced whole, so a reader on another thread never sees half of one).</summary>
    private sealed record LabelView(ImmutableDictionary<string, string> Labels, string Variant, string Client);
}
