using System.Net;
using System.Text.Json.Nodes;
using ProtocolSim.Knowlarity.Rest;

namespace ProtocolSim.Knowlarity.Tests.Rest;

/// <summary>Bad input never takes the fake down: wrong JSON types in every member of every endpoint get a 4xx in the API's shape.</summary>
public sealed class BadInputTests
{
    private static readonly JsonNode?[] WrongValues = [new JsonObject(), new JsonArray(1, "x"), 12345678901234, true, null, "", "not a number", -1, 1.5];

    private static readonly string[] Members =
    [
        "user_plan_id", "expiry_time", "number", "cli_type", "ivr_id", "sound_id", "timezone", "start_time", "end_time", "k_number", "Ivr_disp_num",
        "additional_number", "priority", "order_throttling", "call_scheduling", "is_transactional", "phonebook", "order_id", "phone_numbers",
        "phonebookname", "numbers", "soundname", "soundfile", "status", "agent_number", "customer_number", "caller_id", "channel",
        "call_permission_request", "knowlarity_number", "enable", "start_time__gt", "start_time__lt", "limit", "offset", "next", "get_total",
        "agent_number", "customer__contains", "duration__gt", "solution_type",
    ];

    [Fact]
    public async Task WrongTypes_InEveryMember_OfEveryEndpoint_GetA4xxInTheApisShape()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        await host.RegisterAsync();
        var failures = new List<string>();
        foreach (var route in RestRoutes.All.Where(r => r.Method is "POST" or "PUT"))
        {
            var path = host.Path(route.Template.Replace("{order_id}", "170", StringComparison.Ordinal));
            foreach (var value in WrongValues)
            {
                var body = new JsonObject(Members.Distinct().Select(m => KeyValuePair.Create(m, value?.DeepClone())));
                foreach (var payload in new[] { body.ToJsonString(), "[]", "\"text\"", "{\"a\":", "null", "{}" })
                {
                    var (status, answer) = await host.SendAsync(new HttpMethod(route.Method), path, payload);
                    if ((int)status >= 500 || answer is not JsonObject o || !(o.ContainsKey("message") || o.ContainsKey("error") || (int)status < 300))
                    {
                        failures.Add($"{route.Method} {route.Template} {payload[..Math.Min(60, payload.Length)]}: {(int)status} {answer?.ToJsonString()}");
                    }
                }
            }
        }

        foreach (var query in new[] { "?limit=-1", "?limit=abc", "?offset=x", "?circle_id=%00", "?uuid=%FF", "?pattern=%5E", "?enabled=maybe" })
        {
            foreach (var route in RestRoutes.All.Where(r => r.Method == "GET" && !r.Template.Contains('{', StringComparison.Ordinal)))
            {
                var (status, _) = await host.SendAsync(HttpMethod.Get, host.Path(route.Template) + query);
                if ((int)status >= 500)
                {
                    failures.Add($"GET {route.Template}{query}: {(int)status}");
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));

        // The account is still whole and the fake still serves.
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/agent")).Status);
        Assert.Equal(2, (await host.GetAsync("/call/campaign")).Body!["meta"]!["total_count"]!.GetValue<int>());
    }

    [Fact]
    public async Task MissingHeaders_AndHugeHeaders_AreRefusedCleanly()
    {
        await using var host = await KnowlarityTestHost.StartAsync();
        using var bare = new HttpClient { BaseAddress = new Uri(host.BaseUrl) };
        using var noKeys = await bare.GetAsync("/Basic/v1/account/agent");
        Assert.Equal(HttpStatusCode.Forbidden, noKeys.StatusCode);
        using var huge = new HttpRequestMessage(HttpMethod.Get, "/Basic/v1/account/agent");
        huge.Headers.TryAddWithoutValidation("x-api-key", new string('k', 100_000));
        using var answer = await bare.SendAsync(huge);
        Assert.True((int)answer.StatusCode is >= 400 and < 500, $"{answer.StatusCode}");
        Assert.Equal(HttpStatusCode.OK, (await host.GetAsync("/agent")).Status);
    }
}
