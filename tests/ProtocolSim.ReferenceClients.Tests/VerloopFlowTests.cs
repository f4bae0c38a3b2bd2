using System.Net.WebSockets;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

/// <summary>Whole-call behaviour of the Verloop control variants.</summary>
public sealed class VerloopControlFlowTests
{
    [Theory]
    [InlineData("verloop-conforming", """{"type":"playAudio","data":{"audioContentType":"wave","audioContent":"None","textContent":"asr_disconnect=true,parameter1=default"}}""")]
    [InlineData("verloop-spaced-pairs", """{"type":"playAudio","data":{"audioContentType":"wave","audioContent":"None","textContent":"asr_disconnect=true, parameter1=default"}}""")]
    [InlineData("verloop-transfer-message", """{"type":"transfer","data":{"destination":"+919876543210"}}""")]
    public async Task Transfer_SendsTheVariantsMessage(string name, string expected)
    {
        await using var bot = await BotHost.StartAsync(name);
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u-" + name, 16000));
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "transfer");

        var (control, _) = await peer.ReceiveUntilAsync(Flow.IsControl, "the transfer", TimeSpan.FromSeconds(10));

        Assert.Equal(expected, control.Text);
        Assert.Null(await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(300)));
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task AudioAfterClose_TwoChunksFollowAsrDisconnect()
    {
        await using var bot = await BotHost.StartAsync("verloop-audio-after-close");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u-after", 16000));
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "transfer");

        await peer.ReceiveUntilAsync(Flow.IsControl, "the transfer", TimeSpan.FromSeconds(10));

        Assert.True((await peer.ReceiveAsync("a chunk after asr_disconnect", TimeSpan.FromSeconds(1))).IsPlayAudio);
        Assert.True((await peer.ReceiveAsync("a second chunk", TimeSpan.FromSeconds(1))).IsPlayAudio);
        await peer.CloseAsync();
        await streaming;
    }

    [Fact]
    public async Task DisconnectMessage_GoodbyeEndsWithStreamNodeDisconnect()
    {
        await using var bot = await BotHost.StartAsync("verloop-disconnect-message");
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u-bye", 16000));
        var (streaming, _) = await Flow.SayAfterGreetingAsync(peer, "goodbye");

        var (control, _) = await peer.ReceiveUntilAsync(Flow.IsControl, "the end of the call", TimeSpan.FromSeconds(12));

        Assert.Equal("""{"type":"disconnect"}""", control.Text);
        await peer.CloseAsync();
        await streaming;
    }

}

/// <summary>Verloop variants: first message, audio format, hearing.</summary>
public sealed class VerloopFlowTests
{
    [Theory]
    [InlineData("verloop-conforming", 8000, "wave", 1, 8000)]
    [InlineData("verloop-wav-type", 16000, "wav", 1, 16000)]
    [InlineData("verloop-stereo", 16000, "wave", 2, 16000)]
    [InlineData("verloop-fixed-16k", 8000, "wave", 1, 16000)]
    public async Task Greeting_AudioFormatOfTheVariant(string name, int rate, string contentType, int channels, int wavRate)
    {
        await using var bot = await BotHost.StartAsync(name);
        await using var peer = await bot.ConnectAsync(bot.UrlWithRate(rate));
        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u-" + name, rate));

        var first = await peer.ReceiveAsync("the greeting");

        Assert.Equal(contentType, first.Json["data"]!["audioContentType"]!.GetValue<string>());
        var wav = Wav.Decode(Convert.FromBase64String(first.AudioContent));
        Assert.Equal(channels, wav.Format.Channels);
        Assert.Equal(wavRate, wav.Format.SampleRate);
        Assert.Equal(TimeSpan.FromMilliseconds(100), wav.Duration);
    }

    [Fact]
    public async Task GreetEarly_GreetsBeforeTheFirstMessageAtTheDialledRate()
    {
        await using var bot = await BotHost.StartAsync("verloop-greet-early");
        await using var peer = await bot.ConnectAsync(bot.UrlWithRate(8000));

        var first = await peer.ReceiveAsync("a greeting before the first message");

        Assert.Equal(8000, Wav.Decode(Convert.FromBase64String(first.AudioContent)).Format.SampleRate);
    }

    [Fact]
    public async Task CrashOnFirst_DocumentedFirstMessage_Closes1011()
    {
        await using var bot = await BotHost.StartAsync("verloop-crash-on-first");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u1", 16000));

        Assert.Equal(WebSocketCloseStatus.InternalServerError, await peer.WaitForCloseAsync());
    }

    [Theory]
    [InlineData("verloop-conforming", false)]
    [InlineData("verloop-big-endian", true)]
    public async Task LineNoise_CutsTheGreetingOnlyWhenReadBigEndian(string name, bool expectCut)
    {
        await using var bot = await BotHost.StartAsync(name);
        await using var peer = await bot.ConnectAsync(bot.UrlWithRate(8000));
        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u-noise", 8000));
        var streaming = peer.StreamAsync(CallerAudio.LineNoise(TimeSpan.FromSeconds(2.5), 8000), 8000);

        var chunks = 0;
        while (await peer.TryReceiveAsync(TimeSpan.FromSeconds(1)) is { IsPlayAudio: true })
        {
            chunks++;
        }

        Assert.Equal(expectCut, chunks < 20);
        await peer.CloseAsync();
        await streaming;
    }
}
