using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Audio;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>The WebSocket integration against the state machine of dataflow.md §4.1, over a real socket.</summary>
public sealed class WebSocketSessionTests : IAsyncLifetime
{
    private const string Tenant = "5a0b2c3d-1111-4222-8333-944455566677";
    private DataFlowHost? _app;
    private string _token = string.Empty;
    private Uri _base = new("ws://127.0.0.1/");

    private DataFlowJournals Journals => _app!.Services.GetRequiredService<DataFlowJournals>();

    public async Task InitializeAsync()
    {
        _app = await DataFlowFake.StartAsync(IPAddress.Loopback, new IdentityClient { ClientId = "c", ClientSecret = "secret-for-tests", Tenant = Tenant }, o =>
        {
            o.StartDelay = TimeSpan.FromMilliseconds(20);
            o.FinalizeDuration = TimeSpan.FromMilliseconds(20);
        }, CancellationToken.None);
        _base = new Uri(_app.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal));
        _token = _app.Services.GetRequiredService<TokenService>().Issue(new IdentityClient { ClientId = "c", ClientSecret = "secret-for-tests", Tenant = Tenant }).Token;
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private string Start(string? token = null, string project = "call-analytics", string tenant = Tenant, string rate = "8000", string channels = "2", string encoding = "ulaw") =>
        new JsonObject
        {
            ["MessageName"] = "Start",
            ["ProjectName"] = project,
            ["Token"] = token ?? _token,
            ["Tenant"] = tenant,
            ["Audio"] = new JsonObject { ["Encoding"] = encoding, ["SampleRate"] = rate, ["ChannelCount"] = channels },
            ["Settings"] = new JsonObject { ["Punctuation"] = true, ["Emotion"] = true },
        }.ToJsonString();

    [Fact]
    public async Task Session_StartAudioFinalize_EndsWithFinalResult()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendTextAsync(Start());
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", await client.ReceiveTextAsync());
        for (var i = 0; i < 5; i++)
        {
            await client.SendBinaryAsync(new byte[320]); // 20 ms of 8 kHz stereo mu-law
        }

        await client.SendTextAsync("""{"MessageName":"Finalize"}""");
        Assert.Equal("""{"MessageName":"FinalizeResponse","OperationResult":"Success"}""", await client.ReceiveTextAsync());
        Assert.Equal("""{"Event":{"Name":"FinalResult","Channel":-1,"StartMsec":-1,"EndMsec":-1,"GroupId":""}}""", await client.ReceiveTextAsync());
        await client.SendTextAsync("""{"MessageName":"Finalize"}""");
        Assert.Equal("""{"MessageName":"FinalizeResponse","OperationResult":"NoActiveOperation"}""", await client.ReceiveTextAsync());
        await client.CloseAsync();
        var journal = Journals.All.Single();
        Assert.Empty(journal.Findings);
        Assert.Equal(5, journal.Entries.Count(e => e.Kind == Core.FrameKind.Binary));
    }

    [Fact]
    public async Task Start_BadToken_FailsWithErrorIncidentAndMayBeRetried()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendTextAsync(Start(token: "not-a-token"));
        var incident = JsonNode.Parse(await client.ReceiveTextAsync())!["Incident"]!;
        Assert.Equal("Error", incident["Level"]!.GetValue<string>());
        Assert.Equal("determine user failed http status code : 401", incident["Message"]!.GetValue<string>());
        Assert.Equal("-1", incident["Channel"]!.GetValue<string>()); // incident Channel is a string (000 §Incident)
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Failed"}""", await client.ReceiveTextAsync());
        await client.SendTextAsync(Start());
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", await client.ReceiveTextAsync());
    }

    [Theory]
    [InlineData("""{"MessageName":"Update","Parameters":{"k":1}}""", """{"MessageName":"UpdateResponse","OperationResult":"NoActiveOperation"}""")]
    [InlineData("""{"MessageName":"Finalize"}""", """{"MessageName":"FinalizeResponse","OperationResult":"NoActiveOperation"}""")]
    [InlineData("""{"MessageName":"Stop"}""", """{"MessageName":"StopResponse","OperationResult":"NoActiveOperation"}""")]
    [InlineData("""{"MessageName":"Pause"}""", """{"MessageName":"PauseResponse","OperationResult":"UnknownMessageName"}""")]
    public async Task Idle_Request_GetsTheDocumentedResult(string request, string expected)
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendTextAsync(request);
        Assert.Equal(expected, await client.ReceiveTextAsync());
        Assert.Contains(Journals.All.Single().Findings, f => f.RuleId is "DFW-001");
    }

    [Fact]
    public async Task Active_SecondStartUpdateAndBusy_FollowTheStateTable()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner/call-analytics"));
        await client.SendTextAsync(Start());
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync(Start());
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Failed"}""", await client.ReceiveTextAsync());
        await client.SendTextAsync("""{"MessageName":"Update","Parameters":{"Emotion":false,"Threshold":0.5}}""");
        Assert.Equal("""{"MessageName":"UpdateResponse","OperationResult":"Success"}""", await client.ReceiveTextAsync());
        await client.SendTextAsync("""{"MessageName":"Update","Parameters":{"Nested":{"a":1}}}""");
        Assert.Equal("""{"MessageName":"UpdateResponse","OperationResult":"Failed"}""", await client.ReceiveTextAsync());
        await client.SendTextAsync("""{"MessageName":"Stop"}""");
        await client.SendTextAsync("""{"MessageName":"Finalize"}""");
        Assert.Equal("""{"MessageName":"StopResponse","OperationResult":"Success"}""", await client.ReceiveTextAsync());
        Assert.Equal("""{"MessageName":"FinalizeResponse","OperationResult":"Busy"}""", await client.ReceiveTextAsync());
        Assert.Contains("FinalResult", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        var findings = Journals.All.Single().Findings;
        Assert.Contains(findings, f => f.RuleId == "DFW-034");
        Assert.Contains(findings, f => f.RuleId == "DFW-013");
        Assert.Contains(findings, f => f.RuleId == "DFW-020");
    }

    [Theory]
    [InlineData("other-project", "call-analytics", "differs from the project in the URL")]
    [InlineData("nope", null, "not found")]
    public async Task Start_ProjectProblems_Fail(string startProject, string? pathProject, string message)
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, pathProject is null ? "/project-runner" : $"/project-runner/{pathProject}"));
        await client.SendTextAsync(Start(project: startProject));
        Assert.Contains(message, await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Failed", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mp3", "8000", "1", "Audio.Encoding")]
    [InlineData("pcm", "abc", "1", "Audio.SampleRate")]
    [InlineData("pcm", "16000", "3", "Audio.ChannelCount")]
    public async Task Start_BadAudio_FailsNamingTheField(string encoding, string rate, string channels, string field)
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendTextAsync(Start(encoding: encoding, rate: rate, channels: channels));
        Assert.Contains(field, await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("Failed", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains(Journals.All.Single().Findings, f => f.RuleId == "DFW-004");
    }

    [Fact]
    public async Task Audio_MisalignedOrBeforeStartOrAfterFinalize_IsJournaledAgainstItsRule()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendBinaryAsync(new byte[640]);
        Assert.Contains("Warning", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync(Start(encoding: "pcm", rate: "16000", channels: "2"));
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendBinaryAsync(new byte[641]); // not a multiple of 4 (PCM16 stereo)
        await client.SendBinaryAsync(new byte[639]); // the remainder completes the frame
        await client.SendTextAsync("""{"MessageName":"Finalize"}""");
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendBinaryAsync(new byte[640]);
        // Requests are handled in order: once the Stop is answered, the audio before it has been judged.
        await client.SendTextAsync("""{"MessageName":"Stop"}""");
        while (!(await client.ReceiveTextAsync()).Contains("StopResponse", StringComparison.Ordinal))
        {
        }

        var findings = Journals.All.Single().Findings.Select(f => f.RuleId).ToList();
        Assert.Contains("DFW-001", findings);
        Assert.Contains("DFW-009", findings);
        Assert.Contains("DFW-019", findings);
    }

    [Fact]
    public async Task Audio_IsKeptPerChannel_AsTheJournalsInputTracks_AndEachFrameNamesItsPlace()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendBinaryAsync([0x00, 0x80]); // before Start: dropped, on no track
        Assert.Contains("Warning", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync(Start());
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);

        // 8 kHz stereo mu-law: channel 0 codes 0x10 + i, channel 1 code 0x90; a misaligned chunk is re-assembled.
        var frames = new byte[320];
        for (var i = 0; i < 160; i++)
        {
            frames[2 * i] = (byte)(0x10 + (i % 64));
            frames[(2 * i) + 1] = 0x90;
        }

        await client.SendBinaryAsync(frames);
        await client.SendBinaryAsync(frames[..161]);
        await client.SendBinaryAsync(frames[161..]);
        await client.SendTextAsync("""{"MessageName":"Finalize"}""");
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendBinaryAsync(frames); // after Finalize: DFW-019, on no track
        await client.SendTextAsync("""{"MessageName":"Stop"}""");
        while (!(await client.ReceiveTextAsync()).Contains("StopResponse", StringComparison.Ordinal))
        {
        }

        var journal = Journals.All.Single();
        Assert.Equal(["input-ch0", "input-ch1"], journal.Audio.Keys.Order(StringComparer.Ordinal).ToArray());
        var left = Pcm.ToSamples(journal.Audio["input-ch0"].ToArray());
        var right = Pcm.ToSamples(journal.Audio["input-ch1"].ToArray());
        Assert.Equal(320, left.Length);
        Assert.Equal(320, right.Length);
        Assert.Equal(Enumerable.Range(0, 320).Select(i => G711.MuLawToLinear((byte)(0x10 + (i % 160 % 64)))), left);
        Assert.All(right, s => Assert.Equal(G711.MuLawToLinear(0x90), s));
        Assert.Equal(TimeSpan.FromMilliseconds(40), journal.Audio["input-ch0"].Duration);

        var audio = journal.Entries.Where(e => e.Direction == Core.Direction.FromClient && e.Kind == Core.FrameKind.Binary).ToList();
        Assert.Equal([null, "input-ch0", "input-ch0", "input-ch0", null], audio.Select(e => e.AudioTrack));
        Assert.Equal([null, 0, 20, 30, null], audio.Select(e => e.AudioOffset?.TotalMilliseconds));
    }

    [Fact]
    public async Task Audio_PastMaxCapturedAudio_IsHandledButNotKept()
    {
        await using var host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects(), configure: o => o.MaxCapturedAudio = TimeSpan.FromMilliseconds(25));
        await using var client = await Client.ConnectAsync(host.WebSocket("/project-runner"));
        await client.SendTextAsync(Start(token: host.Token));
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            await client.SendBinaryAsync(new byte[320]); // 20 ms of 8 kHz stereo mu-law each
        }

        await client.SendTextAsync("""{"MessageName":"Stop"}""");
        while (!(await client.ReceiveTextAsync()).Contains("StopResponse", StringComparison.Ordinal))
        {
        }

        var journal = host.App.Services.GetRequiredService<DataFlowJournals>().All.Single();
        Assert.All(journal.Audio.Values, t => Assert.Equal(TimeSpan.FromMilliseconds(25), t.Duration));
        Assert.Single(journal.Entries, e => e.Kind == Core.FrameKind.Note && e.Summary.Contains("MaxCapturedAudio", StringComparison.Ordinal));
        var audio = journal.Entries.Where(e => e.Direction == Core.Direction.FromClient && e.Kind == Core.FrameKind.Binary).ToList();
        Assert.Equal(["input-ch0", "input-ch0", null], audio.Select(e => e.AudioTrack));
    }

    [Fact]
    public async Task NotJson_GetsErrorIncidentAndTheSessionGoesOn()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendTextAsync("hello?");
        Assert.Contains("could not be parsed as JSON", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync(Start());
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_InABinaryFrame_IsJournaledAgainstDfw002NotDfw001()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendBinaryAsync(Encoding.UTF8.GetBytes(Start()));
        Assert.Contains("Warning", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync(Start());
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);

        var findings = Journals.All.Single().Findings.Select(f => f.RuleId).ToList();
        Assert.Equal(["DFW-002"], findings);
    }

    [Fact]
    public async Task ClientSecret_InTheUpgradeOrAMessage_IsJournaledAgainstDfa007AndRedacted()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner?client_secret=secret-for-tests"));
        var start = JsonNode.Parse(Start())!.AsObject();
        start["ClientSecret"] = "secret-for-tests";
        await client.SendTextAsync(start.ToJsonString());
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.CloseAsync();

        var journal = Journals.All.Single();
        Assert.Equal(2, journal.Findings.Count(f => f.RuleId == "DFA-007"));
        Assert.DoesNotContain(journal.Entries, e => (e.Text ?? e.Summary).Contains("secret-for-tests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientLingering_AfterFinalResult_IsClosedByTheServer()
    {
        await using var client = await Client.ConnectAsync(new Uri(_base, "/project-runner"));
        await client.SendTextAsync(Start(encoding: "pcm", rate: "8000", channels: "1"));
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        await client.SendTextAsync("""{"MessageName":"Finalize"}""");
        Assert.Contains("Success", await client.ReceiveTextAsync(), StringComparison.Ordinal);
        Assert.Contains("FinalResult", await client.ReceiveTextAsync(), StringComparison.Ordinal);

        // §5 CloseAfterFinalResult: 1 s later the server closes with 1000.
        var (type, status) = await client.ReceiveAnyAsync();
        Assert.Equal(WebSocketMessageType.Close, type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        Assert.Contains(Journals.All.Single().Entries, e => e.Direction == Core.Direction.ToClient && e.Kind == Core.FrameKind.Close);
    }

    [Fact]
    public void Journals_KeepOnlyTheNewest()
    {
        var journals = new DataFlowJournals(new DataFlowOptions { KeepJournals = 3 }, TimeProvider.System);
        var opened = Enumerable.Range(0, 5).Select(_ => journals.Open("ws", Core.Redactor.None)).ToList();
        Assert.Equal(opened.Skip(2), journals.All);
    }

    /// <summary>A small test client: send, receive with a timeout that names what was awaited.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly ClientWebSocket _socket = new();

        public static async Task<Client> ConnectAsync(Uri url)
        {
            var client = new Client();
            await client._socket.ConnectAsync(url, CancellationToken.None);
            return client;
        }

        public Task SendTextAsync(string text) => _socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

        public Task SendBinaryAsync(byte[] data) => _socket.SendAsync(data, WebSocketMessageType.Binary, true, CancellationToken.None);

        public async Task<string> ReceiveTextAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var buffer = new byte[64 * 1024];
            using var message = new MemoryStream();
            while (true)
            {
                var result = await _socket.ReceiveAsync(buffer, timeout.Token);
                Assert.True(result.MessageType == WebSocketMessageType.Text, $"expected a text message, got {result.MessageType}");
                message.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    return Encoding.UTF8.GetString(message.ToArray());
                }
            }
        }

        public async Task<(WebSocketMessageType Type, WebSocketCloseStatus? Status)> ReceiveAnyAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var result = await _socket.ReceiveAsync(new byte[64 * 1024], timeout.Token);
            return (result.MessageType, result.CloseStatus);
        }

        public async Task CloseAsync() => await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);

        public ValueTask DisposeAsync()
        {
            _socket.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
