using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.TestSupport;

namespace ProtocolSim.Knowlarity.Tests.Rest;

/// <summary>
/// The same stubbing semantics given to our fake (WireMock.Net's admin JSON, <c>/__admin/mappings</c>) and to real
/// WireMock 3.13 (its own JSON) give the same answers: status, body and the headers the mapping declares, for the
/// matchers and response features Knowlarity stubs use. The two JSON shapes differ (README, "Stubbing the REST fake").
/// </summary>
public sealed class WireMockParityTests
{
    private sealed record Probe(string Method, string Path, string? Body = null, string? ContentType = null, Dictionary<string, string>? Headers = null);

    /// <param name="Java">Mappings in Java WireMock's JSON (an object or an array).</param>
    /// <param name="Net">The same in WireMock.Net's JSON.</param>
    private sealed record Case(string Name, string Java, string Net, Probe[] Probes);

    private static readonly Case[] Cases =
    [
        new("path with a query parameter, header equalTo, JSON body and headers",
            """{"request":{"method":"GET","urlPath":"/Basic/v1/account/agent","queryParameters":{"x":{"equalTo":"1"}},"headers":{"x-api-key":{"equalTo":"k1"}}},"response":{"status":200,"jsonBody":{"agents":[1,2]},"headers":{"Content-Type":"application/json","X-Stub":"a"}}}""",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/Basic/v1/account/agent"}]},"Methods":["GET"],"Params":[{"Name":"x","Matchers":[{"Name":"ExactMatcher","Pattern":"1"}]}],"Headers":[{"Name":"x-api-key","Matchers":[{"Name":"ExactMatcher","Pattern":"k1"}]}]},"Response":{"StatusCode":200,"BodyAsJson":{"agents":[1,2]},"Headers":{"Content-Type":"application/json","X-Stub":"a"}}}""",
            [new("GET", "/Basic/v1/account/agent?x=1", Headers: new() { ["x-api-key"] = "k1" })]),
        new("path pattern, query pattern, JSON body ignoring extra elements",
            """{"request":{"method":"POST","urlPathPattern":"/[A-Za-z]+/v1/account/call/makecall","queryParameters":{"trace":{"matches":"t-[0-9]+"}},"bodyPatterns":[{"equalToJson":{"customer_number":"+919900000001"},"ignoreExtraElements":true}]},"response":{"status":201,"body":"placed","headers":{"Content-Type":"text/plain"}}}""",
            """{"Request":{"Path":{"Matchers":[{"Name":"RegexMatcher","Pattern":"^/[A-Za-z]+/v1/account/call/makecall$"}]},"Methods":["POST"],"Params":[{"Name":"trace","Matchers":[{"Name":"RegexMatcher","Pattern":"^t-[0-9]+$"}]}],"Body":{"Matcher":{"Name":"JsonPartialMatcher","Pattern":{"customer_number":"+919900000001"}}}},"Response":{"StatusCode":201,"Body":"placed","Headers":{"Content-Type":"text/plain"}}}""",
            [new("POST", "/Basic/v1/account/call/makecall?trace=t-42", """{"k_number":"+918047250000","customer_number":"+919900000001"}""", "application/json")]),
        new("JSON body equal whatever the key order",
            """{"request":{"method":"POST","urlPath":"/Basic/v1/account/notifications","bodyPatterns":[{"equalToJson":"{\"b\":2,\"knowlarity_number\":[\"+1\",\"+2\"]}"}]},"response":{"status":200,"jsonBody":{"message":"Successfully registered."}}}""",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/Basic/v1/account/notifications"}]},"Methods":["POST"],"Body":{"Matcher":{"Name":"JsonMatcher","Pattern":{"b":2,"knowlarity_number":["+1","+2"]}}}},"Response":{"StatusCode":200,"BodyAsJson":{"message":"Successfully registered."}}}""",
            [new("POST", "/Basic/v1/account/notifications", """{"knowlarity_number":["+1","+2"],"b":2}""", "application/json")]),
        new("JSON path and contains",
            """{"request":{"method":"PUT","urlPath":"/Basic/v1/account/call/campaign/172","bodyPatterns":[{"matchesJsonPath":"$.status"},{"contains":"pau"}]},"response":{"status":200,"jsonBody":{"message":"Campaign paused successfully!"}}}""",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/Basic/v1/account/call/campaign/172"}]},"Methods":["PUT"],"Body":{"Matchers":[{"Name":"JsonPathMatcher","Pattern":"$.status"},{"Name":"WildcardMatcher","Pattern":"*pau*"}],"MatchOperator":"And"}},"Response":{"StatusCode":200,"BodyAsJson":{"message":"Campaign paused successfully!"}}}""",
            [new("PUT", "/Basic/v1/account/call/campaign/172", """{"status":"pause"}""", "application/json")]),
        new("case-insensitive header and a binary body",
            """{"request":{"method":"GET","urlPath":"/bin","headers":{"X-Mode":{"equalTo":"FAST","caseInsensitive":true}}},"response":{"status":203,"base64Body":"AAECAwQ=","headers":{"Content-Type":"application/octet-stream"}}}""",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/bin"}]},"Methods":["GET"],"Headers":[{"Name":"X-Mode","Matchers":[{"Name":"ExactMatcher","Pattern":"FAST","IgnoreCase":true}]}]},"Response":{"StatusCode":203,"BodyAsBytes":"AAECAwQ=","Headers":{"Content-Type":"application/octet-stream"}}}""",
            [new("GET", "/bin", Headers: new() { ["X-Mode"] = "fast" })]),
        new("fixed delay",
            """{"request":{"method":"GET","urlPath":"/slow"},"response":{"status":200,"body":"late","fixedDelayMilliseconds":150}}""",
            """{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/slow"}]},"Methods":["GET"]},"Response":{"StatusCode":200,"Body":"late","Delay":150}}""",
            [new("GET", "/slow")]),
        new("priority: the lower number wins",
            """[{"priority":5,"request":{"method":"GET","urlPathPattern":"/prio/.*"},"response":{"status":200,"body":"general"}},{"priority":1,"request":{"method":"GET","urlPath":"/prio/x"},"response":{"status":200,"body":"specific"}}]""",
            """[{"Priority":5,"Request":{"Path":{"Matchers":[{"Name":"RegexMatcher","Pattern":"^/prio/.*$"}]},"Methods":["GET"]},"Response":{"StatusCode":200,"Body":"general"}},{"Priority":1,"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/prio/x"}]},"Methods":["GET"]},"Response":{"StatusCode":200,"Body":"specific"}}]""",
            [new("GET", "/prio/x"), new("GET", "/prio/y")]),
    ];

    [Fact]
    public async Task SameStubs_GiveSameAnswers_AsRealWireMock()
    {
        await using var wiremock = await WireMockPeer.StartAsync();
        await using var host = await KnowlarityTestHost.StartAsync();
        using var client = new HttpClient();
        var differences = new List<string>();
        foreach (var c in Cases)
        {
            foreach (var (baseUrl, json) in new[] { (host.BaseUrl, c.Net), (wiremock.BaseUrl, c.Java) })
            {
                using var reset = await client.PostAsync(baseUrl + "/__admin/reset", null);
                Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
                var mappings = JsonNode.Parse(json) is JsonArray many ? many.Select(m => m!.ToJsonString()).ToList() : [json];
                foreach (var mapping in mappings)
                {
                    using var posted = await client.PostAsync(baseUrl + "/__admin/mappings", new StringContent(mapping, Encoding.UTF8, "application/json"));
                    Assert.True(posted.StatusCode == HttpStatusCode.Created, $"{c.Name}: {baseUrl} refused the mapping: {await posted.Content.ReadAsStringAsync()}");
                }
            }

            var declared = (JsonNode.Parse(c.Java) is JsonArray a ? a.Select(m => m!["response"]!["headers"] as JsonObject) : [JsonNode.Parse(c.Java)!["response"]!["headers"] as JsonObject])
                .Where(h => h is not null).SelectMany(h => h!.Select(p => p.Key)).Distinct().ToList();
            foreach (var probe in c.Probes)
            {
                var ours = await SendAsync(client, host.BaseUrl, probe);
                var theirs = await SendAsync(client, wiremock.BaseUrl, probe);
                if (ours.Status != theirs.Status)
                {
                    differences.Add($"{c.Name} {probe.Path}: status ours {ours.Status}, WireMock {theirs.Status}");
                }

                // Unmatched requests: both say 404, each in its own words.
                if (theirs.Status != 404 && !ours.Body.SequenceEqual(theirs.Body))
                {
                    differences.Add($"{c.Name} {probe.Path}: body ours \"{Encoding.UTF8.GetString(ours.Body)}\", WireMock \"{Encoding.UTF8.GetString(theirs.Body)}\"");
                }

                foreach (var name in theirs.Status == 404 ? [] : declared)
                {
                    var o = ours.Headers.GetValueOrDefault(name.ToLowerInvariant());
                    var t = theirs.Headers.GetValueOrDefault(name.ToLowerInvariant());
                    if (o != t)
                    {
                        differences.Add($"{c.Name} {probe.Path}: header {name} ours \"{o}\", WireMock \"{t}\"");
                    }
                }
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    /// <summary>A difference the README's migration note names: Java WireMock's EMPTY_RESPONSE closes the connection, WireMock.Net's answers the status with no body.</summary>
    [Fact]
    public async Task EmptyResponseFault_JavaClosesTheConnection_WireMockNetSendsNoBody()
    {
        await using var wiremock = await WireMockPeer.StartAsync();
        await using var host = await KnowlarityTestHost.StartAsync();
        using var client = new HttpClient();
        using var ours = await client.PostAsync(host.BaseUrl + "/__admin/mappings", new StringContent("""{"Request":{"Path":{"Matchers":[{"Name":"ExactMatcher","Pattern":"/f"}]}},"Response":{"StatusCode":200,"Body":"never","Fault":{"Type":"EMPTY_RESPONSE"}}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, ours.StatusCode);
        using var answer = await client.GetAsync(host.BaseUrl + "/f");
        Assert.Empty(await answer.Content.ReadAsByteArrayAsync());

        using var theirs = await client.PostAsync(wiremock.BaseUrl + "/__admin/mappings", new StringContent("""{"request":{"urlPath":"/f"},"response":{"fault":"EMPTY_RESPONSE"}}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(wiremock.BaseUrl + "/f"));
    }

    private static async Task<(int Status, string? Reason, byte[] Body, Dictionary<string, string> Headers)> SendAsync(HttpClient client, string baseUrl, Probe probe)
    {
        using var request = new HttpRequestMessage(new HttpMethod(probe.Method), baseUrl + probe.Path);
        if (probe.Body is not null)
        {
            request.Content = new StringContent(probe.Body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(probe.ContentType ?? "text/plain");
        }

        foreach (var (name, value) in probe.Headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value));
        return ((int)response.StatusCode, response.ReasonPhrase, await response.Content.ReadAsByteArrayAsync(), headers);
    }
}
