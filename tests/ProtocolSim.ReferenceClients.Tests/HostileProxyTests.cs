using System.Net;
using System.Net.Sockets;
using System.Text;
using ProtocolSim.ReferenceClients.Hostile;

namespace ProtocolSim.ReferenceClients.Tests;

/// <summary>The hostile proxy acts on the subject's writes, one by one, and leaves the other direction alone.</summary>
public sealed class HostileProxyTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task CloseAfterOne_TheServerGetsTheFirstWriteThenEndOfStream()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Close, 1));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        await pair.SendAsync("two");

        Assert.Equal(string.Empty, await pair.ServerReadToEndAsync());
    }

    [Fact]
    public async Task ResetAfterOne_TheServerSeesTheConnectionAborted()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Reset, 1));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        await pair.SendAsync("two");

        var error = await Assert.ThrowsAsync<SocketException>(pair.ServerReadToEndAsync);
        Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
    }

    [Fact]
    public async Task SilentAfterOne_LaterWritesNeverArrive_TheConnectionStaysUntilTheSubjectCloses()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Silent, 1));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        await pair.SendAsync("two");
        await pair.SendAsync("three");
        await pair.Server.SendAsync(Encoding.ASCII.GetBytes("back"));
        Assert.Equal("back", await pair.ClientReadAsync(4)); // the other direction still flows
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(string.Empty, await pair.ServerReadToEndAsync());
    }

    [Fact]
    public async Task GarbageAtOne_TheSecondWriteArrivesAsOtherBytesOfItsLength_TheRestIntact()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Garbage, 1));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        await pair.SendAsync("twotwotwotwo");
        var garbled = await pair.ServerReadAsync(12);
        await pair.SendAsync("three");
        Assert.Equal("three", await pair.ServerReadAsync(5));

        Assert.NotEqual("twotwotwotwo", garbled);
    }

    [Fact]
    public async Task TwiceAtOne_TheSecondWriteArrivesTwice()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Twice, 1));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        await pair.SendAsync("two");
        Assert.Equal("twotwo", await pair.ServerReadAsync(6));
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(string.Empty, await pair.ServerReadToEndAsync());
    }

    [Fact]
    public async Task DropAtOne_TheSecondWriteNeverArrives_TheRestDoes()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Drop, 1));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        var dropped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Proxy.HostileWriteRead += index =>
        {
            if (index == 1)
            {
                dropped.TrySetResult();
            }
        };
        await pair.SendAsync("two");
        await dropped.Task.WaitAsync(Patience); // read (and dropped) before the next write, so the two stay apart
        await pair.SendAsync("three");
        Assert.Equal("three", await pair.ServerReadAsync(5));
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(string.Empty, await pair.ServerReadToEndAsync());
    }

    [Fact]
    public async Task StaleAtTwo_TheThirdWriteArrivesAsTheSecondAgain_TheRestIntact()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Stale, 2));
        await pair.SendAsync("one");
        Assert.Equal("one", await pair.ServerReadAsync(3));
        await pair.SendAsync("two");
        Assert.Equal("two", await pair.ServerReadAsync(3));
        await pair.SendAsync("three");
        Assert.Equal("two", await pair.ServerReadAsync(3));
        await pair.SendAsync("four");
        Assert.Equal("four", await pair.ServerReadAsync(4));
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.Equal(string.Empty, await pair.ServerReadToEndAsync());
    }

    [Fact]
    public async Task AHostileServer_ActsOnWhatTheServerWrites()
    {
        await using var pair = await Pair.StartAsync(new HostileMode(HostileAct.Close, 1), upstreamIsHostile: true);
        await pair.SendAsync("hello");
        Assert.Equal("hello", await pair.ServerReadAsync(5));
        await pair.Server.SendAsync(Encoding.ASCII.GetBytes("first"));
        Assert.Equal("first", await pair.ClientReadAsync(5));
        await pair.Server.SendAsync(Encoding.ASCII.GetBytes("second"));

        Assert.Equal(0, await pair.Client.ReceiveAsync(new byte[16]).WaitAsync(Patience));
    }

    [Fact]
    public void TheCorpus_HasEveryActAndUniqueNames()
    {
        Assert.Equal(Enum.GetValues<HostileAct>().Order(), HostileMode.Corpus.Select(m => m.Act).Distinct().Order());
        Assert.Equal(HostileMode.Corpus.Count, HostileMode.Corpus.Select(m => m.Name).Distinct().Count());
        Assert.Equal(new HostileMode(HostileAct.Silent, 4), HostileMode.Get("silent-after-4"));
        Assert.Throws<ArgumentException>(() => HostileMode.Get("nonsense"));
    }

    /// <summary>A client connected through the proxy to a server socket the test holds.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly Socket _listener;

        private Pair(Socket listener, HostileProxy proxy, Socket client, Socket server)
        {
            _listener = listener;
            Proxy = proxy;
            Client = client;
            Server = server;
        }

        public HostileProxy Proxy { get; }

        public Socket Client { get; }

        public Socket Server { get; }

        public static async Task<Pair> StartAsync(HostileMode mode, bool upstreamIsHostile = false)
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            var proxy = HostileProxy.Start((IPEndPoint)listener.LocalEndPoint!, mode, upstreamIsHostile);
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, proxy.Port)).WaitAsync(Patience);
            var server = await listener.AcceptAsync().WaitAsync(Patience);
            return new Pair(listener, proxy, client, server);
        }

        /// <summary>One write of the subject; the test waits for each write to be read before the next, so writes stay apart.</summary>
        public async Task SendAsync(string text) => await Client.SendAsync(Encoding.ASCII.GetBytes(text)).WaitAsync(Patience);

        public Task<string> ServerReadAsync(int length) => ReadAsync(Server, length);

        public Task<string> ClientReadAsync(int length) => ReadAsync(Client, length);

        public async Task<string> ServerReadToEndAsync()
        {
            var all = new StringBuilder();
            var buffer = new byte[256];
            int n;
            while ((n = await Server.ReceiveAsync(buffer).WaitAsync(Patience)) > 0)
            {
                all.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            return all.ToString();
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Server.Dispose();
            await Proxy.DisposeAsync();
            _listener.Dispose();
        }

        private static async Task<string> ReadAsync(Socket socket, int length)
        {
            var buffer = new byte[length];
            var read = 0;
            while (read < length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(read)).AsTask().WaitAsync(Patience);
                Assert.True(n > 0, $"end of stream after {read} of {length} bytes");
                read += n;
            }

            return Encoding.Latin1.GetString(buffer);
        }
    }
}
