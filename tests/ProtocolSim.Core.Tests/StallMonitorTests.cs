using Microsoft.Extensions.Time.Testing;

namespace ProtocolSim.Core.Tests;

/// <summary>
/// The stall monitor on a fake clock. FakeTimeProvider fires a timer at its due time, which is never late, so the tests
/// hold the monitor's timer and run its callback when they choose: a callback run late is a stall of exactly that much.
/// </summary>
public sealed class StallMonitorTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Fact]
    public void TicksOnTime_NoStall()
    {
        var time = new HeldTimers();
        var monitor = new StallMonitor(time);
        using var watch = monitor.Watch();
        var start = time.GetTimestamp();
        for (var i = 0; i < 50; i++)
        {
            time.Advance(10 * Ms);
            time.Fire();
        }

        Assert.Equal(TimeSpan.Zero, monitor.StalledBetween(start, time.GetTimestamp()));
    }

    [Fact]
    public void ATickRunLate_IsAStallFromItsDueTime_ClippedToTheWindow()
    {
        var time = new HeldTimers();
        var monitor = new StallMonitor(time);
        using var watch = monitor.Watch();
        var start = time.GetTimestamp();
        time.Advance(10 * Ms);
        time.Fire(); // on time at 10 ms; next due at 20 ms
        time.Advance(500 * Ms);
        time.Fire(); // at 510 ms: 490 ms lost
        time.Advance(10 * Ms);
        time.Fire();

        Assert.Equal(490 * Ms, monitor.StalledBetween(start, time.GetTimestamp()));
        Assert.Equal(100 * Ms, monitor.StalledBetween(start + Ticks(time, 100 * Ms), start + Ticks(time, 200 * Ms)));
        Assert.Equal(TimeSpan.Zero, monitor.StalledBetween(start, start + Ticks(time, 20 * Ms)));
        Assert.Equal(TimeSpan.Zero, monitor.StalledBetween(start + Ticks(time, 510 * Ms), time.GetTimestamp()));
    }

    [Fact]
    public void JitterUnderTheTolerance_IsNotAStall()
    {
        var time = new HeldTimers();
        var monitor = new StallMonitor(time);
        using var watch = monitor.Watch();
        var start = time.GetTimestamp();
        time.Advance(14 * Ms);
        time.Fire();

        Assert.Equal(TimeSpan.Zero, monitor.StalledBetween(start, time.GetTimestamp()));
    }

    [Fact]
    public void AStallStillGoingOn_Counts()
    {
        var time = new HeldTimers();
        var monitor = new StallMonitor(time);
        using var watch = monitor.Watch();
        var start = time.GetTimestamp();
        time.Advance(300 * Ms); // the tick due at 10 ms has not run

        Assert.Equal(290 * Ms, monitor.StalledBetween(start, time.GetTimestamp()));
    }

    [Fact]
    public void Unwatched_TheTimerStops_AndWhatWasSeenStays()
    {
        var time = new HeldTimers();
        var monitor = new StallMonitor(time);
        var start = time.GetTimestamp();
        var watch = monitor.Watch();
        time.Advance(110 * Ms);
        time.Fire(); // 100 ms lost
        watch.Dispose();
        watch.Dispose();
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.True(time.Disposed);
        Assert.Equal(100 * Ms, monitor.StalledBetween(start, time.GetTimestamp()));

        using var again = monitor.Watch();
        Assert.Equal(2, time.Created);
    }

    private static long Ticks(TimeProvider time, TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>A fake clock whose timers run only when the test says so, at the fake clock's time then.</summary>
    private sealed class HeldTimers : FakeTimeProvider
    {
        private TimerCallback? _callback;
        private object? _state;

        public int Created { get; private set; }

        public bool Disposed { get; private set; }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _callback = callback;
            _state = state;
            Created++;
            Disposed = false;
            return new Held(this);
        }

        public void Fire() => _callback!(_state);

        private sealed class Held(HeldTimers owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose() => owner.Disposed = true;

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
