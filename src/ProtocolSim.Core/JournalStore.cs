using System.Collections.Concurrent;

namespace ProtocolSim.Core;

/// <summary>
/// The journals a fake keeps for reports and the dashboard: the newest <see cref="Limit"/> of them, so that a
/// long-running <c>protosim serve</c> stays bounded, and a count of open connections so a scenario can wait until the
/// client's connections have all closed.
/// </summary>
public sealed class JournalStore(int limit)
{
    private readonly ConcurrentQueue<SessionJournal> _journals = new();
    private readonly Lock _gate = new();
    private int _count;
    private int _active;
    private TaskCompletionSource _idle = NewIdle(completed: true);

    /// <summary>How many journals are kept (0 = all).</summary>
    public int Limit { get; } = limit;

    /// <summary>The journals kept, oldest first.</summary>
    public IReadOnlyCollection<SessionJournal> All => _journals;

    /// <summary>Raised when a journal is opened; handlers must not block.</summary>
    public event Action<SessionJournal>? Opened;

    /// <summary>Raised when a journal is dropped (beyond <see cref="Limit"/>, or by <see cref="Clear"/>); handlers must not block.</summary>
    public event Action<SessionJournal>? Dropped;

    /// <summary>Opens and keeps a journal, dropping the oldest beyond <see cref="Limit"/>.</summary>
    public SessionJournal Open(string sessionId, string protocol, TimeProvider time, Redactor redactor)
    {
        var journal = new SessionJournal(sessionId, protocol, time, redactor);
        _journals.Enqueue(journal);
        if (Limit > 0 && Interlocked.Increment(ref _count) > Limit && _journals.TryDequeue(out var oldest))
        {
            Interlocked.Decrement(ref _count);
            Dropped?.Invoke(oldest);
        }

        Opened?.Invoke(journal);
        return journal;
    }

    /// <summary>Forgets the journals kept so far (open connections keep writing to theirs).</summary>
    public void Clear()
    {
        while (_journals.TryDequeue(out var journal))
        {
            Dropped?.Invoke(journal);
        }

        Interlocked.Exchange(ref _count, 0);
    }

    /// <summary>Completes when no connection is open (at once when none is).</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Open connections.</summary>
    public int Active
    {
        get
        {
            lock (_gate)
            {
                return _active;
            }
        }
    }

    /// <summary>A connection opened; pair with <see cref="Leave"/>.</summary>
    public void Enter()
    {
        lock (_gate)
        {
            if (_active++ == 0)
            {
                _idle = NewIdle(completed: false);
            }
        }
    }

    public void Leave()
    {
        lock (_gate)
        {
            if (--_active == 0)
            {
                _idle.TrySetResult();
            }
        }
    }

    private static TaskCompletionSource NewIdle(bool completed)
    {
        var idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (completed)
        {
            idle.SetResult();
        }

        return idle;
    }
}
