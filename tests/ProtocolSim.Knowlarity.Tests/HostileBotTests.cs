using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ProtocolSim.Audio;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Knowlarity.Tests;

/// <summary>
/// Bad input from a bot (issue 2, "Bad input"): whatever arrives is journaled as a finding and judged, the peer never
/// crashes or hangs. The bot here is a raw socket, so it can also lie about frame lengths and close mid-frame.
/// </summary>
public sealed class HostileBotTests
{
    [Fact]
    public async Task Call_HostileBot_JournalsEveryDefectAndEndsWithoutHanging()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var bot = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync();
            var stream = client.GetStream();
            await HandshakeAsync(stream);
            await ReadFrameAsync(stream); // the metadata
            // Keep reading caller audio, or closing with unread data would reset the connection and drop what is in flight.
            var draining = Task.Run(async () =>
            {
                var sink = new byte[4096];
                try
                {
                    while (await stream.ReadAsync(sink) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                }
            });
            await SendAsync(stream, 0x1, Encoding.UTF8.GetBytes("this is not json"));
            await SendAsync(stream, 0x1, Encoding.UTF8.GetBytes("{\"type\":\"bogus\",\"x\":1}"));
            await SendAsync(stream, 0x1, Encoding.UTF8.GetBytes("{\"type\":\"playAudio\",\"data\":{}}"));
            await SendAsync(stream, 0x2, [1, 2, 3, 4]);
            var huge = "{\"type\":\"playAudio\",\"data\":{\"audioContentType\":\"wav\",\"audioContent\":\"" + new string('A', 1_500_000) + "\"}}";
            await SendAsync(stream, 0x1, Encoding.UTF8.GetBytes(huge));
            var truncated = Wav.Encode(new byte[3200], 16000).AsSpan(0, 30).ToArray();
            await SendAsync(stream, 0x1, Encoding.UTF8.GetBytes("{\"type\":\"playAudio\",\"data\":{\"audioContentType\":\"wav\",\"audioContent\":\"" + Convert.ToBase64String(truncated) + "\"}}"));
            // A frame header promising 1000 bytes, 10 bytes of it, then the connection goes away.
            await stream.WriteAsync(new byte[] { 0x81, 126, 0x03, 0xE8 });
            await stream.WriteAsync(new byte[10]);
            await stream.FlushAsync();
            client.Client.Shutdown(SocketShutdown.Send); // FIN in the middle of that frame
            await draining;
        });

        var journal = new SessionJournal("hostile", "test");
        await using var call = new VoiceCall(new VoicePeerOptions
        {
            Target = new Uri($"ws://127.0.0.1:{port}/voice"),
            AllowPlainWs = true,
            GreetingTimeout = TimeSpan.FromSeconds(20),
        }, journal);
        var outcome = await call.ConnectAsync(CancellationToken.None);
        Assert.True(outcome.Connected, outcome.Error);
        await call.Closed.WaitAsync(TimeSpan.FromSeconds(15));
        await bot.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(call.EndedBy == CallEndedBy.Transport, string.Join("\n", journal.Entries.Select(e => $"{e.Seq} {e.Direction} {e.Kind} {e.Summary}")));
        var findings = journal.Findings;
        Assert.True(journal.Entries.Count(e => e.Direction == Direction.FromClient && e.Kind is FrameKind.Text or FrameKind.Binary) == 6, string.Join("\n", journal.Entries.Select(e => $"{e.Seq} {e.Direction} {e.Kind} {e.Summary}")));
        Assert.Contains(findings, f => f.RuleId == "KVS-014" && f.Message.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.RuleId == "KVS-014" && f.Message.Contains("binary frame", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.RuleId == "KVS-015" && f.Message.Contains("no data.audioContent", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.RuleId is null && f.Message.Contains("over the 1048576-byte limit", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.RuleId == "KVS-015" && f.Message.Contains("not a complete WAV", StringComparison.Ordinal));
        Assert.Contains(journal.Entries, e => e.Summary.Contains("unknown type \"bogus\"", StringComparison.Ordinal));
        Assert.Contains(journal.Entries, e => e.Kind == FrameKind.Error && e.Summary.Contains("without a close frame", StringComparison.Ordinal));
        // Nothing the bot sent is lost: six complete messages are in the journal.
        Assert.Equal(6, journal.Entries.Count(e => e.Direction == Direction.FromClient && e.Kind is FrameKind.Text or FrameKind.Binary));
    }

    private static async Task HandshakeAsync(NetworkStream stream)
    {
        var buffer = new byte[8192];
        var length = 0;
        while (!Encoding.ASCII.GetString(buffer, 0, length).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            length += await stream.ReadAsync(buffer.AsMemory(length));
        }

        var key = Encoding.ASCII.GetString(buffer, 0, length).Split("\r\n")
            .First(l => l.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the accept key.
        var accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
#pragma warning restore CA5350
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"));
    }

    private static async Task ReadFrameAsync(NetworkStream stream)
    {
        var header = new byte[2];
        await stream.ReadExactlyAsync(header);
        long length = header[1] & 0x7F;
        if (length == 126)
        {
            var ext = new byte[2];
            await stream.ReadExactlyAsync(ext);
            length = (ext[0] << 8) | ext[1];
        }
        else if (length == 127)
        {
            var ext = new byte[8];
            await stream.ReadExactlyAsync(ext);
            length = (long)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(ext);
        }

        var rest = new byte[length + ((header[1] & 0x80) != 0 ? 4 : 0)];
        await stream.ReadExactlyAsync(rest);
    }

    private static async Task SendAsync(NetworkStream stream, byte opcode, byte[] payload)
    {
        var header = new List<byte> { (byte)(0x80 | opcode) };
        if (payload.Length < 126)
        {
            header.Add((byte)payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            header.AddRange([126, (byte)(payload.Length >> 8), (byte)payload.Length]);
        }
        else
        {
            header.Add(127);
            var ext = new byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(ext, (ulong)payload.Length);
            header.AddRange(ext);
        }

        await stream.WriteAsync(header.ToArray());
        await stream.WriteAsync(payload);
    }
}
