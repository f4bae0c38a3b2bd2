using System.Globalization;
using System.Text.Json.Nodes;
using ProtocolSim.Conformance;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>
/// What the REST suite's judge decides on besides the API journal, all recorded when the scenario ran: the
/// notification streams' and the calls' journals, the calls the scenario placed, when each CDR was published, when the
/// fake dropped the stream, the uuid only a refusal body held, and the status of a refused stream.
/// </summary>
public sealed record KnowlarityRestRun(
    IReadOnlyList<SessionJournal> Streams,
    IReadOnlyList<SessionJournal> CallJournals,
    IReadOnlyList<(PlannedCall Kind, string Uuid, bool Control)> Placed,
    IReadOnlyDictionary<string, DateTimeOffset> CdrTimes,
    DateTimeOffset? DroppedAt,
    string DecoyUuid,
    int RefusalStatus);

/// <summary>
/// The Knowlarity REST and notifications suite's judge: every KRS and KNS rule a scenario tags, decided on the recorded
/// evidence alone (the API journal as <see cref="RestEvidence"/>, and the <see cref="KnowlarityRestRun"/>), so that it
/// can be run on journal fixtures in a unit test or on a recorded run offline.
/// </summary>
public sealed class KnowlarityRestJudge(RestEvidence evidence, KnowlarityRestRun run, RuleRecorder rules)
{
    /// <summary>Reconnection attempts closer than this count as no delay (KNS-016).</summary>
    private static readonly TimeSpan MinimumBackOff = TimeSpan.FromMilliseconds(200);

    private static readonly string[] NumberQueries = ["k_number", "customer_number", "number", "knowlarity_number", "agent_number", "pattern"];

    /// <summary>The judge of each rule: the fake's findings within the scope of what the client sent, or what it did after an answer or event.</summary>
    private static readonly Dictionary<string, Action<KnowlarityRestJudge, string, RestEvidence>> Judges = new(StringComparer.Ordinal)
    {
        ["KRS-001"] = (j, r, e) => j.Findings(r, e, e.All, "request"),
        ["KRS-002"] = (j, r, e) => j.Findings(r, e, e.All, "request"),
        ["KRS-003"] = (j, r, e) => j.Findings(r, e, e.All, "request"),
        ["KRS-004"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Method is "POST" or "PUT" && x.Request.Length > 0), "request with a body"),
        ["KRS-005"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Method is "POST" or "PUT" && x.Request.Length > 0), "request with a body"),
        ["KRS-006"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && (x.Method is "POST" or "PUT" || x.Query.Keys.Any(NumberQueries.Contains))), "request with phone numbers that reached its endpoint"),
        ["KRS-007"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Query.Keys.Any(NumberQueries.Contains)), "query with a number or pattern"),
        ["KRS-008"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/call/makecall").Where(x => x.Reached), "makecall that reached the endpoint"),
        ["KRS-009"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/call/makecall").Where(x => x.Reached), "makecall that reached the endpoint"),
        ["KRS-010"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/call/makecall").Where(x => x.Reached), "makecall that reached the endpoint"),
        ["KRS-012"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/call/makecall").Where(x => ErrorText(x.Answer)?.StartsWith("Sent call permission request", StringComparison.Ordinal) == true), "makecall answered with a permission request"),
        ["KRS-011"] = (j, r, e) => j.JudgeNoFollowUpAfterError(r, e),
        ["KRS-013"] = (j, r, e) => j.JudgeNoFollowUpAfterError(r, e),
        ["KRS-014"] = (j, r, e) => j.JudgeOwnCallFollowUp(r, e, requireFetch: false),
        ["KRS-015"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/call-center/create_order").Where(x => x.Reached), "create_order that reached the endpoint"),
        ["KRS-016"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/call/campaign").Where(x => x.Reached), "campaign POST that reached the endpoint"),
        ["KRS-017"] = (j, r, e) => j.Findings(r, e, e.To("GET", "/otpcall").Where(x => x.Reached), "otpcall that reached the endpoint"),
        ["KRS-018"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && x.Method == "POST" && x.Endpoint is "/call/campaign" or "/call-center/create_order"), "order or campaign POST that reached the endpoint"),
        ["KRS-019"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && x.Method == "POST" && x.Endpoint is "/call/campaign" or "/call-center/create_order"), "order or campaign POST that reached the endpoint"),
        ["KRS-023"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && x.Method == "POST" && x.Endpoint is "/call/campaign" or "/call-center/create_order"), "order or campaign POST that reached the endpoint"),
        ["KRS-030"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && x.Method == "POST" && x.Endpoint is "/call/campaign" or "/call-center/create_order"), "order or campaign POST that reached the endpoint"),
        ["KRS-020"] = (j, r, e) => j.Findings(r, e, e.ToPrefix("PUT", "/call/campaign").Where(x => x.Reached), "campaign PUT that reached the endpoint"),
        ["KRS-021"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && (x.Endpoint == "/call/campaign/add-numbers" || x.Endpoint == "/call-center/add_call_to_order" || x.Method == "GET" && x.Endpoint == "/call/campaign")), "look-up or add-numbers request"),
        ["KRS-022"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && x.Method is "POST" or "PUT" && x.Endpoint is "/call/campaign" or "/call-center/create_order" or "/call/campaign/add-numbers" or "/call-center/add_call_to_order" or "/contacts/phonebook"), "request with a list of numbers"),
        ["KRS-024"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/numbers").Where(x => x.Reached), "number purchase that reached the endpoint"),
        ["KRS-025"] = (j, r, e) => j.Findings(r, e, e.To("GET", "/numbers/AvailablePhoneNumbers").Where(x => x.Reached), "AvailablePhoneNumbers request"),
        ["KRS-026"] = (j, r, e) => j.Findings(r, e, e.To("POST", "/sr/calllog").Where(x => x.Reached), "/sr/calllog request"),
        ["KRS-027"] = (j, r, e) => j.JudgePaging(r, e),
        ["KRS-028"] = (j, r, e) => j.JudgeAgents(r, e),
        ["KRS-029"] = (j, r, e) => j.Findings(r, e, e.All.Where(x => x.Reached && x.Endpoint == "/notifications" && x.Method is "POST" or "PUT"), "registration or enable request"),
        ["KNS-001"] = (j, r, e) => j.JudgeRegistered(r),
        ["KNS-002"] = (j, r, e) => j.StreamFindings(r),
        ["KNS-005"] = (j, r, e) => j.StreamFindings(r),
        ["KNS-003"] = (j, r, e) => j.JudgeWhileOpen(r, e),
        ["KNS-007"] = (j, r, e) => j.JudgeFollowUpsOfEveryCall(r, e),
        ["KNS-004"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-006"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-008"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-011"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-012"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-013"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-014"] = (j, r, e) => j.JudgeFollowUpsBesideTheControl(r, e),
        ["KNS-015"] = (j, r, e) => j.JudgeMissedCallLookup(r, e),
        ["KNS-016"] = (j, r, e) => j.JudgeReconnect(r, e),
        ["KNS-017"] = (j, r, e) => j.JudgeRefusalBody(r, e),
        ["KNS-018"] = (j, r, e) => j.JudgeOwnCallFollowUp(r, e, requireFetch: true),
    };

    /// <summary>
    /// Judges each of <paramref name="ruleIds"/> into the recorder; the rules that cannot be judged here are thrown
    /// together as one <see cref="InconclusiveException"/>, after every other verdict.
    /// </summary>
    public void Judge(IReadOnlyCollection<string> ruleIds)
    {
        ArgumentNullException.ThrowIfNull(ruleIds);
        var inconclusive = new List<string>();
        foreach (var rule in ruleIds)
        {
            try
            {
                Judge(rule, evidence);
            }
            catch (InconclusiveException e)
            {
                inconclusive.Add($"{rule}: {e.Message}");
            }
        }

        if (inconclusive.Count > 0)
        {
            throw new InconclusiveException(string.Join("; ", inconclusive));
        }
    }

    private void Judge(string rule, RestEvidence e)
    {
        if (!Judges.TryGetValue(rule, out var judge))
        {
            throw new InvalidOperationException($"the Knowlarity REST suite has no judgement for {rule}");
        }

        judge(this, rule, e);
    }

    private void JudgeFollowUpsOfEveryCall(string rule, RestEvidence e) =>
        JudgeFollowUps(rule, e, [.. run.Placed.Select(p => p.Uuid)], control: null);

    /// <summary>The calls besides the one the scenario controls (its uuid is given apart).</summary>
    private void JudgeFollowUpsBesideTheControl(string rule, RestEvidence e) =>
        JudgeFollowUps(rule, e, [.. run.Placed.Where(p => !p.Control).Select(p => p.Uuid)], run.Placed.FirstOrDefault(p => p.Control).Uuid);

    // ---------------------------------------------------------------- findings

    private void Findings(string rule, RestEvidence e, IEnumerable<Exchange> scope, string what)
    {
        var relevant = scope.ToList();
        var findings = e.FindingsFor(rule).ToList();
        if (findings.Count > 0)
        {
            foreach (var (exchange, finding) in findings.Take(5))
            {
                rules.Fail(rule, finding.Expected ?? "no finding", $"{finding.Message}: {finding.Actual}", exchange.Describe());
            }

            return;
        }

        if (relevant.Count == 0)
        {
            throw new InconclusiveException($"no {what} to judge (the client made {e.All.Count} request(s))");
        }

        rules.Pass(rule, $"{relevant.Count} {what}(s) as documented, e.g. {relevant[0].Describe()}");
    }

    private void StreamFindings(string rule)
    {
        if (run.Streams.Count == 0)
        {
            throw new InconclusiveException("the client opened no notification stream");
        }

        var findings = run.Streams.SelectMany(s => s.FindingsFor(rule).Select(f => (s, f))).ToList();
        if (findings.Count == 0)
        {
            rules.Pass(rule, $"{run.Streams.Count} stream connection(s) as documented");
            return;
        }

        foreach (var (stream, finding) in findings.Take(5))
        {
            rules.Fail(rule, finding.Expected ?? "no finding", $"{finding.Message}: {finding.Actual}", stream.SessionId);
        }
    }

    // ---------------------------------------------------------------- answers

    private static string? ErrorText(JsonNode? answer) => answer?["error"] switch
    {
        JsonObject o => o["message"]?.ToString() ?? o.FirstOrDefault().Value?.ToString(),
        JsonValue v => v.ToString(),
        _ => null,
    };

    /// <summary>KRS-011/-013: after a makecall answer with a top-level error, nothing that presumes a placed call, and no retry.</summary>
    private void JudgeNoFollowUpAfterError(string rule, RestEvidence e)
    {
        var failed = e.To("POST", "/call/makecall").FirstOrDefault(x => x.Answer?["error"] is not null);
        if (failed is null)
        {
            throw new InconclusiveException("no makecall was answered with an error body");
        }

        var after = e.All.Where(x => x.At > failed.At).ToList();
        var presumed = after.Where(x => x.Endpoint == "/call/get-detailed-call-log" || x.Endpoint == "/call/makecall").ToList();
        rules.Check(rule, presumed.Count == 0,
            $"the error ({failed.Status} {Json(failed.Answer)}) taken as a failure: no detailed call log of a call that was never placed, no retry",
            presumed.Count == 0 ? "nothing" : string.Join("; ", presumed.Select(p => p.Describe())),
            failed.Describe());
    }

    /// <summary>KRS-014 / KNS-018: the client fetched the detailed log of its own call, by the call_id makecall returned.</summary>
    private void JudgeOwnCallFollowUp(string rule, RestEvidence e, bool requireFetch)
    {
        var placed = e.To("POST", "/call/makecall").FirstOrDefault(x => x.Answer?["success"]?["call_id"] is not null);
        if (placed is null)
        {
            throw new InconclusiveException("no makecall succeeded");
        }

        var callId = placed.Answer!["success"]!["call_id"]!.GetValue<string>();
        var fetches = e.DetailedLogFetches.ToList();
        if (!requireFetch)
        {
            // KRS-014: whichever CDR the client acted on, it must be the one of its call_id.
            if (fetches.Count == 0)
            {
                throw new InconclusiveException("the client fetched no detailed call log (see KNS-018, KRS-009)");
            }

            rules.Check(rule, fetches.All(f => f.Uuid == callId),
                $"the detailed call log fetched by the call_id makecall returned ({callId})",
                string.Join("; ", fetches.Select(f => "uuid=" + f.Uuid)), placed.Describe());
            return;
        }

        // KNS-018: the other call's events reached the client's stream; it still followed its own call.
        var other = (run.Placed.Count > 0 ? run.Placed[0].Uuid : null);
        var otherJournal = other is null ? null : run.CallJournals.FirstOrDefault(j => j.SessionId == other);
        if (otherJournal is null || !Began(other!))
        {
            throw new InconclusiveException("no event of the other call reached an open stream of the client (see KRS-009, KNS-002)");
        }

        rules.Check(rule, fetches.Any(f => f.Uuid == callId),
            $"the client followed its own call {callId} to its detailed log while the events of {other} arrived",
            fetches.Count == 0 ? "no detailed call log fetched" : string.Join("; ", fetches.Select(f => "uuid=" + f.Uuid)));
    }

    private void JudgePaging(string rule, RestEvidence e)
    {
        var tasks = e.To("GET", "/tasks").Where(x => x.Status == 200).ToList();
        var logs = e.To("POST", "/sr/calllog").Where(x => x.Status == 200).ToList();
        if (tasks.Count == 0 && logs.Count == 0)
        {
            throw new InconclusiveException("no list was read (GET /tasks, POST /sr/calllog)");
        }

        var problems = new List<string>();
        if (tasks.Count > 0)
        {
            var total = int.Parse(tasks[0].Answer!["meta"]!["total_count"]!.ToString(), CultureInfo.InvariantCulture);
            var seen = tasks.SelectMany(t => t.Answer!["objects"]!.AsArray()).Select(o => o!["id"]!.ToString()).Distinct().Count();
            if (seen < total)
            {
                problems.Add($"tasks: read {seen} of {total} over {tasks.Count} page(s) ({string.Join(", ", tasks.Select(t => t.Describe()))})");
            }
        }

        foreach (var page in logs)
        {
            var next = page.Answer?["meta"]?["next"]?.ToString();
            if (!string.IsNullOrEmpty(next) && !logs.Any(l => l.At > page.At && l.Body?["next"]?.ToString() == next))
            {
                problems.Add($"sr/calllog: meta.next of {page.Describe()} was never asked for");
            }
        }

        rules.Check(rule, problems.Count == 0, "every page read: limit/offset up to total_count (a string in /tasks), and every /sr/calllog cursor followed",
            problems.Count == 0 ? $"{tasks.Count} task page(s), {logs.Count} call-log page(s)" : string.Join("; ", problems));
    }

    private void JudgeAgents(string rule, RestEvidence e)
    {
        var list = e.To("GET", "/agent").FirstOrDefault(x => x.Status == 200);
        if (list is null)
        {
            throw new InconclusiveException("the agents were not listed");
        }

        var ids = list.Answer!.AsArray().Select(a => a!["id"]!.ToString()).ToList();
        var fetched = e.ToPrefix("GET", "/agent/").Select(x => x.Endpoint["/agent/".Length..]).ToHashSet(StringComparer.Ordinal);
        var missing = ids.Where(id => !fetched.Contains(id)).ToList();
        rules.Check(rule, missing.Count == 0, $"the bare-array agent list read: details of every agent ({string.Join(", ", ids)}) fetched",
            missing.Count == 0 ? $"{ids.Count} agent(s) fetched" : "not fetched: " + string.Join(", ", missing), list.Describe());
    }

    // ---------------------------------------------------------------- stream

    /// <summary>Whether the CDR of a call reached at least one open stream of the client.</summary>
    private bool Delivered(string uuid) =>
        run.CallJournals.FirstOrDefault(j => j.SessionId == uuid) is { } call
        && call.Entries.Any(x => x.Summary.StartsWith("CDR", StringComparison.Ordinal) && !x.Summary.Contains(" to 0 stream", StringComparison.Ordinal) && !x.Summary.Contains("not delivered", StringComparison.Ordinal));

    /// <summary>Whether the first event of a call reached at least one open stream of the client.</summary>
    private bool Began(string uuid) =>
        run.CallJournals.FirstOrDefault(j => j.SessionId == uuid) is { } call
        && call.Entries.FirstOrDefault(x => x.Direction == Direction.Internal && x.Kind == FrameKind.Text) is { } first
        && !first.Summary.Contains(" to 0 stream", StringComparison.Ordinal) && !first.Summary.Contains("not delivered", StringComparison.Ordinal);

    private void JudgeRegistered(string rule)
    {
        if (run.CallJournals.Count == 0)
        {
            throw new InconclusiveException("no call was placed");
        }

        var undelivered = run.CallJournals.Where(c => c.Entries.Any(x => x.Summary.Contains("not registered and enabled", StringComparison.Ordinal))).ToList();
        rules.Check(rule, undelivered.Count == 0, "the SR number registered and enabled for notifications before the calls came",
            undelivered.Count == 0 ? "registered and enabled" : $"{undelivered.Count} call(s) found the number not registered and enabled",
            string.Join(", ", undelivered.Select(u => u.SessionId)));
    }

    /// <summary>The follow-up of a CDR: one detailed-log fetch of its uuid, after the CDR was sent.</summary>
    private (bool Ok, string Actual) FollowUp(RestEvidence e, string uuid)
    {
        var cdrAt = run.CdrTimes.GetValueOrDefault(uuid);
        var fetches = e.DetailedLogFetches.Where(f => f.Uuid == uuid).ToList();
        if (fetches.Count == 0)
        {
            return (false, $"{uuid}: no detailed call log fetched");
        }

        if (fetches.Count > 1)
        {
            return (false, $"{uuid}: fetched {fetches.Count} times");
        }

        return fetches[0].Exchange.At < cdrAt
            ? (false, $"{uuid}: fetched before its CDR ({fetches[0].Exchange.Describe()})")
            : (true, $"{uuid}: fetched once after its CDR");
    }

    private void JudgeFollowUps(string rule, RestEvidence e, List<string> calls, string? control)
    {
        // The client must have been listening when each call began; what it did with the events is the judgement.
        if (calls.Count == 0 || calls.Any(c => !Began(c)) || control is not null && !Delivered(control))
        {
            throw new InconclusiveException("the calls' events reached no open stream of the client (see KNS-001, KNS-002)");
        }

        if (control is not null && FollowUp(e, control) is { Ok: false } c)
        {
            throw new InconclusiveException($"the client did not follow up even the plain call before the one under test ({c.Actual})");
        }

        if (control is null && !calls.Any(u => e.DetailedLogFetches.Any(f => f.Uuid == u)))
        {
            throw new InconclusiveException("the client acted on none of the calls (it may have failed on the events themselves; see the other KNS rules)");
        }

        var results = calls.Select(u => FollowUp(e, u)).ToList();
        rules.Check(rule, results.All(r => r.Ok), "each call's CDR followed by one fetch of its detailed call log",
            string.Join("; ", results.Select(r => r.Actual)));
    }

    private void JudgeWhileOpen(string rule, RestEvidence e)
    {
        var uuid = (run.Placed.Count > 0 ? run.Placed[0].Uuid : null);
        if (uuid is null || !Delivered(uuid))
        {
            throw new InconclusiveException("the call's events reached no open stream of the client");
        }

        var fetch = e.DetailedLogFetches.FirstOrDefault(f => f.Uuid == uuid);
        if (fetch.Exchange is null)
        {
            throw new InconclusiveException("the client never acted on the call's CDR (see KNS-007)");
        }

        var serverEnded = run.Streams.SelectMany(s => s.Entries).Where(x => x.Summary.StartsWith("server ended the stream", StringComparison.Ordinal)).Select(x => x.Time).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
        rules.Check(rule, fetch.Exchange.At < serverEnded, "the CDR acted on while the stream was still open",
            fetch.Exchange.At < serverEnded ? $"fetched {(serverEnded == DateTimeOffset.MaxValue ? "with the stream open" : $"{(serverEnded - fetch.Exchange.At).TotalSeconds:0.0} s before the server ended the stream")}" : $"fetched {(fetch.Exchange.At - serverEnded).TotalSeconds:0.0} s after the server ended the stream: the client waited for the response to end",
            fetch.Exchange.Describe());
    }

    private void JudgeMissedCallLookup(string rule, RestEvidence e)
    {
        var missed = run.Placed.Where(p => p.Kind == PlannedCall.InboundMissed).Select(p => p.Uuid).FirstOrDefault();
        if (missed is null || !Delivered(missed))
        {
            throw new InconclusiveException("no missed inbound call reached the client");
        }

        if (!FollowUp(e, missed).Ok)
        {
            throw new InconclusiveException("the client did not act on the missed call's CDR at all (see KNS-007)");
        }

        var cdrAt = run.CdrTimes[missed];
        var lookups = e.To("POST", "/sr/calllog").Where(x => x.At >= cdrAt && x.Body?["customer__contains"] is not null).ToList();
        rules.Check(rule, lookups.Count > 0, "the CDR's Call_Type read: an Incoming Missed Call looked up in the call log by the caller",
            lookups.Count > 0 ? lookups[0].Describe() : "no /sr/calllog look-up after the Incoming missed call's CDR");
    }

    private void JudgeReconnect(string rule, RestEvidence e)
    {
        if (run.DroppedAt is not { } dropped)
        {
            throw new InconclusiveException("the server never dropped the stream (the first call did not finish)");
        }

        if (!run.Streams.Any(s => s.StartedAt < dropped && s.Entries.Any(x => x.Summary == "200 text/event-stream")))
        {
            throw new InconclusiveException("the client had no accepted stream before the drop (see KNS-002)");
        }

        if (e.DetailedLogFetches.Any(f => f.Uuid == run.DecoyUuid))
        {
            throw new InconclusiveException("the client took the refusal body for events and thought its task done (see KNS-017)");
        }

        var attempts = run.Streams.Where(s => s.StartedAt > dropped).OrderBy(s => s.StartedAt).ToList();
        var accepted = attempts.FirstOrDefault(s => s.Entries.Any(x => x.Summary == "200 text/event-stream"));
        if (accepted is null)
        {
            rules.Fail(rule, "a new stream opened after the server dropped it", attempts.Count == 0 ? "no reconnection" : $"{attempts.Count} attempt(s), none accepted");
            return;
        }

        var gaps = new List<TimeSpan>();
        var previous = dropped;
        foreach (var attempt in attempts.TakeWhile(a => a != accepted).Append(accepted))
        {
            gaps.Add(attempt.StartedAt - previous);
            previous = attempt.StartedAt;
        }

        var shortest = gaps.Min();
        rules.Check(rule, shortest >= MinimumBackOff, $"reconnection with a delay before each attempt (at least {MinimumBackOff.TotalMilliseconds:0} ms)",
            $"{gaps.Count} attempt(s); delays {string.Join(", ", gaps.Select(g => $"{g.TotalMilliseconds:0} ms"))}");
    }

    private void JudgeRefusalBody(string rule, RestEvidence e)
    {
        var refused = run.Streams.Count(s => s.Entries.Any(x => x.Direction == Direction.ToClient && x.Summary.StartsWith(run.RefusalStatus.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)));
        if (refused == 0)
        {
            throw new InconclusiveException("no connection was refused (the client did not reconnect)");
        }

        var decoy = e.DetailedLogFetches.Where(f => f.Uuid == run.DecoyUuid).ToList();
        rules.Check(rule, decoy.Count == 0, $"the body of a {run.RefusalStatus} answer read as an error text, not as events",
            decoy.Count == 0 ? $"{refused} refusal(s); nothing in their bodies acted on" : $"the client fetched the call log of {run.DecoyUuid}, a uuid only the refusal body held");
    }

    private static string Json(JsonNode? node) => node?.ToJsonString() ?? "no body";
}
