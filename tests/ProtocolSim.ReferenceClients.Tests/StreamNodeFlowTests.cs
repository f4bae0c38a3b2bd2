using System.Net.WebSockets;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

/// <summary>Whole-call behaviour of the Stream-Node barge-in variants (each a few seconds of real-time audio).</summary>
public sealed class StreamNodeBargeInFlowTests
{
    private static string AnswerChunk(int rate = 16000) =>
        Convert.ToBase64String(Wav.Encode(BotVoice.Pcm(Prompt.Answer, rate).Span[..Pcm.BytesPer(TimeSpan.FromMilliseconds(100), rate)], rate));

    [Fact]
    public async Task StaleChunks_KeepsSendingTheGreetingAfterKillAudio()
    {
        await using var bot = await BotHost.StartAsync("stale-chunks");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.ReceiveAsync("the greeting");

        var streaming = Flow.SayNow(peer, "bargein");
        await peer.ReceiveUntilAsync(Flow.IsKill, "killAudio");
        var next = await peer.ReceiveAsync("a stale greeting chunk", TimeSpan.FromMilliseconds(500));

        Assert.True(next.IsPlayAudio, $"expected a stale playAudio, got {next}");
        Assert.NotEqual(AnswerChunk(), next.AudioContent);
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task NoKillAudio_CancelsTheGreetingSilently()
    {
        await using var bot = await BotHost.StartAsync("no-killaudio");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.ReceiveAsync("the greeting");

        var streaming = Flow.SayNow(peer, "question");
        var (_, before) = await peer.ReceiveUntilAsync(r => r.IsPlayAudio && r.AudioContent == AnswerChunk(), "the answer", TimeSpan.FromSeconds(6));

        Assert.DoesNotContain(before, Flow.IsKill);
        Assert.True(before.Count < 19, $"the greeting should have been cut short, got {before.Count} more chunks");
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task LateKillAudio_ComesAbout700msAfterOnset()
    {
        await using var bot = await BotHost.StartAsync("late-killaudio");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.ReceiveAsync("the greeting");

        var onset = peer.Elapsed + TimeSpan.FromMilliseconds(100); // the recording starts with 100 ms of silence
        var streaming = Flow.SayNow(peer, "bargein");
        var (kill, _) = await peer.ReceiveUntilAsync(Flow.IsKill, "killAudio");

        Assert.InRange(kill.At - onset, TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(1500));
        await peer.CloseAsync();
        await streaming;
    }

    [Theory]
    [InlineData("conforming", true)]
    [InlineData("send-state-playback", false)]
    public async Task SpeechWhileQueuedAudioPlays_KillAudioOnlyWhenPlaybackTracked(string name, bool expectKill)
    {
        await using var bot = await BotHost.StartAsync(name);
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        for (var i = 0; i < 20; i++)
        {
            await peer.ReceiveAsync("the greeting"); // all sent ~0.9 s in; playback runs to ~2 s
        }

        var streaming = Flow.SayNow(peer, "question");
        var (_, before) = await peer.ReceiveUntilAsync(r => r.IsPlayAudio, "the answer", TimeSpan.FromSeconds(6));

        Assert.Equal(expectKill, before.Any(Flow.IsKill));
        await peer.CloseAsync();
        await streaming;
    }

}

/// <summary>Stream-Node variants that hear the caller wrongly or mix calls up.</summary>
public sealed class StreamNodeHearingFlowTests
{
    [Fact]
    public async Task BigEndianAudio_TakesLineNoiseForSpeech()
    {
        await using var bot = await BotHost.StartAsync("big-endian-audio");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.ReceiveAsync("the greeting");

        var streaming = peer.StreamAsync(CallerAudio.LineNoise(TimeSpan.FromSeconds(2), 16000), 16000);
        await peer.ReceiveUntilAsync(Flow.IsKill, "killAudio for line noise");
        await peer.CloseAsync();
        await streaming;
    }

    [Theory]
    [InlineData("conforming", true)]
    [InlineData("frame-size-640", false)]
    public async Task TenMillisecondFrames_AnsweredOnlyByBotsTakingAnyFrameSize(string name, bool expectAnswer)
    {
        await using var bot = await BotHost.StartAsync(name);
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        for (var i = 0; i < 20; i++)
        {
            await peer.ReceiveAsync("the greeting");
        }

        var (speech, _) = CallerAudio.Recording("question", 16000);
        var audio = CallerAudio.Concat(CallerAudio.LineNoise(TimeSpan.FromSeconds(1.5), 16000), speech, CallerAudio.LineNoise(TimeSpan.FromSeconds(2), 16000));
        var streaming = peer.StreamAsync(audio, 16000, frameMs: 10);

        var answer = await peer.TryReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(expectAnswer, answer is { IsPlayAudio: true });
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task StateByNumber_SecondCallToTheNumberTakesOverTheFirstCallsAudio()
    {
        await using var bot = await BotHost.StartAsync("state-by-number");
        await using var first = await bot.ConnectAsync();
        await first.SendTextAsync(CallerAudio.StreamNodeMetadata("call-a", customer: "+919000000001"));
        await first.ReceiveAsync("the first call's greeting");

        await using var second = await bot.ConnectAsync();
        await second.SendTextAsync(CallerAudio.StreamNodeMetadata("call-b", customer: "+919000000002"));

        var secondChunks = 0;
        while (await second.TryReceiveAsync(TimeSpan.FromSeconds(1.5)) is { IsPlayAudio: true })
        {
            secondChunks++;
        }

        var firstChunks = 1;
        while (await first.TryReceiveAsync(TimeSpan.FromMilliseconds(200)) is { IsPlayAudio: true })
        {
            firstChunks++;
        }

        Assert.True(firstChunks < 20, $"first call got {firstChunks} chunks");
        Assert.True(secondChunks > 20, $"second call got {secondChunks} chunks");
        Assert.Equal(40, firstChunks + secondChunks);
    }
}

/// <summary>Whole-call behaviour of the Stream-Node reply and control variants.</summary>
public sealed class StreamNodeControlFlowTests
{
    [Fact]
    public async Task Conforming_Goodbye_DisconnectsAfterPlayback()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "goodbye");

        var (control, before) = await peer.ReceiveUntilAsync(Flow.IsControl, "disconnect", TimeSpan.FromSeconds(12));

        Assert.Equal("""{"type":"disconnect"}""", control.Text);
        var goodbye = before.Where(r => r.IsPlayAudio).TakeLast(10).ToList();
        Assert.True(control.At - goodbye[0].At >= TimeSpan.FromMilliseconds(950));
        Assert.Null(await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(300)));
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task HangupByClose_Goodbye_ClosesWith1000()
    {
        await using var bot = await BotHost.StartAsync("hangup-by-close");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "goodbye");

        var (close, before) = await peer.ReceiveUntilAsync(r => r.Type == WebSocketMessageType.Close, "a close frame", TimeSpan.FromSeconds(12));

        Assert.Equal(WebSocketCloseStatus.NormalClosure, close.CloseStatus);
        Assert.DoesNotContain(before, r => r.MessageType == "disconnect");
        await streaming;
    }

    [Fact]
    public async Task AudioAfterDisconnect_Transfer_FollowedByTwoChunks()
    {
        await using var bot = await BotHost.StartAsync("audio-after-disconnect");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "transfer");

        var (transfer, _) = await peer.ReceiveUntilAsync(Flow.IsControl, "transfer", TimeSpan.FromSeconds(10));
        Assert.Equal("transfer", transfer.MessageType);
        var after1 = await peer.ReceiveAsync("a chunk after transfer", TimeSpan.FromSeconds(1));
        var after2 = await peer.ReceiveAsync("a second chunk after transfer", TimeSpan.FromSeconds(1));

        Assert.True(after1.IsPlayAudio && after2.IsPlayAudio);
        Assert.InRange(after1.At - transfer.At, TimeSpan.FromMilliseconds(80), TimeSpan.FromMilliseconds(800));
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task BadTransfer_DestinationHasNoCountryCode()
    {
        await using var bot = await BotHost.StartAsync("bad-transfer");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "transfer");

        var (transfer, _) = await peer.ReceiveUntilAsync(Flow.IsControl, "transfer", TimeSpan.FromSeconds(10));

        Assert.Equal("""{"type":"transfer","data":{"destination":"9876543210"}}""", transfer.Text);
        await peer.CloseAsync();
        await streaming;
    }

}

/// <summary>Stream-Node variants that reply in the wrong shape or time.</summary>
public sealed class StreamNodeReplyFlowTests
{
    [Fact]
    public async Task SlowReply_AnswersMoreThan2500msAfterSpeech()
    {
        await using var bot = await BotHost.StartAsync("slow-reply");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        var (streaming, speechEndsAt) = await Flow.SayAfterGreetingAsync(peer, "question", tailSeconds: 5);

        var (answer, _) = await peer.ReceiveUntilAsync(r => r.IsPlayAudio && r.At > speechEndsAt, "the answer", TimeSpan.FromSeconds(12));

        Assert.True(answer.At - speechEndsAt > TimeSpan.FromSeconds(2.5));
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task UntypedMarks_MarkFollowsTheGreeting()
    {
        await using var bot = await BotHost.StartAsync("untyped-marks");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);

        var (mark, before) = await peer.ReceiveUntilAsync(r => !r.IsPlayAudio, "the mark");

        Assert.Equal("""{"mark":"reply-done"}""", mark.Text);
        Assert.Equal(20, before.Count);
    }

    [Fact]
    public async Task SlowDrip_OneChunkEvery150ms()
    {
        await using var bot = await BotHost.StartAsync("slow-drip");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);

        var first = await peer.ReceiveAsync("chunk 1");
        Received last = first;
        for (var i = 1; i < 8; i++)
        {
            last = await peer.ReceiveAsync($"chunk {i + 1}");
        }

        Assert.InRange(last.At - first.At, TimeSpan.FromMilliseconds(7 * 150 - 100), TimeSpan.FromMilliseconds(7 * 150 + 600));
    }
}
