using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

public sealed class ConformingBotTests
{
    private static readonly TimeSpan GreetingPlayback = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(CallerAudio.PythonDictInJsonString)]
    [InlineData(CallerAudio.JsonObject)]
    [InlineData(CallerAudio.BarePythonDict)]
    public async Task Greeting_AfterMetadataInEachForm_IsHundredMillisecondWavChunks(string metadata)
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(metadata);
        var first = await peer.ReceiveAsync("the greeting's first playAudio");

        Assert.Equal("playAudio", first.MessageType);
        Assert.Equal("wav", first.Json["data"]!["audioContentType"]!.GetValue<string>());
        Assert.Equal(4328, first.AudioContent.Length); // base64(44 + 3200), the guide's b64_size
        var wav = Wav.Decode(Convert.FromBase64String(first.AudioContent));
        Assert.Equal(WavFormat.Pcm16Mono(16000), wav.Format);
        Assert.Equal(TimeSpan.FromMilliseconds(100), wav.Duration);
    }

    [Fact]
    public async Task Greeting_IsTwoSecondsStreamedWithOneSecondLead()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        var chunks = new List<Received>();
        for (var i = 0; i < 20; i++)
        {
            chunks.Add(await peer.ReceiveAsync($"greeting chunk {i + 1} of 20"));
        }

        Assert.All(chunks, c => Assert.Equal(4328, c.AudioContent.Length));
        var total = chunks.Sum(c => Wav.Decode(Convert.FromBase64String(c.AudioContent)).Duration.Ticks);
        Assert.Equal(GreetingPlayback, TimeSpan.FromTicks(total));

        // The first ~1 s of audio goes at once; the rest follows playback, so chunk 20 is ~0.9 s after chunk 1.
        var spread = chunks[^1].At - chunks[0].At;
        Assert.InRange(spread, TimeSpan.FromMilliseconds(700), TimeSpan.FromMilliseconds(1500));
        Assert.True(chunks[9].At - chunks[0].At < TimeSpan.FromMilliseconds(300), "first 10 chunks should go at once");
    }

    [Fact]
    public async Task Connect_BeforeMetadata_SendsNothing()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();

        // A bounded look for something that must not come (KVS-009).
        Assert.Null(await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(300)));

        await peer.SendTextAsync(CallerAudio.JsonObject);
        Assert.Equal("playAudio", (await peer.ReceiveAsync("the greeting")).MessageType);
    }

    [Fact]
    public async Task Greeting_DialledWithSamplingRate8000_Is8kWav()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync(bot.UrlWithRate(8000));

        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        var first = await peer.ReceiveAsync("the greeting");

        Assert.Equal(2192, first.AudioContent.Length);
        Assert.Equal(WavFormat.Pcm16Mono(8000), Wav.Decode(Convert.FromBase64String(first.AudioContent)).Format);
    }

    [Fact]
    public async Task Connect_BadSamplingRate_Is400()
    {
        await using var bot = await BotHost.StartAsync("conforming");

        var status = await bot.ConnectExpectingFailureAsync(new UriBuilder(bot.Url) { Query = "sampling_rate=banana" }.Uri);

        Assert.Equal(400, status);
    }

    [Fact]
    public async Task Connect_Tls_UsesSelfSignedLocalhostCertificate()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        X509Certificate2? seen = null;
        using var socket = new ClientWebSocket();
        socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            seen = certificate is null ? null : new X509Certificate2(certificate);
            return errors == SslPolicyErrors.RemoteCertificateChainErrors;
        };

        using var timeout = new CancellationTokenSource(TestPeer.DefaultTimeout);
        await socket.ConnectAsync(bot.Url, timeout.Token);

        Assert.Equal("wss", bot.Url.Scheme);
        Assert.Equal("/voice", bot.Url.AbsolutePath);
        Assert.NotNull(seen);
        Assert.Equal("CN=localhost", seen!.Subject);
        Assert.Equal(bot.Server.Certificate!.Thumbprint, seen.Thumbprint);
        seen.Dispose();
        socket.Abort();
    }

    [Fact]
    public async Task Speech_AfterGreeting_IsAnsweredAfterItEnds()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();
        var (question, questionSpeechEnd, _) = CallerAudio.Question16k();

        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        var greeting = await peer.ReceiveAsync("the greeting");

        // Line noise while the greeting plays, then the question, then noise so the end of speech is heard.
        var lead = CallerAudio.LineNoise(GreetingPlayback + TimeSpan.FromMilliseconds(300), 16000);
        var tail = CallerAudio.LineNoise(TimeSpan.FromSeconds(2), 16000, seed: 8);
        var speechEndsAt = peer.Elapsed + Pcm.DurationOf(lead.Length, 16000) + questionSpeechEnd;
        var streaming = peer.StreamAsync(CallerAudio.Concat(lead, question, tail), 16000);

        var (answer, before) = await peer.ReceiveUntilAsync(
            r => r.IsPlayAudio && r.At > greeting.At + TimeSpan.FromSeconds(1.5), "the answer", TimeSpan.FromSeconds(8));

        Assert.DoesNotContain(before, r => r.MessageType == "killAudio");
        Assert.Equal(19, before.Count); // the rest of the greeting
        Assert.True(answer.At > speechEndsAt, $"answer at {answer.At} before speech ended at {speechEndsAt}");
        Assert.True(answer.At - speechEndsAt < TimeSpan.FromSeconds(1.2), $"answer {answer.At - speechEndsAt} after speech (KVS-022)");
        await streaming;
    }

    [Fact]
    public async Task Speech_DuringGreeting_SendsKillAudioAndNoStaleChunks()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        await peer.ReceiveAsync("the greeting");
        var speechStartsAt = peer.Elapsed;
        var streaming = peer.StreamAsync(
            CallerAudio.Concat(CallerAudio.Speech(TimeSpan.FromMilliseconds(800), 16000), CallerAudio.LineNoise(TimeSpan.FromSeconds(2), 16000)),
            16000);

        var (kill, _) = await peer.ReceiveUntilAsync(r => r.MessageType == "killAudio", "killAudio");
        Assert.True(kill.At - speechStartsAt < TimeSpan.FromMilliseconds(700), $"killAudio {kill.At - speechStartsAt} after onset (KVS-024)");

        // The next audio after killAudio is the answer to the barge-in, not the rest of the greeting.
        var next = await peer.ReceiveAsync("the answer after the barge-in");
        Assert.True(next.IsPlayAudio, $"expected playAudio, got {next}");
        var expected = Convert.ToBase64String(Wav.Encode(BotVoice.Pcm(Prompt.Answer, 16000).Span[..3200], 16000));
        Assert.Equal(expected, next.AudioContent);
        await streaming;
    }

    [Fact]
    public async Task LongUtterance_TransfersAfterAnnouncementPlayed()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        for (var i = 0; i < 20; i++)
        {
            await peer.ReceiveAsync("the greeting");
        }

        var audio = CallerAudio.Concat(
            CallerAudio.LineNoise(TimeSpan.FromSeconds(1.3), 16000),
            CallerAudio.Speech(TimeSpan.FromSeconds(2.5), 16000),
            CallerAudio.LineNoise(TimeSpan.FromSeconds(3), 16000));
        var streaming = peer.StreamAsync(audio, 16000);

        var (transfer, before) = await peer.ReceiveUntilAsync(r => r.MessageType == "transfer", "transfer", TimeSpan.FromSeconds(10));

        Assert.Equal("+919876543210", transfer.Json["data"]!["destination"]!.GetValue<string>());
        Assert.Equal(10, before.Count(r => r.IsPlayAudio)); // the 1 s announcement
        Assert.True(transfer.At - before[0].At >= TimeSpan.FromMilliseconds(950), "transfer before the announcement played out");
        Assert.Null(await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(300))); // nothing after transfer (KVS-030)
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task PeerAbort_ReleasesCallState()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        var ended = bot.NextCallEnded();
        var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        await peer.ReceiveAsync("the greeting");
        Assert.Single(bot.Server.Runtime.Calls);

        peer.Abort();
        var end = await ended.WaitAsync(TestPeer.DefaultTimeout);
        await peer.DisposeAsync();

        Assert.Equal("6ccf0a28-0000-0000-0000-000000000000", end.CallId);
        Assert.Empty(bot.Server.Runtime.Calls);
        Assert.Equal(0, bot.Server.ActiveCalls);
        Assert.Equal(1, bot.Server.CallsHandled);
    }

    [Fact]
    public async Task TextAfterMetadata_IsIgnored()
    {
        await using var bot = await BotHost.StartAsync("conforming");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.SendTextAsync("{\"event\": \"unexpected\"}");

        for (var i = 0; i < 20; i++)
        {
            Assert.True((await peer.ReceiveAsync("the greeting")).IsPlayAudio);
        }

        Assert.Equal(WebSocketState.Open, peer.State);
    }
}
