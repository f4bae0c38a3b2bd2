using System.Text.Json.Nodes;
using ProtocolSim.Conformance;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Steps;

/// <summary>
/// What the CTI judge decides on besides the processor's journals: the task the client ran and its environment, how
/// the client ended, and the processor's vendor (cti.md §5); all recorded when the scenario ran.
/// </summary>
public sealed record CtiRun(string? Task, IReadOnlyDictionary<string, string> Environment, ClientExit? Exit, string CtiVendor)
{
    public string? Value(string key) => Environment.TryGetValue(key, out var value) ? value : null;
}

/// <summary>
/// The CTI suite's judge: every rule a scenario tags, decided on the recorded evidence alone (the processor's journals,
/// read as <see cref="CtiEvidence"/>, and the <see cref="CtiRun"/>), so that it can be run on a journal fixture in a
/// unit test or on a recorded run offline. The findings the processor journaled as messages arrived decide most rules;
/// the others are read from what the client did after each answer and event.
/// </summary>
public sealed class CtiJudge(CtiEvidence evidence, CtiRun run, RuleRecorder rules)
{
    private static readonly string[] SocketRules = ["CTI-002", "CTI-003", "CTI-004", "CTI-005", "CTI-006", "CTI-007"];
    private static readonly string[] HttpRules = ["CTI-008", "CTI-009", "CTI-010", "CTI-011", "CTI-012", "CTI-013"];
    private static readonly string[] Logouts = ["session.logout", "session.request.logout"];
    private static readonly string[] ChannelCommands = ["session.addchannel", "session.request.addchannel", "session.removechannel", "session.addchannelgroup", "session.removechannelgroup"];

    // "externalnotredyreasons": the spelling of the documents' request example, accepted as an alias (protocols/cti.md).
    private static readonly string[] ReasonRequests = ["session.request.externalnotreadyreasons", "session.request.externallogoutreasons", "session.request.externalnotredyreasons"];

    /// <summary>The judge of each rule: most read the findings the processor journaled for it, within the scope of what the client did.</summary>
    private static readonly Dictionary<string, Action<CtiJudge, string, CtiEvidence, IReadOnlyCollection<string>>> Judges = new(StringComparer.Ordinal)
    {
        ["CTI-002"] = (j, r, e, tagged) => j.Findings(r, e, e.Sent.Count, "message"),
        ["CTI-003"] = (j, r, e, tagged) => j.Findings(r, e, e.Sent.Count, "message"),
        ["CTI-006"] = (j, r, e, tagged) => j.Findings(r, e, e.Sent.Count, "message"),
        ["CTI-053"] = (j, r, e, tagged) => j.Findings(r, e, e.Sent.Count, "message"),
        ["CTI-004"] = (j, r, e, tagged) => j.JudgeToken(r, e),
        ["CTI-005"] = (j, r, e, tagged) => j.JudgeBoundaryCheck(r, e),
        ["CTI-007"] = (j, r, e, tagged) => j.JudgeOneSocket(r, e),
        ["CTI-008"] = (j, r, e, tagged) => j.Findings(r, e, e.Journals.Sum(x => x.Entries.Count), "HTTP request"),
        ["CTI-009"] = (j, r, e, tagged) => j.Findings(r, e, e.Using("http").Count(), "HTTP client"),
        ["CTI-010"] = (j, r, e, tagged) => j.Findings(r, e, e.Using("http").Count(), "HTTP client"),
        ["CTI-011"] = (j, r, e, tagged) => j.Findings(r, e, e.Using("http").Count(), "HTTP client"),
        ["CTI-012"] = (j, r, e, tagged) => j.JudgeEndSession(r, e),
        ["CTI-013"] = (j, r, e, tagged) => j.Optional(r, e.Front?.Entries.Any(x => x.Direction == Direction.FromClient && x.Summary.StartsWith("OPTIONS", StringComparison.Ordinal)) == true, "an OPTIONS probe of /direct before startSession", "no OPTIONS probe"),
        ["CTI-014"] = (j, r, e, tagged) => j.Findings(r, e, e.Sent.Count(m => m.MessageType is not null), "DCP message"),
        ["CTI-015"] = (j, r, e, tagged) => j.Findings(r, e, e.Dcp("serviceRequest").Count, "service request"),
        ["CTI-017"] = (j, r, e, tagged) => j.Findings(r, e, e.Dcp("serviceRequest").Count, "service request"),
        ["CTI-016"] = (j, r, e, tagged) => j.JudgeStatusFirst(r, e),
        ["CTI-018"] = (j, r, e, tagged) => j.JudgeTakeover(r, e),
        ["CTI-019"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-023"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-027"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-028"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-029"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-030"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-032"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-037"] = (j, r, e, tagged) => j.Findings(r, e, e.SessionRequests.Count, "session request"),
        ["CTI-020"] = (j, r, e, tagged) => j.Findings(r, e, e.Dcp("coreRequest", "bindResource").Count, "bindResource"),
        ["CTI-021"] = (j, r, e, tagged) => j.Findings(r, e, e.Dcp("coreRequest", "bindResource").Count, "bindResource"),
        ["CTI-022"] = (j, r, e, tagged) => j.JudgeStart(r, e),
        ["CTI-024"] = (j, r, e, tagged) => j.JudgeExtension(r, e),
        ["CTI-025"] = (j, r, e, tagged) => j.JudgeAnswerOnInitialChannel(r, e, tagged),
        ["CTI-026"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests(ChannelCommands).Count, "channel or group request"),
        ["CTI-039"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests(ChannelCommands).Count, "channel or group request"),
        ["CTI-041"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests(ChannelCommands).Count, "channel or group request"),
        ["CTI-031"] = (j, r, e, tagged) => j.JudgeFailureHandled(r, e, tagged),
        ["CTI-033"] = (j, r, e, tagged) => j.Completed(r, e, tagged, e.Delivered.Any(m => m.Message.ContainsKey("context")), "messages with a debugging context and undocumented members were delivered"),
        ["CTI-034"] = (j, r, e, tagged) => j.Completed(r, e, tagged, EventBeforeResponse(e), "secondary events were delivered before their response"),
        ["CTI-035"] = (j, r, e, tagged) => j.Completed(r, e, tagged, e.Delivered.Any(m => m.Name is "session.licence.updated" or "channel.skills.changed"), "events no document lists were delivered"),
        ["CTI-036"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests(Logouts).Count, "logout"),
        ["CTI-038"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("session.addchannel", "session.request.addchannel").Count, "addchannel"),
        ["CTI-040"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("session.removechannel").Count, "removechannel"),
        ["CTI-043"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("session.addchannelgroup").Count, "addchannelgroup"),
        ["CTI-044"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("session.removechannelgroup").Count, "removechannelgroup"),
        ["CTI-045"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("session.removechannelgroup").Count, "removechannelgroup"),
        ["CTI-046"] = (j, r, e, tagged) => j.Findings(r, e, e.Delivered.Any(m => m.Command == "session.removechannelgroup" && m.FailureCode == "ActiveInteraction") ? 1 : 0, "failed group removal"),
        ["CTI-047"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("session.request.getdirectory").Count, "getdirectory"),
        ["CTI-048"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests(ReasonRequests).Count, "reason request"),
        ["CTI-049"] = (j, r, e, tagged) => j.Completed(r, e, tagged, e.Requests(ReasonRequests).Count > 0 && !e.Delivered.Any(m => m.Name?.EndsWith("reasons.updated", StringComparison.Ordinal) == true), "reason lists were asked for and none came"),
        ["CTI-050"] = (j, r, e, tagged) => j.JudgeUnsupported(r, e),
        ["CTI-051"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests("conversation.answer", "interaction.accept").Count, "answer"),
        ["CTI-052"] = (j, r, e, tagged) => j.Findings(r, e, e.Requests([.. Logouts, "session.addchannel", "session.request.addchannel"]).Count, "logout or addchannel"),
    };

    /// <summary>
    /// Judges each of <paramref name="ruleIds"/> into the recorder; the rules that cannot be judged here (the client
    /// gave nothing to judge) are thrown together as one <see cref="InconclusiveException"/>, after every other verdict.
    /// </summary>
    public void Judge(IReadOnlyCollection<string> ruleIds)
    {
        ArgumentNullException.ThrowIfNull(ruleIds);
        var inconclusive = new List<string>();
        foreach (var rule in ruleIds)
        {
            try
            {
                Judge(rule, evidence, ruleIds);
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

    private void Judge(string rule, CtiEvidence e, IReadOnlyCollection<string> tagged)
    {
        if (SocketRules.Contains(rule) && !e.Using("socket").Any())
        {
            throw new InconclusiveException($"a socket transport rule; the client used {Transports(e)}");
        }

        if (HttpRules.Contains(rule) && !e.Using("http").Any() && e.Front is null)
        {
            throw new InconclusiveException($"an HTTP transport rule; the client used {Transports(e)}");
        }

        if (!Judges.TryGetValue(rule, out var judge))
        {
            throw new InconclusiveException("no judge for this rule");
        }

        judge(this, rule, e, tagged);
    }

    private static string Transports(CtiEvidence e)
    {
        var used = e.Connections.Select(j => j.Labels.GetValueOrDefault("transport")).Distinct().ToList();
        return used.Count == 0 ? "no transport" : string.Join(" and ", used);
    }

    /// <summary>The processor's findings for the rule decide; nothing relevant happened = inconclusive.</summary>
    private void Findings(string rule, CtiEvidence e, int scope, string what)
    {
        var findings = e.FindingsFor(rule);
        if (findings.Count > 0)
        {
            var more = findings.Count > 3 ? $"; {findings.Count} findings in all" : "";
            foreach (var (journal, finding) in findings.Take(3))
            {
                rules.Fail(rule, finding.Expected ?? "no finding", $"{finding.Message}: {finding.Actual}", $"{journal.Labels.GetValueOrDefault("client")} ({journal.SessionId})" + (finding.EntrySeq is { } seq ? $" entry #{seq}" : "") + more);
            }

            return;
        }

        if (scope == 0)
        {
            throw new InconclusiveException($"no {what} to judge ({Activity(e)})");
        }

        rules.Pass(rule, $"{scope} {what}(s) as documented");
    }

    /// <summary>A MAY rule: PASS when the client did it, INFO (a failed MAY rule) when not.</summary>
    private void Optional(string rule, bool done, string what, string instead)
    {
        if (done)
        {
            rules.Pass(rule, what);
        }
        else
        {
            // A MAY rule's failure is reported as INFO.
            rules.Fail(rule, what + " (optional)", instead);
        }
    }

    private static string Activity(CtiEvidence e) =>
        $"the client opened {e.Connections.Count} connection(s) over {Transports(e)} and sent {e.Sent.Count} message(s)";

    /// <summary>The client finished its task (the scenario's condition was met) and logged out; another rule's break is a root cause.</summary>
    private void Completed(string rule, CtiEvidence e, IReadOnlyCollection<string> tagged, bool exercised, string condition)
    {
        if (!exercised)
        {
            throw new InconclusiveException($"the scenario's condition did not arise: no sign that {condition} ({Activity(e)})");
        }

        var milestone = Milestone(e);
        if (milestone is null && e.LogoutRequested)
        {
            rules.Pass(rule, $"{condition}; the client finished its task ({run.Task}) and logged out");
            return;
        }

        if (e.OtherFindings(tagged) is { Count: > 0 } causes)
        {
            throw new InconclusiveException($"the client broke {string.Join(", ", causes)} first, which may have stopped it");
        }

        rules.Fail(rule, $"{condition}; the client still finishes its task ({run.Task}) and logs out", milestone ?? "it did not log out", Exited());
    }

    private string Exited() => run.Exit is { } exit ? "the client " + exit.Describe() : "the client did not run";

    /// <summary>What the task still lacked (null when its work was done).</summary>
    private string? Milestone(CtiEvidence e) => run.Task switch
    {
        "login-add-channel" when !e.Delivered.Any(m => m.Command == "session.removechannel" && m.Result == "success") => "it never removed the channel it added",
        "add-channel-group" when !e.Delivered.Any(m => m.Command == "session.removechannelgroup" && m.Result == "success") => "it never removed the channel group it added",
        "answer-inbound" when !e.Requests("conversation.answer", "interaction.accept").Any() => "it never answered the call",
        "login" when !e.Requests("session.request.externallogoutreasons").Any() => "it never asked for the logout reasons",
        _ => null,
    };

    /// <summary>Some event reached the client after one of its session requests and before that request's response.</summary>
    private static bool EventBeforeResponse(CtiEvidence e)
    {
        foreach (var request in e.SessionRequests.Where(r => r.RequestId is not null))
        {
            var entries = request.Journal.Entries;
            var response = entries.FirstOrDefault(x => x.Seq > request.Entry.Seq && x.Direction == Direction.ToClient && x.Parsed is JsonObject m
                && ClientMessage.Text(m["messageType"]) == "resourceResponse" && ClientMessage.Text(m["requestId"]) == request.RequestId);
            if (response is not null && entries.Any(x => x.Seq > request.Entry.Seq && x.Seq < response.Seq && x.Direction == Direction.ToClient
                && x.Parsed is JsonObject ev && ClientMessage.Text(ev["messageType"]) == "resourceEvent"))
            {
                return true;
            }
        }

        return false;
    }

    private void JudgeOneSocket(string rule, CtiEvidence e)
    {
        var sockets = e.Using("socket").ToList();
        rules.Check(rule, sockets.Count == 1, "one socket connection for the whole task",
            $"{sockets.Count} connections: {string.Join(", ", sockets.Select(s => s.SessionId + " (" + s.Labels.GetValueOrDefault("closed") + ")"))}");
    }

    private void JudgeToken(string rule, CtiEvidence e)
    {
        var expected = run.Task == "add-channel-group" ? run.Value("PROTOSIM_CHANNEL_GROUP") : null;
        var sent = e.Requests("session.addchannelgroup").Select(m => ClientMessage.Text((m.Data?["channelgroup"] as JsonObject)?["name"])).ToList();
        if (expected is null || !expected.Contains("~!OM", StringComparison.Ordinal) || sent.Count == 0)
        {
            Findings(rule, e, 0, "content holding ~!OM");
            return;
        }

        // The raw content must hold the token itself: a JSON escape (\u007E!OM) is an escape too.
        var raw = e.Requests("session.addchannelgroup").Select(m => m.Entry.Text ?? "").ToList();
        rules.Check(rule, sent.All(n => n == expected) && raw.All(t => t.Contains("~!OM", StringComparison.Ordinal)),
            $"the group name \"{expected}\" sent as it is, the bytes ~!OM in the content (the token is never escaped)", string.Join(", ", raw.Select(t => t.Length > 160 ? t[..160] + "…" : t)));
    }

    private void JudgeBoundaryCheck(string rule, CtiEvidence e)
    {
        foreach (var journal in e.Using("socket"))
        {
            var entries = journal.Entries;
            var broken = entries.FirstOrDefault(x => x.Direction == Direction.ToClient && x.Kind == FrameKind.Binary);
            if (broken is null)
            {
                continue;
            }

            var after = entries.Where(x => x.Seq > broken.Seq && x.Direction == Direction.FromClient).ToList();
            // A request the client sent in answer to the last good frame may cross the broken bytes; after its ERROR nothing.
            var error = after.FirstOrDefault(x => x.Summary.StartsWith("[0] ERROR", StringComparison.Ordinal));
            var dcpAfterError = error is null ? [] : after.Where(x => x.Seq > error.Seq).ToList();
            var closed = journal.Labels.GetValueOrDefault("closed") ?? "still open";
            if (error is null && after.Count == 0 && closed.StartsWith("closed by the client", StringComparison.Ordinal))
            {
                // It left right after the last good frame: the broken bytes were never read, the check never exercised.
                throw new InconclusiveException($"the client closed {journal.SessionId} right after the frame before the broken boundary, before reading on");
            }

            var clientClosed = closed == "closed by the client after its ERROR";
            rules.Check(rule, error is not null && dcpAfterError.Count == 0 && clientClosed,
                "after the broken boundary: ERROR on the reserved index, then the client closes the socket",
                error is null ? $"no ERROR; {after.Count} message(s) after the break; the connection ended: {closed}"
                    : dcpAfterError.Count > 0 ? $"{dcpAfterError.Count} message(s) after the ERROR" : $"ERROR sent, then: {closed}",
                $"{journal.SessionId} entry #{broken.Seq}");
            return;
        }

        throw new InconclusiveException($"the processor never broke a boundary ({Activity(e)})");
    }

    private void JudgeEndSession(string rule, CtiEvidence e)
    {
        var clients = e.Using("http").ToList();
        if (clients.Count == 0)
        {
            throw new InconclusiveException("the client started no HTTP client");
        }

        var front = e.Front?.Entries.Where(x => x.Direction == Direction.FromClient && x.Summary.StartsWith("POST /sessions endSession", StringComparison.Ordinal)).ToList() ?? [];
        var problems = new List<string>();
        foreach (var client in clients)
        {
            var id = client.Labels.GetValueOrDefault("client") ?? "";
            var ended = client.Labels.GetValueOrDefault("closed") == "endSession" || front.Any(x => x.Summary.EndsWith(" " + id, StringComparison.Ordinal));
            var retries = front.Count(x => x.Summary.EndsWith(" " + id, StringComparison.Ordinal));
            if (!ended)
            {
                problems.Add($"{id} was never ended (ended by: {client.Labels.GetValueOrDefault("closed") ?? "still open"})");
            }
            else if (retries > 1)
            {
                problems.Add($"{id}: endSession sent {retries} times after a 404");
            }
        }

        rules.Check(rule, problems.Count == 0, "endSession at the end, a 404 taken as already ended", string.Join("; ", problems),
            problems.Count == 0 ? $"{clients.Count} HTTP client(s) ended: {string.Join(", ", clients.Select(c => $"{c.Labels.GetValueOrDefault("client")} by {c.Labels.GetValueOrDefault("closed") ?? "endSession"}"))}" : null);
    }

    private void JudgeStatusFirst(string rule, CtiEvidence e)
    {
        var prepares = e.Dcp("serviceRequest", "prepareSession");
        var prepare = prepares.Count > 0 ? prepares[0] : null;
        if (prepare is null)
        {
            throw new InconclusiveException($"the client never called prepareSession ({Activity(e)})");
        }

        var status = e.Dcp("coreRequest", "getStatus").Any(m => m.Entry.Time <= prepare.Entry.Time);
        Optional(rule, status, "getStatus (acceptingClients, clientCount) before log-in", "no getStatus before prepareSession");
    }

    private void JudgeTakeover(string rule, CtiEvidence e)
    {
        var findings = e.FindingsFor(rule);
        if (findings.Count > 0)
        {
            Findings(rule, e, 1, "prepareSession");
            return;
        }

        var confirm = e.Delivered.FirstOrDefault(m => m.Command == "prepareSession" && m.Result == "confirm");
        if (confirm is null)
        {
            Findings(rule, e, e.Dcp("serviceRequest", "prepareSession").Count, "prepareSession");
            return;
        }

        var agrees = run.Value("PROTOSIM_CONFIRM_OVERRIDE") == "yes";
        var overrides = e.Dcp("serviceRequest", "prepareSession").Where(m => m.Entry.Time > confirm.Entry.Time && (m.Data?["override"]?.GetValueKind() == System.Text.Json.JsonValueKind.True)).ToList();
        if (agrees)
        {
            var next = e.Sent.Where(m => m.Entry.Time > confirm.Entry.Time).Select(m => $"{m.MessageType} {m.Command}").Take(3).ToList();
            rules.Check(rule, overrides.Count > 0, "the user agreed: prepareSession again with override:true",
                $"no prepareSession with override:true after the confirm; then the desktop sent: {(next.Count == 0 ? "nothing" : string.Join(", ", next))}");
        }
        else
        {
            rules.Check(rule, overrides.Count == 0, "the user declined: no prepareSession with override:true", $"{overrides.Count} prepareSession with override:true", overrides.FirstOrDefault()?.Describe());
        }
    }

    private void JudgeStart(string rule, CtiEvidence e)
    {
        var findings = e.FindingsFor(rule);
        // The first binding of each session: a desktop that binds again after reconnecting finds the session started.
        var binds = e.Delivered.Where(m => m.Command == "bindResource" && m.MessageType == "coreResponse")
            .GroupBy(m => ClientMessage.Text((m.Message["data"] as JsonObject)?["resourceId"]))
            .Select(g => g.First()).ToList();
        if (findings.Count > 0 || binds.Count == 0)
        {
            Findings(rule, e, binds.Count, "bound session resource");
            return;
        }

        var unstarted = binds.Where(b => !e.SessionRequests.Any(r => r.Journal == b.Journal && r.Entry.Seq > b.Entry.Seq && r.Command == "session.start")).ToList();
        rules.Check(rule, unstarted.Count == 0, "session.start right after binding the session resource", $"no session.start after the binding on {string.Join(", ", unstarted.Select(b => b.Journal.SessionId))}");
    }

    private void JudgeExtension(string rule, CtiEvidence e)
    {
        var starts = e.Requests("session.start");
        if (starts.Count == 0)
        {
            throw new InconclusiveException($"the client sent no session.start ({Activity(e)})");
        }

        var avaya = run.CtiVendor == "Avaya";
        var withExtension = starts.Count(s => s.Data?["extension"] is not null);
        if (avaya)
        {
            Optional(rule, withExtension == starts.Count, "data.extension in session.start to an Avaya processor", "session.start without the extension to an Avaya processor");
        }
        else
        {
            Optional(rule, withExtension == 0, $"no extension in session.start (the processor's cti-vendor is {run.CtiVendor})", $"data.extension sent to a {run.CtiVendor} processor, which does not use it");
        }
    }

    private void JudgeAnswerOnInitialChannel(string rule, CtiEvidence e, IReadOnlyCollection<string> tagged)
    {
        var initialized = e.Delivered.FirstOrDefault(m => m.Name == "session.initialized");
        if (initialized is null)
        {
            throw new InconclusiveException($"the session was never initialized ({Activity(e)})");
        }

        var initialChannels = e.Delivered.Where(m => m.Name == "channel.created" && m.Entry.Seq < initialized.Entry.Seq).Select(m => m.Target!).ToList();
        var calls = e.Delivered.Where(m => m.Name == "interaction.created" && m.Entry.Seq > initialized.Entry.Seq && initialChannels.Any(c => m.Target!.StartsWith(c + ".", StringComparison.Ordinal))).ToList();
        if (calls.Count == 0)
        {
            throw new InconclusiveException("no call rang on a channel reported during initialization");
        }

        var answered = calls.Where(c => e.Requests("conversation.answer", "interaction.accept").Any(a => a.Target?.StartsWith(c.Target!, StringComparison.Ordinal) == true)).ToList();
        if (answered.Count == 0 && e.OtherFindings(tagged) is { Count: > 0 } causes)
        {
            throw new InconclusiveException($"the client broke {string.Join(", ", causes)} first");
        }

        var requests = string.Join(", ", e.SessionRequests.Where(r => r.Entry.Time > calls[0].Entry.Time).Select(r => $"{r.Command} {r.Target}"));
        rules.Check(rule, answered.Count == calls.Count, $"the call {calls[0].Target} on a channel known only from the events before session.initialized answered",
            $"no answer to it; after the call rang the desktop sent: {(requests.Length == 0 ? "nothing" : requests)}", Exited());
    }

    private void JudgeFailureHandled(string rule, CtiEvidence e, IReadOnlyCollection<string> tagged)
    {
        var failure = e.Delivered.FirstOrDefault(m => m.Command is "session.addchannel" or "session.request.addchannel" && m.Result == "failure");
        if (failure is null)
        {
            throw new InconclusiveException($"no addchannel failed ({Activity(e)})");
        }

        var endpoint = run.Value("PROTOSIM_CHANNEL_ENDPOINT") ?? "";

        // A request for a channel the processor never created assumes the failed add worked.
        var created = e.Delivered.Where(m => m.Name == "channel.created").Select(m => ClientMessage.Text(((m.Message["data"] as JsonObject)?["channel"] as JsonObject)?["id"])).ToHashSet(StringComparer.Ordinal);
        var later = e.SessionRequests.Where(r => r.Entry.Time > failure.Entry.Time && r.Command == "session.removechannel"
            && !created.Contains(ClientMessage.Text((r.Data?["channel"] as JsonObject)?["id"]) ?? "")).ToList();
        if (later.Count > 0)
        {
            rules.Fail(rule, "after a failed addchannel: no request that assumes the channel exists", $"{later[0].Command} {CtiJson(later[0].Data)}", later[0].Describe());
            return;
        }

        if (!e.LogoutRequested)
        {
            if (e.OtherFindings(tagged) is { Count: > 0 } causes)
            {
                throw new InconclusiveException($"the client broke {string.Join(", ", causes)} first");
            }

            rules.Fail(rule, $"the failure ({failure.FailureCode}) read and the task ended with a logout (no secondary events come)", "no logout after the failure", Exited());
            return;
        }

        rules.Pass(rule, $"addchannel of {endpoint} failed ({failure.FailureCode}); the client did not use the channel and logged out");
    }

    private void JudgeUnsupported(string rule, CtiEvidence e)
    {
        if (!e.Delivered.Any(m => m.FailureCode == "Unsupported"))
        {
            throw new InconclusiveException($"no request failed Unsupported ({Activity(e)})");
        }

        if (e.FindingsFor(rule).Count > 0)
        {
            Findings(rule, e, 1, "Unsupported failure");
            return;
        }

        // Handled means the desktop went on: here, to its log-out.
        rules.Check(rule, e.LogoutRequested, "after the Unsupported failure: no retry, and the task goes on to the log-out", "no log-out after the Unsupported failure", Exited());
    }

    private static string CtiJson(System.Text.Json.Nodes.JsonNode? node) => node?.ToJsonString() ?? "{}";
}
