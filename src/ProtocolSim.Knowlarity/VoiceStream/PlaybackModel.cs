namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>One playAudio on the peer's playback timeline.</summary>
public sealed record PlayItem
{
    /// <summary>Journal entry of the playAudio.</summary>
    public required long Seq { get; init; }

    public required TimeSpan ReceivedAt { get; init; }

    public required TimeSpan Start { get; init; }

    public required TimeSpan Duration { get; init; }

    /// <summary>End of playback, shortened when killAudio cut it.</summary>
    public TimeSpan End { get; set; }

    /// <summary>Invalid audio, played as silence (003-V ch.4 Issue 4).</summary>
    public bool Silent { get; init; }

    /// <summary>Flushed by killAudio before (or while) it played.</summary>
    public bool Killed { get; set; }

    /// <summary>Time the playout queue was empty before this item arrived, mid-reply.</summary>
    public TimeSpan? UnderrunBefore { get; set; }
}

/// <summary>
/// The peer's playback of the bot's audio (knowlarity.md §4.1 item 5): playAudio items queue and play back-to-back;
/// killAudio cuts the current item and drops the rest. Times are offsets on the call's journal timeline.
/// </summary>
internal sealed class PlaybackModel
{
    private readonly Lock _gate = new();
    private readonly List<PlayItem> _items = [];
    private TimeSpan _queueEnd;

    public IReadOnlyList<PlayItem> Items
    {
        get
        {
            lock (_gate)
            {
                return _items.ToList();
            }
        }
    }

    public TimeSpan Remaining(TimeSpan now)
    {
        lock (_gate)
        {
            return _queueEnd > now ? _queueEnd - now : TimeSpan.Zero;
        }
    }

    public bool IsPlaying(TimeSpan now) => Remaining(now) > TimeSpan.Zero;

    /// <summary>Queues an item; returns it with its place on the timeline.</summary>
    public PlayItem Enqueue(long seq, TimeSpan now, TimeSpan duration, bool silent)
    {
        lock (_gate)
        {
            var start = _queueEnd > now ? _queueEnd : now;
            var item = new PlayItem
            {
                Seq = seq,
                ReceivedAt = now,
                Start = start,
                Duration = duration,
                End = start + duration,
                Silent = silent,
            };
            if (_items.Count > 0 && _queueEnd < now && !_items[^1].Killed)
            {
                item.UnderrunBefore = now - _queueEnd;
            }

            _items.Add(item);
            _queueEnd = item.End;
            return item;
        }
    }

    /// <summary>killAudio: cuts what plays now, drops everything queued. Returns the audio time flushed.</summary>
    public TimeSpan Kill(TimeSpan now)
    {
        lock (_gate)
        {
            var flushed = _queueEnd > now ? _queueEnd - now : TimeSpan.Zero;
            foreach (var item in _items)
            {
                if (item.End > now)
                {
                    item.Killed = true;
                    item.End = item.Start > now ? item.Start : now;
                }
            }

            _queueEnd = now;
            return flushed;
        }
    }
}
