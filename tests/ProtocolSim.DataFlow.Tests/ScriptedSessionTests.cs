using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Audio;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

public sealed class ScriptedSessionTests
{
    [Fact]
    public async Task CallAnalytics_OverWebSocket_EmitsScriptedEventsAndFinalResultLast()
    {
        const string tenant = DataFlowTestHost.Tenant;
        await using var host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects());
        var token = host.Token;

        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(host.WebSocket("/project-runner/call-analytics"), CancellationToken.None);
        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["Tenant"] = tenant,
            ["Token"] = token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 16000, ["ChannelCount"] = 1 },
        };
        await ws.SendAsync(Encoding.UTF8.GetBytes(start.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        var names = new List<string>();
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

        // DFW-005: audio only after StartResponse Success.
        var first = await ws.ReceiveAsync(buffer, timeout.Token);
        names.Add(Encoding.UTF8.GetString(buffer, 0, first.Count) == """{"MessageName":"StartResponse","OperationResult":"Success"}""" ? "StartResponse:Success" : Encoding.UTF8.GetString(buffer, 0, first.Count));

        // 0.3 s silence, 1 s of speech-like tone, 0.6 s silence, in 20 ms chunks.
        var samples = new short[(int)(16000 * 1.9)];
        for (var i = (int)(16000 * 0.3); i < 16000 * 1.3; i++)
        {
            samples[i] = (short)(6000 * Math.Sin(2 * Math.PI * 220 * i / 16000));
        }

        var bytes = Pcm.ToBytes(samples);
        for (var i = 0; i < bytes.Length; i += 640)
        {
            await ws.SendAsync(bytes.AsMemory(i, Math.Min(640, bytes.Length - i)), WebSocketMessageType.Binary, true, CancellationToken.None);
        }

        await ws.SendAsync("""{"MessageName":"Finalize"}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        while (!names.Contains("FinalResult"))
        {
            WebSocketReceiveResult result;
            try
            {
                result = await ws.ReceiveAsync(buffer, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("no FinalResult within 15 s; received: " + string.Join(", ", names));
                throw;
            }

            var message = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, result.Count))!;
            names.Add(message["Event"]?["Name"]?.GetValue<string>() ?? (message["Incident"] is { } incident ? $"Incident {incident["Message"]}" : $"{message["MessageName"]}:{message["OperationResult"]}"));
        }

        Assert.Equal("StartResponse:Success", names[0]);
        Assert.Equal("Language Detected", names[1]);
        var order = new[] { "Speech Started", "SR Partial", "Speech Ended", "SR Milestone", "Sentiment", "Emotion", "FinalizeResponse:Success", "Summarize", "FinalResult" };
        Assert.Equal(order, names.Where(order.Contains).ToArray());
        Assert.Equal("FinalResult", names[^1]);
    }

    [Fact]
    public async Task TtsEcho_ClientEventText_IsSpokenBetweenFragmentEventsInTheOutputEncoding()
    {
        const string tenant = DataFlowTestHost.Tenant;
        var projects = DataFlowTestHost.ShippedProjects();
        Assert.Equal(["call-analytics", "incident-heavy", "tts-echo"], projects.Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
        await using var host = await DataFlowTestHost.StartAsync(projects);
        var token = host.Token;

        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(host.WebSocket("/project-runner/tts-echo"), CancellationToken.None);
        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["Tenant"] = tenant,
            ["Token"] = token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 8000, ["ChannelCount"] = 1, ["Output"] = new JsonObject { ["Encoding"] = "ulaw" } },
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        await ws.SendAsync(Encoding.UTF8.GetBytes(start.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        var response = await ws.ReceiveAsync(buffer, timeout.Token);
        Assert.Contains("Success", Encoding.UTF8.GetString(buffer, 0, response.Count), StringComparison.Ordinal);

        var ev = """{"Event":{"Name":"Chat Message","Channel":0,"StartMsec":-1,"EndMsec":-1,"GroupId":"","Tags":[],"Data":{"Text":"hello there, how are you"}}}""";
        await ws.SendAsync(Encoding.UTF8.GetBytes(ev), WebSocketMessageType.Text, true, CancellationToken.None);
        var first = await ws.ReceiveAsync(buffer, timeout.Token);
        var fragment = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, first.Count))!["Event"]!;
        Assert.Equal("Start Of TTS Fragment", fragment["Name"]!.GetValue<string>());
        Assert.Equal("hello there, how are you", fragment["Data"]!["Text"]!.GetValue<string>());
        Assert.False(fragment["Data"]!["HasWaveHeader"]!.GetValue<bool>());
        var audioBytes = 0;
        byte[]? firstAudio = null;
        while (true)
        {
            var frame = await ws.ReceiveAsync(buffer, timeout.Token);
            if (frame.MessageType == WebSocketMessageType.Text)
            {
                Assert.Equal("End Of TTS Fragment", JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, frame.Count))!["Event"]!["Name"]!.GetValue<string>());
                break;
            }

            Assert.InRange(frame.Count, 1, 800); // at most 100 ms of 8 kHz mu-law per frame
            firstAudio ??= buffer[..frame.Count];
            audioBytes += frame.Count;
        }

        Assert.InRange(audioBytes, 8000 * 1, 8000 * 3); // about 65 ms per character, raw mu-law, no header
        Assert.False(firstAudio!.AsSpan().StartsWith("RIFF"u8), "HasWaveHeader is false: the audio must be raw");

        // The journal keeps the speech as a track, as 16-bit PCM (what the dashboard and the report play): as long as
        // the fragment, and what the mu-law sent decodes to, give or take a quantisation step.
        var tts = host.App.Services.GetRequiredService<DataFlowJournals>().All.Single().Audio[DataFlowSession.TtsTrack];
        var spoken = Pcm.ToSamples(tts.ToArray());
        Assert.Equal(audioBytes, spoken.Length);
        var sent = G711.DecodeMuLaw(firstAudio);
        for (var i = 0; i < sent.Length; i++)
        {
            Assert.InRange(spoken[i] - sent[i], -1024, 1024);
        }
    }

    [Fact]
    public async Task TtsEcho_FragmentsSentBackToBack_FollowEachOtherOnTheTtsTrack()
    {
        await using var host = await DataFlowTestHost.StartAsync(DataFlowTestHost.ShippedProjects());
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(host.WebSocket("/project-runner/tts-echo"), CancellationToken.None);
        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["Tenant"] = DataFlowTestHost.Tenant,
            ["Token"] = host.Token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 8000, ["ChannelCount"] = 1 },
        };
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        await ws.SendAsync(Encoding.UTF8.GetBytes(start.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        await ws.ReceiveAsync(buffer, timeout.Token);

        // Two client events, no audio between them: both fragments start at input audio time 0.
        foreach (var text in new[] { "first fragment", "and the second one, a little longer" })
        {
            var ev = new JsonObject { ["Event"] = new JsonObject { ["Name"] = "Chat Message", ["Channel"] = 0, ["StartMsec"] = -1, ["EndMsec"] = -1, ["GroupId"] = "", ["Tags"] = new JsonArray(), ["Data"] = new JsonObject { ["Text"] = text } } };
            await ws.SendAsync(Encoding.UTF8.GetBytes(ev.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);
        }

        var audioBytes = 0;
        for (var ends = 0; ends < 2;)
        {
            var frame = await ws.ReceiveAsync(buffer, timeout.Token);
            if (frame.MessageType == WebSocketMessageType.Binary)
            {
                audioBytes += frame.Count;
            }
            else if (Encoding.UTF8.GetString(buffer, 0, frame.Count).Contains("End Of TTS Fragment", StringComparison.Ordinal))
            {
                ends++;
            }
        }

        // Every sample of both fragments is on the track, one after the other (PCM16: the bytes sent are the track's).
        var tts = host.App.Services.GetRequiredService<DataFlowJournals>().All.Single().Audio[DataFlowSession.TtsTrack];
        Assert.Equal(audioBytes, tts.ToArray().Length);
    }

    [Fact]
    public async Task Faults_OverWebSocket_ScriptedFailedBusyDelayAndDrop()
    {
        const string tenant = DataFlowTestHost.Tenant;
        var errors = new List<string>();
        var project = ProjectLoader.Load("faulty.yaml", """
            name: faulty
            responses: { Start: Failed, Finalize: Busy }
            script:
              - on: update
                emit:
                  - fault: { delay: 300 }
                  - event: Summarize
                    channel: 0
                    data: { Summary: late }
              - on: stop
                emit:
                  - fault: { drop: true }
            """, errors)!;
        Assert.Empty(errors);
        await using var host = await DataFlowTestHost.StartAsync([project], finalizeDuration: TimeSpan.FromMilliseconds(200));
        var token = host.Token;
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(host.WebSocket("/project-runner/faulty"), CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        async Task<string> Exchange(string? send)
        {
            if (send is not null)
            {
                await ws.SendAsync(Encoding.UTF8.GetBytes(send), WebSocketMessageType.Text, true, CancellationToken.None);
            }

            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, r.Count);
        }

        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["Tenant"] = tenant,
            ["Token"] = token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 16000, ["ChannelCount"] = 1 },
        }.ToJsonString();
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Failed"}""", await Exchange(start));
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", await Exchange(start));
        var updated = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal("""{"MessageName":"UpdateResponse","OperationResult":"Success"}""", await Exchange("""{"MessageName":"Update","Parameters":{"k":1}}"""));
        Assert.Contains("\"Summary\":\"late\"", await Exchange(null), StringComparison.Ordinal);
        Assert.True(updated.Elapsed >= TimeSpan.FromMilliseconds(250), $"the delayed event came after {updated.Elapsed.TotalMilliseconds:0} ms");
        // A scripted Busy means another finishing operation is running: its FinalResult still comes (DFW-021).
        Assert.Equal("""{"MessageName":"FinalizeResponse","OperationResult":"Busy"}""", await Exchange("""{"MessageName":"Finalize"}"""));
        Assert.Contains("\"Name\":\"FinalResult\"", await Exchange(null), StringComparison.Ordinal);

        // A second connection: Stop runs the stop rule, which drops the connection.
        using var second = new ClientWebSocket();
        await second.ConnectAsync(host.WebSocket("/project-runner/faulty"), CancellationToken.None);
        async Task<string> ExchangeSecond(string send)
        {
            await second.SendAsync(Encoding.UTF8.GetBytes(send), WebSocketMessageType.Text, true, CancellationToken.None);
            var r = await second.ReceiveAsync(buffer, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, r.Count);
        }

        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Failed"}""", await ExchangeSecond(start));
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", await ExchangeSecond(start));
        Assert.Equal("""{"MessageName":"StopResponse","OperationResult":"Success"}""", await ExchangeSecond("""{"MessageName":"Stop"}"""));
        var dropped = await Assert.ThrowsAsync<WebSocketException>(() => second.ReceiveAsync(buffer, timeout.Token));
        Assert.Equal(WebSocketError.ConnectionClosedPrematurely, dropped.WebSocketErrorCode);
    }

    [Fact]
    public async Task ScriptedNoActiveOperation_EndsTheSessionWithoutFinalResult()
    {
        var errors = new List<string>();
        var project = ProjectLoader.Load("over.yaml", "name: over\nresponses: { Finalize: NoActiveOperation }\n", errors)!;
        Assert.Empty(errors);
        await using var host = await DataFlowTestHost.StartAsync([project]);
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(host.WebSocket("/project-runner/over"), CancellationToken.None);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var buffer = new byte[64 * 1024];
        async Task<string> Exchange(string send)
        {
            await ws.SendAsync(Encoding.UTF8.GetBytes(send), WebSocketMessageType.Text, true, CancellationToken.None);
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            return Encoding.UTF8.GetString(buffer, 0, r.Count);
        }

        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["Tenant"] = DataFlowTestHost.Tenant,
            ["Token"] = host.Token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 8000, ["ChannelCount"] = 1 },
        }.ToJsonString();
        Assert.Equal("""{"MessageName":"StartResponse","OperationResult":"Success"}""", await Exchange(start));
        Assert.Equal("""{"MessageName":"FinalizeResponse","OperationResult":"NoActiveOperation"}""", await Exchange("""{"MessageName":"Finalize"}"""));

        // The session is over: a second Finalize finds no active operation either (no scripted answer left).
        Assert.Equal("""{"MessageName":"FinalizeResponse","OperationResult":"NoActiveOperation"}""", await Exchange("""{"MessageName":"Finalize"}"""));
    }
}
