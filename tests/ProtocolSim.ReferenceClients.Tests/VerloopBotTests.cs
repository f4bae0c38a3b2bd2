using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

public sealed class VerloopBotTests
{
    [Fact]
    public async Task Greeting_AfterFirstMessage_IsWaveAtAnnouncedRate()
    {
        await using var bot = await BotHost.StartAsync("verloop-conforming");
        Assert.Equal("/vaani/knowlarity/setup-call-streams", bot.Url.AbsolutePath);
        await using var peer = await bot.ConnectAsync();

        Assert.Null(await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(200))); // KVV-005
        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("aosi-adfad-23-ad", 8000));
        var first = await peer.ReceiveAsync("the greeting");

        Assert.Equal("playAudio", first.MessageType);
        Assert.Equal("wave", first.Json["data"]!["audioContentType"]!.GetValue<string>());
        Assert.Null(first.Json["data"]!["textContent"]);
        var wav = Wav.Decode(Convert.FromBase64String(first.AudioContent));
        Assert.Equal(WavFormat.Pcm16Mono(8000), wav.Format);
        Assert.Equal(TimeSpan.FromMilliseconds(100), wav.Duration);
    }

    [Fact]
    public async Task VeryLongUtterance_EndsWithAsrDisconnectAfterGoodbye()
    {
        await using var bot = await BotHost.StartAsync("verloop-conforming");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.VerloopFirstMessage("u-goodbye", 16000));
        for (var i = 0; i < 20; i++)
        {
            await peer.ReceiveAsync("the greeting");
        }

        var audio = CallerAudio.Concat(
            CallerAudio.LineNoise(TimeSpan.FromSeconds(1.3), 16000),
            CallerAudio.Speech(TimeSpan.FromSeconds(3.6), 16000),
            CallerAudio.LineNoise(TimeSpan.FromSeconds(3), 16000));
        var streaming = peer.StreamAsync(audio, 16000);

        var (end, before) = await peer.ReceiveUntilAsync(
            r => r.Json["data"]?["textContent"] is not null, "the asr_disconnect message", TimeSpan.FromSeconds(12));

        Assert.Equal(
            """{"type":"playAudio","data":{"audioContentType":"wave","audioContent":"None","textContent":"asr_disconnect=true"}}""",
            end.Text);
        Assert.Equal(10, before.Count(r => r.IsPlayAudio)); // 1 s goodbye
        Assert.DoesNotContain(before, r => r.MessageType == "killAudio"); // the Verloop dialect has no killAudio
        Assert.Null(await peer.TryReceiveAsync(TimeSpan.FromMilliseconds(300))); // KVV-014
        await peer.CloseAsync();
        await streaming;
    }
}
