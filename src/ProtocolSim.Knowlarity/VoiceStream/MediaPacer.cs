using System.Diagnostics;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>A stream the pacer fires at its frame interval.</summary>
internal interface IPacedStream
{
    /// <summary>
    /// Called on the pacer thread when a frame is due. Must not block. Returns false to stop pacing this stream.
    /// </summary>
    bool OnFrameDue(long dueTimestamp);

    /// <summary>Called on the pacer thread when <see cref="OnFrameDue"/> threw; the stream is no longer paced.</summary>
    void OnFault(Exception exception);
}

/// <summary>
/// Paces every media stream of the process from precise loops (ARCHITECTURE: one pacing loop, not a timer per
/// stream). The default timer here ticks every 4 ms, so <c>PeriodicTimer</c> gives about 4.5 ms p99. Each loop instead
/// waits on a 1 ms kernel timeout and, when it wakes, fires in one pass every frame due by then or within the next
/// 0.5 ms: frames leave at most about a millisecond late and at most 0.5 ms early (far below any network's jitter),
/// and no CPU is burnt spinning between frames. A frame's send runs inline on the loop thread (it completes
/// synchronously while the socket has room), so the loops are sharded, one per core by default: a stream stays on one
/// loop, and each loop thread carries only its share of the sends.
/// </summary>
public sealed class MediaPacer : IDisposable
{
    private static readonly Lazy<MediaPacer> SharedInstance = new(() => new MediaPacer(TimeProvider.System));
    private readonly PacerLoop[] _loops;
    private int _next = -1;

    /// <param name="time">Clock of every due time.</param>
    /// <param name="loops">Number of pacing loops (threads); default one per core.</param>
    public MediaPacer(TimeProvider time, int loops = 0)
    {
        Time = time;
        var count = loops > 0 ? loops : Environment.ProcessorCount;
        _loops = Enumerable.Range(0, count).Select(i => new PacerLoop(time, i)).ToArray();
    }

    /// <summary>The process-wide pacer.</summary>
    public static MediaPacer Shared => SharedInstance.Value;

    public TimeProvider Time { get; }

    /// <summary>Number of pacing loops.</summary>
    public int Loops => _loops.Length;

    /// <summary>Starts pacing <paramref name="stream"/>: first frame at <paramref name="firstDue"/>, then every <paramref name="interval"/>.</summary>
    internal void Schedule(IPacedStream stream, long firstDue, TimeSpan interval)
    {
        var loop = _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];
        loop.Schedule(stream, firstDue, (long)(interval.TotalSeconds * Time.TimestampFrequency));
    }

    public void Dispose()
    {
        foreach (var loop in _loops)
        {
            loop.Dispose();
        }
    }

    private sealed class PacerLoop : IDisposable
    {
        private readonly TimeProvider _time;
        private readonly PriorityQueue<Entry, long> _heap = new();
        private readonly Lock _gate = new();
        private readonly AutoResetEvent _wake = new(false);
        private readonly Thread _thread;
        private readonly long _earlyWindow;
        private volatile bool _stopping;

        public PacerLoop(TimeProvider time, int index)
        {
            _time = time;
            _earlyWindow = time.TimestampFrequency / 2_000; // 0.5 ms
            _thread = new Thread(Run) { IsBackground = true, Name = $"ProtocolSim pacer {index}", Priority = ThreadPriority.AboveNormal };
            _thread.Start();
        }

        public void Schedule(IPacedStream stream, long firstDue, long interval)
        {
            lock (_gate)
            {
                _heap.Enqueue(new Entry(stream, interval), firstDue);
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

                var ahead = due - _time.GetTimestamp();
                if (ahead > _earlyWindow)
                {
                    // Sleep in the kernel (1 ms granularity) until the next frame is within the early window; a new
                    // stream wakes us sooner.
                    var ms = (int)((ahead - _earlyWindow) * 1000 / _time.TimestampFrequency);
                    _wake.WaitOne(Math.Max(1, ms));
                    continue;
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
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // One broken stream must not stop the others (nor, through Debug.Fail, the process).
                    more = false;
                    try
                    {
                        entry.Stream.OnFault(ex);
                    }
                    catch (Exception inner) when (inner is not OutOfMemoryException)
                    {
                        Debug.WriteLine("A paced stream's fault handler threw: " + inner);
                    }
                }

                if (more)
                {
                    lock (_gate)
                    {
                        _heap.Enqueue(entry, due + entry.Interval);
                    }
                }
            }
        }
    }

    private sealed class Entry(IPacedStream stream, long interval)
    {
        public IPacedStream Stream { get; } = stream;

        public long Interval { get; } = interval;
    }
}
