using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Dashboard.Tests;

/// <summary>The hub's aggregation and push rules, and the dashboard's HTTP answers, without a browser.</summary>
public sealed class SessionHubTests
{
    // Ticks are driven by the test: the hub's own timer waits an hour.
    private static DashboardOptions Manual(int maxSessions = 100) => new() { ListInterval = TimeSpan.FromHours(1), MaxSessions = maxSessions };

    private static async Task<JsonObject> NextAsync(ListSubscriber subscriber)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var message = await subscriber.Messages.ReadAsync(timeout.Token);
        var json = JsonNode.Parse(message.Json.Span)!.AsObject();
        Assert.Equal(message.Type, json["type"]!.ToString());
        return json;
    }

    private static int[] Keys(JsonObject message) => [.. message["rows"]!.AsArray().Select(r => r!["key"]!.GetValue<int>())];

    [Fact]
    public async Task AttachedStore_ListsItsJournalsAndNewOnes_WithState_CountsAndClient()
    {
        await using var hub = new SessionHub(Manual());
        var store = new JournalStore(0);
        var before = store.Open("a-1", "dataflow-websocket", TimeProvider.System, Redactor.None);
        hub.Attach("dataflow", store);
        var after = store.Open("a-2", "dataflow-grpc", TimeProvider.System, Redactor.None);
        after.SetLabel("remote", "127.0.0.1:5000");
        after.SetLabel("channel", "tls");
        after.Append(Direction.FromClient, FrameKind.Text, "Start", text: "{}");
        after.AddFinding("DFG-004", "no json");
        before.End();

        using var subscriber = hub.Subscribe(new SessionFilter());
        var snapshot = await NextAsync(subscriber);
        Assert.Equal("snapshot", snapshot["type"]!.ToString());
        var rows = snapshot["rows"]!.AsArray();
        Assert.Equal(2, rows.Count);
        var grpc = rows.Single(r => r!["protocol"]!.ToString() == "dataflow-grpc")!;
        Assert.Equal(("open", "tls", "127.0.0.1:5000", 1, 1), (grpc["state"]!.ToString(), grpc["variant"]!.ToString(), grpc["client"]!.ToString(), grpc["entries"]!.GetValue<int>(), grpc["findings"]!.GetValue<int>()));
        Assert.Equal("ended", rows.Single(r => r!["id"]!.ToString() == "a-1")!["state"]!.ToString());
        Assert.Equal((2, 1, 1), (snapshot["totals"]!["sessions"]!.GetValue<int>(), snapshot["totals"]!["open"]!.GetValue<int>(), snapshot["totals"]!["findings"]!.GetValue<int>()));
    }

    [Fact]
    public async Task AJournalTheStoreDrops_LeavesTheList_SoTheDashboardHoldsNoMoreThanTheFake()
    {
        await using var hub = new SessionHub(Manual());
        var store = new JournalStore(2);
        hub.Attach("cti", store);
        var first = store.Open("1", "cti", TimeProvider.System, Redactor.None);
        var key = hub.Matching(new SessionFilter()).Single().Key;
        store.Open("2", "cti", TimeProvider.System, Redactor.None);
        store.Open("3", "cti", TimeProvider.System, Redactor.None);
        Assert.Null(hub.Find(key));
        Assert.Equal(["3", "2"], hub.Matching(new SessionFilter()).Select(r => r.Journal.SessionId));
        first.Append(Direction.Internal, FrameKind.Note, "late");
        store.Clear();
        Assert.Equal(0, hub.Count);
    }

    [Fact]
    public async Task Tick_SendsEachChangedRowOnce_HoweverOftenItChanged_AndNothingWhenNothingChanged()
    {
        await using var hub = new SessionHub(Manual());
        var quiet = hub.Add("cti", new SessionJournal("quiet", "cti"));
        var busy = new SessionJournal("busy", "cti");
        var row = hub.Add("cti", busy);
        Assert.Same(row, hub.Add("cti", busy));
        hub.Tick();
        using var subscriber = hub.Subscribe(new SessionFilter());
        await NextAsync(subscriber);

        for (var i = 0; i < 1000; i++)
        {
            busy.Append(Direction.FromClient, FrameKind.Binary, "audio", bytes: new byte[] { 1 });
        }

        hub.Tick();
        var delta = await NextAsync(subscriber);
        Assert.Equal("delta", delta["type"]!.ToString());
        Assert.Equal([(int)row.Key], Keys(delta));
        Assert.Equal(1000, delta["rows"]![0]!["entries"]!.GetValue<int>());

        hub.Tick();
        Assert.False(subscriber.Messages.TryRead(out _));
        Assert.NotEqual(quiet.Key, row.Key);
    }

    [Fact]
    public async Task Filter_IsAppliedByTheServer_AndARowThatStopsMatchingIsRemoved()
    {
        await using var hub = new SessionHub(Manual());
        var voice = new SessionJournal("call-1", "knowlarity-voice-stream");
        voice.SetLabel("dialect", "Stream-Node");
        var voiceRow = hub.Add("voice", voice);
        hub.Add("cti", new SessionJournal("cti-1", "cti"));
        hub.Tick();

        using var open = hub.Subscribe(SessionFilter.Parse(k => k switch { "protocol" => "knowlarity", "state" => "open", _ => null }));
        Assert.Equal([(int)voiceRow.Key], Keys(await NextAsync(open)));
        using var text = hub.Subscribe(SessionFilter.Parse(k => k == "q" ? "stream-node" : null));
        Assert.Equal([(int)voiceRow.Key], Keys(await NextAsync(text)));
        using var findings = hub.Subscribe(SessionFilter.Parse(k => k == "findings" ? "1" : null));
        Assert.Empty(Keys(await NextAsync(findings)));

        voice.End();
        hub.Tick();
        var delta = await NextAsync(open);
        Assert.Empty(Keys(delta));
        Assert.Equal([(int)voiceRow.Key], delta["removed"]!.AsArray().Select(k => k!.GetValue<int>()).ToArray());
    }

    [Fact]
    public async Task ASubscriberThatFallsBehind_GetsOneSnapshotInsteadOfTheDeltasItMissed()
    {
        await using var hub = new SessionHub(Manual());
        var journal = new SessionJournal("s", "cti");
        hub.Add("cti", journal);
        using var slow = hub.Subscribe(new SessionFilter());
        for (var i = 0; i < 10; i++)
        {
            journal.Append(Direction.Internal, FrameKind.Note, "tick " + i);
            hub.Tick();
        }

        // Four queued (the bound), the rest dropped; the next tick sends a snapshot.
        var types = new List<string>();
        while (slow.Messages.TryRead(out var message))
        {
            types.Add(message.Type);
        }

        Assert.Equal(["snapshot", "delta", "delta", "delta"], types);
        journal.Append(Direction.Internal, FrameKind.Note, "more");
        hub.Tick();
        var next = await NextAsync(slow);
        Assert.Equal("snapshot", next["type"]!.ToString());
        Assert.Equal(11, next["rows"]![0]!["entries"]!.GetValue<int>());
    }

    [Fact]
    public async Task BeyondMaxSessions_TheOldestAreDropped_AndSentAsRemoved()
    {
        await using var hub = new SessionHub(Manual(maxSessions: 3));
        var first = hub.Add("cti", new SessionJournal("1", "cti"));
        hub.Tick();
        using var subscriber = hub.Subscribe(new SessionFilter());
        await NextAsync(subscriber);
        for (var i = 2; i <= 4; i++)
        {
            hub.Add("cti", new SessionJournal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), "cti"));
        }

        hub.Tick();
        var delta = await NextAsync(subscriber);
        Assert.Contains((int)first.Key, delta["removed"]!.AsArray().Select(k => k!.GetValue<int>()));
        Assert.Equal(3, hub.Count);
        Assert.Null(hub.Find(first.Key));
    }

    [Fact]
    public void EntryDetail_ShowsJsonFromTheRedactedText_WithJwtSignaturesMasked_AndHex()
    {
        var options = new DashboardOptions { Redactor = new Redactor(["s3cret"]) };
        var journal = new SessionJournal("s", "dataflow-websocket", redactor: new Redactor(["s3cret"]));
        const string Jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXBhcnQ";
        var text = $$"""{"MessageName":"Start","Token":"{{Jwt}}","Secret":"s3cret"}""";
        var entry = journal.Append(Direction.FromClient, FrameKind.Text, "Start", text: text, parsed: JsonNode.Parse(text));
        journal.AddFinding("DFA-007", "the secret s3cret in Start", entrySeq: entry.Seq);

        var detail = DashboardEndpoints.EntryDetail(journal, entry, options);
        var json = detail["json"]!.ToString();
        Assert.Contains("\"MessageName\": \"Start\"", json, StringComparison.Ordinal);
        Assert.Contains("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.***", json, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", detail.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("c2lnbmF0dXJlLXBhcnQ", detail.ToJsonString(), StringComparison.Ordinal);
        Assert.StartsWith("0000  7b 22 4d 65", detail["hex"]!.ToString(), StringComparison.Ordinal);
        Assert.Equal("DFA-007", detail["findings"]![0]!["rule"]!.ToString());

        // A frame journaled as bytes (not UTF-8, cut off) was never redacted by the journal: its hex is masked here.
        var raw = journal.Append(Direction.FromClient, FrameKind.Binary, "not UTF-8", bytes: (byte[])[0xff, .. "pw=s3cret"u8.ToArray()]);
        var hex = DashboardEndpoints.EntryDetail(journal, raw, options)["hex"]!.ToString();
        Assert.Contains("|.pw=******|", hex, StringComparison.Ordinal);
        Assert.DoesNotContain("73 33 63 72 65 74", hex, StringComparison.Ordinal);
    }

    [Fact]
    public void Peaks_AreTheLowestAndHighestSampleOfEachBucket()
    {
        var journal = new SessionJournal("s", "knowlarity-voice-stream");
        var track = journal.GetOrAddAudio("caller", 8000);
        short[] samples = [0, 16384, -32768, 0, 100, -100, 32767, 0];
        var pcm = new byte[samples.Length * 2];
        Buffer.BlockCopy(samples, 0, pcm, 0, pcm.Length);
        track.Append(pcm);

        var peaks = DashboardEndpoints.Peaks(track, 4);
        Assert.Equal([0.0, -1.0, -0.003, 0.0], peaks["min"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal([0.5, 0.0, 0.003, 1.0], peaks["max"]!.AsArray().Select(v => v!.GetValue<double>()));
        Assert.Equal(8000, peaks["rate"]!.GetValue<int>());
    }

    [Fact]
    public void ActionBody_TakesTheFormsValues_AndRefusesWhatAFieldDoesNotTake()
    {
        var action = new AdminAction("a", "knowlarity", "A", "d")
        {
            Fields =
            [
                new ActionField("number", "Number"),
                new ActionField("answered", "Answered", ActionFieldKind.Checkbox),
                new ActionField("talkMs", "Talk", ActionFieldKind.Number),
                new ActionField("mode", "Mode", ActionFieldKind.Choice) { Choices = ["close", "reset"] },
            ],
        };
        var (body, error) = action.Body(new JsonObject { ["number"] = "+91", ["answered"] = true, ["talkMs"] = "300", ["mode"] = "reset" });
        Assert.Null(error);
        Assert.Equal("""{"number":"+91","answered":true,"talkMs":300,"mode":"reset"}""", body);
        Assert.Equal("Talk: not a whole number", action.Body(new JsonObject { ["talkMs"] = "x" }).Error);
        Assert.Equal("Mode: one of close, reset", action.Body(new JsonObject { ["mode"] = "drop" }).Error);

        var raw = new AdminAction("b", "knowlarity", "B", "d") { Fields = [new ActionField("doc", "Doc", ActionFieldKind.Json)], RawBodyField = "doc" };
        Assert.Equal("""{"a":1}""", raw.Body(new JsonObject { ["doc"] = """{"a":1}""" }).Body);
        Assert.StartsWith("doc: not JSON", raw.Body(new JsonObject { ["doc"] = "{" }).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReportsIndex_ListsRunsNewestFirst_AndServesNothingOutsideItsRoot()
    {
        var root = Directory.CreateTempSubdirectory("protosim-reports-").FullName;
        foreach (var (name, started) in new[] { ("old", "2026-01-01T00:00:00Z"), ("suite/new", "2026-02-01T00:00:00Z") })
        {
            Directory.CreateDirectory(Path.Combine(root, name));
            await File.WriteAllTextAsync(Path.Combine(root, name, "results.json"), new JsonObject { ["title"] = name, ["started"] = started, ["summary"] = new JsonObject { ["rules"] = new JsonObject { ["fail"] = 2 } } }.ToJsonString());
            await File.WriteAllTextAsync(Path.Combine(root, name, "report.html"), "<p>report</p>");
        }

        var list = ReportsIndex.List(root)["reports"]!.AsArray();
        Assert.Equal(["suite/new", "old"], list.Select(r => r!["path"]!.ToString()));
        Assert.Equal("reports/suite/new/report.html", list[0]!["html"]!.ToString());
        Assert.NotNull(ReportsIndex.Resolve(root, "suite/new/report.html"));
        Assert.Null(ReportsIndex.Resolve(root, "../" + Path.GetFileName(root) + "-other/x"));
        Assert.Null(ReportsIndex.Resolve(root, "/etc/passwd"));
        Assert.Null(ReportsIndex.Resolve(root, "old/missing.html"));

        // Only a report directory's own files: not an endpoints file with credentials left there, not a link out.
        await File.WriteAllTextAsync(Path.Combine(root, "old", "endpoints.json"), "{}");
        Assert.Null(ReportsIndex.Resolve(root, "old/endpoints.json"));
        var outside = Directory.CreateTempSubdirectory("protosim-outside-").FullName;
        await File.WriteAllTextAsync(Path.Combine(outside, "results.json"), "{}");
        Directory.CreateSymbolicLink(Path.Combine(root, "linked"), outside);
        Assert.Null(ReportsIndex.Resolve(root, "linked/results.json"));
    }

    [Fact]
    public async Task TheListStream_SendsASnapshot_ThenTheSessionsThatOpen_OverServerSentEvents()
    {
        var root = Directory.CreateTempSubdirectory("protosim-reports-").FullName;
        await using var hub = new SessionHub(new DashboardOptions { ListInterval = TimeSpan.FromMilliseconds(50), ReportsRoot = root });
        await using var app = await DashboardEndpoints.StartAsync(IPAddress.Loopback, hub, CancellationToken.None);
        var url = Core.Hosting.SlimHost.BaseUrl(app);
        using var http = new HttpClient { BaseAddress = new Uri(url) };

        using var page = await http.GetAsync("/");
        Assert.Equal("text/html; charset=utf-8", page.Content.Headers.ContentType!.ToString());
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/sessions/999")).StatusCode);

        // Another host name (DNS rebinding) gets nothing; an action from another origin or not as JSON is refused.
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/info"))
        {
            rebound.Headers.Host = "attacker.example";
            Assert.Equal(HttpStatusCode.MisdirectedRequest, (await http.SendAsync(rebound)).StatusCode);
        }

        hub.Options.Actions.Add(new AdminAction("noop", "test", "Noop", "d") { Handler = (_, _) => Task.FromResult(new ActionResult(200, "{}")) });
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await http.PostAsync("/api/actions/noop", new StringContent("{}", Encoding.UTF8, "text/plain"))).StatusCode);
        using (var forged = new HttpRequestMessage(HttpMethod.Post, "/api/actions/noop") { Content = new StringContent("{}", Encoding.UTF8, "application/json") })
        {
            forged.Headers.Add("Origin", "http://attacker.example");
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(forged)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/actions/noop", new StringContent("{}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await http.PostAsync("/api/actions/noop", new StringContent("{", Encoding.UTF8, "application/json"))).StatusCode);

        using var response = await http.GetAsync("/api/stream?protocol=cti", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = Channel.CreateUnbounded<(string Type, JsonObject Data)>();
        _ = Task.Run(async () =>
        {
            string? type = null;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    await events.Writer.WriteAsync((type!, JsonNode.Parse(line[6..])!.AsObject()));
                }
            }
        });

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("hello", (await events.Reader.ReadAsync(timeout.Token)).Type);
        Assert.Equal("snapshot", (await events.Reader.ReadAsync(timeout.Token)).Type);
        hub.Add("dataflow", new SessionJournal("other", "dataflow-http"));
        var journal = new SessionJournal("cti-7", "cti");
        var row = hub.Add("cti", journal);
        journal.Append(Direction.FromClient, FrameKind.Text, "getServices", text: Encoding.UTF8.GetString("{}"u8), parsed: new JsonObject());
        (string Type, JsonObject Data) delta;
        do
        {
            delta = await events.Reader.ReadAsync(timeout.Token);
        }
        while (delta.Data["rows"]!.AsArray().Count == 0);

        Assert.Equal("delta", delta.Type);
        Assert.Equal([(int)row.Key], Keys(delta.Data));

        var entry = JsonNode.Parse(await http.GetStringAsync($"/api/sessions/{row.Key}/entries/1"))!;
        Assert.Equal("from-client", entry["dir"]!.ToString());
        Assert.Equal("{}", entry["json"]!.ToString());

        // A session's timeline: entries carry their sequence as the event id, and a reconnect resumes after it.
        journal.Append(Direction.ToClient, FrameKind.Text, "services", text: "{}");
        Assert.Equal([1L, 2L], await TimelineSeqsAsync(http, row.Key, lastEventId: null, expected: 2));
        journal.Append(Direction.ToClient, FrameKind.Close, "bye");
        Assert.Equal([3L], await TimelineSeqsAsync(http, row.Key, lastEventId: "2", expected: 1));
        Assert.Equal([2L, 3L], await TimelineSeqsAsync(http, row.Key, lastEventId: null, expected: 2, after: 1));
    }

    /// <summary>Opens a session's stream and collects the sequences of the entries it sends, with their event ids.</summary>
    private static async Task<List<long>> TimelineSeqsAsync(HttpClient http, long key, string? lastEventId, int expected, int? after = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/stream?session={key}&protocol=none" + (after is { } a ? $"&after={a}" : ""));
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var seqs = new List<long>();
        string? id = null;
        while (seqs.Count < expected && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("data: {\"entries\"", StringComparison.Ordinal))
            {
                var entries = JsonNode.Parse(line[6..])!["entries"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ToList();
                Assert.Equal(entries[^1].ToString(System.Globalization.CultureInfo.InvariantCulture), id);
                seqs.AddRange(entries);
            }
        }

        return seqs;
    }
}
