using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.Cti.Transport;

namespace ProtocolSim.Cti.Tests;

public sealed class SessionResourceTests
{
    private static string? Text(JsonNode? node) => CtiTestClient.Text(node);

    private static List<string> Names(IEnumerable<JsonObject> messages) => messages.Select(m => Text(m["name"]) ?? Text(m["command"]) + " " + Text(m["result"])).ToList();

    [Fact]
    public async Task Start_ReportsTheExistingChannelThenInitialized_AndEveryCommandAnswersAsDocumented()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        var start = await client.SessionAsync("session.start");
        Assert.Equal("success", Text(start["result"]));
        Assert.False(start.ContainsKey("data"));
        var initialized = await client.ReceiveAsync("session.initialized");
        Assert.Equal(["channel.created", "state.updated", "channel.initialized", "session.initialized"], Names(client.Since(start)));
        Assert.Equal(client.SessionId, Text(initialized["target"]));
        var created = client.Since(start).First();
        Assert.Equal($"{client.SessionId}.C1", Text(created["target"]));
        Assert.Equal("5001", Text(created["data"]!["channel"]!["endpoint"]));

        var directory = await client.SessionAsync("session.request.getdirectory");
        Assert.Equal("Help desk", Text(directory["data"]!["entries"]![0]!["name"]));
        var reasons = await client.SessionAsync("session.request.externalnotreadyreasons");
        Assert.Equal("success", Text(reasons["result"]));
        var list = await client.ReceiveAsync("session.externalnotreadyreasons.updated");
        Assert.Equal("Pausa café", Text(list["data"]!["reasons"]![2]!["name"]));

        var data = new JsonObject { ["channel"] = new JsonObject { ["endpoint"] = "chat-1001", ["type"] = "Chat" } };
        var added = await client.SessionAsync("session.addchannel", data);
        Assert.Equal(data.ToJsonString(), added["data"]!.ToJsonString());
        await client.ReceiveAsync("channel.initialized");
        Assert.Equal(["channel.created", "state.updated", "channel.initialized"], Names(client.Since(added)));
        var channelId = Text(client.Since(added).First()["data"]!["channel"]!["id"])!;

        var removed = await client.SessionAsync("session.removechannel", new JsonObject { ["channel"] = new JsonObject { ["id"] = channelId } });
        Assert.Equal("success", Text(removed["result"]));
        await client.ReceiveAsync("channel.disposed");
        Assert.Equal(["channel.infochanged", "state.updated", "channel.disposed"], Names(client.Since(removed)));

        var logout = await client.SessionAsync("session.logout");
        Assert.Equal("success", Text(logout["result"]));
        var after = await client.SessionAsync("session.request.getdirectory");
        Assert.Equal("SessionInactive", Text(after["failure"]!["code"]));
        Assert.Equal("session.request.getdirectory", Text(after["original"]!["command"]));
        Assert.DoesNotContain(client.Since(logout), m => m.ContainsKey("name"));

        var journal = host.Processor.Journals.All.Single();
        Assert.Equal(["CTI-037"], journal.Findings.Select(f => f.RuleId));
    }

    [Fact]
    public async Task RequestBeforeStart_FailsSessionNotStarted_WithTheOriginalAndNoEvents()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        var failed = await client.SessionAsync("session.request.getdirectory");
        Assert.Equal("failure", Text(failed["result"]));
        Assert.Equal("SessionNotStarted", Text(failed["failure"]!["code"]));
        Assert.NotNull(Text(failed["failure"]!["message"]));
        Assert.NotNull(failed["failure"]!["context"]);
        Assert.Equal(client.SessionId, Text(failed["original"]!["target"]));
        var start = await client.SessionAsync("session.start");
        var again = await client.SessionAsync("session.start");
        Assert.Equal("SessionAlreadyStarted", Text(again["failure"]!["code"]));
        Assert.Contains(host.Processor.Journals.All.Single().Findings, f => f.RuleId == "CTI-023");
        _ = start;
    }

    [Fact]
    public async Task UnknownCommandWrongTargetAndBadData_GetFailuresAndTheSessionStaysUsable()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.StartSessionAsync();
        Assert.Equal("UnknownCommand", Text((await client.SessionAsync("session.frobnicate"))["failure"]!["code"]));
        Assert.Equal("InvalidTarget", Text((await client.SessionAsync("session.request.getdirectory", target: "agent1001"))["failure"]!["code"]));
        Assert.Equal("InvalidRequest", Text((await client.SessionAsync("session.addchannel", new JsonObject { ["channel"] = new JsonObject { ["endpoint"] = "chat-1001", ["type"] = "chat" } }))["failure"]!["code"]));
        Assert.Equal("NotFound", Text((await client.SessionAsync("session.removechannel", new JsonObject { ["channel"] = new JsonObject { ["id"] = "C99" } }))["failure"]!["code"]));
        var typo = await client.SessionAsync(" session.request.externalnotredyreasons ");
        Assert.Equal("success", Text(typo["result"]));
        Assert.Equal(" session.request.externalnotredyreasons ", Text(typo["command"]));
        Assert.Equal("success", Text((await client.SessionAsync("session.request.getdirectory"))["result"]));
        var rules = host.Processor.Journals.All.Single().Findings.Select(f => f.RuleId).ToHashSet();
        Assert.Superset(new HashSet<string?> { "CTI-028", "CTI-038", "CTI-048" }, rules);
        Assert.Contains(host.Processor.Journals.All.Single().Entries, e => e.Summary.Contains("surrounding spaces", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RemovingAChannelWithAnActiveCall_FailsActiveInteraction_WithoutEvents()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync("agent1003", "Harmony-1003!");
        await client.StartSessionAsync();
        Assert.Contains("interaction.created", Names(client.Received.Select(r => r.Message)));
        var failed = await client.SessionAsync("session.removechannel", new JsonObject { ["channel"] = new JsonObject { ["id"] = "C1" } });
        Assert.Equal("ActiveInteraction", Text(failed["failure"]!["code"]));
        var ended = await client.ReceiveAsync("interaction.ended");
        Assert.DoesNotContain(client.Since(failed).TakeWhile(m => m != ended), m => Text(m["name"]) is "channel.disposed" or "channel.infochanged");
        var removed = await client.SessionAsync("session.removechannel", new JsonObject { ["channel"] = new JsonObject { ["id"] = "C1" } });
        Assert.Equal("success", Text(removed["result"]));
    }

    [Fact]
    public async Task AddThenRemoveGroup_EmitsTheDocumentedSequences_AndTheDocumentedKeyRemovesIt()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.StartSessionAsync();
        var added = await client.SessionAsync("session.addchannelgroup", CtiTestClient.Sales);
        await client.ReceiveAsync("channelgroup.initialized");
        Assert.Equal(
            ["channelgroup.created", "state.updated", "channel.created", "state.updated", "channel.initialized", "channel.created", "state.updated", "channel.initialized", "channel.created", "state.updated", "channel.initialized", "channelgroup.initialized"],
            Names(client.Since(added)));
        var groupTarget = Text(client.Since(added).First()["target"])!;
        var memberTarget = Text(client.Since(added).ElementAt(2)["target"])!;
        Assert.StartsWith(groupTarget + ".", memberTarget, StringComparison.Ordinal);
        var groupId = groupTarget.Split('.')[1];
        var removed = await client.SessionAsync("session.removechannelgroup", new JsonObject { ["channel"] = new JsonObject { ["id"] = groupId } });
        Assert.Equal("success", Text(removed["result"]));
        await client.ReceiveAsync("channelgroup.disposed");
        var names = Names(client.Since(removed));
        Assert.Equal(["state.updated", "channelgroup.disposed"], names[^2..]);
        Assert.Equal(3, names.Count(n => n == "channel.disposed"));
        Assert.Empty(host.Processor.Journals.All.Single().Findings);
    }

    [Fact]
    public async Task PrepareSession_ChecksCredentials_AsksToConfirm_AndAnOverrideSilencesTheOldSession()
    {
        await using var host = await TestWorld.StartAsync();
        await using var first = await (await CtiTestClient.ConnectAsync(host)).LogInAsync(clientId: "desk-A");
        await first.StartSessionAsync();

        await using var second = await CtiTestClient.ConnectAsync(host);
        await second.SendAsync(0, new JsonObject { ["messageType"] = "handshake", ["client"] = new JsonObject { ["id"] = "desk-B" } });
        await second.SendAsync(0, new JsonObject { ["messageType"] = "negotiate", ["protocols"] = new JsonArray(new JsonObject { ["name"] = "DCP", ["version"] = "1.0" }) });
        await second.ReceiveAsync("negotiate");
        var serviceId = host.Processor.Options.ServiceId;
        await second.RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "bindService", ["serviceId"] = serviceId });
        JsonObject Prepare(string password, bool overrides) => new()
        {
            ["messageType"] = "serviceRequest",
            ["serviceId"] = serviceId,
            ["command"] = "prepareSession",
            ["data"] = new JsonObject { ["model"] = "Simulated", ["override"] = overrides, ["agent"] = new JsonObject { ["id"] = "agent1001", ["password"] = password } },
        };
        var refused = await second.RequestAsync(Prepare("wrong", false));
        Assert.Equal("InvalidCredentials", Text(refused["failure"]!["code"]));
        var confirm = await second.RequestAsync(Prepare("Harmony-1001!", false));
        Assert.Equal("confirm", Text(confirm["result"]));
        Assert.NotNull(Text(confirm["message"]));
        Assert.Equal("prepareSession", Text(confirm["original"]!["command"]));

        // The held session cannot be bound by another client.
        var held = await second.RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "bindResource", ["resourceId"] = first.SessionId });
        Assert.Equal("resourceError", Text(held["messageType"]));

        var replaced = await second.RequestAsync(Prepare("Harmony-1001!", true));
        Assert.Equal("success", Text(replaced["result"]));
        Assert.NotEqual(first.SessionId, Text(replaced["data"]!["resourceId"]));
        var dead = await first.SessionAsync("session.request.getdirectory");
        Assert.Equal("SessionInactive", Text(dead["failure"]!["code"]));
        Assert.DoesNotContain(first.Since(dead), m => m.ContainsKey("name"));
        Assert.Contains(host.Processor.Journals.All.SelectMany(j => j.Findings), f => f.RuleId == "CTI-020");
    }

    [Fact]
    public async Task BrokenBoundary_IsAnsweredWithErrorAndClose_AndOtherSessionsCarryOn()
    {
        await using var host = await TestWorld.StartAsync();
        await using var good = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await good.StartSessionAsync();

        await using var bad = await CtiTestClient.ConnectAsync(host);
        await bad.SendRawAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray());
        var last = await bad.WaitForCloseAsync();
        var error = Assert.Single(last);
        Assert.Equal(0, error.Index);
        Assert.Equal("ERROR", Text(error.Message["messageType"]));

        await using var liar = await CtiTestClient.ConnectAsync(host);
        var content = Encoding.UTF8.GetBytes("{\"messageType\":\"handshake\",\"client\":{\"id\":\"Zoë\"}}");
        var frame = SocketFraming.Encode(0, content, new SocketFramingOptions());
        frame[8] -= 1; // the length counts one byte too few (a UTF-16 count of the content)
        await liar.SendRawAsync([.. frame, .. SocketFraming.Encode(0, "{\"messageType\":\"teardown\"}"u8, new SocketFramingOptions())]);
        Assert.Contains(await liar.WaitForCloseAsync(), m => Text(m.Message["messageType"]) == "ERROR");

        Assert.Equal("success", Text((await good.SessionAsync("session.request.getdirectory"))["result"]));
        var findings = host.Processor.Journals.All.SelectMany(j => j.Findings).Select(f => f.RuleId).ToList();
        Assert.Contains("CTI-002", findings);
        Assert.Contains("CTI-003", findings);
    }

    [Fact]
    public async Task ByteAtATimeDelivery_AndMalformedJson_AreHandledWithoutClosing()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await CtiTestClient.ConnectAsync(host);
        await client.SendAsync(0, new JsonObject { ["messageType"] = "handshake", ["client"] = new JsonObject { ["id"] = "slow" } }, byteAtATime: true);
        await client.ReceiveAsync("handshake");
        await client.SendAsync(0, new JsonObject { ["messageType"] = "negotiate", ["protocols"] = new JsonArray(new JsonObject { ["name"] = "DCP", ["version"] = "1.0" }) }, byteAtATime: true);
        await client.ReceiveAsync("negotiate");
        await client.SendRawAsync(SocketFraming.Encode(1, "{not json at all}"u8, new SocketFramingOptions()));
        var error = await client.ReceiveAsync("coreError");
        Assert.Equal("InvalidRequest", Text(error["error"]!["code"]));
        var status = await client.RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "getStatus" });
        Assert.Equal("running", Text(status["data"]!["status"]));
        await client.SendRawAsync(SocketFraming.Encode(1, "{\"messageType\":\"coreRequest\",\"requestId\":\"x\",\"command\":\"getStatus\",\"note\":\"Qu\u00e9bec\"}"u8, new SocketFramingOptions()));
        await client.ReceiveAsync("coreResponse", "getStatus");
        var latin1 = Encoding.Latin1.GetBytes("{\"messageType\":\"coreRequest\",\"requestId\":\"y\",\"command\":\"getStatus\",\"note\":\"Québec\"}");
        await client.SendRawAsync(SocketFraming.Encode(1, latin1, new SocketFramingOptions()));
        await client.ReceiveAsync(m => Text(m["messageType"]) == "coreError" && Text(m["error"]!["message"])!.Contains("UTF-8", StringComparison.Ordinal), "a coreError for Latin-1");
        var journal = host.Processor.Journals.All.Single();
        Assert.Contains(journal.Findings, f => f.RuleId == "CTI-053");
        Assert.Contains(journal.Entries, e => e.Direction == Direction.FromClient && e.Bytes is not null);
    }

    [Fact]
    public async Task DcpBeforeHandshake_IsAProtocolIndexError()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await CtiTestClient.ConnectAsync(host);
        await client.SendAsync(1, new JsonObject { ["messageType"] = "coreRequest", ["requestId"] = "1", ["command"] = "getStatus" });
        var closing = await client.WaitForCloseAsync();
        Assert.Equal("ERROR", Text(Assert.Single(closing).Message["messageType"]));
        Assert.Equal("CTI-006", host.Processor.Journals.All.Single().Findings.Single().RuleId);
    }

    [Fact]
    public async Task Logout_IsAnsweredOnlyAfterTheDelay_AndTheSessionIsInertAfterwards()
    {
        await using var host = await TestWorld.StartAsync(o => o.LogoutDelay = TimeSpan.FromMilliseconds(400));
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync("agent1003", "Harmony-1003!");
        await client.StartSessionAsync();
        var asked = host.Processor.Time.GetTimestamp();
        var logout = await client.SessionAsync("session.logout");
        Assert.True(host.Processor.Time.GetElapsedTime(asked) >= TimeSpan.FromMilliseconds(380));
        Assert.Equal("success", Text(logout["result"]));

        Assert.Null(host.Processor.SessionOf("agent1003"));
    }

    [Fact]
    public async Task TelephonyOff_FailsUnsupported_AndARetryIsAFinding()
    {
        await using var host = await TestWorld.StartAsync(o => o.World = o.World with { Capabilities = new HashSet<string>() });
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.StartSessionAsync();
        var target = client.SessionId + ".C1";
        var dial = new JsonObject { ["destination"] = "+15550199", ["extensions"] = new JsonObject() };
        Assert.Equal("Unsupported", Text((await client.SessionAsync("channel.dial", dial, target))["failure"]!["code"]));
        Assert.Equal("Unsupported", Text((await client.SessionAsync("channel.dial", (JsonObject)dial.DeepClone(), target))["failure"]!["code"]));
        Assert.Contains(host.Processor.Journals.All.Single().Findings, f => f.RuleId == "CTI-050");
    }

    [Fact]
    public async Task InboundCall_AnsweredWithConversationAnswer_EndsWhenTheCallerHangsUp()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.StartSessionAsync();
        var interaction = host.Processor.SessionOf("agent1001")!.Ring("5001", "+15550123", TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10));
        Assert.NotNull(interaction);
        var created = await client.ReceiveAsync("interaction.created");
        await client.ReceiveAsync("interaction.initialized");
        Assert.Equal(
            ["interaction.created", "state.updated", "conversation.created", "state.updated", "conversation.member.added", "conversation.initialized", "interaction.datachanged", "interaction.preview", "interaction.initialized"],
            Names(client.Received.Select(r => r.Message).SkipWhile(m => m != created)));
        var answer = await client.SessionAsync("conversation.answer", target: Text(created["target"]) + ".V" + interaction![1..]);
        Assert.Equal("success", Text(answer["result"]));
        await client.ReceiveAsync("interaction.ended");
        Assert.Empty(host.Processor.Journals.All.Single().Findings);
    }
}
