using ProtocolSim.Core;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>
/// The Data Flow sessions' journals, for reports and the dashboard: the newest <see cref="DataFlowOptions.KeepJournals"/>
/// of them, so that a long-running <c>protosim serve</c> does not grow without bound; stamped on the mock's clock.
/// </summary>
public sealed class DataFlowJournals(DataFlowOptions options, TimeProvider time)
{
    private readonly JournalStore _store = new(options.KeepJournals);
    private int _count;

    public IReadOnlyCollection<SessionJournal> All => _store.All;

    /// <summary>The store itself, for the dashboard to follow.</summary>
    public JournalStore Store => _store;

    /// <summary>Completes when no connection is open (at once when none is).</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken) => _store.WhenIdleAsync(cancellationToken);

    internal void Enter() => _store.Enter();

    internal void Leave() => _store.Leave();

    internal SessionJournal Open(string transport, Redactor redactor) =>
        _store.Open($"dataflow-{transport}-{Interlocked.Increment(ref _count)}", "dataflow-" + transport, time, redactor);
}
