using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Steps;

/// <summary>One message the client sent, as the processor journaled it.</summary>
public sealed record ClientMessage(SessionJournal Journal, JournalEntry Entry, JsonObject Message)
{
    public string? MessageType => Text(Message["messageType"]);

    public string? RequestId => Text(Message["requestId"]);

    /// <summary>The session message of a resource request (inline, nested under <c>message</c>, or bare).</summary>
    public JsonObject Session => Message["message"] as JsonObject ?? Message;

    /// <summary>DCP command, or the session command of a resource request (trimmed).</summary>
    public string? Command => Text(Session["command"])?.Trim();

    public string? Target => Text(Session["target"]);

    public JsonObject? Data => Session["data"] as JsonObject;

    public bool IsResourceRequest => MessageType == "resourceRequest" || Journal.Labels.GetValueOrDefault("transport") == "websocket-bare";

    public string Describe() => $"{Journal.Labels.GetValueOrDefault("client")} #{Entry.Seq} {Entry.Summary}";

    internal static string? Text(JsonNode? node) => JsonDefaults.StringOf(node);
}

/// <summary>One message the processor delivered to the client.</summary>
public sealed record ProcessorMessage(SessionJournal Journal, JournalEntry Entry, JsonObject Message)
{
    public string? MessageType => ClientMessage.Text(Message["messageType"]);

    public string? Name => ClientMessage.Text((Message["message"] as JsonObject ?? Message)["name"]);

    public string? Command => ClientMessage.Text((Message["message"] as JsonObject ?? Message)["command"]);

    public string? Result => ClientMessage.Text((Message["message"] as JsonObject ?? Message)["result"]);

    public string? Target => ClientMessage.Text((Message["message"] as JsonObject ?? Message)["target"]);

    public string? FailureCode => ClientMessage.Text(((Message["message"] as JsonObject ?? Message)["failure"] as JsonObject)?["code"]);
}

/// <summary>
/// What the CTI suite judges: the processor's journals of one scenario (one per client connection, and the HTTP
/// transport's journal of requests that named no client), read as the client's messages, the processor's messages and
/// the findings the processor recorded as it went.
/// </summary>
public sealed class CtiEvidence(IReadOnlyList<SessionJournal> journals)
{
    public IReadOnlyList<SessionJournal> Journals { get; } = journals;

    /// <summary>Connection journals (not the HTTP front journal).</summary>
    public IReadOnlyList<SessionJournal> Connections => Journals.Where(j => j.SessionId != "cti-http").ToList();

    public SessionJournal? Front => Journals.FirstOrDefault(j => j.SessionId == "cti-http");

    public IEnumerable<SessionJournal> Using(string transport) => Connections.Where(j => j.Labels.GetValueOrDefault("transport") == transport);

    /// <summary>Everything the client sent that parsed as a JSON object, in order per connection (transport messages too).</summary>
    public IReadOnlyList<ClientMessage> Sent => Connections
        .SelectMany(j => j.Entries.Where(e => e.Direction == Direction.FromClient && e.Parsed is JsonObject).Select(e => new ClientMessage(j, e, (JsonObject)e.Parsed!)))
        .OrderBy(m => m.Entry.Time).ToList();

    /// <summary>What the processor delivered, in order per connection.</summary>
    public IReadOnlyList<ProcessorMessage> Delivered => Connections
        .SelectMany(j => j.Entries.Where(e => e.Direction == Direction.ToClient && e.Parsed is JsonObject).Select(e => new ProcessorMessage(j, e, (JsonObject)e.Parsed!)))
        .OrderBy(m => m.Entry.Time).ToList();

    public IReadOnlyList<ClientMessage> SessionRequests => Sent.Where(m => m.IsResourceRequest).ToList();

    public IReadOnlyList<ClientMessage> Requests(params string[] commands) => SessionRequests.Where(m => commands.Contains(m.Command, StringComparer.Ordinal)).ToList();

    public IReadOnlyList<ClientMessage> Dcp(string messageType, string? command = null) =>
        Sent.Where(m => m.MessageType == messageType && (command is null || m.Command == command)).ToList();

    public IReadOnlyList<(SessionJournal Journal, Finding Finding)> FindingsFor(string rule) =>
        Journals.SelectMany(j => j.FindingsFor(rule).Select(f => (j, f))).ToList();

    /// <summary>Rules other than <paramref name="rules"/> the client broke in this scenario (a root cause that hides them).</summary>
    public IReadOnlyList<string> OtherFindings(IReadOnlyCollection<string> rules) => Journals
        .SelectMany(j => j.Findings).Where(f => f.RuleId is { } id && !rules.Contains(id)).Select(f => f.RuleId!).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>The logout was answered with success (the session ended as the client asked).</summary>
    public bool LoggedOut => Delivered.Any(m => m.Command is "session.logout" or "session.request.logout" && m.Result == "success");

    public bool LogoutRequested => SessionRequests.Any(m => m.Command is "session.logout" or "session.request.logout");
}
