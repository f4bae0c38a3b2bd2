using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>One request to the REST fake and its answer, read back from the API journal.</summary>
public sealed record Exchange
{
    public required SessionJournal Journal { get; init; }

    public required JournalEntry Request { get; init; }

    public JournalEntry? Response { get; init; }

    public required string Method { get; init; }

    /// <summary>The path after <c>/{channel}/v1/account</c> (or <c>/{channel}/account</c>), without a trailing slash.</summary>
    public required string Endpoint { get; init; }

    public required IReadOnlyDictionary<string, string> Query { get; init; }

    public JsonNode? Body { get; init; }

    public int Status { get; init; }

    public JsonNode? Answer { get; init; }

    public IReadOnlyList<Finding> Findings { get; init; } = [];

    public DateTimeOffset At => Request.Time;

    /// <summary>The fake's handler ran (not refused by the gateway, authorisation, routing or size checks).</summary>
    public bool Reached { get; init; }

    /// <summary>A body with a top-level <c>error</c> member (KRS-011).</summary>
    public bool IsError => Answer?["error"] is not null || Status >= 400;

    public string Describe() => $"{Method} {Endpoint}{(Query.Count > 0 ? "?" + string.Join("&", Query.Select(q => q.Key + "=" + q.Value)) : "")} → {Status} ({Journal.SessionId} #{Request.Seq})";
}

/// <summary>The requests a client made to the REST fake in one scenario, in order, with their answers and findings.</summary>
public sealed class RestEvidence
{
    public RestEvidence(IReadOnlyList<SessionJournal> journals)
    {
        var exchanges = new List<Exchange>();
        foreach (var journal in journals)
        {
            var entries = journal.Entries;
            var answers = new Dictionary<long, (JournalEntry Entry, int Status, bool Handled)>();
            foreach (var entry in entries.Where(e => e.Direction == Direction.ToClient))
            {
                if (Rest.KnowlarityApi.AnswerPattern.Match(entry.Summary) is { Success: true } m)
                {
                    answers[long.Parse(m.Groups["request"].Value, CultureInfo.InvariantCulture)] = (entry, int.Parse(m.Groups["status"].Value, CultureInfo.InvariantCulture), !m.Groups["refused"].Success);
                }
            }

            foreach (var request in entries.Where(e => e.Direction == Direction.FromClient))
            {
                var raw = Rest.RawRequest.Parse(request.Text);
                var found = answers.TryGetValue(request.Seq, out var answer);
                exchanges.Add(new Exchange
                {
                    Journal = journal,
                    Request = request,
                    Response = found ? answer.Entry : null,
                    Method = raw.Method,
                    Endpoint = Endpoint(raw.Path),
                    Query = QueryHelpers.ParseQuery(raw.Query).ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal),
                    Body = Parse(raw.Body),
                    Status = found ? answer.Status : 0,
                    Reached = found && answer.Handled,
                    Answer = Parse(found ? answer.Entry.Text : null),
                    Findings = journal.Findings.Where(f => f.EntrySeq == request.Seq).ToList(),
                });
            }
        }

        All = exchanges.OrderBy(e => e.At).ToList();
    }

    public IReadOnlyList<Exchange> All { get; }

    public IEnumerable<Exchange> To(string method, string endpoint) =>
        All.Where(e => e.Method == method && e.Endpoint == endpoint);

    public IEnumerable<Exchange> ToPrefix(string method, string prefix) =>
        All.Where(e => e.Method == method && e.Endpoint.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>Every finding of a rule, with the exchange that raised it.</summary>
    public IEnumerable<(Exchange Exchange, Finding Finding)> FindingsFor(string ruleId) =>
        All.SelectMany(e => e.Findings.Where(f => f.RuleId == ruleId).Select(f => (e, f)));

    /// <summary>GET /call/get-detailed-call-log requests, with the uuid asked for.</summary>
    public IEnumerable<(Exchange Exchange, string Uuid)> DetailedLogFetches =>
        To("GET", "/call/get-detailed-call-log").Select(e => (e, e.Query.GetValueOrDefault("uuid") ?? ""));

    private static string Endpoint(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var skip = segments.Length > 2 && segments[1] == "v1" && segments[2] == "account" ? 3 : segments.Length > 1 && segments[1] == "account" ? 2 : 0;
        return "/" + string.Join('/', segments.Skip(skip));
    }

    private static JsonNode? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
