using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Knowlarity.Rest.Stubbing;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Settings;

namespace ProtocolSim.Knowlarity.Tests.Rest;

/// <summary>The REST fake on WireMock.Net: user stubs win, the built-in behaviour answers the rest, everything is logged and journaled.</summary>
public sealed class StubbingTests
{
    private static readonly string BuiltIn = BuiltInBehaviour.MappingGuid.ToString();

    [Fact]
    public async Task BuiltInAnswers_AreInWireMockNetsLog_WithTheKeysMasked()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        Assert.True(host.App.FastPath, "WireMock.Net's request log was not found: a WireMock.Net upgrade changed it (RequestLogFeed)");
        var (status, _) = await host.GetAsync("/agent?page=1");
        Assert.Equal(HttpStatusCode.OK, status);

        var (_, log) = await host.SendAsync(HttpMethod.Get, "/__admin/requests");
        var entry = Assert.Single(log!.AsArray());
        Assert.Equal(BuiltIn, entry!["MappingGuid"]!.GetValue<string>());
        Assert.Equal("/Basic/v1/account/agent", entry["Request"]!["Path"]!.GetValue<string>());
        Assert.Equal(200, entry["Response"]!["StatusCode"]!.GetValue<int>());
        Assert.DoesNotContain(host.Options.Credentials.XApiKey, log.ToJsonString());
        Assert.DoesNotContain(host.Options.Credentials.SrApiKey, log.ToJsonString());

        // requests/find is WireMock.Net's, over the same log.
        var (_, found) = await host.SendAsync(HttpMethod.Post, "/__admin/requests/find", """{"Path":{"Matchers":[{"Name":"WildcardMatcher","Pattern":"*/agent"}]},"Methods":["GET"],"Params":[{"Name":"page","Matchers":[{"Name":"ExactMatcher","Pattern":"1"}]}]}""");
        Assert.Single(found!.AsArray());
    }

    [Fact]
    public async Task FluentStub_Wins_TheRestIsBuiltIn_AndBothAreJournaledWithTheRulesBroken()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        host.App.WireMock.Given(Request.Create().UsingPost().WithPath("/Basic/v1/account/call/makecall"))
            .RespondWith(Response.Create().WithStatusCode(200).WithBodyAsJson(new { error = new { message = "Call Failed! stubbed" } }));

        // Without x-api-key: the stub answers, and the journal still judges the request (KRS-001).
        using var bare = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var stubbed = await bare.PostAsync("/Basic/v1/account/call/makecall", new StringContent("""{"customer_number":"+919900000001"}""", Encoding.UTF8, "application/json"));
        Assert.Contains("Call Failed! stubbed", await stubbed.Content.ReadAsStringAsync());
        var finding = Assert.Single(host.Findings("KRS-001"));
        var journal = host.Api.Journals.Single(j => j.FindingsFor("KRS-001").Count > 0);
        Assert.Contains(journal.Entries, e => e.Seq > finding.EntrySeq && e.Summary.Contains("by stub", StringComparison.Ordinal));

        // No stub for /agent: the built-in behaviour answers through WireMock.Net's matcher.
        var (status, agents) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.IsType<JsonArray>(agents);

        var entries = host.App.LogEntries;
        Assert.Equal(2, entries.Count);
        Assert.NotEqual(BuiltInBehaviour.MappingGuid, entries[0].MappingGuid);
        Assert.Equal(BuiltInBehaviour.MappingGuid, entries[1].MappingGuid);
    }

    [Fact]
    public async Task WhileStubsExist_WhatNoStubMatches_StaysOffWireMockNetsMiddleware_AndScenariosAreAskedInTheirState()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        var wm = host.App.WireMock;
        wm.Given(Request.Create().UsingPost().WithPath("/Basic/v1/account/call/makecall").WithBody(new JsonPartialMatcher("""{"customer_number":"+919900000009"}""")))
            .RespondWith(Response.Create().WithStatusCode(429).WithBody("""{"message":"stubbed"}"""));
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/plans")).InScenario("plans").WhenStateIs("closed")
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("""{"message":"closed"}"""));
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/close")).InScenario("plans").WillSetStateTo("closed")
            .RespondWith(Response.Create().WithBody("ok"));

        var (status, _) = await host.PostAsync("/call/makecall", new { k_number = "+918047250000", agent_number = "+919845000001", customer_number = "+919900000009" });
        Assert.Equal((HttpStatusCode)429, status);
        (status, var call) = await host.PostAsync("/call/makecall", new { k_number = "+918047250000", agent_number = "+919845000001", customer_number = "+919900000004" });
        Assert.True(call?["success"] is not null, call?.ToJsonString());
        (status, _) = await host.GetAsync("/plans");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ok", await host.Client.GetStringAsync("/Basic/v1/account/close"));
        (status, _) = await host.GetAsync("/plans");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);

        // In the log, in order: the registration (no stub yet), stub, built-in (answered before WireMock.Net's middleware), built-in, stub, stub.
        var entries = host.App.LogEntries;
        // (WireMock.Net's own entries carry its match result; those of the built-in behaviour's direct answers do not.)
        Assert.Equal(["direct", "stubbed", "direct", "direct", "stubbed", "stubbed"], entries.Select(e => e.RequestMatchResult is null ? "direct" : "stubbed"));
        Assert.All(entries.Where(e => e.RequestMatchResult is null), e => Assert.Equal(BuiltInBehaviour.MappingGuid, e.MappingGuid));
    }

    [Fact]
    public async Task AdminJsonStub_ThenReset_BringsTheBuiltInBehaviourBack()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var (created, _) = await host.SendAsync(HttpMethod.Post, "/__admin/mappings",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/Basic/v1/account/agent"}]},"Methods":["GET"]},"Response":{"StatusCode":503,"BodyAsJson":{"message":"maintenance"}}}""");
        Assert.Equal(HttpStatusCode.Created, created);
        var (status, body) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("maintenance", body!["message"]!.GetValue<string>());

        var (_, mappings) = await host.SendAsync(HttpMethod.Get, "/__admin/mappings");
        Assert.True(mappings is JsonArray array && array.Any(m => m!["Guid"]?.GetValue<string>() == BuiltIn), mappings?.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(HttpMethod.Post, "/__admin/reset")).Status);
        (status, body) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.IsType<JsonArray>(body);
        Assert.True(host.App.WireMock.Mappings.Any(m => m.Guid == BuiltInBehaviour.MappingGuid), "the built-in mapping is back after the reset");

        // A stub added after the reset still wins; what it does not match is still the fake's.
        await host.SendAsync(HttpMethod.Post, "/__admin/mappings",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/Basic/v1/account/plans"}]}},"Response":{"StatusCode":200,"Body":"stub"}}""");
        (status, body) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.IsType<JsonArray>(body);
    }

    [Fact]
    public async Task Scenario_Templating_Delay_AndFault()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        var wm = host.App.WireMock;
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/call/queued")).InScenario("queue").WillSetStateTo("second")
            .RespondWith(Response.Create().WithBody("first"));
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/call/queued")).InScenario("queue").WhenStateIs("second")
            .RespondWith(Response.Create().WithBody("second"));
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/echo")).RespondWith(Response.Create().WithBody("{{request.path}} {{request.query.q}}").WithTransformer());
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/slow")).RespondWith(Response.Create().WithBody("late").WithDelay(150));
        wm.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/broken")).RespondWith(Response.Create().WithFault(FaultType.EMPTY_RESPONSE));

        Assert.Equal("first", await host.Client.GetStringAsync("/Basic/v1/account/call/queued"));
        Assert.Equal("second", await host.Client.GetStringAsync("/Basic/v1/account/call/queued"));
        Assert.Equal("/Basic/v1/account/echo 7", await host.Client.GetStringAsync("/Basic/v1/account/echo?q=7"));
        var clock = Stopwatch.StartNew();
        Assert.Equal("late", await host.Client.GetStringAsync("/Basic/v1/account/slow"));
        Assert.True(clock.ElapsedMilliseconds >= 140, $"the 150 ms delay answered after {clock.ElapsedMilliseconds} ms");
        using var broken = await host.Client.GetAsync("/Basic/v1/account/broken");
        Assert.Empty(await broken.Content.ReadAsByteArrayAsync());
        Assert.Contains(host.Api.Journals.SelectMany(j => j.Entries), e => e.Summary.Contains("with fault EMPTY_RESPONSE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unmatched_AndNearMisses_AreListed()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        host.App.WireMock.Given(Request.Create().UsingPost().WithPath("/hooks/cdr").WithHeader("X-Trace", "1")).WithTitle("cdr hook")
            .RespondWith(Response.Create().WithStatusCode(204));
        using var request = new StringContent("{}", Encoding.UTF8, "application/json");
        using var missed = await host.Client.PostAsync("/hooks/cdr", request);
        Assert.Equal(HttpStatusCode.NotFound, missed.StatusCode);

        var (_, unmatched) = await host.SendAsync(HttpMethod.Get, "/__admin/requests/unmatched");
        var entry = Assert.Single(unmatched!["requests"]!.AsArray());
        Assert.Equal("/hooks/cdr", entry!["Request"]!["Path"]!.GetValue<string>());
        var (_, near) = await host.SendAsync(HttpMethod.Get, "/__admin/requests/unmatched/near-misses");
        var miss = Assert.Single(near!["nearMisses"]!.AsArray());
        Assert.Equal("cdr hook", miss!["MappingTitle"]!.GetValue<string>());
        Assert.Contains(host.Api.Journals.SelectMany(j => j.Entries), e => e.Summary.Contains("no stub matched", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ProxyAndRecord_TowardsAnotherKnowlarityHost()
    {
        await using var upstream = await KnowlarityTestHost.StartAsync();
        await using var host = await KnowlarityTestHost.StartAsync(o => o.Credentials = upstream.Options.Credentials);
        host.App.WireMock.Given(Request.Create().UsingGet().WithPath("/Basic/v1/account/agent"))
            .RespondWith(Response.Create().WithProxy(new ProxyAndRecordSettings { Url = upstream.BaseUrl, SaveMapping = true }));
        var (status, body) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.IsType<JsonArray>(body);
        var forwarded = Assert.Single(upstream.Api.Journals.SelectMany(j => j.Entries), e => e.Direction == Core.Direction.FromClient);
        Assert.StartsWith("GET /Basic/v1/account/agent ", forwarded.Text);
        Assert.True(host.App.WireMock.Mappings.Count(m => !m.IsAdminInterface) >= 3, "the proxied answer was recorded as a mapping");
    }

    [Fact]
    public async Task BadAdminJson_AndOversizedBodies_GetClearErrors_AndTheFakeGoesOn()
    {
        await using var host = await KnowlarityTestHost.StartAsync(o => o.MaxBodyBytes = 4096);
        var (status, _) = await host.SendAsync(HttpMethod.Post, "/__admin/mappings", "{not json");
        Assert.True((int)status is >= 400 and < 600, $"bad mapping JSON got {(int)status}");
        host.App.WireMock.Given(Request.Create().UsingPost().WithPath("/Basic/v1/account/call/makecall")).RespondWith(Response.Create().WithBody("stub"));
        (status, var body) = await host.PostAsync("/call/makecall", new { customer_number = new string('9', 8000) });
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("larger than 4096", body!["message"]!.GetValue<string>());
        (status, _) = await host.GetAsync("/agent");
        Assert.Equal(HttpStatusCode.OK, status);
    }
}
