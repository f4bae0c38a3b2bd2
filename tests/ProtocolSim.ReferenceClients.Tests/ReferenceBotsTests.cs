using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

public sealed class ReferenceBotsTests
{
    [Fact]
    public void All_NamesUniqueAndRulesWellFormed()
    {
        var all = ReferenceBots.All;

        Assert.Equal(all.Count, all.Select(b => b.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(["conforming", "verloop-conforming", "streaming-tts"], all.Where(b => b.Conforming).Select(b => b.Name));
        Assert.All(all.Where(b => !b.Conforming), b => Assert.NotEmpty(b.BreaksRules));
        Assert.All(all, b => Assert.All(b.BreaksRules, r =>
            Assert.Matches(b.Dialect == BotDialect.StreamNode ? "^KVS-0[0-9]{2}$" : "^KVV-0[0-9]{2}$", r)));
        Assert.All(all, b => Assert.StartsWith("/", b.Path, StringComparison.Ordinal));
        Assert.Equal(46, all.Count); // 3 conforming, 32 Stream-Node and 11 Verloop variants
    }

    [Fact]
    public void Get_UnknownName_ThrowsListingValidNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => ReferenceBots.Get("nope"));

        Assert.Contains("conforming", ex.Message, StringComparison.Ordinal);
        Assert.Contains("verloop-audio-after-close", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_KnownName_ReturnsInfo()
    {
        var info = ReferenceBots.Get("Slow-Drip");

        Assert.Equal("slow-drip", info.Name);
        Assert.Equal(new HashSet<string> { "KVS-021" }, info.BreaksRules);
        Assert.True(info.Tls);
        Assert.Equal("/voice", info.Path);
    }

    [Fact]
    public async Task StartAsync_InvalidOptions_ReportsEveryProblem()
    {
        var ex = await Assert.ThrowsAsync<ArgumentException>(() =>
            ReferenceBotServer.StartAsync("conforming", new ReferenceBotOptions { Port = -1, Bind = "nowhere", TransferDestination = "" }));

        Assert.Contains("Port", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Bind", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TransferDestination", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_DefaultOptions_ServesOnLoopbackEphemeralPort()
    {
        await using var server = await ReferenceBotServer.StartAsync("verloop-conforming");

        Assert.Equal("wss", server.Url.Scheme);
        Assert.Equal("127.0.0.1", server.Url.Host);
        Assert.NotEqual(0, server.Url.Port);
        Assert.Equal("/vaani/knowlarity/setup-call-streams", server.Url.AbsolutePath);
        Assert.Equal(BotDialect.Verloop, server.Info.Dialect);
    }

    [Fact]
    public async Task DisposeAsync_WithActiveCall_EndsTheCall()
    {
        var bot = await BotHost.StartAsync("conforming");
        var ended = bot.NextCallEnded();
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.ReceiveAsync("the greeting");
        Assert.Equal(1, bot.Server.ActiveCalls);

        await bot.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(CallEnd.Shutdown, (await ended.WaitAsync(TestPeer.DefaultTimeout)).End);
        await peer.ReceiveUntilAsync(r => r.Type == System.Net.WebSockets.WebSocketMessageType.Close, "the connection to end");
    }

    [Fact]
    public void BotVoice_IsSpeechAtMinus20Dbfs()
    {
        var pcm = BotVoice.Pcm(Prompt.Answer, 16000);

        Assert.Equal(Pcm.BytesPer(TimeSpan.FromSeconds(3), 16000), pcm.Length);
        Assert.InRange(Pcm.RmsDbfs(pcm.Span), -21.0, -19.0);
        var segments = SpeechActivityDetector.Analyze(pcm.Span, 16000);
        var segment = Assert.Single(segments); // one continuous utterance despite the syllable envelope
        Assert.True(segment.Duration > TimeSpan.FromSeconds(2.9));
    }

    [Theory]
    [InlineData(8000)]
    [InlineData(48000)]
    public void BotVoice_IsDeterministicAtEveryRate(int rate)
    {
        var a = BotVoice.Synthesize(TimeSpan.FromSeconds(1), rate);
        var b = BotVoice.Synthesize(TimeSpan.FromSeconds(1), rate);

        Assert.Equal(a, b);
        Assert.Single(SpeechActivityDetector.Analyze(a, rate));
    }
}
