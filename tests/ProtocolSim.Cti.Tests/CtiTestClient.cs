using System.Buffers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Cti.Transport;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Tests;

/// <summary>The test world: the default fixture of the repository.</summary>
internal static class TestWorld
{
    public static string Fixtures
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (Directory.Exists(Path.Combine(dir.FullName, "fixtures", "cti")))
                {
                    return Path.Combine(dir.FullName, "fixtures");
                }
            }

            throw new InvalidOperationException("fixtures/cti not found above the test assembly");
        }
    }

    public static AgentWorld Default()
    {
        var (world, errors) = AgentWorldLoader.Load(AgentWorld.DefaultPath(Fixtures));
        Assert.True(world is not null, string.Join("\n", errors));
        return world!;
    }

    public static Task<CtiHost> StartAsync(Action<CtiOptions>? configure = null, TimeProvider? time = null) =>
        CtiFake.StartAsync(System.Net.IPAddress.Loopback, o =>
        {
            o.World = Default();
            configure?.Invoke(o);
        }, CancellationToken.None, services => services.AddSingleton(time ?? TimeProvider.System));
}

/// <summary>
/// A protocol-level socket connection to the mock (STYLE.md: send frames, receive what is expected with a timeout that
/// shows what came instead, wait for the close). Frames are read with the product's framing reader.
/// </summary>
internal sealed class CtiTestClient : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TcpClient _tcp = new();
    private readonly List<(byte Index, JsonObject Message)> _received = [];
    private readonly SocketFramingOptions _framing = new();
    private NetworkStream _stream = null!;
    private ReadOnlySequence<byte> _pending = ReadOnlySequence<byte>.Empty;
    private int _next;
    private int _requestId;

    public static async Task<CtiTestClient> ConnectAsync(CtiHost host)
    {
        var client = new CtiTestClient();
        await client._tcp.ConnectAsync(host.Tcp);
        client._stream = client._tcp.GetStream();
        return client;
    }

    public string? SessionId { get; private set; }

    public async Task SendRawAsync(byte[] bytes, bool byteAtATime = false)
    {
        if (byteAtATime)
        {
            foreach (var b in bytes)
            {
                await _stream.WriteAsync(new[] { b });
                await _stream.FlushAsync();
            }
        }
        else
        {
            await _stream.WriteAsync(bytes);
        }
    }

    /// <summary>Half-closes the connection (FIN): the client sends nothing more.</summary>
    public void CloseOutput() => _tcp.Client.Shutdown(SocketShutdown.Send);

    public Task SendAsync(byte index, JsonObject message, bool byteAtATime = false) =>
        SendRawAsync(SocketFraming.Encode(index, Encoding.UTF8.GetBytes(message.ToJsonString()), _framing), byteAtATime);

    /// <summary>The next message matching <paramref name="match"/> (earlier ones stay readable by <see cref="Since"/>).</summary>
    public async Task<JsonObject> ReceiveAsync(Func<JsonObject, bool> match, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            for (; _next < _received.Count; _next++)
            {
                if (match(_received[_next].Message))
                {
                    return _received[_next++].Message;
                }
            }

            if (!await ReadFrameAsync(timeout.Token))
            {
                Assert.Fail($"expected {what}, but the connection closed; received:\n{Dump()}");
            }
        }
    }

    public Task<JsonObject> ReceiveAsync(string messageTypeOrName, string? command = null) =>
        ReceiveAsync(m => (Text(m["messageType"]) == messageTypeOrName || Text(m["name"]) == messageTypeOrName) && (command is null || Text(m["command"]) == command), $"{messageTypeOrName} {command}");

    /// <summary>Every message received so far.</summary>
    public IReadOnlyList<(byte Index, JsonObject Message)> Received => _received;

    /// <summary>Reads until the server closes; returns what came meanwhile.</summary>
    public async Task<IReadOnlyList<(byte Index, JsonObject Message)>> WaitForCloseAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var start = _received.Count;
        while (await ReadFrameAsync(timeout.Token))
        {
        }

        return _received.Skip(start).ToList();
    }

    public async Task<JsonObject> RequestAsync(JsonObject message)
    {
        var id = "r" + Interlocked.Increment(ref _requestId);
        message["requestId"] = id;
        await SendAsync(1, message);
        return await ReceiveAsync(m => Text(m["requestId"]) == id, $"the answer to {message.ToJsonString()}");
    }

    public Task<JsonObject> SessionAsync(string command, JsonObject? data = null, string? target = null) => RequestAsync(new JsonObject
    {
        ["messageType"] = "resourceRequest",
        ["resourceId"] = SessionId,
        ["command"] = command,
        ["target"] = target ?? SessionId,
        ["data"] = data ?? [],
    });

    /// <summary>The "Sales" group of the default world with its flags (session.addchannelgroup data).</summary>
    public static JsonObject Sales => new() { ["channelgroup"] = new JsonObject { ["name"] = "Sales", ["chat"] = true, ["email"] = true, ["callback"] = false } };

    /// <summary><c>session.start</c>, then every initialization event up to <c>session.initialized</c>; returns the start answer.</summary>
    public async Task<JsonObject> StartSessionAsync()
    {
        var start = await SessionAsync("session.start");
        await ReceiveAsync("session.initialized");
        return start;
    }

    /// <summary>Handshake, negotiation, service binding, prepareSession and resource binding (no session.start).</summary>
    public async Task<CtiTestClient> LogInAsync(string agent = "agent1001", string password = "Harmony-1001!", string clientId = "desk-1")
    {
        await SendAsync(0, new JsonObject { ["messageType"] = "handshake", ["client"] = new JsonObject { ["id"] = clientId, ["name"] = "test desk" } });
        await ReceiveAsync("handshake");
        await SendAsync(0, new JsonObject { ["messageType"] = "negotiate", ["protocols"] = new JsonArray(new JsonObject { ["name"] = "DCP", ["version"] = "1.0" }) });
        var negotiated = await ReceiveAsync("negotiate");
        Assert.Equal(1, negotiated["protocols"]![0]!["index"]!.GetValue<int>());
        var services = await RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "getServices" });
        var serviceId = Text(services["data"]!["services"]![0]!["serviceId"])!;
        await RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "bindService", ["serviceId"] = serviceId });
        var prepared = await RequestAsync(new JsonObject
        {
            ["messageType"] = "serviceRequest",
            ["serviceId"] = serviceId,
            ["command"] = "prepareSession",
            ["data"] = new JsonObject { ["model"] = "Simulated", ["override"] = false, ["agent"] = new JsonObject { ["id"] = agent, ["password"] = password } },
        });
        Assert.Equal("success", Text(prepared["result"]));
        SessionId = Text(prepared["data"]!["resourceId"]);
        var bound = await RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "bindResource", ["resourceId"] = SessionId });
        Assert.Equal("coreResponse", Text(bound["messageType"]));
        return this;
    }

    /// <summary>Frames received after the message at <paramref name="index"/> of <see cref="Received"/>.</summary>
    public IEnumerable<JsonObject> Since(JsonObject message) => _received.SkipWhile(r => r.Message != message).Skip(1).Select(r => r.Message);

    private async Task<bool> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var sequence = _pending;
            if (SocketFraming.TryReadFrame(ref sequence, _framing, out var frame, out var error))
            {
                _pending = new ReadOnlySequence<byte>(sequence.ToArray());
                _received.Add((frame.Index, (JsonObject)JsonNode.Parse(frame.Content.Span)!));
                return true;
            }

            Assert.Null(error);
            int read;
            try
            {
                read = await _stream.ReadAsync(buffer, cancellationToken);
            }
            catch (IOException)
            {
                return false;
            }

            if (read == 0)
            {
                return false;
            }

            _pending = new ReadOnlySequence<byte>([.. _pending.ToArray(), .. buffer.AsSpan(0, read)]);
        }
    }

    public string Dump() => string.Join("\n", _received.Select(r => $"  [{r.Index}] {r.Message.ToJsonString()}"));

    public static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
