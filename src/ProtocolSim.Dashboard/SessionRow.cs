using System.Collections.Immutable;
using System.Text.Json;
using ProtocolSim.Core;

namespace ProtocolSim.Dashboard;

/// <summary>One session in the dashboard's list: its journal and what the list shows of it, read from the journal.</summary>
public sealed class SessionRow
{
    // Labels that say which dialect, transport or channel a session uses, and who the client is, in order of preference.
    private static readonly string[] VariantLabels = ["dialect", "transport", "channel", "kind"];
    private static readonly string[] ClientLabels = ["remote", "target", "client"];

    private readonly SessionHub _hub;
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

    public int Entries => Journal.Entries.Count;

    public int Findings => Journal.Findings.Count;

    public bool Ended => Journal.EndedAt is not null;

    /// <summary>open, ended, or service (a journal of a service's requests, which never ends while the fake runs).</summary>
    public string State => Ended ? "ended" : Journal.Labels.GetValueOrDefault(SessionJournal.LifetimeLabel) == "service" ? "service" : "open";

    /// <summary>Dialect, transport or channel, from the journal's labels.</summary>
    public string Variant => Read().Variant;

    /// <summary>The client's address (or the bot we dial).</summary>
    public string Client => Read().Client;

    // The labels last read and what they gave; labels change rarely, and a change replaces the dictionary.
    private LabelView _labels = new(ImmutableDictionary<string, string>.Empty, "", "");

    // On the fakes' hot path: a flag, nothing more. The counts are the journal's own, read when the row is sent.
    internal void OnAppended(SessionJournal journal, JournalEntry? entry, Finding? finding) => _hub.MarkDirty(this);

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

        var entries = Journal.Entries;
        json.WriteNumber("entries", entries.Count);
        json.WriteNumber("findings", Findings);
        json.WriteNumber("lastMs", entries.Count == 0 ? 0 : Math.Round(entries[^1].Offset.TotalMilliseconds));
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
