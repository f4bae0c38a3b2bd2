using System.Threading.Channels;
using ProtocolSim.Core;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>
/// What a transport has read and journaled, handed to the session in arrival order by one worker. The transport's
/// read loop only reads, journals and posts, so every frame is stamped (and numbered) when it came off the socket,
/// whatever the session is doing: waiting for its lock while a scripted burst goes out, or for a send that a slow
/// reader holds back. A close read 1.8 s late once made a client that closed right after FinalizeResponse pass DFW-017
/// (issue 17); judges compare these stamps.
/// </summary>
/// <remarks>
/// Bounded (<see cref="Capacity"/> items): a client that sends faster than the session handles is read at the
/// session's pace once that many wait, and the journal says so once. The first failure of a work item (a cancelled
/// session) ends the worker; <see cref="CompleteAsync"/> rethrows it.
/// </remarks>
internal sealed class SessionInbox
{
    public const int Capacity = 1024;

    private readonly Channel<Func<Task>> _work = Channel.CreateBounded<Func<Task>>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly SessionJournal _journal;
    private readonly Task _worker;
    private bool _fullNoted;

    public SessionInbox(SessionJournal journal)
    {
        _journal = journal;
        _worker = Task.Run(WorkAsync);
    }

    /// <summary>The worker stopped on a failure: <see cref="CompleteAsync"/> rethrows it.</summary>
    public bool Failed => _worker.IsFaulted || _worker.IsCanceled;

    /// <summary>
    /// Queues <paramref name="work"/> after what is queued; waits only when <see cref="Capacity"/> items wait. False when
    /// the worker has stopped (the session was cancelled): the frame is journaled, nothing handles it.
    /// </summary>
    public async ValueTask<bool> PostAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        if (_work.Writer.TryWrite(work))
        {
            return true;
        }

        if (_work.Reader.Completion.IsCompleted)
        {
            return false;
        }

        if (!_fullNoted)
        {
            _fullNoted = true;
            _journal.Append(Direction.Internal, FrameKind.Note, $"the session is {Capacity} messages behind the socket; reading goes at the session's pace now (stamps of what follows may be late)");
        }

        try
        {
            await _work.Writer.WriteAsync(work, cancellationToken);
            return true;
        }
        catch (ChannelClosedException)
        {
            // The worker stopped while this waited for room.
            return false;
        }
    }

    /// <summary>Queues <paramref name="work"/> and waits for its result (for the rare decision that needs every earlier frame handled).</summary>
    public async Task<T> RunAsync<T>(Func<Task<T>> work, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var queued = await PostAsync(async () =>
        {
            try
            {
                done.TrySetResult(await work());
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
                throw;
            }
        }, cancellationToken);
        if (!queued)
        {
            // Nothing will answer: the worker's failure is the answer.
            await _worker;
            throw new InvalidOperationException("The inbox was completed; nothing more is handled.");
        }

        return await done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>No more work comes: waits until everything queued was handled, and rethrows the first failure.</summary>
    public Task CompleteAsync()
    {
        _work.Writer.TryComplete();
        return _worker;
    }

    private async Task WorkAsync()
    {
        await foreach (var work in _work.Reader.ReadAllAsync())
        {
            try
            {
                await work();
            }
            catch (Exception ex)
            {
                // The session is going away (cancelled): what is still queued is not handled; the journal has it.
                _work.Writer.TryComplete(ex);
                while (_work.Reader.TryRead(out _))
                {
                }

                throw;
            }
        }
    }
}
