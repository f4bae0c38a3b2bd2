using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace ProtocolSim.TestSupport;

/// <summary>
/// A fake clock that says when a timer was created on it, and for how long: a test moves the clock only once the code
/// under test waits on it (<see cref="WaitForTimerAsync"/>, then <see cref="FakeTimeProvider.Advance"/>), so nothing
/// races the clock and every time is exact.
/// </summary>
public sealed class SteppedTime(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Channel<TimeSpan> _created = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _created.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>Waits for a timer of <paramref name="due"/> created since the last one of that length was waited for.</summary>
    public async Task WaitForTimerAsync(TimeSpan due, CancellationToken cancellationToken)
    {
        while (await _created.Reader.ReadAsync(cancellationToken) != due)
        {
        }
    }
}
