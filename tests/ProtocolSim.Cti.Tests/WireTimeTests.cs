using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Tests;

/// <summary>
/// What the client sends is journaled when it comes off the socket, whatever the mock is busy with (issue 17: the
/// Data Flow mock once read a client's close only after it had finished its own sending, so the close was stamped
/// late). The CTI transports read in a loop of their own; answers and events go through a bounded queue that never
/// makes the reader wait.
/// </summary>
public sealed class WireTimeTests
{
    // Far more answers than the loopback socket buffers hold while the client reads nothing: the mock's sender waits
    // on the client, with most of them still queued, while its reader goes on.
    private const int Flood = 40_000;

    [Fact]
    public async Task Socket_AClientThatDoesNotRead_IsStillHeard_ItsRequestsAndItsCloseJournaledWhenTheyArrive()
    {
        await using var host = await TestWorld.StartAsync(o => o.OutboundCapacity = 2 * Flood);
        await using var client = await CtiTestClient.ConnectAsync(host);
        await client.LogInAsync(clientId: "deaf-desk");
        var journal = host.Processor.Journals.All.Single(j => j.Labels.GetValueOrDefault("client") == "deaf-desk");

        // From here on the client reads nothing.
        await AssertHeardWhileNotReadingAsync(journal, message => client.SendAsync(1, message), () =>
        {
            client.CloseOutput();
            return Task.CompletedTask;
        });
        Assert.Equal("closed by the client", journal.Labels["closed"]);
    }

    [Fact]
    public async Task WebSocket_AClientThatDoesNotRead_IsStillHeard_ItsRequestsAndItsCloseJournaledWhenTheyArrive()
    {
        await using var host = await TestWorld.StartAsync(o => o.OutboundCapacity = 2 * Flood);
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(host.WebSocketUrl), CancellationToken.None);

        // One exchange first: once it is answered, the mock has opened the connection's journal.
        await SendAsync(socket, new JsonObject { ["messageType"] = "coreRequest", ["command"] = "getServices", ["requestId"] = "hello" });
        var first = new byte[64 * 1024];
        using (var answered = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            Assert.Equal(WebSocketMessageType.Text, (await socket.ReceiveAsync(first, answered.Token)).MessageType);
        }

        var journal = host.Processor.Journals.All.Single();

        // From here on the client reads nothing.
        await AssertHeardWhileNotReadingAsync(journal, message => SendAsync(socket, message), () => socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None));
    }

    /// <summary>
    /// Sends <see cref="Flood"/> requests and a marker without reading, then closes: the marker and the close must be
    /// journaled while most answers are still queued behind the full socket buffers.
    /// </summary>
    private static async Task AssertHeardWhileNotReadingAsync(SessionJournal journal, Func<JsonObject, Task> send, Func<Task> close)
    {
        for (var i = 0; i < Flood; i++)
        {
            await send(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "getServices", ["requestId"] = "flood-" + i });
        }

        await send(new JsonObject { ["messageType"] = "coreRequest", ["command"] = "getServices", ["requestId"] = "marker" });
        var marker = await WaitForAsync(journal, e => e.Direction == Direction.FromClient && (e.Text?.Contains("\"marker\"", StringComparison.Ordinal) ?? false));
        var delivered = journal.Entries.Count(e => e.Direction == Direction.ToClient && e.Seq < marker.Seq);
        Assert.True(delivered < Flood, $"the mock had delivered {delivered} of {Flood} answers when it read the last request: the client's buffers never filled, so this test proved nothing");

        await close();
        var closed = await WaitForAsync(journal, e => e.Kind == FrameKind.Close && e.Summary.Contains("closed by the client", StringComparison.Ordinal));
        var deliveredAtClose = journal.Entries.Count(e => e.Direction == Direction.ToClient && e.Seq < closed.Seq);
        Assert.True(deliveredAtClose < Flood, $"the client's close was journaled only after {deliveredAtClose} of {Flood} answers went out");
    }

    private static Task SendAsync(ClientWebSocket socket, JsonObject message) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The first entry that matches, waited for on every append (no polling interval to tune).</summary>
    private static async Task<JournalEntry> WaitForAsync(SessionJournal journal, Func<JournalEntry, bool> match)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var appended = new SemaphoreSlim(0);
        void OnAppended(SessionJournal j, JournalEntry? e, Finding? f) => appended.Release();
        journal.Appended += OnAppended;
        try
        {
            while (true)
            {
                if (journal.Entries.FirstOrDefault(match) is { } found)
                {
                    return found;
                }

                try
                {
                    await appended.WaitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    Assert.Fail("not journaled within 30 s: the mock stopped reading its socket while the client did not read");
                }
            }
        }
        finally
        {
            journal.Appended -= OnAppended;
        }
    }
}
