using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

internal sealed partial class CtiClient
{
    // ---------------------------------------------------------------- waiting on the model

    private sealed class Waiter(Func<object?> probe)
    {
        public Func<object?> Probe => probe;

        public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Under <see cref="_gate"/>: the waiters whose condition now holds, with what they found.</summary>
    private List<(Waiter Waiter, object Value)> TakeReady()
    {
        var ready = new List<(Waiter, object)>();
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Probe() is { } value)
            {
                ready.Add((_waiters[i], value));
                _waiters.RemoveAt(i);
            }
        }

        return ready;
    }

    private T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private async Task WaitUntilAsync(string what, Func<bool> condition, CancellationToken cancellationToken) =>
        await WaitForAsync(what, () => condition() ? Seen : null, null, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="probe"/> (run under the lock, on the model) finds something: at once when the model
    /// already shows it, whatever order the events came in. Null when <paramref name="limit"/> passes first.
    /// </summary>
    private async Task<T?> WaitForAsync<T>(string what, Func<T?> probe, TimeSpan? limit, CancellationToken cancellationToken)
        where T : class
    {
        T? found;
        Waiter? waiter = null;
        lock (_gate)
        {
            ThrowIfFailed();
            found = probe();
            if (found is null)
            {
                waiter = new Waiter(probe);
                _waiters.Add(waiter);
            }
        }

        if (waiter is null)
        {
            Log(what + ": yes");
            return found;
        }

        Log("waiting for " + what);
        try
        {
            var value = limit is { } within ? await waiter.Done.Task.WaitAsync(within, cancellationToken) : await waiter.Done.Task.WaitAsync(cancellationToken);
            Log(what + ": yes");
            return (T)value;
        }
        catch (TimeoutException)
        {
            Log($"{what}: not within {limit?.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; going on");
            return null;
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    private void Log(string line) => _log.WriteLine(line);
}
