using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Cli;

namespace ProtocolSim.Knowlarity.Tests.Rest;

/// <summary>
/// The same mapping JSON posted to our <c>/__admin</c> and to real WireMock 3.13 gives the same answers: status, body
/// and the headers the mapping declares, for every matcher and response feature of the subset.
/// </summary>
public sealed class WireMockParityTests
{
    private sealed record Probe(string Method, string Path, string? Body = null, string? ContentType = null, Dictionary<string, string>? Headers = null);

    private sealed record Case(string Name, string Mapping, Probe[] Probes);

    private static readonly Case[] Cases =
    [
        new("url with query, header equalTo, jsonBody and headers",
            """{"request":{"method":"GET","url":"/Basic/v1/account/agent?x=1","headers":{"x-api-key":{"equalTo":"k1"}}},"response":{"status":200,"jsonBody":{"agents":[1,2]},"headers":{"Content-Type":"application/json","X-Stub":["a","b"]}}}""",
            [new("GET", "/Basic/v1/account/agent?x=1", Headers: new() { ["x-api-key"] = "k1" })]),
        new("urlPathPattern, query matchers, equalToJson ignoring extra elements",
            """{"request":{"method":"POST","urlPathPattern":"/[A-Za-z]+/v1/account/call/makecall","queryParameters":{"trace":{"matches":"t-[0-9]+"}},"bodyPatterns":[{"equalToJson":{"customer_number":"+919900000001"},"ignoreExtraElements":true}]},"response":{"status":201,"body":"placed","headers":{"Content-Type":"text/plain"}}}""",
            [new("POST", "/Basic/v1/account/call/makecall?trace=t-42", """{"k_number":"+918047250000","customer_number":"+919900000001"}""", "application/json")]),
        new("equalToJson with array order ignored",
            """{"request":{"method":"POST","urlPath":"/Basic/v1/account/notifications","bodyPatterns":[{"equalToJson":"{\"knowlarity_number\":[\"+2\",\"+1\"]}","ignoreArrayOrder":true}]},"response":{"status":200,"jsonBody":{"message":"Successfully registered."}}}""",
            [new("POST", "/Basic/v1/account/notifications", """{"knowlarity_number":["+1","+2"]}""", "application/json")]),
        new("matchesJsonPath, plain and with a matcher; contains",
            """{"request":{"method":"PUT","urlPath":"/Basic/v1/account/call/campaign/172","bodyPatterns":[{"matchesJsonPath":"$.status"},{"matchesJsonPath":{"expression":"$.status","equalTo":"pause"}},{"contains":"pau"}]},"response":{"status":200,"jsonBody":{"message":"Campaign paused successfully!"}}}""",
            [new("PUT", "/Basic/v1/account/call/campaign/172", """{"status":"pause"}""", "application/json")]),
        new("absent header and doesNotContain",
            """{"request":{"method":"ANY","urlPath":"/Basic/v1/account/plans","headers":{"Authorization":{"absent":true},"User-Agent":{"doesNotContain":"curl"}}},"response":{"status":401,"jsonBody":{"error":"The SR API Key used to authenticate is incorrect."}}}""",
            [new("GET", "/Basic/v1/account/plans", Headers: new() { ["User-Agent"] = "protosim" })]),
        new("caseInsensitive equalTo, base64Body, statusMessage",
            """{"request":{"method":"GET","urlPath":"/bin","headers":{"X-Mode":{"equalTo":"FAST","caseInsensitive":true}}},"response":{"status":203,"statusMessage":"Partial","base64Body":"AAECAwQ=","headers":{"Content-Type":"application/octet-stream"}}}""",
            [new("GET", "/bin", Headers: new() { ["X-Mode"] = "fast" })]),
        new("fixed delay",
            """{"request":{"method":"GET","urlPath":"/slow"},"response":{"status":200,"body":"late","fixedDelayMilliseconds":150}}""",
            [new("GET", "/slow")]),
        new("priority: the lower number wins",
            """[{"priority":5,"request":{"method":"GET","urlPathPattern":"/prio/.*"},"response":{"status":200,"body":"general"}},{"priority":1,"request":{"method":"GET","urlPath":"/prio/x"},"response":{"status":200,"body":"specific"}}]""",
            [new("GET", "/prio/x"), new("GET", "/prio/y")]),
    ];

    [Fact]
    public async Task SameMappings_GiveSameAnswers_AsRealWireMock()
    {
        await using var wiremock = await WireMockPeer.StartAsync();
        await using var host = await KnowlarityHost.StartAsync();
        using var client = new HttpClient();
        var differences = new List<string>();
        foreach (var c in Cases)
        {
            foreach (var baseUrl in new[] { host.BaseUrl, wiremock.BaseUrl })
            {
                using var reset = await client.PostAsync(baseUrl + "/__admin/reset", null);
                Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
                var mappings = JsonNode.Parse(c.Mapping) is JsonArray many ? many.Select(m => m!.ToJsonString()).ToList() : [c.Mapping];
                foreach (var mapping in mappings)
                {
                    using var posted = await client.PostAsync(baseUrl + "/__admin/mappings", new StringContent(mapping, Encoding.UTF8, "application/json"));
                    Assert.True(posted.StatusCode == HttpStatusCode.Created, $"{c.Name}: {baseUrl} refused the mapping: {await posted.Content.ReadAsStringAsync()}");
                }
            }

            foreach (var probe in c.Probes)
            {
                var ours = await SendAsync(client, host.BaseUrl, probe);
                var theirs = await SendAsync(client, wiremock.BaseUrl, probe);
                var declared = (JsonNode.Parse(c.Mapping) is JsonArray a ? a.Select(m => m!["response"]!["headers"] as JsonObject) : [JsonNode.Parse(c.Mapping)!["response"]!["headers"] as JsonObject])
                    .Where(h => h is not null).SelectMany(h => h!.Select(p => p.Key)).Distinct();
                if (ours.Status != theirs.Status)
                {
                    differences.Add($"{c.Name} {probe.Path}: status ours {ours.Status}, WireMock {theirs.Status}");
                }

                if (ours.Reason != theirs.Reason && ours.Status == 203)
                {
                    differences.Add($"{c.Name} {probe.Path}: reason ours \"{ours.Reason}\", WireMock \"{theirs.Reason}\"");
                }

                if (!ours.Body.SequenceEqual(theirs.Body))
                {
                    differences.Add($"{c.Name} {probe.Path}: body ours \"{Encoding.UTF8.GetString(ours.Body)}\", WireMock \"{Encoding.UTF8.GetString(theirs.Body)}\"");
                }

                foreach (var name in declared)
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

        // Admin answers agree too: listing, an unknown id, deleting.
        foreach (var baseUrl in new[] { host.BaseUrl, wiremock.BaseUrl })
        {
            using var list = await client.GetAsync(baseUrl + "/__admin/mappings");
            var json = JsonNode.Parse(await list.Content.ReadAsStringAsync())!;
            Assert.Equal(2, json["meta"]!["total"]!.GetValue<int>());
            var id = json["mappings"]![0]!["id"]!.GetValue<string>();
            using var missing = await client.GetAsync(baseUrl + "/__admin/mappings/" + Guid.NewGuid());
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
            using var deleted = await client.DeleteAsync(baseUrl + "/__admin/mappings/" + id);
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public async Task EmptyResponseFault_BreaksTheRequest_OnBoth()
    {
        await using var wiremock = await WireMockPeer.StartAsync();
        await using var host = await KnowlarityHost.StartAsync();
        using var client = new HttpClient();
        foreach (var baseUrl in new[] { host.BaseUrl, wiremock.BaseUrl })
        {
            using var posted = await client.PostAsync(baseUrl + "/__admin/mappings", new StringContent("""{"request":{"urlPath":"/f"},"response":{"fault":"EMPTY_RESPONSE"}}""", Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(baseUrl + "/f"));
        }
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
