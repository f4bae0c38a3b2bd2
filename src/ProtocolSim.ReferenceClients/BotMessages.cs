using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients;

/// <summary>The JSON text frames a bot sends (003-V ch.2 Outgoing Events; 002 §Data sent from us).</summary>
internal static class BotMessages
{
    // Relaxed escaping: '+' in numbers and base64 stays '+' instead of \u002B.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ReadOnlyMemory<byte> PlayAudio(string audioContentType, string audioContent, string? textContent = null) =>
        Write(w =>
        {
            w.WriteString("type", "playAudio");
            w.WriteStartObject("data");
            w.WriteString("audioContentType", audioContentType);
            w.WriteString("audioContent", audioContent);
            if (textContent is not null)
            {
                w.WriteString("textContent", textContent);
            }

            w.WriteEndObject();
        });

    public static ReadOnlyMemory<byte> KillAudio { get; } = Write(w => w.WriteString("type", "killAudio"));

    public static ReadOnlyMemory<byte> Disconnect { get; } = Write(w => w.WriteString("type", "disconnect"));

    /// <summary>A JSON text frame without <c>type</c> (untyped-marks).</summary>
    public static ReadOnlyMemory<byte> UntypedMark { get; } = Write(w => w.WriteString("mark", "reply-done"));

    public static ReadOnlyMemory<byte> Transfer(string destination) =>
        Write(w =>
        {
            w.WriteString("type", "transfer");
            w.WriteStartObject("data");
            w.WriteString("destination", destination);
            w.WriteEndObject();
        });

    private static ReadOnlyMemory<byte> Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }
}

/// <summary>Turns bot PCM into the <c>audioContent</c> text a variant sends.</summary>
internal static class BotAudioEncoder
{
    /// <summary>Base64 text of one piece of mono PCM, wrapped as <paramref name="behavior"/> says.</summary>
    public static string Encode(ReadOnlySpan<byte> monoPcm, int sampleRate, BotBehavior behavior)
    {
        var pcm = behavior.Channels == 1 ? monoPcm.ToArray() : Interleave(monoPcm, behavior.Channels);
        var payload = behavior.RawPcm ? pcm : Wav.Encode(pcm, sampleRate, behavior.Channels);
        if (behavior.HeaderLieBytes != 0 && !behavior.RawPcm)
        {
            // lying-header: data size claims more than is there; RIFF size agrees with the lie.
            var riffSize = BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4));
            var dataSize = BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(40));
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(4), riffSize + (uint)behavior.HeaderLieBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(payload.AsSpan(40), dataSize + (uint)behavior.HeaderLieBytes);
        }

        return behavior.Base64 == Base64Style.UrlSafeUnpadded
            ? Base64Url.EncodeToString(payload)
            : Convert.ToBase64String(payload);
    }

    private static byte[] Interleave(ReadOnlySpan<byte> monoPcm, int channels)
    {
        var frames = monoPcm.Length / 2;
        var result = new byte[frames * 2 * channels];
        for (var i = 0; i < frames; i++)
        {
            for (var c = 0; c < channels; c++)
            {
                result[(((i * channels) + c) * 2) + 0] = monoPcm[(i * 2) + 0];
                result[(((i * channels) + c) * 2) + 1] = monoPcm[(i * 2) + 1];
            }
        }

        return result;
    }
}
