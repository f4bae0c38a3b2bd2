using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

/// <summary>One message from the bot (or its close), with the time it arrived.</summary>
internal sealed record Received(WebSocketMessageType Type, byte[] Data, TimeSpan At)
{
    public WebSocketCloseStatus? CloseStatus { get; init; }

    public string Text => Encoding.UTF8.GetString(Data);

    public JsonObject Json => JsonNode.Parse(Text) as JsonObject
        ?? throw new Xunit.Sdk.XunitException($"expected a JSON object, got: {Text}");

    public string? MessageType => Type == WebSocketMessageType.Text ? Json["type"]?.GetValue<string>() : null;

    public bool IsPlayAudio => MessageType == "playAudio" && Json["data"]?["audioContent"]?.GetValue<string>() != "None";

    public string AudioContent => Json["data"]!["audioContent"]!.GetValue<string>();

    public override string ToString() => Type switch
    {
        WebSocketMessageType.Close => $"close {CloseStatus}",
        WebSocketMessageType.Binary => $"binary {Data.Length} B",
        _ => Text.Length > 160 ? Text[..160] + "..." : Text,
    };
}

/// <summary>
/// A minimal Knowlarity peer for tests: a real <see cref="ClientWebSocket"/> that accepts the bot's self-signed
/// certificate, collects what the bot sends, and streams caller audio paced in real time.
/// </summary>
internal sealed class TestPeer : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _socket;
    private readonly Channel<Received> _inbox = Channel.CreateUnbounded<Received>();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private Task _receiveLoop = Task.CompletedTask;

    private TestPeer(ClientWebSocket socket) => _socket = socket;

    public TimeSpan Elapsed => _clock.Elapsed;

    public WebSocketState State => _socket.State;

    /// <summary>Connects, trusting exactly the <paramref name="pinned"/> certificate (the bot's self-signed one).</summary>
    public static async Task<TestPeer> ConnectAsync(Uri url, X509Certificate2? pinned, CancellationToken cancellationToken = default)
    {
        var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trust(certificate, errors, pinned);
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(url, timeout.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var peer = new TestPeer(socket);
        peer._receiveLoop = peer.ReceiveLoopAsync();
        return peer;
    }

    /// <summary>Connects expecting the upgrade to fail; returns the HTTP status the bot answered.</summary>
    public static async Task<int> ConnectExpectingFailureAsync(Uri url, X509Certificate2? pinned)
    {
        using var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) => Trust(certificate, errors, pinned);
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(url, timeout.Token));
        return (int)socket.HttpStatusCode;
    }

    private static bool Trust(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2? pinned) =>
        errors == SslPolicyErrors.None
        || (pinned is not null && certificate is not null
            && string.Equals(certificate.GetCertHashString(), pinned.GetCertHashString(), StringComparison.Ordinal));

    public async Task SendTextAsync(string text, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(data, WebSocketMessageType.Binary, true, cancellationToken);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>The next message; fails the test naming <paramref name="expected"/> if none arrives in time.</summary>
    public async Task<Received> ReceiveAsync(string expected, TimeSpan? timeout = null)
    {
        var got = await TryReceiveAsync(timeout ?? DefaultTimeout);
        return got ?? throw new Xunit.Sdk.XunitException(
            $"Expected {expected} within {(timeout ?? DefaultTimeout).TotalSeconds:0.##} s; nothing arrived (socket {_socket.State}).");
    }

    /// <summary>The next message, or null if none arrives within <paramref name="timeout"/>.</summary>
    public async Task<Received?> TryReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _inbox.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (ChannelClosedException)
        {
            return null;
        }
    }

    /// <summary>Reads messages until one matches; fails listing what came instead.</summary>
    public async Task<(Received Match, List<Received> Before)> ReceiveUntilAsync(
        Func<Received, bool> match, string expected, TimeSpan? timeout = null)
    {
        var deadline = Elapsed + (timeout ?? DefaultTimeout);
        var before = new List<Received>();
        while (true)
        {
            var left = deadline - Elapsed;
            var got = left > TimeSpan.Zero ? await TryReceiveAsync(left) : null;
            if (got is null)
            {
                throw new Xunit.Sdk.XunitException(
                    $"Expected {expected} within {(timeout ?? DefaultTimeout).TotalSeconds:0.##} s; got {before.Count} other message(s): "
                    + string.Join(" | ", before.TakeLast(5)));
            }

            if (match(got))
            {
                return (got, before);
            }

            before.Add(got);
        }
    }

    /// <summary>Waits for the bot's close frame (or the end of the connection).</summary>
    public async Task<WebSocketCloseStatus?> WaitForCloseAsync(TimeSpan? timeout = null)
    {
        var (close, _) = await ReceiveUntilAsync(r => r.Type == WebSocketMessageType.Close, "a close frame", timeout);
        return close.CloseStatus;
    }

    /// <summary>Streams 16-bit mono PCM as binary frames (20 ms by default), paced in real time.</summary>
    public async Task StreamAsync(ReadOnlyMemory<byte> pcm, int sampleRate, int frameMs = 20, CancellationToken cancellationToken = default)
    {
        var frameBytes = Pcm.BytesPer(TimeSpan.FromMilliseconds(frameMs), sampleRate);
        var start = Elapsed;
        var index = 0;
        for (var offset = 0; offset < pcm.Length; offset += frameBytes, index++)
        {
            var due = start + TimeSpan.FromMilliseconds(frameMs * index);
            var wait = due - Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, cancellationToken); // media pacing, not synchronisation
            }

            if (_socket.State != WebSocketState.Open)
            {
                return;
            }

            try
            {
                await SendBinaryAsync(pcm.Slice(offset, Math.Min(frameBytes, pcm.Length - offset)), cancellationToken);
            }
            catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException && _socket.State != WebSocketState.Open)
            {
                // The test closed the peer (or the bot closed it) while caller audio was still streaming: stop quietly.
                return;
            }
        }
    }

    /// <summary>Aborts the TCP connection without a close frame.</summary>
    public void Abort() => _socket.Abort();

    public async Task CloseAsync()
    {
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer.AsMemory(), _stop.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    await _inbox.Writer.WriteAsync(
                        new Received(WebSocketMessageType.Close, [], Elapsed) { CloseStatus = _socket.CloseStatus });
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, string.Empty, _stop.Token);
                    }

                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    await _inbox.Writer.WriteAsync(new Received(result.MessageType, message.ToArray(), Elapsed));
                    message.SetLength(0);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            await _inbox.Writer.WriteAsync(new Received(WebSocketMessageType.Close, [], Elapsed));
        }
        finally
        {
            _inbox.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await CloseAsync();
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            // already gone
        }

        await _stop.CancelAsync();
        try
        {
            await _receiveLoop.WaitAsync(DefaultTimeout);
        }
        catch (TimeoutException)
        {
        }

        _socket.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }
}

/// <summary>Caller audio for tests: line noise and speech.</summary>
internal static class CallerAudio
{
    public const string PythonDictInJsonString =
        "\"{'callid': '6ccf0a28-0000-0000-0000-000000000000', 'virtual_number': '+911234567890', 'customer_number': '+919999999999', 'call_type': 'inbound'}\"";

    public const string JsonObject =
        "{\"callid\": \"6ccf0a28-0000-0000-0000-000000000001\", \"virtual_number\": \"+911234567890\", \"customer_number\": \"+919999999998\", \"call_type\": \"inbound\"}";

    public const string BarePythonDict =
        "{'callid': '6ccf0a28-0000-0000-0000-000000000002', 'virtual_number': '+911234567890', 'customer_number': '+919999999997', 'call_type': 'inbound'}";

    public static string StreamNodeMetadata(string callId, string virtualNumber = "+911234567890", string customer = "+919999999999") =>
        "\"{'callid': '" + callId + "', 'virtual_number': '" + virtualNumber + "', 'customer_number': '" + customer + "', 'call_type': 'inbound'}\"";

    public static string VerloopFirstMessage(string uuid, int sampleRate) =>
        "{\"uuid\": \"" + uuid + "\", \"sample_rate\": " + sampleRate + ", \"from\": \"+919999999999\", \"to\": \"+911234567890\", "
        + "\"campaign\": \"\", \"metadata\": {\"welcome_message\": \"Welcome to knowlarity\", \"event\": \"websocket:connected\", \"call_type\": \"inbound\"}}";

    /// <summary>Line noise around -80 dBFS (deterministic).</summary>
    public static byte[] LineNoise(TimeSpan duration, int sampleRate, int seed = 7)
    {
        var random = new Random(seed);
        var samples = (int)(duration.TotalSeconds * sampleRate);
        var pcm = new byte[samples * 2];
        for (var i = 0; i < samples; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(pcm.AsSpan(i * 2), (short)random.Next(-5, 6));
        }

        return pcm;
    }

    /// <summary>A synthetic voiced burst (speech to the energy detector) of <paramref name="duration"/>.</summary>
    public static byte[] Speech(TimeSpan duration, int sampleRate) =>
        BotVoice.Synthesize(duration, sampleRate, fundamentalHz: 200);

    /// <summary>
    /// A short question: the recording <c>recordings/audio/question-16k.wav</c> when it exists (16 kHz mono, speech
    /// shorter than the 1.8 s transfer bin), else a synthetic 1 s burst.
    /// </summary>
    public static (byte[] Pcm, TimeSpan SpeechEnd, string Source) Question16k()
    {
        var path = FindRepoFile(Path.Combine("recordings", "audio", "question-16k.wav"));
        if (path is not null)
        {
            var wav = Wav.ReadFile(path);
            if (wav.Format.IsPcm16 && wav.Format.Channels == 1 && wav.Format.SampleRate == 16000)
            {
                var segments = SpeechActivityDetector.Analyze(wav.Data, 16000);
                if (segments.Count == 1 && segments[0].Duration < TimeSpan.FromSeconds(1.8))
                {
                    return (wav.Data, segments[0].End, path);
                }
            }
        }

        return (Speech(TimeSpan.FromSeconds(1), 16000), TimeSpan.FromSeconds(1), "synthetic 1 s burst");
    }

    /// <summary>
    /// A caller recording (<c>recordings/audio/&lt;name&gt;-&lt;rate/1000&gt;k.wav</c>) and where its speech ends; when the
    /// file is missing, a synthetic burst as long as the recording's speech (recordings/README.md).
    /// </summary>
    public static (byte[] Pcm, TimeSpan SpeechEnd) Recording(string name, int sampleRate)
    {
        var path = FindRepoFile(Path.Combine("recordings", "audio", $"{name}-{sampleRate / 1000}k.wav"));
        if (path is not null)
        {
            var wav = Wav.ReadFile(path);
            var segments = SpeechActivityDetector.Analyze(wav.Data, sampleRate);
            return (wav.Data, segments[^1].End);
        }

        var seconds = name switch
        {
            "question" => 1.18,
            "transfer" => 2.45,
            "goodbye" => 4.14,
            "bargein" => 2.85,
            _ => throw new ArgumentException($"no recording '{name}'", nameof(name)),
        };
        var speech = Speech(TimeSpan.FromSeconds(seconds), sampleRate);
        return (speech, TimeSpan.FromSeconds(seconds));
    }

    private static string? FindRepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ProtocolSim.sln")))
            {
                var candidate = Path.Combine(dir.FullName, relative);
                return File.Exists(candidate) ? candidate : null;
            }
        }

        return null;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
