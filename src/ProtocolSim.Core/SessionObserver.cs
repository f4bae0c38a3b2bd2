namespace ProtocolSim.Core;

/// <summary>
/// Something that watches sessions as they happen (the dashboard of <c>protosim run --dashboard</c>): a scenario's
/// fakes hand it their journal stores when they start, and the voice suite each call it dials. Scenarios find it
/// among their services; none is registered unless asked for.
/// </summary>
public interface ISessionObserver
{
    /// <summary>Follows a store: the journals it holds now and every one it opens.</summary>
    void Follow(string fake, JournalStore store, string? group = null);

    /// <summary>Shows one journal; the key the observer shows it under (a dashboard's session number).</summary>
    long Show(string fake, SessionJournal journal, string? group = null);
}
