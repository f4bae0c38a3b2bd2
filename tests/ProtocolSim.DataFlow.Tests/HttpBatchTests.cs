using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Audio;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>The HTTP batch integration: multipart Parameters + Audio, the whole script at once, events and incidents in one body.</summary>
public sealed class HttpBatchTests : IAsyncLifetime
{
    private DataFlowTestHost _host = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects());
        _http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _host.DisposeAsync();
    }

    private static byte[] Silence(double seconds, int rate = 8000) => Wav.Encode(new byte[(int)(seconds * rate) * 2], rate);

    private async Task<(HttpStatusCode Status, JsonObject Body)> PostAsync(HttpContent content, string? token = "valid", string? tenant = DataFlowTestHost.Tenant, string? project = "call-analytics")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.App.HttpUrl) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token == "valid" ? _host.Token : token);
        }

        if (tenant is not null)
        {
            request.Headers.Add("Tenant", tenant);
        }

        if (project is not null)
        {
            request.Headers.Add("ProjectName", project);
        }

        using var response = await _http.SendAsync(request);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!);
    }

    private static MultipartFormDataContent Body(string? parameters = """{"Settings":{"Punctuation":true}}""", byte[]? audio = null)
    {
        var body = new MultipartFormDataContent();
        if (parameters is not null)
        {
            body.Add(new StringContent(parameters), "Parameters");
        }

        if (audio is not null)
        {
            var part = new ByteArrayContent(audio);
            part.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
            body.Add(part, "Audio", "call.wav");
        }

        return body;
    }

    [Fact]
    public async Task Batch_OfAWavFile_ReturnsEveryEventWithFinalResultLast()
    {
        var (status, body) = await PostAsync(Body(audio: Silence(2)));
        Assert.Equal(HttpStatusCode.OK, status);
        var results = body["Results"]!.AsArray();
        Assert.Equal("FinalResult", results[^1]!["Name"]!.GetValue<string>());
        Assert.NotNull(body["Incidents"]);
        var journal = _host.App.Services.GetRequiredService<DataFlowJournals>().All.Single();
        Assert.Equal("dataflow-http", journal.Protocol);
        Assert.Empty(journal.Findings);
    }

    [Fact]
    public async Task Batch_InMuLaw_WithAMismatchedParametersAudio_IsProcessedAndRecorded()
    {
        var codes = new byte[8000];
        Array.Fill(codes, (byte)0xFF);
        var (status, body) = await PostAsync(Body("""{"Audio":{"Encoding":"pcm","SampleRate":"16000","ChannelCount":"1"}}""", Wav.EncodeG711(codes, 8000, 1, WavFormat.MuLawTag)));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("FinalResult", body["Results"]!.AsArray()[^1]!["Name"]!.GetValue<string>());
        Assert.Contains(_host.App.Services.GetRequiredService<DataFlowJournals>().All.Single().Findings, f => f.RuleId == "DFH-006");
    }

    [Fact]
    public async Task Batch_Refusals_AnswerWithTheStatusAndAnErrorIncident()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(Body(audio: Silence(0.5)), token: null)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PostAsync(Body(audio: Silence(0.5)), token: "not-a-token")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Body(audio: Silence(0.5)), tenant: null)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(Body(audio: Silence(0.5)), project: "no-such-project")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Body(parameters: null, audio: Silence(0.5)))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Body(parameters: "{not json", audio: Silence(0.5)))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Body())).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(Body(audio: "ID3 this is an mp3"u8.ToArray()))).Status);
        var (status, body) = await PostAsync(new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Error", body["Incidents"]![0]!["Level"]!.GetValue<string>());
        Assert.Empty(body["Results"]!.AsArray());
        var rules = _host.App.Services.GetRequiredService<DataFlowJournals>().All.SelectMany(j => j.Findings).Select(f => f.RuleId).ToHashSet();
        Assert.Superset(new HashSet<string?> { "DFH-001", "DFH-002", "DFH-003", "DFH-004", "DFH-005" }, rules);
    }

    [Fact]
    public async Task Batch_StartEvents_EnterTheProjectAtTheEntryNode()
    {
        var parameters = """{"Events":[{"Name":"Client Text","Channel":0,"StartMsec":-1,"EndMsec":-1,"GroupId":"","Tags":[],"Data":{"Text":"Welcome"}}]}""";
        var (status, body) = await PostAsync(Body(parameters, Silence(0.5)), project: "tts-echo");
        Assert.Equal(HttpStatusCode.OK, status);
        var names = body["Results"]!.AsArray().Select(e => e!["Name"]!.GetValue<string>()).ToList();
        Assert.Equal(["Start Of TTS Fragment", "End Of TTS Fragment", "FinalResult"], names);
        Assert.Equal("Welcome", body["Results"]![0]!["Data"]!["Text"]!.GetValue<string>());

        // Events in Start are the HTTP integration's (000 §Start): no DFW-011 finding here.
        Assert.DoesNotContain(_host.App.Services.GetRequiredService<DataFlowJournals>().All.Single().Findings, f => f.RuleId == "DFW-011");
    }

    [Fact]
    public async Task Batch_SecretInAHeader_OrTokenWithoutBearer_IsRecorded()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Post, _host.App.HttpUrl) { Content = Body(audio: Silence(0.5)) })
        {
            request.Headers.TryAddWithoutValidation("Authorization", _host.Token);
            request.Headers.Add("X-Client-Secret", "secret-for-tests");
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        var journal = _host.App.Services.GetRequiredService<DataFlowJournals>().All.Single();
        Assert.Superset(new HashSet<string?> { "DFA-004", "DFA-007", "DFH-002" }, journal.Findings.Select(f => f.RuleId).ToHashSet());
        Assert.DoesNotContain(journal.Entries, e => e.Text?.Contains("secret-for-tests", StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task Batch_ClientGivingUp_IsJournaledAndTheMockStaysUp()
    {
        await using var slow = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects(), finalizeDuration: TimeSpan.FromSeconds(5));
        var journals = slow.App.Services.GetRequiredService<DataFlowJournals>();

        // The client gives up once the mock is handling its request (a timer could fire before the request arrived).
        var handling = new TaskCompletionSource<Core.SessionJournal>(TaskCreationOptions.RunContinuationsAsynchronously);
        journals.Store.Opened += journal => handling.TrySetResult(journal);
        using var giveUp = new CancellationTokenSource();
        using (var request = new HttpRequestMessage(HttpMethod.Post, slow.App.HttpUrl) { Content = Body(audio: Silence(0.5)) })
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", slow.Token);
            request.Headers.Add("Tenant", DataFlowTestHost.Tenant);
            request.Headers.Add("ProjectName", "call-analytics");
            var sending = _http.SendAsync(request, giveUp.Token);
            await handling.Task.WaitAsync(TimeSpan.FromSeconds(10));
            await giveUp.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending);
        }

        using var idle = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await journals.WhenIdleAsync(idle.Token);
        Assert.Contains((await handling.Task).Entries, e => e.Kind == Core.FrameKind.Close && e.Summary == "the client closed the request before the answer");
    }
}
