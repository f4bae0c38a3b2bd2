using System.Diagnostics;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>A stream the pacer fires at its frame interval.</summary>
internal interface IPacedStream
{
    /// <summary>
    /// Called on the pacer thread when a frame is due. Must not block. Returns false to stop pacing this stream.
    /// </summary>
    bool OnFrameDue(long dueTimestamp);
}

/// <summary>
/// One precise loop that paces every media stream of the process (ARCHITECTURE: one pacing loop, not a timer per
/// stream). The default timer here ticks every 4 ms, so the loop waits on a kernel timeout until about 2 ms before
/// the next due frame, then spins to it: lateness is microseconds instead of milliseconds.
/// </summary>
public sealed class MediaPacer : IDisposable
{
    private static readonly Lazy<MediaPacer> SharedInstance = new(() => new MediaPacer(TimeProvider.System));
    private readonly TimeProvider _time;
    private readonly PriorityQueue<Entry, long> _heap = new();
    private readonly Lock _gate = new();
    private readonly AutoResetEvent _wake = new(false);
    private readonly Thread _thread;
    private readonly long _spinThreshold;
    private volatile bool _stopping;

    public MediaPacer(TimeProvider time)
    {
        _time = time;
        _spinThreshold = time.TimestampFrequency * 2 / 1000; // 2 ms
        _thread = new Thread(Run) { IsBackground = true, Name = "ProtocolSim media pacer", Priority = ThreadPriority.AboveNormal };
        _thread.Start();
    }

    /// <summary>The process-wide pacer.</summary>
    public static MediaPacer Shared => SharedInstance.Value;

    public TimeProvider Time => _time;

    /// <summary>Number of streams being paced.</summary>
    public int ActiveStreams
    {
        get
        {
            lock (_gate)
            {
                return _heap.Count;
            }
        }
    }

    /// <summary>Starts pacing <paramref name="stream"/>: first frame at <paramref name="firstDue"/>, then every <paramref name="interval"/>.</summary>
    internal void Schedule(IPacedStream stream, long firstDue, TimeSpan interval)
    {
        var ticks = (long)(interval.TotalSeconds * _time.TimestampFrequency);
        lock (_gate)
        {
            _heap.Enqueue(new Entry(stream, ticks) { Due = firstDue }, firstDue);
        }

        _wake.Set();
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        _thread.Join();
        _wake.Dispose();
    }

    private void Run()
    {
        while (!_stopping)
        {
            Entry? entry;
            long due;
            lock (_gate)
            {
                if (!_heap.TryPeek(out entry, out due))
                {
                    entry = null;
                }
            }

            if (entry is null)
            {
                _wake.WaitOne(100);
                continue;
            }

            var now = _time.GetTimestamp();
            var ahead = due - now;
            if (ahead > _spinThreshold)
            {
                // Sleep in the kernel until about 2 ms before the due time; a new stream wakes us early.
                var ms = (int)((ahead - _spinThreshold) * 1000 / _time.TimestampFrequency);
                _wake.WaitOne(Math.Max(1, ms));
                continue;
            }

            while (_time.GetTimestamp() < due)
            {
                Thread.SpinWait(20);
            }

            lock (_gate)
            {
                // The heap may have gained an earlier entry; fire whatever is first now.
                if (!_heap.TryDequeue(out entry, out due))
                {
                    continue;
                }
            }

            bool more;
            try
            {
                more = entry.Stream.OnFrameDue(due);
            }
            catch (Exception ex)
            {
                Debug.Fail("A paced stream threw: " + ex);
                more = false;
            }

            if (more)
            {
                entry.Due = due + entry.Interval;
                lock (_gate)
                {
                    _heap.Enqueue(entry, entry.Due);
                }
            }
        }
    }

    private sealed class Entry(IPacedStream stream, long interval)
    {
        public IPacedStream Stream { get; } = stream;

        public long Interval { get; } = interval;

        public long Due { get; set; }
    }
}

/// <summary>Lateness of paced sends (due time to the moment the send started), as a histogram with 10 µs buckets.</summary>
public sealed class LatenessRecorder
{
    private const int BucketMicros = 10;
    private const int Buckets = 10_000; // up to 100 ms; beyond goes to the last bucket
    private readonly long[] _counts = new long[Buckets + 1];
    private long _max;
    private long _total;

    public long Count => Interlocked.Read(ref _total);

    public void Record(TimeSpan lateness)
    {
        var micros = Math.Max(0, (long)(lateness.TotalMicroseconds));
        var bucket = (int)Math.Min(Buckets, micros / BucketMicros);
        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Increment(ref _total);
        long seen;
        while (micros > (seen = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, micros, seen) != seen)
        {
        }
    }

    public TimeSpan Max => TimeSpan.FromMicroseconds(Interlocked.Read(ref _max));

    /// <summary>Upper edge of the bucket holding the <paramref name="quantile"/> (0..1).</summary>
    public TimeSpan Percentile(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return TimeSpan.Zero;
        }

        var target = (long)Math.Ceiling(total * quantile);
        long running = 0;
        for (var i = 0; i <= Buckets; i++)
        {
            running += Interlocked.Read(ref _counts[i]);
            if (running >= target)
            {
                return i == Buckets ? Max : TimeSpan.FromMicroseconds((i + 1) * BucketMicros);
            }
        }

        return Max;
    }

    public void Reset()
    {
        Array.Clear(_counts);
        Interlocked.Exchange(ref _max, 0);
        Interlocked.Exchange(ref _total, 0);
    }
}
