using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Grpc.Wire;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>
/// What the client sends is journaled when it comes off the socket, whatever the session is busy with (issue 17: a
/// client's close read 1.8 s late, after FinalResult, let a client that closed right after FinalizeResponse pass
/// DFW-017).
/// </summary>
public sealed class WireTimeTests
{
    // Finalize sends 32 MB of events: far more than the loopback socket buffers hold while the client does not read,
    // so the burst (which holds the session's lock) waits on the client until it reads again.
    private const int BurstEvents = 512;
    private const int EventTextBytes = 64 * 1024;

    private static ProjectDefinition BigFinish()
    {
        var yaml = new StringBuilder("name: big-finish\nscript:\n  - on: finalize\n    emit:\n");
        var text = new string('x', EventTextBytes);
        for (var i = 0; i < BurstEvents; i++)
        {
            yaml.Append("      - event: SR Milestone\n        data: { Text: \"").Append(text).Append("\" }\n");
        }

        var errors = new List<string>();
        var project = ProjectLoader.Load("big-finish.yaml", yaml.ToString(), errors);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return project!;
    }

    [Fact]
    public async Task WebSocket_CloseWhileTheSessionIsBlockedSendingItsFinalizeBurst_IsJournaledWhenItArrives()
    {
        await using var host = await DataFlowTestHost.StartAsync([BigFinish()], finalizeDuration: TimeSpan.Zero);
        var journals = host.App.Services.GetRequiredService<DataFlowJournals>();
        using var ws = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ws.ConnectAsync(host.WebSocket("/project-runner/big-finish"), timeout.Token);
        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["Tenant"] = DataFlowTestHost.Tenant,
            ["Token"] = host.Token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 8000, ["ChannelCount"] = 1 },
        };
        await SendAsync(ws, start.ToJsonString(), timeout.Token);
        Assert.Contains("\"Success\"", await ReceiveTextAsync(ws, timeout.Token), StringComparison.Ordinal);
        await ws.SendAsync(new byte[320], WebSocketMessageType.Binary, true, timeout.Token);
        await SendAsync(ws, """{"MessageName":"Finalize"}""", timeout.Token);
        Assert.Contains("FinalizeResponse", await ReceiveTextAsync(ws, timeout.Token), StringComparison.Ordinal);
        var journal = journals.All.Single();

        // The burst is under way and the client reads nothing more: the session now holds its lock until it can send.
        await WaitForAsync(journal, entries => entries.Any(e => e.Direction == Direction.ToClient && e.Summary.Contains("SR Milestone", StringComparison.Ordinal)), timeout.Token);

        // A client event (handled under that lock) and then the close, as a client that gives up at once would.
        await SendAsync(ws, """{"Event":{"Name":"Note","Channel":0,"StartMsec":0,"EndMsec":0,"GroupId":"","Tags":[],"Data":{}}}""", timeout.Token);
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        // Before the fix the close was read only after the burst, i.e. only once this client read again: this waited in vain.
        await AssertClientCloseJournaledWithin10sAsync(journal, "The client's close was not journaled within 10 s of arriving: the mock stopped reading its socket while the session was busy.", timeout.Token);

        // Now drain: the burst, FinalResult and the mock's close reply go out; the journal has the close before FinalResult.
        var buffer = new byte[64 * 1024];
        while ((await ws.ReceiveAsync(buffer, timeout.Token)).MessageType != WebSocketMessageType.Close)
        {
        }

        await journals.WhenIdleAsync(timeout.Token);
        var entries = journal.Entries;
        var close = entries.Single(e => e.Direction == Direction.FromClient && e.Kind == FrameKind.Close);
        var final = entries.Single(e => e.Direction == Direction.ToClient && e.Summary.Contains("FinalResult", StringComparison.Ordinal));
        Assert.True(close.Seq < final.Seq, $"close #{close.Seq} at {close.Offset} should precede FinalResult #{final.Seq} at {final.Offset}");
        Assert.True(close.Offset < final.Offset);

        // Nothing the client sent is lost: the event after Finalize is journaled (and reported as dropped).
        Assert.Contains(journal.Findings, f => f.Message.Contains("after Finalize/Stop", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Grpc_HalfCloseWhileTheCallIsBlockedSendingItsFinalizeBurst_IsJournaledWhenItArrives()
    {
        await using var host = await DataFlowTestHost.StartAsync([BigFinish()], finalizeDuration: TimeSpan.Zero);
        var journals = host.App.Services.GetRequiredService<DataFlowJournals>();
        await using var call = await GrpcStreamTests.GrpcCall.StartAsync(host.App.GrpcCleartextUrl);
        var start = new JsonObject
        {
            ["MessageName"] = "Start",
            ["ProjectName"] = "big-finish",
            ["Tenant"] = DataFlowTestHost.Tenant,
            ["Token"] = host.Token,
            ["Audio"] = new JsonObject { ["Encoding"] = "pcm", ["SampleRate"] = 8000, ["ChannelCount"] = 1 },
        };
        await call.WriteAsync(Frame(new StreamInput { Json = start.ToJsonString() }));
        Assert.Contains("\"Success\"", (await call.ReadAsync())!.Json, StringComparison.Ordinal);
        await call.WriteAsync(Frame(new StreamInput { Audio = ByteString.CopyFrom(new byte[320]) }));
        await call.WriteAsync(Frame(new StreamInput { Json = """{"MessageName":"Finalize"}""" }));
        Assert.NotNull(await call.ReadUntilAsync(m => m.Json.Contains("FinalizeResponse", StringComparison.Ordinal)));
        var journal = journals.All.Single();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // The burst is under way and the client reads nothing more: HTTP/2 flow control holds the call's writes.
        await WaitForAsync(journal, entries => entries.Any(e => e.Direction == Direction.ToClient && e.Summary.Contains("SR Milestone", StringComparison.Ordinal)), timeout.Token);
        call.HalfClose();
        await AssertClientCloseJournaledWithin10sAsync(journal, "The client's half-close was not journaled within 10 s of arriving: the mock stopped reading the request stream while the call was busy.", timeout.Token);

        // Now drain: the burst and FinalResult go out; the journal has the half-close before FinalResult.
        while (await call.ReadAsync() is not null)
        {
        }

        await journals.WhenIdleAsync(timeout.Token);
        var entries = journal.Entries;
        var halfClose = entries.Single(e => e.Direction == Direction.FromClient && e.Kind == FrameKind.Close);
        var final = entries.Single(e => e.Direction == Direction.ToClient && e.Summary.Contains("FinalResult", StringComparison.Ordinal));
        Assert.True(halfClose.Seq < final.Seq, $"half-close #{halfClose.Seq} at {halfClose.Offset} should precede FinalResult #{final.Seq} at {final.Offset}");
        Assert.Equal("0", call.Trailer("grpc-status"));
    }

    private static byte[] Frame(StreamInput input) => RawFrames.Encode(input.ToByteArray());

    private static Task SendAsync(ClientWebSocket ws, string text, CancellationToken cancellationToken) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, cancellationToken);

    private static async Task<string> ReceiveTextAsync(ClientWebSocket ws, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    /// <summary>Waits up to 10 s for the client's close (or half-close) in the journal; fails with <paramref name="failure"/> if it is not there.</summary>
    private static async Task AssertClientCloseJournaledWithin10sAsync(SessionJournal journal, string failure, CancellationToken cancellationToken)
    {
        using var closeSeen = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        closeSeen.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await WaitForAsync(journal, entries => entries.Any(e => e.Direction == Direction.FromClient && e.Kind == FrameKind.Close), closeSeen.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Assert.Fail(failure);
        }
    }

    /// <summary>Waits for a condition on the journal, looked at again on every append (no polling interval to tune).</summary>
    private static async Task WaitForAsync(SessionJournal journal, Func<IReadOnlyList<JournalEntry>, bool> condition, CancellationToken cancellationToken)
    {
        using var appended = new SemaphoreSlim(0);
        void OnAppended(SessionJournal j, JournalEntry? e, Finding? f) => appended.Release();
        journal.Appended += OnAppended;
        try
        {
            while (!condition(journal.Entries))
            {
                await appended.WaitAsync(cancellationToken);
            }
        }
        finally
        {
            journal.Appended -= OnAppended;
        }
    }
}
