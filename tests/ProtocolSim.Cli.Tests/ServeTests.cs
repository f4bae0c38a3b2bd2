using System.Net;
using System.Text.Json;

namespace ProtocolSim.Cli.Tests;

public sealed class ServeTests
{
    [Fact]
    public async Task Serve_WritesEndpointsFile_AndIdentityIssuesTokensToItsCredentials()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("protosim-serve-").FullName, "endpoints.json");
        var output = new SignallingWriter("endpoints file:");
        using var stop = new CancellationTokenSource();
        var root = Program.Build(output, new StringWriter());
        var serving = Program.Parse(root, ["serve", "--endpoints-file", file]).InvokeAsync(new System.CommandLine.InvocationConfiguration(), stop.Token);
        await output.Seen.WaitAsync(TimeSpan.FromSeconds(30));

        using var endpoints = JsonDocument.Parse(await File.ReadAllTextAsync(file));
        var identity = endpoints.RootElement.GetProperty("identity").GetString()!;
        Assert.StartsWith("http://127.0.0.1:", identity, StringComparison.Ordinal);
        var dataflow = endpoints.RootElement.GetProperty("credentials").GetProperty("dataflow");
        Assert.True(Guid.TryParse(dataflow.GetProperty("tenant").GetString(), out _));

        using var http = new HttpClient();
        using var response = await http.PostAsync(identity, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = dataflow.GetProperty("clientId").GetString()!,
            ["client_secret"] = dataflow.GetProperty("clientSecret").GetString()!,
            ["grant_type"] = "client_credentials",
            ["scope"] = "Wagtail",
        }));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();

        // The WebSocket integration accepts a Start with those credentials and the project named in the file.
        using var ws = new System.Net.WebSockets.ClientWebSocket();
        Assert.StartsWith("https://127.0.0.1:", endpoints.RootElement.GetProperty("dataflowGrpc").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("http://127.0.0.1:", endpoints.RootElement.GetProperty("dataflowGrpcCleartext").GetString(), StringComparison.Ordinal);
        Assert.Contains("BEGIN CERTIFICATE", endpoints.RootElement.GetProperty("dataflowGrpcCaPem").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/batch", endpoints.RootElement.GetProperty("dataflowHttp").GetString(), StringComparison.Ordinal);
        await ws.ConnectAsync(new Uri(endpoints.RootElement.GetProperty("dataflowWebSocket").GetString()!), CancellationToken.None);
        var start = new System.Text.Json.Nodes.JsonObject
        {
            ["MessageName"] = "Start",
            ["ProjectName"] = dataflow.GetProperty("project").GetString(),
            ["Tenant"] = dataflow.GetProperty("tenant").GetString(),
            ["Token"] = token,
            ["Audio"] = new System.Text.Json.Nodes.JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 16000, ["ChannelCount"] = 1 },
        }.ToJsonString();
        await ws.SendAsync(System.Text.Encoding.UTF8.GetBytes(start), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[4096];
        using var receiveTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var received = await ws.ReceiveAsync(buffer, receiveTimeout.Token);
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count));
        await ws.CloseAsync(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        // The Knowlarity fake: its keys from the file open the REST API, the admin API and OpenAPI are served.
        var knowlarity = endpoints.RootElement.GetProperty("credentials").GetProperty("knowlarity");
        var api = endpoints.RootElement.GetProperty("knowlarityApi").GetString()!;
        Assert.StartsWith("http://127.0.0.1:", api, StringComparison.Ordinal);
        Assert.Equal(api + "/__admin", endpoints.RootElement.GetProperty("admin").GetString());
        Assert.StartsWith("http://127.0.0.1:", endpoints.RootElement.GetProperty("knowlarityNotifications").GetString(), StringComparison.Ordinal);
        using var agents = new HttpRequestMessage(HttpMethod.Get, $"{api}/{knowlarity.GetProperty("channel").GetString()}/v1/account/agent");
        agents.Headers.Add("x-api-key", knowlarity.GetProperty("xApiKey").GetString());
        agents.Headers.TryAddWithoutValidation("Authorization", knowlarity.GetProperty("srApiKey").GetString());
        using var agentList = await http.SendAsync(agents);
        Assert.Equal(HttpStatusCode.OK, agentList.StatusCode);
        Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(await agentList.Content.ReadAsStringAsync()).RootElement.ValueKind);
        Assert.StartsWith("+", knowlarity.GetProperty("srNumber").GetString(), StringComparison.Ordinal);
        using var openapi = await http.GetAsync(api + "/openapi.json");
        Assert.Equal(HttpStatusCode.OK, openapi.StatusCode);

        // The CTI processor: the three transports and an agent who can log in.
        var cti = endpoints.RootElement.GetProperty("credentials").GetProperty("cti");
        Assert.StartsWith("tcp://127.0.0.1:", endpoints.RootElement.GetProperty("ctiTcp").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("ws://127.0.0.1:", endpoints.RootElement.GetProperty("ctiWebSocket").GetString(), StringComparison.Ordinal);
        var ctiHttp = endpoints.RootElement.GetProperty("ctiHttp").GetString()!;
        using var started = await http.PostAsync(ctiHttp + "/sessions", new StringContent("{\"messageType\":\"startSession\",\"client\":{\"id\":\"serve-test\"}}"));
        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        var clientId = JsonDocument.Parse(await started.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        using var queued = await http.PostAsync($"{ctiHttp}/direct/processRequest?clientId={clientId}", new StringContent("{\"messageType\":\"coreRequest\",\"requestId\":\"1\",\"command\":\"getServices\"}"));
        Assert.Equal(HttpStatusCode.OK, queued.StatusCode);
        var polled = JsonDocument.Parse(await http.GetStringAsync($"{ctiHttp}/direct/poll?clientId={clientId}")).RootElement.GetProperty("messages");
        Assert.Equal("InteractionProcessor", polled[0].GetProperty("data").GetProperty("services")[0].GetProperty("type").GetString());
        Assert.False(string.IsNullOrEmpty(cti.GetProperty("agentId").GetString()));
        Assert.False(string.IsNullOrEmpty(cti.GetProperty("password").GetString()));

        await stop.CancelAsync();
        Assert.Equal(0, await serving.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task ServeHost_StartsEveryFakeItFinds_AndTheDashboardFollowsEachOne()
    {
        var (host, errors) = await ServeHost.StartAsync(IPAddress.Loopback, null, null, CancellationToken.None);
        Assert.Empty(errors);
        await using (host)
        {
            // Found beside the program by their assembly attributes, not named by the CLI; in the order of their names.
            Assert.Equal(["cti", "dataflow", "knowlarity", "voice"], host!.Hosts.Select(h => h.Name));

            // Each host's endpoints are in the file (the voice dialer has none: it dials the bot).
            foreach (var fake in host.Hosts)
            {
                foreach (var (key, _) in fake.Endpoints().Where(e => e.Key != "credentials"))
                {
                    Assert.True(host.Endpoints.ContainsKey(key), $"{fake.Name}: {key} missing from the endpoints file");
                }
            }

            Assert.Equal(["cti", "dataflow", "knowlarity"], host.Endpoints["credentials"]!.AsObject().Select(c => c.Key).Order(StringComparer.Ordinal));

            // The dashboard offers every host's actions, and shows the journals each hands over (the identity server's at once).
            Assert.Equal(host.Hosts.SelectMany(h => h.AdminActions).Select(a => a.Id), host.Hub.Options.Actions.Select(a => a.Id));
            Assert.Contains(host.Hub.Options.Actions, a => a.Fake == "voice" && a.Handler is not null);
            Assert.Contains(host.Hub.Matching(new Dashboard.SessionFilter(Fake: "dataflow")), r => r.Journal.Protocol.Contains("identity", StringComparison.Ordinal));

            // A CTI connection's journal reaches the dashboard through the store the CTI host handed over.
            using var http = new HttpClient();
            using var started = await http.PostAsync(host.Endpoints["ctiHttp"] + "/sessions", new StringContent("{\"messageType\":\"startSession\",\"client\":{\"id\":\"serve-host-test\"}}"));
            Assert.Equal(HttpStatusCode.OK, started.StatusCode);
            Assert.NotEmpty(host.Hub.Matching(new Dashboard.SessionFilter(Fake: "cti")));
            Assert.All(host.Hosts, h => Assert.False(string.IsNullOrWhiteSpace(h.Describe())));
        }
    }

    [Fact]
    public async Task Serve_BadBind_ExitsWithUsageError()
    {
        var error = new StringWriter();
        var code = await Program.Parse(Program.Build(new StringWriter(), error), ["serve", "--bind", "not-an-ip"]).InvokeAsync(new System.CommandLine.InvocationConfiguration(), CancellationToken.None);
        Assert.Equal(2, code);
        Assert.Contains("--bind", error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Completes <see cref="Seen"/> when a written line contains the marker.</summary>
    private sealed class SignallingWriter(string marker) : StringWriter
    {
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(marker, StringComparison.Ordinal) == true)
            {
                _seen.TrySetResult();
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
