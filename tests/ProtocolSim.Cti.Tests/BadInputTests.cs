using System.Text.Json.Nodes;
using ProtocolSim.Cti.Transport;

namespace ProtocolSim.Cti.Tests;

/// <summary>Bad input never takes the processor down: it gets the documented answer or a clear error, and other sessions carry on.</summary>
public sealed class BadInputTests
{
    private static string? Text(JsonNode? node) => CtiTestClient.Text(node);

    [Fact]
    public async Task DuplicateMembersAndWrongTypes_GetErrors_AndTheConnectionStays()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.SendRawAsync(SocketFraming.Encode(1, "{\"messageType\":\"coreRequest\",\"messageType\":\"x\",\"requestId\":\"d\"}"u8, new SocketFramingOptions()));
        Assert.Equal("InvalidRequest", Text((await client.ReceiveAsync("coreError"))["error"]!["code"]));

        var odd = await client.RequestAsync(new JsonObject { ["messageType"] = "resourceRequest", ["resourceId"] = client.SessionId, ["command"] = "session.start", ["target"] = 5, ["data"] = new JsonArray() });
        Assert.Equal("InvalidRequest", Text(odd["failure"]!["code"]));
        var start = await client.SessionAsync("session.start");
        Assert.Equal("success", Text(start["result"]));
        var nested = await client.SessionAsync("session.addchannel", new JsonObject { ["channel"] = "chat-1001" });
        Assert.Equal("InvalidRequest", Text(nested["failure"]!["code"]));
        Assert.Equal("running", Text((await client.RequestAsync(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "getStatus" }))["data"]!["status"]));
    }

    [Fact]
    public async Task RandomBytes_NeverTakeTheProcessorDown_AndALaterDesktopLogsIn()
    {
        await using var host = await TestWorld.StartAsync();
        var random = new Random(20261121);
        for (var i = 0; i < 40; i++)
        {
            await using var noise = await CtiTestClient.ConnectAsync(host);
            var bytes = new byte[random.Next(1, 400)];
            random.NextBytes(bytes);
            if (i % 2 == 0)
            {
                // A valid header in front of random content, on a random index.
                bytes = SocketFraming.Encode((byte)random.Next(0, 3), bytes, new SocketFramingOptions());
            }

            try
            {
                await noise.SendRawAsync(bytes, byteAtATime: i % 5 == 0);
            }
            catch (IOException)
            {
                // The processor sent ERROR and closed before all the noise was written: as it should.
            }
        }

        using var http = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        for (var i = 0; i < 10; i++)
        {
            var body = new byte[random.Next(0, 200)];
            random.NextBytes(body);
            using var sessions = await http.PostAsync("/sessions", new ByteArrayContent(body));
            Assert.True((int)sessions.StatusCode < 500, $"/sessions answered {(int)sessions.StatusCode}");
        }

        await using var good = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        Assert.Equal("success", Text((await good.SessionAsync("session.start"))["result"]));
        Assert.DoesNotContain(host.Processor.Journals.All.SelectMany(j => j.Findings), f => f.Message.Contains("defect", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADesktopThatLeavesDuringLogout_IsAFinding_AndTheLogoutStillCompletes()
    {
        await using var host = await TestWorld.StartAsync(o => o.LogoutDelay = TimeSpan.FromSeconds(5));
        await using (var leaving = await (await CtiTestClient.ConnectAsync(host)).LogInAsync())
        {
            await leaving.StartSessionAsync();
            await leaving.SendAsync(1, new JsonObject { ["messageType"] = "resourceRequest", ["requestId"] = "bye", ["resourceId"] = leaving.SessionId, ["command"] = "session.logout", ["target"] = leaving.SessionId, ["data"] = new JsonObject() });
            var journal = host.Processor.Journals.All.Single();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!journal.Entries.Any(e => e.Summary.Contains("session.logout", StringComparison.Ordinal)))
            {
                await Task.Delay(10, patience.Token);
            }
        }

        // The agent logs in again at once: no session to confirm away, the first one finished logging out.
        await using var again = await (await CtiTestClient.ConnectAsync(host)).LogInAsync(clientId: "desk-2");
        Assert.NotNull(again.SessionId);
        Assert.Contains(host.Processor.Journals.All.SelectMany(j => j.Findings), f => f.RuleId == "CTI-036");
    }

    [Fact]
    public async Task DeactivateAll_LogsTheAgentOutOfEachChannel_AndRemovingInactiveChannelsSendsOnlyDisposed()
    {
        await using var host = await TestWorld.StartAsync(o => o.World = o.World with { Capabilities = new HashSet<string> { "Telephony", "Multimedia" } });
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.StartSessionAsync();
        await client.SessionAsync("session.addchannelgroup", CtiTestClient.Sales);
        var group = Text((await client.ReceiveAsync("channelgroup.initialized"))["target"])!;
        Assert.Equal("success", Text((await client.SessionAsync("channelgroup.request.activate", target: group))["result"]));
        var deactivated = await client.SessionAsync("channelgroup.request.deactivateall", target: group);
        Assert.Equal("success", Text(deactivated["result"]));
        var removed = await client.SessionAsync("session.removechannelgroup", new JsonObject { ["channel"] = new JsonObject { ["id"] = group.Split('.')[1] } });
        await client.ReceiveAsync("channelgroup.disposed");
        var afterRemoval = client.Since(removed).Select(m => Text(m["name"])).ToList();
        Assert.DoesNotContain("channel.infochanged", afterRemoval);
        Assert.Equal(3, afterRemoval.Count(n => n == "channel.disposed"));
    }

    [Fact]
    public async Task RemovingAGroupMemberOnItsOwn_IsRefused()
    {
        await using var host = await TestWorld.StartAsync();
        await using var client = await (await CtiTestClient.ConnectAsync(host)).LogInAsync();
        await client.StartSessionAsync();
        var added = await client.SessionAsync("session.addchannelgroup", CtiTestClient.Sales);
        await client.ReceiveAsync("channelgroup.initialized");
        var member = Text(client.Since(added).First(m => Text(m["name"]) == "channel.created")["data"]!["channel"]!["id"])!;
        var refused = await client.SessionAsync("session.removechannel", new JsonObject { ["channel"] = new JsonObject { ["id"] = member } });
        Assert.Equal("InvalidRequest", Text(refused["failure"]!["code"]));
        var group = Text(client.Since(added).First()["target"])!.Split('.')[1];
        Assert.Equal("success", Text((await client.SessionAsync("session.removechannelgroup", new JsonObject { ["channel"] = new JsonObject { ["id"] = group } }))["result"]));
    }
}
