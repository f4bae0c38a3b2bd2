namespace ProtocolSim.Core;

/// <summary>
/// Keeps the thread pool from throttling the harness. Every socket read, journal stamp and judge of a run is a
/// thread-pool work item; the pool starts with one worker per core and adds one about every half second while work
/// waits. On a 2-core machine with 4 busy threads (normal priority) competing and 6 voice suites at a time, that let
/// the harness fall 3.4 s behind the wire (measured by <see cref="StallMonitor"/>); with 32 workers allowed at once it
/// fell at most 0.34 s behind. The pool still creates a worker only when work waits for one.
/// </summary>
public static class HarnessThreadPool
{
    /// <summary>Workers the pool may start at once without throttling: 32, or 4 per core on a bigger machine.</summary>
    public static int MinimumWorkers => Math.Max(32, 4 * Environment.ProcessorCount);

    /// <summary>Raises the pool's minimum (never lowers it: a host that asked for more keeps it).</summary>
    public static void Reserve()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < MinimumWorkers)
        {
            ThreadPool.SetMinThreads(MinimumWorkers, io);
        }
    }
}
