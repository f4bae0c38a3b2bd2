using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ProtocolSim.Core;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Knowlarity.Tests.Rest;

public sealed class CallLifecycleTests
{
    private static object MakeCall(KnowlarityTestHost host, string customer, string? agent = null) =>
        new { k_number = host.Account.SrNumber, agent_number = agent ?? host.Account.AgentNumber, customer_number = customer };

    [Fact]
    public async Task MakeCall_Answered_StreamsEveryLegThenTheCdr_WithUuidEqualToCallId()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        await using var stream = await host.OpenStreamAsync();
        Assert.Equal("text/event-stream", stream.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("*", stream.Response.Headers.GetValues("Access-Control-Allow-Origin").Single());

        var (status, body) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000001"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Call successfully placed", body!["success"]!["message"]!.GetValue<string>());
        var callId = body["success"]!["call_id"]!.GetValue<string>();

        var events = await stream.UntilCdrAsync(callId);
        Assert.Equal(
            ["AGENT_CALL", "AGENT_ANSWER", "CUSTOMER_CALL", "CUSTOMER_ANSWER", "BRIDGE", "HANGUP", "HANGUP", "CDR"],
            events.Select(SseReader.Name).ToArray());
        Assert.All(events, e => Assert.Equal(callId, e["uuid"]!.GetValue<string>()));
        Assert.Null(events[0]["customer_number"]);
        Assert.True(events[0].ContainsKey("customer_number"));
        Assert.Equal(["agent", "customer"], events.Where(e => SseReader.Name(e) == "HANGUP").Select(e => e["leg_identifier"]!.GetValue<string>()).ToArray());
        Assert.All(events.Where(e => SseReader.Name(e) == "HANGUP"), e => Assert.NotNull(e["call_recording"]));
        var cdr = events[^1];
        Assert.Equal("Outgoing", cdr["Call_Type"]!.GetValue<string>());
        Assert.Equal("+0530", cdr["timezone_offset"]!.GetValue<string>());

        var (logStatus, log) = await host.GetAsync("/call/get-detailed-call-log?uuid=" + callId);
        Assert.Equal(HttpStatusCode.OK, logStatus);
        Assert.Equal(callId, log!["message"]!["unique_id"]!.GetValue<string>());
        Assert.Equal(900, log["message"]!["hangup_cause"]!.GetValue<int>());

        var today = DateTimeOffset.UtcNow.ToOffset(KnowlarityAccount.Ist);
        var (_, records) = await host.PostAsync("/sr/calllog", new { start_time__gt = today.AddDays(-1).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture), start_time__lt = today.AddDays(1).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains(records!["objects"]!.AsArray(), r => r!["uuid"]!.GetValue<string>() == callId);
        Assert.Empty(host.Findings("KRS-009"));
    }

    [Fact]
    public async Task MakeCall_AgentMisses_CustomerIsNeverCalled()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        await using var stream = await host.OpenStreamAsync();
        var (_, body) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000001", agent: "+919845000003"));
        var callId = body!["success"]!["call_id"]!.GetValue<string>();
        var events = await stream.UntilCdrAsync(callId);
        Assert.Equal(["AGENT_CALL", "HANGUP", "CDR"], events.Select(SseReader.Name).ToArray());
        Assert.Equal("Unanswered", events[^1]["business_call_type"]!.GetValue<string>());
        Assert.Null(events[^1]["resource_url"]);
    }

    [Fact]
    public async Task MakeCall_CustomerBusy_EndsBothLegs()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        await using var stream = await host.OpenStreamAsync();
        var (_, body) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000002"));
        var events = await stream.UntilCdrAsync(body!["success"]!["call_id"]!.GetValue<string>());
        Assert.Equal(["AGENT_CALL", "AGENT_ANSWER", "CUSTOMER_CALL", "HANGUP", "HANGUP", "CDR"], events.Select(SseReader.Name).ToArray());
    }

    [Fact]
    public async Task MakeCall_Failures_UseTheDocumentedErrorBodies()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        var (status, body) = await host.PostAsync("/call/makecall", MakeCall(host, "+919876543210"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("""{"error":{"message":"Call Failed! Number 9876543210 in Do Not Call registry."}}""", SseReader.Text(body!));

        (status, body) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000001", agent: "+919111111111"));
        Assert.Equal("Agent Number not register with SR account", body!["error"]!["message"]!.GetValue<string>());

        (status, body) = await host.PostAsync("/call/makecall", new { k_number = "+918099999999", agent_number = host.Account.AgentNumber, customer_number = "+919900000001" });
        Assert.Equal("Invalid API Key for this SR number", body!["error"]!["message"]!.GetValue<string>());

        (status, body) = await host.PostAsync("/call/makecall", new { k_number = host.Account.SrNumber, customer_number = "+919900000001" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-008"));

        (_, body) = await host.PostAsync("/call/makecall", MakeCall(host, "9900000001"));
        Assert.NotNull(body!["success"]);
        Assert.Single(host.Findings("KRS-006"));
    }

    [Fact]
    public async Task MakeCall_BeforeRegistering_IsRefusedAndRecorded_OrOnlyRecordedWhenAllowed()
    {
        await using (var lenient = await KnowlarityTestHost.StartAsync(o => o.RequireNotificationRegistration = false))
        {
            var (served, _) = await lenient.PostAsync("/call/makecall", MakeCall(lenient, "+919900000001"));
            Assert.Equal(HttpStatusCode.OK, served);
            Assert.Single(lenient.Findings("KRS-009"));
        }

        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000001"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("SR number is not registered for notifications", body!["error"]!["message"]!.GetValue<string>());
        Assert.Single(host.Findings("KRS-009"));

        // Registered, then disabled: still not allowed.
        await host.RegisterAsync();
        var (_, disabled) = await host.PutAsync("/notifications", new { knowlarity_number = host.Account.SrNumber, enable = "disable" });
        Assert.Equal("Successfully disabled.", disabled!["message"]!.GetValue<string>());
        (status, _) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000001"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var (_, enabled) = await host.PutAsync("/notifications", new { knowlarity_number = host.Account.SrNumber, enable = "enable" });
        Assert.Equal("Successfully enabled.", enabled!["message"]!.GetValue<string>());
        (status, _) = await host.PostAsync("/call/makecall", MakeCall(host, "+919900000001"));
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task Notifications_RegisterWithAString_IsTheDocumentedError()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.PostAsync("/notifications", new { knowlarity_number = host.Account.SrNumber });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal($"The knowlarity number({host.Account.SrNumber}) or API key is invalid.", body!["error"]!["knowlarity_number"]!.GetValue<string>());
        Assert.Single(host.Findings("KRS-029"));
    }

    [Fact]
    public async Task Whatsapp_PermissionFlow_RefusesUntilGranted_AndRecordsAnEarlyRetry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await KnowlarityTestHost.StartAsync(o => o.PermissionGrantAfter = TimeSpan.FromSeconds(30), time);
        await host.RegisterAsync();
        var call = new { k_number = host.Account.SrNumber, agent_number = host.Account.AgentNumber, customer_number = "+919900000007", channel = "Whatsapp", call_permission_request = "true" };
        var (status, body) = await host.PostAsync("/call/makecall", call);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Sent call permission request to customer. Please try calling after sometime", body!["error"]!["message"]!.GetValue<string>());
        time.Advance(TimeSpan.FromSeconds(2));
        (status, _) = await host.PostAsync("/call/makecall", call);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-012"));
        time.Advance(TimeSpan.FromSeconds(30));
        (status, body) = await host.PostAsync("/call/makecall", call);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull(body!["success"]!["call_id"]);

        // call_permission_request as a JSON boolean instead of the documented string.
        (_, _) = await host.PostAsync("/call/makecall", new { k_number = host.Account.SrNumber, agent_number = host.Account.AgentNumber, customer_number = "+919900000001", channel = "Whatsapp", call_permission_request = true });
        Assert.Single(host.Findings("KRS-010"));
    }

    [Fact]
    public async Task OtpCall_NeedsEncodedE164_AndReturnsACallId()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.GetAsync($"/otpcall?ivr_id=1000000001&k_number=%2B918047250000&customer_number=%2B919900000001&channel=Whatsapp&call_permission_request=false");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("initiated", body!["success"]!["status"]!.GetValue<string>());
        Assert.True(Guid.TryParse(body["success"]!["call_id"]!.GetValue<string>(), out _));

        (status, _) = await host.GetAsync("/otpcall?ivr_id=1000000001&k_number=+918047250000&customer_number=%2B919900000001");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-007"));

        (status, body) = await host.GetAsync("/otpcall?ivr_id=1&k_number=%2B918047250000&customer_number=%2B919900000008&channel=Whatsapp&call_permission_request=false");
        Assert.Equal("Not allowed to send call permission request.", body!["error"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task InboundCall_FromTheAdminApi_FansOutToEverySubscriber()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        await using var first = await host.OpenStreamAsync();
        await using var second = await host.OpenStreamAsync();
        var (status, body) = await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/inbound-call", new { customer_number = "+919900000006" });
        Assert.Equal(HttpStatusCode.Created, status);
        var uuid = body!["uuid"]!.GetValue<string>();
        string[] expected = ["ORIGINATE", "AGENT_CALL", "AGENT_ANSWER", "BRIDGE", "HANGUP", "HANGUP", "CDR"];
        Assert.Equal(expected, (await first.UntilCdrAsync(uuid)).Select(SseReader.Name).ToArray());
        var events = await second.UntilCdrAsync(uuid);
        Assert.Equal(expected, events.Select(SseReader.Name).ToArray());
        Assert.Equal("Inbound", events[0]["call_direction"]!.GetValue<string>());
        Assert.Equal("Incoming", events[^1]["Call_Type"]!.GetValue<string>());

        (_, body) = await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/inbound-call", new { customer_number = "+919900000006", answered = false });
        Assert.Equal(["ORIGINATE", "HANGUP", "CDR"], (await first.UntilCdrAsync(body!["uuid"]!.GetValue<string>())).Select(SseReader.Name).ToArray());
    }

    [Fact]
    public async Task Stream_UnregisteredNumber_GetsNoEvents()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await using var stream = await host.OpenStreamAsync();
        var ended = new TaskCompletionSource();
        host.Api.Calls.EventPublished += (_, e) =>
        {
            if (e["type"]?.GetValue<string>() == "CDR")
            {
                ended.TrySetResult();
            }
        };
        await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/inbound-call", new { customer_number = "+919900000006", answered = false });
        await ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(await stream.NextAsync(TimeSpan.FromMilliseconds(300)));
    }

    [Fact]
    public async Task Stream_WrongKey_IsA401PlainText()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await using var stream = await host.OpenStreamAsync("wrong");
        Assert.Equal(HttpStatusCode.Unauthorized, stream.Response.StatusCode);
        Assert.Equal("text/plain", stream.Response.Content.Headers.ContentType!.MediaType);
    }

    [Fact]
    public async Task Stream_DropFromAdmin_EndsEveryStream_AndKeepAliveCommentsFlow()
    {
        await using var host = await KnowlarityTestHost.StartAsync(o => o.KeepAlive = TimeSpan.FromMilliseconds(50));
        await using var stream = await host.OpenStreamAsync();
        var hub = host.App.Services.GetRequiredService<NotificationHub>();
        await WaitUntilAsync(() => hub.Count == 1);
        await WaitUntilAsync(() => hub.Subscribers.Single().Journal.Entries.Any(e => e.Summary == "keep-alive comment"));
        var (status, body) = await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/notifications/drop", new { mode = "close" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, body!["dropped"]!.GetValue<int>());
        Assert.Null(await stream.NextAsync());
        Assert.NotEmpty(stream.Comments);
        await WaitUntilAsync(() => hub.Count == 0);
    }

    [Fact]
    public async Task Stream_DropAfterEvents_ClosesAfterTheLimit()
    {
        await using var host = await KnowlarityTestHost.StartAsync(o => o.DropAfterEvents = 2);
        await host.RegisterAsync();
        await using var stream = await host.OpenStreamAsync();
        await host.PostAsync("/call/makecall", new { k_number = host.Account.SrNumber, agent_number = host.Account.AgentNumber, customer_number = "+919900000001" });
        Assert.NotNull(await stream.NextAsync());
        Assert.NotNull(await stream.NextAsync());
        Assert.Null(await stream.NextAsync());
    }

    [Fact]
    public async Task Stream_ClientClose_IsJournaledWhenItArrives_WhileTheHandlerIsHeld()
    {
        // Wire time (issue 17): the stream's handler is held in the middle of its keep-alive write; the client's close
        // is journaled while it is held (when Kestrel sees it), not when the handler gets round to it. Before the
        // change the close entry was appended only after the handler unwound: here, never within the 10 s.
        await using var host = await KnowlarityTestHost.StartAsync(o => o.KeepAlive = TimeSpan.FromMilliseconds(50));
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource<SessionJournal>(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = new TaskCompletionSource<JournalEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        host.App.Services.GetRequiredService<NotificationStreamEndpoint>().Opened += journal => journal.Appended += (_, entry, _) =>
        {
            if (entry is { Direction: Direction.FromClient, Kind: FrameKind.Close })
            {
                closed.TrySetResult(entry);
            }
            else if (entry?.Summary == "keep-alive comment" && held.TrySetResult(journal))
            {
                release.Wait(TimeSpan.FromSeconds(30));
            }
        };

        await using var stream = await host.OpenStreamAsync();
        SessionJournal journal;
        JournalEntry close;
        try
        {
            journal = await held.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await stream.DisposeAsync();
            close = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            release.Set();
        }

        Assert.Equal("client closed the stream after 0 event(s)", close.Summary);
        await WaitUntilAsync(() => journal.EndedAt is not null);
        Assert.Single(journal.Entries, e => e.Kind == FrameKind.Close);
    }

    [Fact]
    public async Task State_ResetAndLoad_FromTheAdminApi()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.PostAsync("/contacts/phonebook", new { phonebookname = "x", numbers = "+919900000001" });
        Assert.Equal(2, (await host.GetAsync("/contacts/phonebook")).Body!["meta"]!["total_count"]!.GetValue<int>());
        var (status, _) = await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/state/reset");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, (await host.GetAsync("/contacts/phonebook")).Body!["meta"]!["total_count"]!.GetValue<int>());

        (status, var errors) = await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/state", new { account = new { channel = "Basic" } });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.True(errors!["errors"]!.AsArray().Count > 3);

        var (_, state) = await host.SendAsync(HttpMethod.Get, "/__admin/knowlarity/state");
        state!["phonebooks"] = new JsonArray();
        (status, _) = await host.SendAsync(HttpMethod.Post, "/__admin/knowlarity/state", state.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, (await host.GetAsync("/contacts/phonebook")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    internal static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
