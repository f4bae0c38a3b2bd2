using System.Text.Json;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>JSON as the bot and the documents write it: quotes and "+" literal (Python's json.dumps, 003-V).</summary>
internal static class VoiceJson
{
    public static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
