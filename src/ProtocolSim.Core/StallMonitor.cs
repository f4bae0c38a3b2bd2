namespace ProtocolSim.Core;

/// <summary>
/// How long this process failed to get round to its own work. A thread-pool timer asks to run every 10 ms; when it
/// runs later than that (the pool was starved, or the process had no core), the time it lost is a stall. Socket reads
/// are stamped by thread-pool continuations, so whatever arrived during a stall is stamped up to that much late, and
/// a reference client running in the same process was held up as well. A timing judge asks how much the harness lost
/// in the window it measures before it blames the client for the time.
/// </summary>
public sealed class StallMonitor
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(10);

    // Timer jitter on an idle machine stays under a few ms; less than this late is not a stall.
    private static readonly TimeSpan Tolerance = TimeSpan.FromMilliseconds(5);
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // The stalls of about the last minute at the worst (a stall is at least 15 ms): [from, to) in timestamps.
    private readonly (long From, long To)[] _stalls = new (long, long)[4096];
    private readonly long _period;
    private readonly long _tolerance;
    private int _count;
    private int _next;
    private int _watchers;
    private ITimer? _timer;
    private long _last;

    public StallMonitor(TimeProvider time)
    {
        _time = time;
        _period = (long)(Period.TotalSeconds * time.TimestampFrequency);
        _tolerance = (long)(Tolerance.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>The process-wide monitor (on the system clock).</summary>
    public static StallMonitor Shared { get; } = new(TimeProvider.System);

    /// <summary>Starts watching (the timer runs while anyone watches); dispose to stop.</summary>
    public IDisposable Watch()
    {
        lock (_gate)
        {
            if (_watchers++ == 0)
            {
                _last = _time.GetTimestamp();
                _timer = _time.CreateTimer(_ => Tick(), null, Period, Timeout.InfiniteTimeSpan);
            }
        }

        return new Lease(this);
    }

    /// <summary>The time the process lost to stalls between two timestamps of the monitor's clock.</summary>
    public TimeSpan StalledBetween(long fromTimestamp, long toTimestamp)
    {
        long lost = 0;
        lock (_gate)
        {
            for (var i = 0; i < _count; i++)
            {
                var (from, to) = _stalls[i];
                var overlap = Math.Min(to, toTimestamp) - Math.Max(from, fromTimestamp);
                if (overlap > 0)
                {
                    lost += overlap;
                }
            }

            // A stall still going on: the timer has not run since it was due.
            if (_timer is not null)
            {
                var now = _time.GetTimestamp();
                var due = _last + _period;
                if (now - due > _tolerance)
                {
                    var overlap = Math.Min(now, toTimestamp) - Math.Max(due, fromTimestamp);
                    lost += Math.Max(0, overlap);
                }
            }
        }

        return TimeSpan.FromSeconds((double)lost / _time.TimestampFrequency);
    }

    private void Tick()
    {
        lock (_gate)
        {
            if (_timer is null)
            {
                return;
            }

            var now = _time.GetTimestamp();
            var due = _last + _period;
            if (now - due > _tolerance)
            {
                _stalls[_next] = (due, now);
                _next = (_next + 1) % _stalls.Length;
                _count = Math.Min(_count + 1, _stalls.Length);
            }

            _last = now;
            _timer.Change(Period, Timeout.InfiniteTimeSpan);
        }
    }

    private void Unwatch()
    {
        ITimer? timer = null;
        lock (_gate)
        {
            if (--_watchers == 0)
            {
                timer = _timer;
                _timer = null;
            }
        }

        timer?.Dispose();
    }

    private sealed class Lease(StallMonitor monitor) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                monitor.Unwatch();
            }
        }
    }
}
