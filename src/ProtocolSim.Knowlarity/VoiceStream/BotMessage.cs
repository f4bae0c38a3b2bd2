using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ProtocolSim.Audio;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>What a message from the bot means to the peer.</summary>
public enum BotMessageKind
{
    /// <summary>Audio to queue.</summary>
    PlayAudio,

    /// <summary>Stream-Node killAudio.</summary>
    KillAudio,

    /// <summary>Stream-Node transfer, or Verloop asr_disconnect with parameters (transfer to the default agent).</summary>
    Transfer,

    /// <summary>Stream-Node disconnect, or Verloop asr_disconnect=true (termination by bot).</summary>
    Disconnect,

    /// <summary>Well-formed JSON with a type the dialect does not document: ignored.</summary>
    Unknown,

    /// <summary>Not a control message: non-JSON text, JSON without type, a binary frame, an oversized message.</summary>
    Invalid,
}

/// <summary>A rule a message broke.</summary>
public sealed record Violation(string? RuleId, string Message, string? Expected = null, string? Actual = null);

/// <summary>A message from the bot after inspection against its dialect's rules.</summary>
public sealed record BotMessage
{
    public required BotMessageKind Kind { get; init; }

    /// <summary>The <c>type</c> member as sent.</summary>
    public string? Type { get; init; }

    /// <summary>PCM to play (16-bit mono at the call rate), or null when the audio was invalid (played as silence).</summary>
    public byte[]? Pcm { get; init; }

    /// <summary>Playback duration (silence of this length when <see cref="Pcm"/> is null).</summary>
    public TimeSpan AudioDuration { get; init; }

    /// <summary>WAV format when the audio had a header.</summary>
    public WavFormat? Format { get; init; }

    public string? Destination { get; init; }

    public string? TextContent { get; init; }

    public IReadOnlyList<Violation> Violations { get; init; } = [];

    /// <summary>One line for the journal.</summary>
    public required string Summary { get; init; }

    public JsonNode? Parsed { get; init; }
}

/// <summary>
/// Judges each message of the bot against its dialect (knowlarity.md §2.1/§2.2, §4.1 item 6). Pure: the same text
/// always gives the same verdicts.
/// </summary>
internal static partial class BotMessageInspector
{
    [GeneratedRegex(@"^\+[1-9][0-9]{7,14}$")]
    private static partial Regex E164();

    [GeneratedRegex("\"type\"\\s*:\\s*\"playAudio\"")]
    private static partial Regex PlayAudioType();

    public static BotMessage Binary(int length, VoiceDialect dialect) => dialect == VoiceDialect.StreamNode
        ? new()
        {
            Kind = BotMessageKind.Invalid,
            Summary = $"binary frame ({length} B): not a control message",
            Violations = [new("KVS-014", "The bot sent a binary frame; control messages are JSON text frames with a type member.", "JSON text frame", $"binary frame of {length} bytes")],
        }
        : new()
        {
            Kind = BotMessageKind.Invalid,
            Summary = $"binary frame ({length} B): the Verloop dialect sends audio as playAudio JSON",
            Violations = [new("KVV-009", "The bot sent a binary frame; bot audio is base64 in a playAudio JSON text frame (002 §Data sent from us).", "{\"type\":\"playAudio\",...} in a text frame", $"binary frame of {length} bytes")],
        };

    /// <summary>
    /// A text message over the size limit. Only its first <paramref name="limit"/> bytes were kept; when they show a
    /// playAudio, it still counts as one (played as silence), so the greeting deadline is not missed on a technicality.
    /// </summary>
    public static BotMessage TooLarge(string prefix, int length, int limit, VoiceDialect dialect, int sampleRate)
    {
        var discarded = new Violation(null, $"The bot sent a text message of at least {length} bytes, over the {limit}-byte limit; its audio was not decoded.", $"at most {limit} bytes", $"{length}+ bytes");
        if (!PlayAudioType().IsMatch(prefix.AsSpan(0, Math.Min(prefix.Length, 4096))))
        {
            return new BotMessage { Kind = BotMessageKind.Invalid, Summary = $"text message over {limit} B limit ({length}+ B) discarded", Violations = [discarded] };
        }

        // Roughly 3 bytes of audio per 4 base64 characters, less a 44-byte header.
        var duration = Pcm.DurationOf(Math.Max(0, (length * 3 / 4) - 44) & ~1, sampleRate);
        List<Violation> violations = [discarded];
        if (dialect == VoiceDialect.StreamNode)
        {
            violations.Add(new("KVS-020", $"One playAudio of {length}+ bytes (about {duration.TotalSeconds:0.0} s of audio).", "chunks of about 100 ms", $"{length}+ bytes"));
        }

        return new BotMessage
        {
            Kind = BotMessageKind.PlayAudio,
            Type = "playAudio",
            AudioDuration = duration,
            Summary = $"playAudio over the {limit} B limit ({length}+ B), played as about {duration.TotalSeconds:0.0} s of silence",
            Violations = violations,
        };
    }

    public static BotMessage Text(string text, VoiceDialect dialect, int sampleRate)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            var rule = dialect == VoiceDialect.StreamNode ? "KVS-014" : "KVV-009";
            return new BotMessage
            {
                Kind = BotMessageKind.Invalid,
                Summary = "text frame that is not JSON",
                Violations = [new(rule, "The bot sent a text frame that is not JSON: " + ex.Message, "a JSON object with a type member", Excerpt(text))],
            };
        }

        try
        {
            return Judge(text, node, dialect, sampleRate);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or FormatException)
        {
            // JsonNode.Parse accepts duplicate keys and throws on first access (dotnet/runtime#70604).
            var rule = dialect == VoiceDialect.StreamNode ? "KVS-014" : "KVV-009";
            return new BotMessage
            {
                Kind = BotMessageKind.Invalid,
                Summary = "JSON the peer cannot read: " + ex.Message,
                Violations = [new(rule, "The bot sent JSON that cannot be read as one message (duplicate keys?): " + ex.Message, "a JSON object with unique keys and a type member", Excerpt(text))],
            };
        }
    }

    private static BotMessage Judge(string text, JsonNode? node, VoiceDialect dialect, int sampleRate)
    {
        if (node is not JsonObject obj || obj["type"] is not JsonValue typeValue || !typeValue.TryGetValue<string>(out var type))
        {
            var rule = dialect == VoiceDialect.StreamNode ? "KVS-014" : "KVV-009";
            return new BotMessage
            {
                Kind = BotMessageKind.Invalid,
                Parsed = node,
                Summary = "JSON without a string type member",
                Violations = [new(rule, "The bot sent JSON without a string \"type\" member.", "{\"type\": ...}", Excerpt(text))],
            };
        }

        return dialect == VoiceDialect.StreamNode ? StreamNode(obj, type, sampleRate) : Verloop(obj, type, sampleRate);
    }

    private static BotMessage StreamNode(JsonObject obj, string type, int sampleRate)
    {
        switch (type)
        {
            case "playAudio":
                return StreamNodePlayAudio(obj, sampleRate);
            case "killAudio":
                return new BotMessage { Kind = BotMessageKind.KillAudio, Type = type, Parsed = obj, Summary = "killAudio" };
            case "disconnect":
                return new BotMessage { Kind = BotMessageKind.Disconnect, Type = type, Parsed = obj, Summary = "disconnect" };
            case "transfer":
                var destination = JsonDefaults.StringOf((obj["data"] as JsonObject)?["destination"]);
                var violations = new List<Violation>();
                if (destination is null || !E164().IsMatch(destination))
                {
                    violations.Add(new("KVS-027", "transfer data.destination is not an E.164 number.", "\"+\" and country code, e.g. +91XXXXXXXXXX", destination is null ? "no data.destination string" : $"\"{destination}\""));
                }

                return new BotMessage
                {
                    Kind = BotMessageKind.Transfer,
                    Type = type,
                    Parsed = obj,
                    Destination = destination,
                    Summary = $"transfer to {destination ?? "(none)"}",
                    Violations = violations,
                };
            default:
                return new BotMessage { Kind = BotMessageKind.Unknown, Type = type, Parsed = Strip(obj), Summary = $"unknown type \"{type}\" ignored" };
        }
    }

    private static BotMessage StreamNodePlayAudio(JsonObject obj, int sampleRate)
    {
        var violations = new List<Violation>();
        var data = obj["data"] as JsonObject;
        var contentType = JsonDefaults.StringOf(data?["audioContentType"]);
        var content = JsonDefaults.StringOf(data?["audioContent"]);
        Violation? typeViolation = null;
        if (contentType != "wav")
        {
            // 002 writes "wave": the fake accepts it but records it (knowlarity.md §6.1).
            typeViolation = new("KVS-015", "playAudio data.audioContentType is not \"wav\".", "\"wav\"", contentType is null ? "missing" : $"\"{contentType}\"");
            violations.Add(typeViolation);
        }

        if (content is null)
        {
            violations.Add(new("KVS-015", "playAudio has no data.audioContent string.", "base64 of a WAV file", "missing"));
            return PlayAudio(obj, null, TimeSpan.Zero, null, violations, "playAudio without audioContent");
        }

        var bytes = DecodeBase64(content, "KVS-018", violations);
        if (bytes is null)
        {
            return PlayAudio(obj, null, TimeSpan.Zero, null, violations, $"playAudio, audioContent not base64 ({content.Length} chars)");
        }

        if (!LooksLikeRiff(bytes))
        {
            violations.Add(new("KVS-015", "audioContent is not a WAV file (no RIFF/WAVE header).", "base64 of a complete WAV file", $"{bytes.Length} bytes starting {Hex(bytes)}"));
            var duration = Pcm.DurationOf(bytes.Length, sampleRate);
            return PlayAudio(obj, null, duration, null, violations, $"playAudio, {bytes.Length} B without WAV header, played as {duration.TotalMilliseconds:0} ms silence");
        }

        var wav = Wav.Parse(bytes);
        foreach (var defect in wav.Defects)
        {
            switch (defect.Kind)
            {
                case WavDefectKind.ExtraChunk:
                    break; // tolerated
                case WavDefectKind.RiffSizeMismatch or WavDefectKind.DataSizeMismatch or WavDefectKind.OddDataLength
                    or WavDefectKind.ByteRateMismatch or WavDefectKind.BlockAlignMismatch:
                    violations.Add(new("KVS-019", "WAV sizes are inconsistent: " + defect.Message, "declared sizes match the payload, whole 16-bit samples", defect.Message));
                    break;
                default:
                    violations.Add(new("KVS-015", "audioContent is not a complete WAV file: " + defect.Message, "a complete RIFF/WAVE file", defect.Message));
                    break;
            }
        }

        var format = wav.Format;
        if (!wav.IsValid || format is null)
        {
            var duration = Pcm.DurationOf(Math.Max(0, bytes.Length - 44), sampleRate);
            return PlayAudio(obj, null, duration, format, violations, $"playAudio, broken WAV ({bytes.Length} B), played as silence");
        }

        if (format.FormatTag != 1 || format.BitsPerSample != 16 || format.Channels != 1)
        {
            violations.Add(new("KVS-016", "WAV is not 16-bit PCM mono.", "format 1 (PCM), 16 bits, 1 channel", $"format {format.FormatTag}, {format.BitsPerSample} bits, {format.Channels} channel(s)"));
        }

        if (format.SampleRate != sampleRate)
        {
            violations.Add(new("KVS-017", "WAV sample rate differs from the Stream Node sampling-rate.", $"{sampleRate} Hz", $"{format.SampleRate} Hz"));
        }

        var dataLength = wav.Data.Length;
        var playDuration = format.ByteRate > 0 ? TimeSpan.FromSeconds((double)dataLength / format.ByteRate) : TimeSpan.Zero;
        // Playable unless the audio itself is wrong; a misspelt audioContentType alone still plays (§6.1).
        var valid = violations.TrueForAll(v => v.RuleId is null || ReferenceEquals(v, typeViolation));
        var summary = $"playAudio {format.SampleRate} Hz {format.Channels} ch {format.BitsPerSample} bit, {dataLength} B = {playDuration.TotalMilliseconds:0} ms";
        return PlayAudio(obj, valid ? wav.Data.ToArray() : null, playDuration, format, violations, valid ? summary : summary + ", played as silence");
    }

    private static BotMessage Verloop(JsonObject obj, string type, int sampleRate)
    {
        var violations = new List<Violation>();
        switch (type)
        {
            case "playAudio":
                break;
            case "disconnect":
                violations.Add(new("KVV-011", "The bot sent a Stream-Node disconnect; the Verloop dialect ends a call with playAudio, audioContent \"None\" and textContent \"asr_disconnect=true\". The peer ignores it.", "playAudio with textContent asr_disconnect=true", "{\"type\":\"disconnect\"}"));
                return new BotMessage { Kind = BotMessageKind.Unknown, Type = type, Parsed = obj, Summary = "Stream-Node disconnect: not understood in the Verloop dialect", Violations = violations };
            case "transfer":
                violations.Add(new("KVV-012", "The bot sent a Stream-Node transfer; the Verloop dialect transfers with playAudio, audioContent \"None\" and textContent \"asr_disconnect=true,parameter1=default\". The peer ignores it.", "playAudio with textContent asr_disconnect=true,parameter1=default", Excerpt(obj.ToJsonString(JsonDefaults.Relaxed))));
                return new BotMessage { Kind = BotMessageKind.Unknown, Type = type, Parsed = obj, Summary = "Stream-Node transfer: not understood in the Verloop dialect", Violations = violations };
            default:
                return new BotMessage { Kind = BotMessageKind.Unknown, Type = type, Parsed = Strip(obj), Summary = $"unknown type \"{type}\" ignored" };
        }

        var data = obj["data"] as JsonObject;
        var contentType = JsonDefaults.StringOf(data?["audioContentType"]);
        var content = JsonDefaults.StringOf(data?["audioContent"]);
        var textContent = JsonDefaults.StringOf(data?["textContent"]);
        if (contentType != "wave")
        {
            // 003-V writes "wav": accepted, recorded (knowlarity.md §6.1).
            violations.Add(new("KVV-009", "playAudio data.audioContentType is not \"wave\".", "\"wave\"", contentType is null ? "missing" : $"\"{contentType}\""));
        }

        if (content == "None")
        {
            return VerloopControl(obj, textContent, violations);
        }

        if (content is null)
        {
            violations.Add(new("KVV-009", "playAudio has no data.audioContent string.", "base64 audio", "missing"));
            return PlayAudio(obj, null, TimeSpan.Zero, null, violations, "playAudio without audioContent");
        }

        var bytes = DecodeBase64(content, "KVV-009", violations);
        if (bytes is null)
        {
            return PlayAudio(obj, null, TimeSpan.Zero, null, violations, $"playAudio, audioContent not base64 ({content.Length} chars)");
        }

        if (!LooksLikeRiff(bytes))
        {
            // "Raw audio" (002): 16-bit mono at sample_rate; the rate cannot be seen in raw PCM.
            if (bytes.Length % 2 != 0)
            {
                violations.Add(new("KVV-010", "Raw PCM audio has an odd byte count (not whole 16-bit samples).", "an even number of bytes", $"{bytes.Length} bytes"));
            }

            var duration = Pcm.DurationOf(bytes.Length, sampleRate);
            var ok = !violations.Exists(v => v.RuleId == "KVV-010");
            return PlayAudio(obj, ok ? bytes[..(bytes.Length & ~1)] : null, duration, null, violations, $"playAudio raw PCM {bytes.Length} B = {duration.TotalMilliseconds:0} ms");
        }

        var wav = Wav.Parse(bytes);
        foreach (var defect in wav.Defects.Where(d => d.Kind != WavDefectKind.ExtraChunk))
        {
            violations.Add(new("KVV-010", "WAV-wrapped audio is malformed: " + defect.Message, "16-bit mono PCM", defect.Message));
        }

        var format = wav.Format;
        if (!wav.IsValid || format is null)
        {
            return PlayAudio(obj, null, Pcm.DurationOf(Math.Max(0, bytes.Length - 44), sampleRate), format, violations, "playAudio, broken WAV, played as silence");
        }

        if (format.FormatTag != 1 || format.BitsPerSample != 16 || format.Channels != 1)
        {
            violations.Add(new("KVV-010", "Audio is not 16-bit PCM mono.", "16-bit linear PCM, 1 channel", $"format {format.FormatTag}, {format.BitsPerSample} bits, {format.Channels} channel(s)"));
        }

        if (format.SampleRate != sampleRate)
        {
            violations.Add(new("KVV-007", "Audio sample rate differs from the sample_rate of the first message.", $"{sampleRate} Hz", $"{format.SampleRate} Hz"));
        }

        var play = format.ByteRate > 0 ? TimeSpan.FromSeconds((double)wav.Data.Length / format.ByteRate) : TimeSpan.Zero;
        var valid = !violations.Exists(v => v.RuleId is "KVV-010" or "KVV-007");
        return PlayAudio(obj, valid ? wav.Data.ToArray() : null, play, format, violations, $"playAudio WAV {format.SampleRate} Hz {format.Channels} ch, {wav.Data.Length} B = {play.TotalMilliseconds:0} ms");
    }

    private static BotMessage VerloopControl(JsonObject obj, string? textContent, List<Violation> violations)
    {
        var pairs = new List<(string Key, string Value)>();
        foreach (var part in (textContent ?? string.Empty).Split(','))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                pairs.Add((part[..eq].Trim(), part[(eq + 1)..].Trim()));
            }
        }

        var disconnect = pairs.Exists(p => p.Key == "asr_disconnect" && p.Value == "true");
        if (!disconnect)
        {
            return new BotMessage
            {
                Kind = BotMessageKind.Unknown,
                Type = "playAudio",
                Parsed = obj,
                TextContent = textContent,
                Summary = $"playAudio \"None\" without asr_disconnect=true (textContent {(textContent is null ? "missing" : $"\"{textContent}\"")}): ignored",
                Violations = [.. violations, new(null, "playAudio with audioContent \"None\" but no asr_disconnect=true: nothing to play and no control.", "textContent asr_disconnect=true[,...]", textContent ?? "no textContent")],
            };
        }

        // KVV-013: comma-separated key=value pairs without spaces, asr_disconnect=true first.
        var canonical = string.Join(',', pairs.Select(p => $"{p.Key}={p.Value}"));
        if (textContent != canonical || pairs[0].Key != "asr_disconnect")
        {
            violations.Add(new("KVV-013", "textContent is not written as comma-separated key=value pairs without spaces, asr_disconnect=true first.", pairs[0].Key == "asr_disconnect" ? $"\"{canonical}\"" : "asr_disconnect=true first", $"\"{textContent}\""));
        }

        // 002: parameter1=default transfers to the default agent; other extra pairs do not make a transfer.
        var transfer = pairs.Exists(p => p.Key == "parameter1");
        if (transfer && !pairs.Exists(p => p.Key == "parameter1" && p.Value == "default"))
        {
            violations.Add(new("KVV-012", "A transfer textContent must carry parameter1=default.", "asr_disconnect=true,parameter1=default", $"\"{textContent}\""));
        }

        return new BotMessage
        {
            Kind = transfer ? BotMessageKind.Transfer : BotMessageKind.Disconnect,
            Type = "playAudio",
            Parsed = obj,
            TextContent = textContent,
            Summary = transfer ? $"asr_disconnect transfer ({textContent})" : $"asr_disconnect end of call ({textContent})",
            Violations = violations,
        };
    }

    private static BotMessage PlayAudio(JsonObject obj, byte[]? pcm, TimeSpan duration, WavFormat? format, List<Violation> violations, string summary) => new()
    {
        Kind = BotMessageKind.PlayAudio,
        Type = "playAudio",
        Parsed = Strip(obj),
        Pcm = pcm,
        AudioDuration = duration,
        Format = format,
        Violations = violations,
        Summary = summary,
    };

    /// <summary>Strict RFC 4648 base64 (standard alphabet, padded, no whitespace); lenient decoding only to go on judging.</summary>
    private static byte[]? DecodeBase64(string content, string rule, List<Violation> violations)
    {
        var strict = content.Length % 4 == 0 && Base64.IsValid(content) && !content.AsSpan().ContainsAny(" \t\r\n");
        if (strict)
        {
            return Convert.FromBase64String(content);
        }

        var cleaned = content.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal)
            .Replace('-', '+').Replace('_', '/').TrimEnd('=');
        var problem = content.AsSpan().ContainsAny("\r\n") ? "contains line breaks"
            : content.AsSpan().ContainsAny("-_") ? "uses the URL-safe alphabet (- and _)"
            : content.Length % 4 != 0 ? "is not padded to a multiple of 4 characters"
            : "has characters outside the base64 alphabet";
        violations.Add(new(rule, $"audioContent is not standard base64: it {problem}.", "RFC 4648 standard alphabet, padded, no line breaks", $"{content.Length} chars starting \"{Excerpt(content, 24)}\""));
        try
        {
            return Convert.FromBase64String(cleaned.PadRight(cleaned.Length + ((4 - (cleaned.Length % 4)) % 4), '='));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool LooksLikeRiff(byte[] bytes) =>
        bytes.Length >= 12 && bytes[0] == 'R' && bytes[1] == 'I' && bytes[2] == 'F' && bytes[3] == 'F';

    /// <summary>The journal keeps the message; the audio itself goes to the audio track, so drop the base64 from the parsed copy.</summary>
    private static JsonObject Strip(JsonObject obj)
    {
        var copy = obj.DeepClone().AsObject();
        if (copy["data"] is JsonObject data && data["audioContent"] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 64)
        {
            data["audioContent"] = $"<{s.Length} base64 chars>";
        }

        return copy;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes.AsSpan(0, Math.Min(8, bytes.Length)));

    internal static string Excerpt(string text, int max = 120) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "…");
}
