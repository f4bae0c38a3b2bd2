using System.Net;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Tests.Rest;

public sealed class AdminMappingTests
{
    [Fact]
    public async Task Mapping_OverridesAnEndpoint_AndIsListedAndDeleted()
    {
        await using var host = await KnowlarityHost.StartAsync();
        await host.RegisterAsync();
        var (status, created) = await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """
            {"request":{"method":"POST","urlPath":"/Basic/v1/account/call/makecall","headers":{"x-api-key":{"matches":".+"}},
                        "bodyPatterns":[{"matchesJsonPath":"$.customer_number"},{"equalToJson":{"customer_number":"+919900000001"},"ignoreExtraElements":true}]},
             "response":{"status":200,"jsonBody":{"error":{"message":"Call Failed! stubbed"}},"headers":{"Content-Type":"application/json","X-Stub":"yes"}}}
            """);
        Assert.Equal(HttpStatusCode.Created, status);
        var id = created!["id"]!.GetValue<string>();

        var (callStatus, body) = await host.PostAsync("/call/makecall", new { k_number = "+918047250000", agent_number = "+919845000001", customer_number = "+919900000001" });
        Assert.Equal(HttpStatusCode.OK, callStatus);
        Assert.Equal("Call Failed! stubbed", body!["error"]!["message"]!.GetValue<string>());

        // Another body: not matched, the fake answers.
        (callStatus, body) = await host.PostAsync("/call/makecall", new { k_number = "+918047250000", agent_number = "+919845000001", customer_number = "+919900000004" });
        Assert.NotNull(body!["success"]);

        var (_, list) = await host.SendAsync(HttpMethod.Get, "/__admin/mappings");
        Assert.Equal(1, list!["meta"]!["total"]!.GetValue<int>());
        var (_, requests) = await host.SendAsync(HttpMethod.Get, "/__admin/requests");
        var served = requests!["requests"]!.AsArray().Where(r => r!["request"]!["url"]!.GetValue<string>().EndsWith("/makecall", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, served.Count);
        Assert.True(served[1]!["wasMatched"]!.GetValue<bool>());
        Assert.False(served[0]!["wasMatched"]!.GetValue<bool>());
        Assert.DoesNotContain(host.Options.Credentials.XApiKey, requests.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Delete, "/__admin/mappings/" + id)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await host.SendAsync(HttpMethod.Get, "/__admin/mappings/" + id)).Status);
    }

    [Fact]
    public async Task Mapping_PriorityAndQueryMatchers_ChooseTheRightStub()
    {
        await using var host = await KnowlarityHost.StartAsync();
        await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """{"priority":5,"request":{"method":"GET","urlPathPattern":"/Basic/v1/account/agent.*"},"response":{"status":200,"body":"general"}}""");
        await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """{"priority":1,"request":{"method":"GET","urlPath":"/Basic/v1/account/agent","queryParameters":{"page":{"equalTo":"2"}}},"response":{"status":404,"body":"specific"}}""");
        using var general = await host.Client.GetAsync("/Basic/v1/account/agent");
        Assert.Equal("general", await general.Content.ReadAsStringAsync());
        using var specific = await host.Client.GetAsync("/Basic/v1/account/agent?page=2");
        Assert.Equal(HttpStatusCode.NotFound, specific.StatusCode);
        Assert.Equal("specific", await specific.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Mapping_Invalid_Is422WithAPointer()
    {
        await using var host = await KnowlarityHost.StartAsync();
        var (status, body) = await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """{"request":{"urlPathPattern":"(["},"response":{"status":200}}""");
        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("/request/urlPathPattern", body!["errors"]![0]!["source"]!["pointer"]!.GetValue<string>());
        (status, _) = await host.SendAsync(HttpMethod.Post, "/__admin/mappings", "{not json");
        Assert.Equal((HttpStatusCode)422, status);
        (status, body) = await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """{"request":{},"response":{"fault":"SOMETIMES"}}""");
        Assert.Equal((HttpStatusCode)422, status);
        Assert.Equal("/response/fault", body!["errors"]![0]!["source"]!["pointer"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("EMPTY_RESPONSE")]
    [InlineData("CONNECTION_RESET_BY_PEER")]
    [InlineData("RANDOM_DATA_THEN_CLOSE")]
    [InlineData("MALFORMED_RESPONSE_CHUNK")]
    public async Task Mapping_Faults_BreakTheResponse(string fault)
    {
        await using var host = await KnowlarityHost.StartAsync();
        await host.SendAsync(HttpMethod.Post, "/__admin/mappings", new JsonObject { ["request"] = new JsonObject { ["urlPath"] = "/fault" }, ["response"] = new JsonObject { ["fault"] = fault } }.ToJsonString());
        using var client = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            using var response = await client.GetAsync("/fault");
            await response.Content.ReadAsByteArrayAsync();
        });

        // The fake serves on after a fault.
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/agent")).Status);
    }

    [Fact]
    public async Task Mapping_FixedDelay_DelaysTheAnswer()
    {
        await using var host = await KnowlarityHost.StartAsync();
        await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """{"request":{"urlPath":"/slow"},"response":{"status":200,"body":"late","fixedDelayMilliseconds":300}}""");
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var response = await host.Client.GetAsync("/slow");
        Assert.Equal("late", await response.Content.ReadAsStringAsync());
        Assert.True(started.ElapsedMilliseconds >= 290, $"answered after {started.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task Reset_ClearsMappingsAndJournal()
    {
        await using var host = await KnowlarityHost.StartAsync();
        await host.SendAsync(HttpMethod.Post, "/__admin/mappings", """{"request":{"urlPath":"/x"},"response":{"status":204}}""");
        await host.Client.GetAsync("/x");
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Post, "/__admin/reset")).Status);
        var (_, list) = await host.SendAsync(HttpMethod.Get, "/__admin/mappings");
        Assert.Empty(list!["mappings"]!.AsArray());
        var (_, requests) = await host.SendAsync(HttpMethod.Get, "/__admin/requests");
        Assert.Equal(0, requests!["meta"]!["total"]!.GetValue<int>());
    }
}
