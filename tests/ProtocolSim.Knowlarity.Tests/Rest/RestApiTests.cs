using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Knowlarity.Tests.Rest;

public sealed class RestApiTests
{
    [Fact]
    public async Task Auth_MissingAccessKey_IsForbiddenAtTheGateway()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        host.Client.DefaultRequestHeaders.Remove("x-api-key");
        var (status, body) = await host.GetAsync("/numbers");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("""{"message":"Forbidden"}""", SseReader.Text(body!));
        Assert.Single(host.Findings("KRS-001"));
    }

    [Fact]
    public async Task Auth_WrongSrKey_GetsEachEndpointsDocumentedBody()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        host.Client.DefaultRequestHeaders.Remove("Authorization");
        host.Client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "not-the-key");

        var (status, body) = await host.GetAsync("/plans");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("""{"error":"The SR API Key used to authenticate is incorrect."}""", SseReader.Text(body!));

        (status, body) = await host.GetAsync("/numbers/Circle");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("""{"message":"The SR API Key used to authenticate is incorrect."}""", SseReader.Text(body!));

        (status, body) = await host.PutAsync("/notifications", new { knowlarity_number = host.Account.SrNumber, enable = "enable" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Client name, authorization or knowlarity number is wrong.", body!["message"]!.GetValue<string>());

        (status, body) = await host.PostAsync("/call/makecall", new { k_number = host.Account.SrNumber, agent_number = host.Account.AgentNumber, customer_number = "+919900000001" });
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Invalid API Key for this SR number", body!["error"]!["message"]!.GetValue<string>());
        Assert.Equal(4, host.Findings("KRS-002").Count);
    }

    [Fact]
    public async Task Auth_SwappedKeys_AreRecordedAgainstBothRules()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        host.Client.DefaultRequestHeaders.Remove("x-api-key");
        host.Client.DefaultRequestHeaders.Remove("Authorization");
        host.Client.DefaultRequestHeaders.Add("x-api-key", host.Options.Credentials.SrApiKey);
        host.Client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", host.Options.Credentials.XApiKey);
        var (status, _) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("swapped", host.Findings("KRS-001").Single().Actual);
        Assert.Single(host.Findings("KRS-002"));
    }

    [Fact]
    public async Task Journal_MasksBothKeys()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.GetAsync("/agent");
        var entry = host.Api.Journals.Single().Entries[0];
        var headers = entry.Text!;
        Assert.StartsWith("GET /Basic/v1/account/agent HTTP/1.1\r\n", headers);
        Assert.DoesNotContain(host.Options.Credentials.XApiKey, headers);
        Assert.DoesNotContain(host.Options.Credentials.SrApiKey, headers);
        Assert.Contains("***", headers);
    }

    [Fact]
    public async Task Journal_KeepsTheRawRequest_NamesLowerCase_BodyAsText()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        using (var request = new HttpRequestMessage(HttpMethod.Post, host.Path("/contacts/phonebook")))
        {
            request.Headers.TryAddWithoutValidation("X-Trace-Id", "Trace 42");
            request.Content = new StringContent("{\"name\":\"Renée\"}", System.Text.Encoding.UTF8, "application/json");
            using var _ = await host.Client.SendAsync(request);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Post, host.Path("/contacts/phonebook")))
        {
            request.Content = new ByteArrayContent([(byte)'{', 0xC3, 0x28, (byte)'}']);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var _ = await host.Client.SendAsync(request);
        }

        var requests = host.Api.Journals.Single().Entries.Where(e => e.Direction == ProtocolSim.Core.Direction.FromClient).ToList();
        var first = requests[0].Text!;
        Assert.StartsWith("POST /Basic/v1/account/contacts/phonebook HTTP/1.1\r\n", first);
        Assert.Contains("\r\nx-trace-id: Trace 42\r\n", first);
        Assert.Contains("\r\ncontent-type: application/json; charset=utf-8\r\n", first);
        Assert.EndsWith("\r\n\r\n{\"name\":\"Renée\"}", first);
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("{\"name\":\"Renée\"}"), requests[0].Length);

        // A body that is not UTF-8 is kept as the text a reader decodes (the wire length stays the body's).
        Assert.EndsWith("\r\n\r\n{\uFFFD(}", requests[1].Text!);
        Assert.Equal(4, requests[1].Length);
    }

    [Fact]
    public async Task Paths_TrailingSlashChannelAndPlansWithoutV1_AreAccepted()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/contacts/phonebook/")).Status);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, "/Basic/account/plans")).Status);
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Get, "/Premium/v1/account/agent")).Status);
        Assert.Single(host.Findings("KRS-003"));
    }

    [Fact]
    public async Task UnknownPathAndMethod_GetJsonErrors()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.GetAsync("/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.NotNull(body!["message"]);
        (status, body) = await host.SendAsync(HttpMethod.Delete, host.Path("/numbers"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Contains("GET, POST", body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task BadBodies_GetTheDocumentedErrorAndAreRecorded()
    {
        await using var host = await KnowlarityTestHost.StartAsync(o => o.MaxBodyBytes = 4096);
        var (status, body) = await host.SendAsync(HttpMethod.Post, host.Path("/contacts/phonebook"), "{\"phonebookname\": \"x\", numbers: }");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("You have provided incorrect input. For more information contact support.", body!["message"]!.GetValue<string>());
        Assert.Single(host.Findings("KRS-004"));

        (status, body) = await host.SendAsync(HttpMethod.Post, host.Path("/contacts/phonebook"), new string('x', 10_000));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.NotNull(body!["message"]);

        // Wrong types: a number where the document wants a string of numbers.
        (status, _) = await host.PostAsync("/contacts/phonebook", new { phonebookname = "p", numbers = 42 });
        Assert.Equal(HttpStatusCode.BadRequest, status);

        // The store is untouched by the refused requests.
        var list = await host.GetAsync("/contacts/phonebook");
        Assert.Equal(1, list.Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task JsonUnderTextPlain_IsServedAndRecordedAgainstKrs005()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.SendAsync(HttpMethod.Post, host.Path("/contacts/phonebook/"), """{"phonebookname":"leads","numbers":"+919900000001;+919900000002"}""", "text/plain");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"msg":["Successfully added phonebook"],"id":2}""", SseReader.Text(body!));
        Assert.Single(host.Findings("KRS-005"));
    }

    [Fact]
    public async Task BuyNumber_FromAvailableNumbers_IsListedAfterwards()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var circles = await host.GetAsync("/numbers/Circle?country=India");
        var karnataka = circles.Body!.AsArray().Single(c => c!["city"]!.GetValue<string>() == "Karnataka")!["id"]!.GetValue<int>();
        var available = await host.GetAsync($"/numbers/AvailablePhoneNumbers?circle_id={karnataka}&pattern=%5E%2B9180472590");
        var number = available.Body!["numbers"]!.AsArray().Single()!["number"]!.GetValue<string>();
        Assert.Equal("+918047259069", number);

        var expiry = DateTimeOffset.UtcNow.AddMonths(6).ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var (status, body) = await host.PostAsync("/numbers", new { user_plan_id = 407890, expiry_time = expiry, number });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"message":"Your provided number has been allocated to you Successfully","Number":"+918047259069"}""", SseReader.Text(body!));

        var listed = await host.GetAsync("/numbers?number=%2B918047259069");
        Assert.Equal(1, listed.Body!["meta"]!["total_count"]!.GetValue<int>());
        Assert.False(listed.Body["objects"]![0]!.AsObject().ContainsKey("_user_plan_id"));

        // Bought once: no longer offered, a second purchase is refused.
        (status, _) = await host.PostAsync("/numbers", new { user_plan_id = 407890, expiry_time = expiry, number });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-024"));
    }

    [Fact]
    public async Task AvailableNumbers_WithoutInput_AndUnknownCountry_GetTheDocumentedMessages()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.GetAsync("/numbers/AvailablePhoneNumbers");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Provide some input. For more information contact support.", body!["message"]!.GetValue<string>());
        Assert.Single(host.Findings("KRS-025"));
        (status, body) = await host.GetAsync("/numbers/Circle?country=Atlantis");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("You have provided invalid country name. For more information contact support.", body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Envelope_PagesWithLimitAndOffset()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var first = await host.GetAsync("/numbers?limit=2");
        var meta = first.Body!["meta"]!;
        Assert.Equal(3, meta["total_count"]!.GetValue<int>());
        Assert.Equal(2, first.Body["objects"]!.AsArray().Count);
        Assert.Equal("/Basic/v1/account/numbers?limit=2&offset=2", meta["next"]!.GetValue<string>());
        Assert.Equal("", meta["previous"]!.GetValue<string>());
        var second = await host.SendAsync(HttpMethod.Get, meta["next"]!.GetValue<string>());
        Assert.Single(second.Body!["objects"]!.AsArray());
        Assert.Equal("", second.Body["meta"]!["next"]!.GetValue<string>());

        var tasks = await host.GetAsync("/tasks");
        Assert.Equal("2", tasks.Body!["meta"]!["total_count"]!.GetValue<string>());
        Assert.Equal("0", tasks.Body["meta"]!["offset"]!.GetValue<string>());

        var registrations = await host.GetAsync("/notifications");
        Assert.Equal(20, registrations.Body!["meta"]!["limit"]!.GetValue<int>());
        Assert.Null(registrations.Body["meta"]!["next"]);

        var agents = await host.GetAsync("/agent");
        Assert.IsType<JsonArray>(agents.Body);
        Assert.DoesNotContain("_phone_number", SseReader.Text(agents.Body!));
    }

    [Fact]
    public async Task Campaign_CreatePauseAndAddNumbers_ChangesTheStore()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.PostAsync("/call/campaign", new
        {
            sound_id = 1,
            timezone = "Asia/Kolkata",
            priority = 5,
            start_time = "2026-12-01 10:00",
            call_scheduling = "[1, 1, 1, 1, 1, 0, 0]",
            k_number = host.Account.SrNumber,
            additional_number = "+919900000001;+919900000004",
        });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("""{"order_id":172,"result":"placed order successfully","status_code":1}""", SseReader.Text(body!));

        (status, body) = await host.PutAsync("/call/campaign/172", new { status = "pause" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Campaign paused successfully!", body!["message"]!.GetValue<string>());
        var listed = await host.GetAsync("/call/campaign?order_id=172");
        Assert.Equal("Paused", listed.Body!["objects"]![0]!["order_status"]!.GetValue<string>());
        Assert.Equal("[1, 1, 1, 1, 1, 0, 0]", listed.Body["objects"]![0]!["call_scheduling"]!.GetValue<string>());

        (status, _) = await host.PostAsync("/call/campaign/add-numbers", new { order_id = 172, phone_numbers = "+919900000005" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-021"));

        (status, _) = await host.PutAsync("/call/campaign/172", new { status = "resume" });
        Assert.Equal(HttpStatusCode.OK, status);
        (status, body) = await host.PostAsync("/call/campaign/add-numbers", new { order_id = 172, phone_numbers = "+919900000005;+919876543210" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("1", body!["dnd_count"]!.GetValue<string>());
        Assert.Single(body["sivr_call_ids"]!.AsArray());

        (status, _) = await host.PutAsync("/call/campaign/172", new { status = "halt" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-020"));
    }

    [Fact]
    public async Task CreateOrder_MissingAdditionalNumberOrBadValues_IsRefusedWithTheRule()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, _) = await host.PostAsync("/call-center/create_order/", new { ivr_id = "1000000001", timezone = "Asia/Kolkata", start_time = "2026-12-01 10:00", k_number = host.Account.SrNumber, Ivr_disp_num = host.Account.SrNumber });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("additional_number", host.Findings("KRS-015").Single().Message);

        (status, _) = await host.PostAsync("/call-center/create_order/", new { ivr_id = "1000000001", timezone = "Asia/Kolkata", start_time = "2026-12-0110:00", k_number = host.Account.SrNumber, Ivr_disp_num = host.Account.SrNumber, additional_number = "+919900000001" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-018"));

        (status, _) = await host.PostAsync("/call-center/create_order/", new { sound_id = 2, timezone = "Asia/Kolkata", start_time = "2026-12-01 10:00", k_number = host.Account.SrNumber, Ivr_disp_num = host.Account.SrNumber, additional_number = "+919900000001" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Single(host.Findings("KRS-023"));

        (status, var body) = await host.PostAsync("/call-center/create_order/", new { ivr_id = "1000000001", timezone = "Asia/Kolkata", start_time = "2026-12-01 10:00", k_number = host.Account.SrNumber, Ivr_disp_num = host.Account.SrNumber, additional_number = "+919900000001", is_transactional = "yes", order_throttling = 3 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("placed order successfully", body!["result"]!.GetValue<string>());
        Assert.Single(host.Findings("KRS-030"));
    }

    [Fact]
    public async Task Sound_Upload_IsPendingThenApprovedAfterReview()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-21T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var host = await KnowlarityTestHost.StartAsync(o => o.SoundReviewAfter = TimeSpan.FromMinutes(10), time);
        var (status, body) = await host.PostAsync("/sound", new { soundname = "welcome-2", soundfile = "https://files.example.com/welcome-2.wav" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("0", body!["status"]!.GetValue<string>());
        var id = body["id"]!.GetValue<int>().ToString(System.Globalization.CultureInfo.InvariantCulture);
        string StatusOf(JsonNode list) => list["objects"]!.AsArray().Single(s => s!["id"]!.GetValue<string>() == id)!["status"]!.GetValue<string>();
        Assert.Equal("0", StatusOf((await host.GetAsync("/sound")).Body!));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal("1", StatusOf((await host.GetAsync("/sound")).Body!));

        (status, _) = await host.PostAsync("/sound", new { soundname = "x", soundfile = "file:///tmp/x.mp3" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task SrCallLog_LimitsRangeAndCursorPaging()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.PostAsync("/sr/calllog", new { start_time__gt = "2026-08-01 00:00:00", start_time__lt = "2026-10-31 00:00:00", limit = 201 });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, body) = await host.PostAsync("/sr/calllog", new { start_time__gt = "2026-06-01 00:00:00", start_time__lt = "2026-10-31 00:00:00" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(2, host.Findings("KRS-026").Count);

        var seen = new List<string>();
        object request = new { start_time__gt = "2026-08-01 00:00:00", start_time__lt = "2026-10-31 00:00:00", limit = 7, get_total = true };
        int? total = null;
        while (true)
        {
            (status, body) = await host.PostAsync("/sr/calllog", request);
            Assert.Equal(HttpStatusCode.OK, status);
            total ??= body!["meta"]!["total_count"]!.GetValue<int>();
            seen.AddRange(body!["objects"]!.AsArray().Select(o => o!["uuid"]!.GetValue<string>()));
            var next = body["meta"]!["next"]!.GetValue<string>();
            if (next.Length == 0)
            {
                break;
            }

            Assert.StartsWith("forward##", next);
            request = new { start_time__gt = "2026-08-01 00:00:00", start_time__lt = "2026-10-31 00:00:00", limit = 7, get_total = true, next };
        }

        Assert.True(total > 7);
        Assert.Equal(total, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());

        // A cursor belongs to its query.
        (status, _) = await host.PostAsync("/sr/calllog", new { start_time__gt = "2026-08-01 00:00:00", start_time__lt = "2026-10-31 00:00:00", agent_number = "+919845000001", next = "forward##0000##x__y" });
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Openapi_ListsEveryRoute()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (status, body) = await host.SendAsync(HttpMethod.Get, "/openapi.json");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("3.0.3", body!["openapi"]!.GetValue<string>());
        var paths = body["paths"]!.AsObject();
        foreach (var route in RestRoutes.All)
        {
            Assert.NotNull(paths["/{channel}/v1/account" + route.Template]![route.Method.ToLowerInvariant()]);
        }

        Assert.NotNull(paths["/update-stream/{SR_API_KEY}/konnect"]);
        Assert.NotNull(paths["/__admin/mappings"]!["post"]);
    }

    [Fact]
    public void Fixture_Invalid_ReportsEveryErrorWithItsPath()
    {
        var (fixture, errors) = AccountFixture.Parse("""{"account":{"channel":"Basic","srNumber":"8047250000","country":"India"},"plans":[{}],"numbers":[],"circles":{},"availableNumbers":[],"agents":[],"phonebooks":[],"sounds":[],"campaigns":[],"tasks":[],"notifications":[],"callLog":[],"behaviours":{"+919900000001":"sometimes"}}""", "test.json");
        Assert.Null(fixture);
        Assert.Contains(errors, e => e.Contains("$.account.srNumber", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("$.plans[0]", StringComparison.Ordinal) && e.Contains("userplan_id", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("$.circles", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("sometimes", StringComparison.Ordinal));
    }
}
