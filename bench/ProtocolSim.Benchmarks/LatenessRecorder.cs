namespace ProtocolSim.Benchmarks;

/// <summary>Lateness of paced sends (due time to the moment the send started), as a histogram with 10 µs buckets.</summary>
internal sealed class LatenessRecorder
{
    private const int BucketMicros = 10;
    private const int Buckets = 10_000; // up to 100 ms; beyond goes to the last bucket
    private readonly long[] _counts = new long[Buckets + 1];
    private long _max;
    private long _maxEarly;
    private long _total;

    public long Count => Interlocked.Read(ref _total);

    /// <summary>Records a send; a negative lateness (sent early) counts as on time and is kept as <see cref="MaxEarly"/>.</summary>
    public void Record(TimeSpan lateness)
    {
        if (lateness < TimeSpan.Zero)
        {
            var early = (long)(-lateness.TotalMicroseconds);
            long seenEarly;
            while (early > (seenEarly = Interlocked.Read(ref _maxEarly)) && Interlocked.CompareExchange(ref _maxEarly, early, seenEarly) != seenEarly)
            {
            }
        }

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

    /// <summary>The earliest a frame was sent before its due time.</summary>
    public TimeSpan MaxEarly => TimeSpan.FromMicroseconds(Interlocked.Read(ref _maxEarly));

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
        Interlocked.Exchange(ref _maxEarly, 0);
        Interlocked.Exchange(ref _total, 0);
    }
}
