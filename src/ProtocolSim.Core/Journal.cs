using System.Collections.Immutable;
using System.Text.Json.Nodes;

namespace ProtocolSim.Core;

/// <summary>Who sent a journaled frame, seen from the client under test.</summary>
public enum Direction
{
    /// <summary>The fake sent it to the client under test.</summary>
    ToClient,

    /// <summary>The client under test sent it to the fake.</summary>
    FromClient,

    /// <summary>Something the fake noted itself (timer fired, state change, finding).</summary>
    Internal,
}

/// <summary>What kind of wire event an entry records.</summary>
public enum FrameKind
{
    /// <summary>Connection opened (handshake done).</summary>
    Open,

    /// <summary>A text frame or text message.</summary>
    Text,

    /// <summary>A binary frame.</summary>
    Binary,

    /// <summary>A close frame, or the connection ending.</summary>
    Close,

    /// <summary>A transport error (reset, TLS failure, refused connection).</summary>
    Error,

    /// <summary>A note from the fake: timers, state changes, decisions.</summary>
    Note,
}

/// <summary>One wire event in a session journal.</summary>
public sealed record JournalEntry
{
    /// <summary>Position in the journal, from 1.</summary>
    public required long Seq { get; init; }

    /// <summary>Time since the journal was opened.</summary>
    public required TimeSpan Offset { get; init; }

    /// <summary>Wall-clock time of the event.</summary>
    public required DateTimeOffset Time { get; init; }

    public required Direction Direction { get; init; }

    public required FrameKind Kind { get; init; }

    /// <summary>One line a person reads: message type, sizes, decisions.</summary>
    public required string Summary { get; init; }

    private readonly string? _text;
    private readonly ReadOnlyMemory<byte>? _utf8Text;

    /// <summary>Full text of a text frame (secrets redacted).</summary>
    public string? Text
    {
        get => _text ?? (_utf8Text is { } utf8 ? System.Text.Encoding.UTF8.GetString(utf8.Span) : null);
        init => _text = value;
    }

    /// <summary>
    /// The text kept as UTF-8 instead of a string, for high-volume frames (half the memory; <see cref="Text"/>
    /// decodes it on each read). Null when the text is kept as a string.
    /// </summary>
    public ReadOnlyMemory<byte>? Utf8Text
    {
        get => _utf8Text;
        init => _utf8Text = value;
    }

    /// <summary>Raw bytes of a binary frame, or of a text frame when it was not valid UTF-8.</summary>
    public ReadOnlyMemory<byte>? Bytes { get; init; }

    /// <summary>Length of the frame on the wire, in bytes.</summary>
    public int Length { get; init; }

    /// <summary>Parsed message, when the frame was JSON.</summary>
    public JsonNode? Parsed { get; init; }

    /// <summary>Name of the audio track this frame's audio went into (see <see cref="SessionJournal.Audio"/>).</summary>
    public string? AudioTrack { get; init; }

    /// <summary>Start of this frame's audio within <see cref="AudioTrack"/>.</summary>
    public TimeSpan? AudioOffset { get; init; }
}

/// <summary>A rule the client under test broke (or may have broken), found by a fake while it ran.</summary>
public sealed record Finding
{
    /// <summary>Catalogue rule id, e.g. <c>KVS-017</c>; <c>null</c> for a defect no rule names.</summary>
    public required string? RuleId { get; init; }

    /// <summary>What happened, for a person.</summary>
    public required string Message { get; init; }

    /// <summary>What the rule expected.</summary>
    public string? Expected { get; init; }

    /// <summary>What was seen instead.</summary>
    public string? Actual { get; init; }

    /// <summary>The journal entry that caused it.</summary>
    public long? EntrySeq { get; init; }

    public required TimeSpan Offset { get; init; }
}

/// <summary>
/// The per-session record of everything that crossed the wire, in order. Thread-safe; append-only.
/// Assertions read it; reports and the dashboard show it as evidence.
/// </summary>
public sealed class SessionJournal
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly Redactor _redactor;
    // Append-only array: a snapshot (array, count) stays valid because slots below the count only ever change to a
    // copy of their entry with an audio link (LinkAudio) and a full array is replaced, not reused.
    private JournalEntry[] _entries = new JournalEntry[32];
    private int _entryCount;

    // Texts kept as UTF-8 are copied into shared chunks: a burst of events leaves no object per text for the
    // collector to trace and copy.
    private byte[] _chunk = [];
    private int _chunkUsed;
    private ImmutableList<Finding> _findings = [];
    private ImmutableDictionary<string, AudioTrack> _audio = ImmutableDictionary<string, AudioTrack>.Empty;
    private long _seq;

    public SessionJournal(string sessionId, string protocol, TimeProvider? time = null, Redactor? redactor = null)
    {
        SessionId = sessionId;
        Protocol = protocol;
        _time = time ?? TimeProvider.System;
        _redactor = redactor ?? Redactor.None;
        _startTimestamp = _time.GetTimestamp();
        StartedAt = _time.GetUtcNow();
    }

    /// <summary>
    /// Raised after every append (entry or finding), and once with neither when the session ends (<see cref="End"/>);
    /// handlers must not block.
    /// </summary>
    public event Action<SessionJournal, JournalEntry?, Finding?>? Appended;

    // UTC ticks of the end, 0 while the session runs: one word, so a reader without the lock never sees half of it.
    private long _endedTicks;

    /// <summary>When the session ended (its connection closed, its call hung up); null while it runs.</summary>
    public DateTimeOffset? EndedAt => Volatile.Read(ref _endedTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>The label that marks a journal of a service rather than a session (it never ends): <c>lifetime</c>.</summary>
    public const string LifetimeLabel = "lifetime";

    public string SessionId { get; }

    public string Protocol { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>Free-form labels shown with the session (dialect, target, call id).</summary>
    public ImmutableDictionary<string, string> Labels { get; private set; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>A snapshot of the entries so far, in order.</summary>
    public IReadOnlyList<JournalEntry> Entries
    {
        get
        {
            lock (_gate)
            {
                return new ArraySegment<JournalEntry>(_entries, 0, _entryCount);
            }
        }
    }

    public IReadOnlyList<Finding> Findings => _findings;

    /// <summary>Audio captured during the session, by track name (e.g. <c>caller</c>, <c>bot</c>).</summary>
    public IReadOnlyDictionary<string, AudioTrack> Audio => _audio;

    /// <summary>Time elapsed since the journal was opened.</summary>
    public TimeSpan Elapsed => _time.GetElapsedTime(_startTimestamp);

    /// <summary>The timestamp (of the journal's clock) of an offset into the session.</summary>
    public long TimestampOf(TimeSpan offset) => _startTimestamp + (long)(offset.TotalSeconds * _time.TimestampFrequency);

    public void SetLabel(string key, string value)
    {
        lock (_gate)
        {
            Labels = Labels.SetItem(key, value);
        }
    }

    /// <summary>
    /// A journal given back from what was recorded (<see cref="JournalFile.Read"/>): its entries, findings and labels
    /// as they were, already ended; nothing is redacted again (they were when recorded).
    /// </summary>
    public static SessionJournal Restore(string sessionId, string protocol, DateTimeOffset startedAt, IEnumerable<KeyValuePair<string, string>> labels, IEnumerable<JournalEntry> entries, IEnumerable<Finding> findings)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(findings);
        var journal = new SessionJournal(sessionId, protocol, new FixedClock(startedAt));
        journal.Labels = ImmutableDictionary.CreateRange(labels);
        journal._entries = [.. entries];
        journal._entryCount = journal._entries.Length;
        journal._seq = journal._entryCount == 0 ? 0 : journal._entries[^1].Seq;
        journal._findings = [.. findings];
        journal._endedTicks = (journal._entryCount == 0 ? startedAt : journal._entries[^1].Time).UtcTicks;
        return journal;
    }

    /// <summary>The clock of a restored journal: the moment it started, for ever.</summary>
    private sealed class FixedClock(DateTimeOffset at) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => at;

        public override long GetTimestamp() => 0;
    }

    /// <summary>Appends an entry; the text is redacted before it is stored.</summary>
    public JournalEntry Append(
        Direction direction,
        FrameKind kind,
        string summary,
        string? text = null,
        ReadOnlyMemory<byte>? bytes = null,
        int? length = null,
        JsonNode? parsed = null,
        string? audioTrack = null,
        TimeSpan? audioOffset = null,
        ReadOnlyMemory<byte>? utf8Text = null,
        bool utf8TextIsImmutable = false)
    {
        if (utf8Text is { } utf8 && _redactor.ContainsSecret(utf8.Span))
        {
            // A secret must be masked, which needs the text as a string.
            text = System.Text.Encoding.UTF8.GetString(utf8.Span);
            utf8Text = null;
        }

        JournalEntry entry;
        lock (_gate)
        {
            if (utf8Text is { } source && !utf8TextIsImmutable)
            {
                // The caller may reuse its buffer: keep a copy. Immutable bytes are kept as they are.
                utf8Text = Keep(source.Span);
            }

            entry = new JournalEntry
            {
                Seq = ++_seq,
                Offset = Elapsed,
                Time = _time.GetUtcNow(),
                Direction = direction,
                Kind = kind,
                Summary = _redactor.Redact(summary),
                Text = text is null ? null : _redactor.Redact(text),
                Utf8Text = utf8Text,
                Bytes = bytes,
                Length = length ?? (text is not null ? System.Text.Encoding.UTF8.GetByteCount(text) : utf8Text?.Length ?? bytes?.Length ?? 0),
                Parsed = parsed,
                AudioTrack = audioTrack,
                AudioOffset = audioOffset,
            };
            if (_entryCount == _entries.Length)
            {
                var grown = new JournalEntry[_entries.Length * 2];
                Array.Copy(_entries, grown, _entryCount);
                _entries = grown;
            }

            _entries[_entryCount++] = entry;
        }

        Appended?.Invoke(this, entry, null);
        return entry;
    }

    /// <summary>
    /// Links an entry to its place in an audio track, once that place is known: a transport journals a frame when it
    /// reads it (its stamp), and the session that handles the frame later knows where its audio went. The entry is
    /// replaced by a copy with the link (a snapshot taken before still holds the entry without it).
    /// </summary>
    public void LinkAudio(long seq, string track, TimeSpan offset)
    {
        lock (_gate)
        {
            var index = (int)(seq - 1);
            if (index >= 0 && index < _entryCount && _entries[index].Seq == seq)
            {
                _entries[index] = _entries[index] with { AudioTrack = track, AudioOffset = offset };
            }
        }
    }

    private ReadOnlyMemory<byte> Keep(ReadOnlySpan<byte> text)
    {
        // Chunks grow from 4 KiB to 64 KiB: a short session keeps little, a long one few objects, and no chunk is
        // a large object (those are only reclaimed by full collections).
        const int LargestChunk = 64 * 1024;
        if (text.Length > LargestChunk / 4)
        {
            return text.ToArray();
        }

        if (_chunk.Length - _chunkUsed < text.Length)
        {
            _chunk = new byte[Math.Clamp(_chunk.Length * 2, 4096, LargestChunk)];
            _chunkUsed = 0;
        }

        var kept = _chunk.AsMemory(_chunkUsed, text.Length);
        text.CopyTo(kept.Span);
        _chunkUsed += text.Length;
        return kept;
    }

    /// <summary>Marks the session ended (the first call counts); entries may still follow (a late journal note).</summary>
    public void End()
    {
        if (Interlocked.CompareExchange(ref _endedTicks, _time.GetUtcNow().UtcTicks, 0) != 0)
        {
            return;
        }

        Appended?.Invoke(this, null, null);
    }

    /// <summary>Records a finding against a rule.</summary>
    public Finding AddFinding(string? ruleId, string message, string? expected = null, string? actual = null, long? entrySeq = null)
    {
        Finding finding;
        lock (_gate)
        {
            finding = new Finding
            {
                RuleId = ruleId,
                Message = _redactor.Redact(message),
                Expected = expected,
                Actual = actual is null ? null : _redactor.Redact(actual),
                EntrySeq = entrySeq,
                Offset = Elapsed,
            };
            _findings = _findings.Add(finding);
        }

        Appended?.Invoke(this, null, finding);
        return finding;
    }

    /// <summary>Gets or creates an audio track (PCM 16-bit mono at <paramref name="sampleRate"/>).</summary>
    public AudioTrack GetOrAddAudio(string name, int sampleRate)
    {
        lock (_gate)
        {
            if (!_audio.TryGetValue(name, out var track))
            {
                track = new AudioTrack(name, sampleRate);
                _audio = _audio.Add(name, track);
            }

            return track;
        }
    }

    /// <summary>Findings for one rule.</summary>
    public IReadOnlyList<Finding> FindingsFor(string ruleId) =>
        _findings.Where(f => string.Equals(f.RuleId, ruleId, StringComparison.Ordinal)).ToList();
}

/// <summary>
/// Captured PCM audio (16-bit little-endian mono) of one side of a session, placed on the session's timeline:
/// silence fills any gap, so playing the track reproduces what a listener heard.
/// </summary>
public sealed class AudioTrack
{
    private readonly Lock _gate = new();
    private byte[] _pcm = [];
    private long _length;

    internal AudioTrack(string name, int sampleRate)
    {
        Name = name;
        SampleRate = sampleRate;
    }

    public string Name { get; }

    public int SampleRate { get; }

    /// <summary>Duration of the captured audio.</summary>
    public TimeSpan Duration
    {
        get
        {
            lock (_gate)
            {
                return TimeSpan.FromSeconds(_length / 2.0 / SampleRate);
            }
        }
    }

    /// <summary>Writes PCM at <paramref name="at"/> on the track, padding with silence or overwriting as needed.</summary>
    public void Write(TimeSpan at, ReadOnlySpan<byte> pcm16le)
    {
        var position = (long)Math.Round(at.TotalSeconds * SampleRate) * 2;
        lock (_gate)
        {
            WriteAt(position, pcm16le);
        }
    }

    /// <summary>Appends PCM at the end of the track.</summary>
    public void Append(ReadOnlySpan<byte> pcm16le)
    {
        lock (_gate)
        {
            WriteAt(_length, pcm16le);
        }
    }

    /// <summary>Drops everything from <paramref name="at"/> on (audio that was flushed before it played).</summary>
    public void Truncate(TimeSpan at)
    {
        var position = (long)Math.Round(at.TotalSeconds * SampleRate) * 2;
        lock (_gate)
        {
            _length = Math.Min(_length, Math.Max(0, position));
        }
    }

    /// <summary>
    /// The waveform in <paramref name="buckets"/> columns: per column the lowest and highest sample, scaled to -1..1,
    /// so a page or a report draws it without decoding the audio.
    /// </summary>
    public (float[] Min, float[] Max) Peaks(int buckets)
    {
        var pcm = ToArray();
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(pcm.AsSpan(0, pcm.Length & ~1));
        var count = samples.Length == 0 ? 0 : Math.Min(buckets, samples.Length);
        var min = new float[count];
        var max = new float[count];
        for (var b = 0; b < count; b++)
        {
            var slice = samples[(int)((long)b * samples.Length / count)..(int)((long)(b + 1) * samples.Length / count)];
            short lo = 0, hi = 0;
            foreach (var s in slice)
            {
                lo = Math.Min(lo, s);
                hi = Math.Max(hi, s);
            }

            min[b] = lo / 32768f;
            max[b] = hi / 32767f;
        }

        return (min, max);
    }

    /// <summary>A copy of the captured PCM.</summary>
    public byte[] ToArray()
    {
        lock (_gate)
        {
            return _pcm.AsSpan(0, (int)_length).ToArray();
        }
    }

    private void WriteAt(long position, ReadOnlySpan<byte> pcm)
    {
        var end = position + pcm.Length;
        if (end > _pcm.Length)
        {
            Array.Resize(ref _pcm, (int)Math.Max(end, Math.Min(int.MaxValue, _pcm.Length * 2L)));
        }

        if (position > _length)
        {
            // Silence fills the gap (it may hold audio that was truncated away).
            _pcm.AsSpan((int)_length, (int)(position - _length)).Clear();
        }

        pcm.CopyTo(_pcm.AsSpan((int)position));
        _length = Math.Max(_length, end);
    }
}
