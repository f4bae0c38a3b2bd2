using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;

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

    /// <summary>
    /// Runs one connection or request of a transport with what every transport needs: the options, the client
    /// secrets (masked, and looked for in what the client sends, DFA-007) and an open journal counted while it runs.
    /// </summary>
    public static async Task WithJournalAsync(HttpContext context, string transport, Func<DataFlowOptions, IReadOnlyList<string>, SessionJournal, Task> run)
    {
        var services = context.RequestServices;
        var options = services.GetRequiredService<DataFlowOptions>();
        var secrets = services.GetRequiredService<IdentityOptions>().Clients.Select(c => c.ClientSecret).Where(s => s.Length > 0).ToList();
        var journals = services.GetRequiredService<DataFlowJournals>();
        journals.Enter();
        var journal = journals.Open(transport, new Redactor(secrets));
        journal.SetLabel("remote", $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
        try
        {
            await run(options, secrets, journal);
        }
        finally
        {
            journal.End();
            journals.Leave();
        }
    }

    /// <summary>The journal line of a server message.</summary>
    public static string Describe(JsonObject message) =>
        message["MessageName"] is { } m ? $"{m} {message["OperationResult"] ?? message["IncidentLevel"]}"
        : message["Event"] is JsonObject e ? $"Event {e["Name"]}"
        : message["Incident"] is JsonObject i ? $"Incident {i["Level"]}: {i["Message"]}"
        : "text";
}
