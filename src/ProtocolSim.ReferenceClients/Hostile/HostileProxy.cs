using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ProtocolSim.ReferenceClients.Hostile;

/// <summary>What a hostile peer does to the exchange at its chosen point.</summary>
public enum HostileAct
{
    /// <summary>Closes the connection (FIN) after its first <c>n</c> writes: a client that goes away at that point.</summary>
    Close,

    /// <summary>Aborts the connection (RST) after its first <c>n</c> writes.</summary>
    Reset,

    /// <summary>From its <c>n</c>-th write on, nothing it sends arrives, and the connection stays open: it never answers.</summary>
    Silent,

    /// <summary>Its <c>n</c>-th write arrives as random bytes of the same length.</summary>
    Garbage,

    /// <summary>Its <c>n</c>-th write arrives twice.</summary>
    Twice,

    /// <summary>Its <c>n</c>-th write never arrives; the ones before and after do: one message lost.</summary>
    Drop,

    /// <summary>
    /// Its <c>n</c>-th write arrives as its previous write again: a well-formed message of the protocol, but the wrong
    /// one at that point (the answer, request or frame it should have sent is lost).
    /// </summary>
    Stale,
}

/// <summary>One way of being hostile: an act at the <see cref="At"/>-th write (0-based) the subject makes on a connection.</summary>
public sealed record HostileMode(HostileAct Act, int At)
{
    public string Name => Act switch
    {
        HostileAct.Close => string.Create(CultureInfo.InvariantCulture, $"close-after-{At}"),
        HostileAct.Reset => string.Create(CultureInfo.InvariantCulture, $"reset-after-{At}"),
        HostileAct.Silent => string.Create(CultureInfo.InvariantCulture, $"silent-after-{At}"),
        HostileAct.Garbage => string.Create(CultureInfo.InvariantCulture, $"garbage-at-{At}"),
        HostileAct.Drop => string.Create(CultureInfo.InvariantCulture, $"drop-at-{At}"),
        HostileAct.Stale => string.Create(CultureInfo.InvariantCulture, $"stale-at-{At}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"twice-at-{At}"),
    };

    public string Description => Act switch
    {
        HostileAct.Close => string.Create(CultureInfo.InvariantCulture, $"closes every connection (FIN) after its first {At} write(s)"),
        HostileAct.Reset => string.Create(CultureInfo.InvariantCulture, $"aborts every connection (RST) after its first {At} write(s)"),
        HostileAct.Silent => string.Create(CultureInfo.InvariantCulture, $"goes silent on every connection after its first {At} write(s), the connection left open"),
        HostileAct.Garbage => string.Create(CultureInfo.InvariantCulture, $"write {At} of every connection arrives as random bytes"),
        HostileAct.Drop => string.Create(CultureInfo.InvariantCulture, $"write {At} of every connection never arrives (the rest does)"),
        HostileAct.Stale => string.Create(CultureInfo.InvariantCulture, $"write {At} of every connection arrives as write {At - 1} again"),
        _ => string.Create(CultureInfo.InvariantCulture, $"write {At} of every connection arrives twice"),
    };

    /// <summary>
    /// The corpus: the subject closes or aborts at the start, early and late in the exchange (after 128 and 512 writes
    /// a call is in its conversation and a Data Flow session in its audio), goes silent, answers with garbage, sends a
    /// message twice, loses one message, or sends a well-formed message where another was due (its previous one again:
    /// for a protocol of one message per write, such as the WebSocket and CTI frames and HTTP/1.1 requests, a message
    /// the fake parses and must judge in the wrong place). A write is one send on the socket: for the clients here one
    /// message, request or frame (the TLS handshake's records count too).
    /// </summary>
    public static IReadOnlyList<HostileMode> Corpus { get; } =
    [
        new(HostileAct.Close, 0), new(HostileAct.Close, 1), new(HostileAct.Close, 2), new(HostileAct.Close, 4), new(HostileAct.Close, 8), new(HostileAct.Close, 32),
        new(HostileAct.Close, 128), new(HostileAct.Close, 512),
        new(HostileAct.Reset, 1), new(HostileAct.Reset, 4),
        new(HostileAct.Silent, 1), new(HostileAct.Silent, 4),
        new(HostileAct.Garbage, 0), new(HostileAct.Garbage, 1), new(HostileAct.Garbage, 3),
        new(HostileAct.Twice, 1), new(HostileAct.Twice, 2), new(HostileAct.Twice, 4),
        new(HostileAct.Drop, 1), new(HostileAct.Drop, 3),
        new(HostileAct.Stale, 2), new(HostileAct.Stale, 4),
    ];

    public static HostileMode Get(string name) =>
        Corpus.FirstOrDefault(m => m.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"no hostile mode \"{name}\"; the corpus is {string.Join(", ", Corpus.Select(m => m.Name))}", nameof(name));
}

/// <summary>
/// A TCP proxy on 127.0.0.1 that makes one side of every connection hostile (<see cref="HostileMode"/>): the client
/// that connects to it, or the server it connects to (a bot under test). Bytes are forwarded as they come, write by
/// write, so the mode acts on whatever the protocol is (HTTP, WebSocket, gRPC, TLS, the CTI frames).
/// </summary>
public sealed class HostileProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly IPEndPoint _upstream;
    private readonly HostileMode _mode;
    private readonly bool _upstreamIsHostile;
    private readonly Random _random;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<Socket, byte> _sockets = new();
    private readonly Task _accepting;

    private HostileProxy(IPEndPoint upstream, HostileMode mode, bool upstreamIsHostile, int seed)
    {
        _upstream = upstream;
        _mode = mode;
        _upstreamIsHostile = upstreamIsHostile;
        _random = new Random(seed);
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(64);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>The proxy's port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Raised with its index (per connection, from 0) when a write of the hostile side has been read, before the mode acts on it.</summary>
    public event Action<int>? HostileWriteRead;

    /// <summary>
    /// Starts a proxy to <paramref name="upstream"/>; <paramref name="upstreamIsHostile"/> makes the server side hostile
    /// (a bot), otherwise the client that connects is.
    /// </summary>
    public static HostileProxy Start(IPEndPoint upstream, HostileMode mode, bool upstreamIsHostile, int seed = 17) =>
        new(upstream, mode, upstreamIsHostile, seed);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        foreach (var socket in _sockets.Keys)
        {
            socket.Dispose();
        }

        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        _sockets[client] = 0;
        _sockets[server] = 0;
        try
        {
            await server.ConnectAsync(_upstream, _stop.Token);
            var up = PumpAsync(client, server, hostile: !_upstreamIsHostile);
            var down = PumpAsync(server, client, hostile: _upstreamIsHostile);
            await Task.WhenAll(up, down);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            _sockets.TryRemove(client, out _);
            _sockets.TryRemove(server, out _);
            client.Dispose();
            server.Dispose();
        }
    }

    /// <summary>Forwards <paramref name="from"/> to <paramref name="to"/>, write by write; the hostile direction acts at its point.</summary>
    private async Task PumpAsync(Socket from, Socket to, bool hostile)
    {
        var buffer = new byte[64 * 1024];
        var write = 0;

        // The write before this one, for Stale (kept only in the hostile direction, only up to the mode's point).
        byte[] previous = [];
        try
        {
            while (true)
            {
                var n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (n == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }

                var data = buffer.AsMemory(0, n);
                if (hostile)
                {
                    HostileWriteRead?.Invoke(write);
                }

                if (hostile && write >= _mode.At)
                {
                    switch (_mode.Act)
                    {
                        case HostileAct.Close:
                            // The subject goes away: the other side sees a FIN, and so does the subject.
                            to.Shutdown(SocketShutdown.Both);
                            from.Shutdown(SocketShutdown.Both);
                            to.Close();
                            from.Close();
                            return;
                        case HostileAct.Reset:
                            to.LingerState = new LingerOption(true, 0);
                            from.LingerState = new LingerOption(true, 0);
                            to.Close();
                            from.Close();
                            return;
                        case HostileAct.Silent:
                            write++;
                            continue; // read and drop: the connection stays open, nothing arrives
                        case HostileAct.Garbage when write == _mode.At:
                            lock (_random)
                            {
                                _random.NextBytes(data.Span);
                            }

                            break;
                        case HostileAct.Twice when write == _mode.At:
                            await to.SendAsync(data, SocketFlags.None, _stop.Token);
                            break;
                        case HostileAct.Drop when write == _mode.At:
                            write++;
                            continue;
                        case HostileAct.Stale when write == _mode.At:
                            data = previous;
                            break;
                    }
                }

                if (hostile && _mode.Act == HostileAct.Stale && write == _mode.At - 1)
                {
                    previous = data.ToArray();
                }

                await to.SendAsync(data, SocketFlags.None, _stop.Token);
                write++;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // One side went away: make sure the other sees it too.
            try
            {
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception inner) when (inner is SocketException or ObjectDisposedException)
            {
            }
        }
    }
}
