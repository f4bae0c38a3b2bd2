using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>What every Data Flow transport adapter does with a session's text messages: journal lines and the secret check.</summary>
internal static class SessionFrames
{
    /// <summary>Journals a client text message (parsed when it is JSON) and records DFA-007 when it holds a client secret.</summary>
    public static (JournalEntry Entry, JsonNode? Parsed) JournalClientText(SessionJournal journal, string text, IReadOnlyList<string> secrets)
    {
        JsonNode? parsed = null;
        try
        {
            parsed = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        var name = (parsed as JsonObject)?["MessageName"]?.ToString() ?? ((parsed as JsonObject)?["Event"] is JsonObject e ? $"Event {e["Name"]}" : "text");
        var entry = journal.Append(Direction.FromClient, FrameKind.Text, name, text: text, parsed: parsed);
        if (secrets.Any(s => text.Contains(s, StringComparison.Ordinal)))
        {
            journal.AddFinding("DFA-007", $"The client secret was sent to Data Flow in a {name} message.", "client_secret only on /connect/token", "the secret in a text frame (redacted in this journal)", entry.Seq);
        }

        return (entry, parsed);
    }

    /// <summary>The journal line of a server message.</summary>
    public static string Describe(JsonObject message) =>
        message["MessageName"] is { } m ? $"{m} {message["OperationResult"] ?? message["IncidentLevel"]}"
        : message["Event"] is JsonObject e ? $"Event {e["Name"]}"
        : message["Incident"] is JsonObject i ? $"Incident {i["Level"]}: {i["Message"]}"
        : "text";
}
