using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Cti.World;
using ProtocolSim.TestSupport;

namespace ProtocolSim.Cti.Tests;

public sealed class HttpTransportTests
{
    private static string? Text(JsonNode? node) => CtiTestClient.Text(node);

    private static async Task<JsonObject> PostAsync(HttpClient http, string url, JsonObject body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await http.PostAsync(url, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"{url}: expected {(int)expected}, got {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text) as JsonObject ?? [];
    }

    /// <summary>Polls until a message matches (each poll is a long poll).</summary>
    private static async Task<JsonObject> PollForAsync(HttpClient http, string pollUrl, List<JsonObject> seen, Func<JsonObject, bool> match)
    {
        for (var i = 0; i < 20; i++)
        {
            var found = seen.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            var answer = await http.GetFromJsonAsync<JsonObject>(pollUrl);
            seen.AddRange(answer!["messages"]!.AsArray().Select(m => (JsonObject)m!.DeepClone()));
        }

        Assert.Fail("no matching message; polled: " + string.Join("\n", seen.Select(m => m.ToJsonString())));
        return null!;
    }

    [Fact]
    public async Task StartQueuePollEnd_CarryTheDcpExchange_AndAnEndedClientGets404()
    {
        await using var host = await TestWorld.StartAsync(o => o.PollWait = TimeSpan.FromSeconds(2));
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using (var probe = await http.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/direct")))
        {
            Assert.Equal(HttpStatusCode.NoContent, probe.StatusCode);
            Assert.Contains("POST", probe.Content.Headers.Allow);
        }

        var started = await PostAsync(http, "/sessions", new JsonObject { ["messageType"] = "startSession", ["client"] = new JsonObject { ["id"] = "web-1", ["name"] = "Zoë's desk" } });
        Assert.Equal("web-1", Text(started["id"]));
        var seen = new List<JsonObject>();
        var poll = "/direct/poll?clientId=web-1";
        var queued = await PostAsync(http, "/direct/processRequest?clientId=web-1", new JsonObject { ["messageType"] = "coreRequest", ["requestId"] = "1", ["command"] = "getServices" });
        Assert.Empty(queued);
        var services = await PollForAsync(http, poll, seen, m => Text(m["requestId"]) == "1");
        var serviceId = Text(services["data"]!["services"]![0]!["serviceId"]);
        await PostAsync(http, "/direct/processRequest?clientId=web-1", new JsonObject { ["messageType"] = "coreRequest", ["requestId"] = "2", ["command"] = "bindService", ["serviceId"] = serviceId });
        await PollForAsync(http, poll, seen, m => Text(m["requestId"]) == "2");
        await PostAsync(http, "/direct/processRequest?clientId=web-1", new JsonObject
        {
            ["messageType"] = "serviceRequest",
            ["requestId"] = "3",
            ["serviceId"] = serviceId,
            ["command"] = "prepareSession",
            ["data"] = new JsonObject { ["model"] = "Simulated", ["override"] = false, ["agent"] = new JsonObject { ["id"] = "agent1001", ["password"] = "Harmony-1001!" } },
        });
        var session = Text((await PollForAsync(http, poll, seen, m => Text(m["requestId"]) == "3"))["data"]!["resourceId"]);
        await PostAsync(http, "/direct/processRequest?clientId=web-1", new JsonObject { ["messageType"] = "coreRequest", ["requestId"] = "4", ["command"] = "bindResource", ["resourceId"] = session });
        await PollForAsync(http, poll, seen, m => Text(m["requestId"]) == "4");
        await PostAsync(http, "/direct/processRequest?clientId=web-1", new JsonObject { ["messageType"] = "resourceRequest", ["requestId"] = "5", ["resourceId"] = session, ["command"] = "session.start", ["target"] = session, ["data"] = new JsonObject() });
        await PollForAsync(http, poll, seen, m => Text(m["name"]) == "session.initialized");
        Assert.Equal("resourceEvent", Text(seen.First(m => Text(m["name"]) == "channel.created")["messageType"]));

        await PostAsync(http, "/sessions", new JsonObject { ["messageType"] = "endSession", ["client"] = new JsonObject { ["id"] = "web-1" } });
        await PostAsync(http, "/sessions", new JsonObject { ["messageType"] = "endSession", ["client"] = new JsonObject { ["id"] = "web-1" } }, HttpStatusCode.NotFound);
        using var gone = await http.GetAsync(poll);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        var journal = host.Processor.Journals.All.Single(j => j.Labels.GetValueOrDefault("client") == "web-1");
        Assert.Equal("endSession", journal.Labels["closed"]);
        Assert.DoesNotContain(journal.Findings, f => f.RuleId is "CTI-009" or "CTI-011" or "CTI-014");
    }

    [Fact]
    public async Task UnknownClientAndBadBodies_GetClearErrors_AndAnIdleClientIsEndedAtTheTimeout()
    {
        // On a fake clock: the client is ended when exactly the session timeout (60 s, cti.md §5) has gone by, in no
        // real time at all.
        var time = new SteppedTime(DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var host = await TestWorld.StartAsync(time: time);
        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        await PostAsync(http, "/direct/processRequest?clientId=nobody", new JsonObject { ["messageType"] = "coreRequest" }, HttpStatusCode.NotFound);
        Assert.Contains(host.Http.Front.Findings, f => f.RuleId == "CTI-008");

        await PostAsync(http, "/sessions", new JsonObject { ["messageType"] = "startSession", ["client"] = new JsonObject { ["id"] = "idle" } });
        using (var bad = await http.PostAsync("/direct/processRequest?clientId=idle", new StringContent("not json", Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }

        var journal = host.Processor.Journals.All.Single(j => j.Labels.GetValueOrDefault("client") == "idle");
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        journal.Appended += (_, entry, finding) =>
        {
            if (entry is null && finding is null)
            {
                ended.TrySetResult(); // the session's end (its label says why)
            }
        };
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10)); // a hang fails; nothing waits on it
        await time.WaitForTimerAsync(TimeSpan.FromSeconds(60), patience.Token);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.DoesNotContain(journal.Findings, f => f.RuleId == "CTI-011"); // the watcher's timer is due at 60 s
        time.Advance(TimeSpan.FromSeconds(1));
        await ended.Task.WaitAsync(patience.Token);

        Assert.Equal("60.0 s idle", Assert.Single(journal.Findings, f => f.RuleId == "CTI-011").Actual);
        Assert.Equal("session timeout", journal.Labels["closed"]);
        await PostAsync(http, "/direct/processRequest?clientId=idle", new JsonObject { ["messageType"] = "coreRequest" }, HttpStatusCode.NotFound);
    }
}

public sealed class WebSocketTransportTests
{
    private static string? Text(JsonNode? node) => CtiTestClient.Text(node);

    private static async Task<JsonObject> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await socket.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return (JsonObject)JsonNode.Parse(buffer.AsSpan(0, result.Count))!;
    }

    private static Task SendAsync(ClientWebSocket socket, JsonObject message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    [Fact]
    public async Task DcpPerTextFrame_LogsIn_AndTheBareModeTakesSessionMessages()
    {
        await using var host = await TestWorld.StartAsync();
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(host.WebSocketUrl), CancellationToken.None);
        await SendAsync(socket, new JsonObject { ["messageType"] = "coreRequest", ["requestId"] = "1", ["command"] = "bindService", ["serviceId"] = host.Processor.Options.ServiceId });
        Assert.Equal("coreResponse", Text((await ReceiveAsync(socket))["messageType"]));
        await SendAsync(socket, new JsonObject
        {
            ["messageType"] = "serviceRequest",
            ["requestId"] = "2",
            ["serviceId"] = host.Processor.Options.ServiceId,
            ["command"] = "prepareSession",
            ["data"] = new JsonObject { ["model"] = "Simulated", ["override"] = false, ["agent"] = new JsonObject { ["id"] = "agent1001", ["password"] = "Harmony-1001!" } },
        });
        var session = Text((await ReceiveAsync(socket))["data"]!["resourceId"])!;
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        using var bare = new ClientWebSocket();
        await bare.ConnectAsync(new Uri(host.WebSocketUrl + "/session/" + session), CancellationToken.None);
        await SendAsync(bare, new JsonObject { ["command"] = "session.start", ["target"] = session, ["data"] = new JsonObject() });
        var answer = await ReceiveAsync(bare);
        Assert.Equal("session.start", Text(answer["command"]));
        Assert.False(answer.ContainsKey("messageType"));
        JsonObject last;
        do
        {
            last = await ReceiveAsync(bare);
        }
        while (Text(last["name"]) != "session.initialized");
    }
}

public sealed class AgentWorldTests
{
    [Fact]
    public void DefaultFixture_Loads()
    {
        var world = TestWorld.Default();
        Assert.Equal("agent1001", world.Agents[0].Id);
        Assert.Contains("Telephony", world.Capabilities);
        Assert.Contains(world.Groups, g => g.Name == "Support~!OM");
    }

    [Fact]
    public void InvalidWorld_ReportsEveryErrorWithFileLineAndPath()
    {
        const string Yaml = """
            processor:
              capabilities: [Telephony, Video]
              colour: blue
            agents:
              - id: a.1
                channels:
                  - { endpoint: "x", type: Fax }
            inbound:
              - { agent: ghost, endpoint: "x", ani: "1", after: soon }
            """;
        var (world, errors) = AgentWorldLoader.Parse(Yaml, "broken.yaml");
        Assert.Null(world);
        var text = string.Join("\n", errors);
        Assert.Contains("broken.yaml:2: processor.capabilities: \"Video\"", text, StringComparison.Ordinal);
        Assert.Contains("unknown key \"colour\"", text, StringComparison.Ordinal);
        Assert.Contains("agents[0].id: ids hold no dots", text, StringComparison.Ordinal);
        Assert.Contains("agents[0].password: is required", text, StringComparison.Ordinal);
        Assert.Contains("agents[0].channels[0].type: \"Fax\"", text, StringComparison.Ordinal);
        Assert.Contains("inbound[0].agent: no agent \"ghost\"", text, StringComparison.Ordinal);
        Assert.Contains("inbound[0].after: \"soon\" is not a duration", text, StringComparison.Ordinal);
    }
}
