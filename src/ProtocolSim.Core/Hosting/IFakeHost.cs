using System.Text.Json.Nodes;

namespace ProtocolSim.Core.Hosting;

/// <summary>
/// A running fake of one system, as <c>protosim serve</c>, the dashboard and the scenario hosts see every one of them:
/// what it adds to the endpoints file, the journals it keeps, the admin actions it offers and one line of where it
/// listens. Stopped by <see cref="IAsyncDisposable.DisposeAsync"/>. Made by its <see cref="IFakeHostFactory"/>.
/// </summary>
public interface IFakeHost : IAsyncDisposable
{
    /// <summary>The system's short name: the dashboard's group of its sessions and actions (<c>knowlarity</c>, <c>dataflow</c>, <c>cti</c>, <c>voice</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Its entries of the endpoints file (ARCHITECTURE.md), its credentials under <c>credentials.{system}</c>; a fake
    /// that clients do not call (our voice peer dials the bot) has none.
    /// </summary>
    JsonObject Endpoints();

    /// <summary>
    /// Hands <paramref name="observer"/> the fake's journals: its stores (every session it opens from now on too) and
    /// its lifetime journals, shown under <paramref name="group"/> (a scenario's label; none in <c>serve</c>).
    /// </summary>
    void Observe(ISessionObserver observer, string? group = null);

    /// <summary>What the dashboard offers as buttons: the fake's admin API, or actions it runs itself.</summary>
    IReadOnlyList<AdminAction> AdminActions { get; }

    /// <summary>Secrets of the fake that the endpoints file does not carry (they are masked wherever a journal is shown).</summary>
    IEnumerable<string> Secrets => [];

    /// <summary>One line for <c>protosim serve</c>'s banner: what listens where.</summary>
    string Describe();
}
