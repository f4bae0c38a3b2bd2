using System.Buffers.Text;
using System.Net.WebSockets;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.Tests;

public sealed class VariantTests
{
    [Fact]
    public async Task WrongPath_VoiceIs404_BotPathWorks()
    {
        await using var bot = await BotHost.StartAsync("wrong-path");

        var status = await bot.ConnectExpectingFailureAsync(new UriBuilder(bot.Url) { Path = "/voice" }.Uri);
        Assert.Equal(404, status);

        Assert.Equal("/bot", bot.Url.AbsolutePath);
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        Assert.Equal("playAudio", (await peer.ReceiveAsync("the greeting")).MessageType);
    }

    [Theory]
    [InlineData("plain-ws", CallerAudio.PythonDictInJsonString)]
    [InlineData("verloop-plain-ws", "{\"uuid\": \"u1\", \"sample_rate\": 16000}")]
    public async Task PlainWs_ServesWithoutTls(string name, string firstMessage)
    {
        await using var bot = await BotHost.StartAsync(name);

        Assert.Equal("ws", bot.Url.Scheme);
        Assert.Null(bot.Server.Certificate);
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(firstMessage);
        Assert.Equal("playAudio", (await peer.ReceiveAsync("the greeting")).MessageType);
    }

    [Fact]
    public async Task RawPcm_AudioContentHasNoRiffHeader()
    {
        var chunk = await FirstGreetingChunkAsync("raw-pcm");

        var bytes = Convert.FromBase64String(chunk.AudioContent);
        Assert.Equal(3200, bytes.Length);
        Assert.False(bytes.AsSpan().StartsWith("RIFF"u8));
    }

    [Fact]
    public async Task BadBase64_UsesUrlSafeAlphabetWithoutPadding()
    {
        var chunk = await FirstGreetingChunkAsync("bad-base64");

        var content = chunk.AudioContent;
        Assert.DoesNotContain('=', content);
        Assert.DoesNotContain('+', content);
        Assert.DoesNotContain('/', content);
        Assert.True(content.Contains('-', StringComparison.Ordinal) || content.Contains('_', StringComparison.Ordinal));
        Assert.Throws<FormatException>(() => Convert.FromBase64String(content));
        Assert.Equal(WavFormat.Pcm16Mono(16000), Wav.Decode(Base64Url.DecodeFromChars(content)).Format);
    }

    [Fact]
    public async Task Stereo_WavHasTwoChannels()
    {
        var chunk = await FirstGreetingChunkAsync("stereo");

        var wav = Wav.Decode(Convert.FromBase64String(chunk.AudioContent));
        Assert.Equal(2, wav.Format.Channels);
        Assert.Equal(TimeSpan.FromMilliseconds(100), wav.Duration);
    }

    [Fact]
    public async Task WrongRate_WavIs8kAtSixteenKilohertzCall()
    {
        var chunk = await FirstGreetingChunkAsync("wrong-rate");

        Assert.Equal(WavFormat.Pcm16Mono(8000), Wav.Decode(Convert.FromBase64String(chunk.AudioContent)).Format);
    }

    [Fact]
    public async Task LyingHeader_DataSizeClaims200BytesMore()
    {
        var chunk = await FirstGreetingChunkAsync("lying-header");

        var result = Wav.Parse(Convert.FromBase64String(chunk.AudioContent));
        Assert.NotEmpty(result.Defects);
    }

    [Fact]
    public async Task OneBigPayload_GreetingIsOneTwoSecondWav()
    {
        var chunk = await FirstGreetingChunkAsync("one-big-payload");

        Assert.Equal(TimeSpan.FromSeconds(2), Wav.Decode(Convert.FromBase64String(chunk.AudioContent)).Duration);
    }

    [Theory]
    [InlineData(CallerAudio.PythonDictInJsonString)]
    [InlineData(CallerAudio.BarePythonDict)]
    public async Task PythonDictCrash_PythonForms_Close1011(string metadata)
    {
        await using var bot = await BotHost.StartAsync("python-dict-crash");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(metadata);

        Assert.Equal(WebSocketCloseStatus.InternalServerError, await peer.WaitForCloseAsync());
    }

    [Fact]
    public async Task PythonDictCrash_JsonObject_Greets()
    {
        await using var bot = await BotHost.StartAsync("python-dict-crash");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.JsonObject);

        Assert.Equal("playAudio", (await peer.ReceiveAsync("the greeting")).MessageType);
    }

    [Fact]
    public async Task StrictMetadataKeys_ExtraKey_Closes1008()
    {
        await using var bot = await BotHost.StartAsync("strict-metadata-keys");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync("{'callid': 'c1', 'virtual_number': '+911', 'customer_number': '+912', 'call_type': 'inbound', 'client_meta_id': '9'}");

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await peer.WaitForCloseAsync());
    }

    [Fact]
    public async Task ReprValuesClose_PythonReprValue_Closes1011BadMetadata_PlainValue_Greets()
    {
        await using var bot = await BotHost.StartAsync("repr-values-close");
        await using (var peer = await bot.ConnectAsync())
        {
            await peer.SendTextAsync("{'callid': 'c1', 'virtual_number': '+911', 'customer_number': '+912', 'call_type': 'inbound', 'ivr_data': \"{'lang': 'en'}\"}");

            Assert.Equal(WebSocketCloseStatus.InternalServerError, await peer.WaitForCloseAsync());
        }

        await using var plain = await bot.ConnectAsync();
        await plain.SendTextAsync("{'callid': 'c2', 'virtual_number': '+911', 'customer_number': '+912', 'call_type': 'inbound', 'client_meta_id': 'cm-20931'}");
        Assert.Equal("playAudio", (await plain.ReceiveAsync("the greeting")).MessageType);
    }

    [Fact]
    public async Task CrashOnText_TextAfterMetadata_Closes1011()
    {
        await using var bot = await BotHost.StartAsync("crash-on-text");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.ReceiveAsync("the greeting");
        await peer.SendTextAsync("{\"event\": \"unexpected\"}");

        Assert.Equal(WebSocketCloseStatus.InternalServerError, await peer.WaitForCloseAsync());
    }

    [Fact]
    public async Task CrashOnEarlyAudio_AudioRightAfterMetadata_Closes1011()
    {
        await using var bot = await BotHost.StartAsync("crash-on-early-audio");
        await using var peer = await bot.ConnectAsync();

        await peer.SendTextAsync(CallerAudio.JsonObject);
        await peer.SendBinaryAsync(CallerAudio.LineNoise(TimeSpan.FromMilliseconds(20), 16000));

        Assert.Equal(WebSocketCloseStatus.InternalServerError, await peer.WaitForCloseAsync());
    }

    [Fact]
    public async Task GreetBeforeMetadata_GreetsOnOpen()
    {
        await using var bot = await BotHost.StartAsync("greet-before-metadata");
        await using var peer = await bot.ConnectAsync();

        Assert.Equal("playAudio", (await peer.ReceiveAsync("a greeting without metadata")).MessageType);
    }

    [Fact]
    public async Task LeaksOnAbort_NextCallFromSameCustomer_GetsNoGreeting()
    {
        await using var bot = await BotHost.StartAsync("leaks-on-abort");
        var ended = bot.NextCallEnded();
        var first = await bot.ConnectAsync();
        await first.SendTextAsync(CallerAudio.StreamNodeMetadata("call-1"));
        await first.ReceiveAsync("the first call's greeting");
        first.Abort();
        await ended.WaitAsync(TestPeer.DefaultTimeout);
        await first.DisposeAsync();

        await using var second = await bot.ConnectAsync();
        await second.SendTextAsync(CallerAudio.StreamNodeMetadata("call-2"));
        Assert.Null(await second.TryReceiveAsync(TimeSpan.FromSeconds(1)));

        await using var other = await bot.ConnectAsync();
        await other.SendTextAsync(CallerAudio.StreamNodeMetadata("call-3", customer: "+918888888888"));
        Assert.Equal("playAudio", (await other.ReceiveAsync("another customer's greeting")).MessageType);
    }

    [Fact]
    public async Task LeaksOnAbort_AfterCloseHandshake_GreetsAgain()
    {
        await using var bot = await BotHost.StartAsync("leaks-on-abort");
        var ended = bot.NextCallEnded();
        var first = await bot.ConnectAsync();
        await first.SendTextAsync(CallerAudio.StreamNodeMetadata("call-1"));
        await first.ReceiveAsync("the first call's greeting");
        await first.CloseAsync();
        Assert.Equal(CallEnd.PeerClosed, (await ended.WaitAsync(TestPeer.DefaultTimeout)).End);
        await first.DisposeAsync();

        await using var second = await bot.ConnectAsync();
        await second.SendTextAsync(CallerAudio.StreamNodeMetadata("call-2"));
        Assert.Equal("playAudio", (await second.ReceiveAsync("the second call's greeting")).MessageType);
    }

    private static async Task<Received> FirstGreetingChunkAsync(string name)
    {
        await using var bot = await BotHost.StartAsync(name);
        await using var peer = await bot.ConnectAsync();
        await peer.SendTextAsync(CallerAudio.PythonDictInJsonString);
        var chunk = await peer.ReceiveAsync($"{name}'s greeting");
        Assert.Equal("playAudio", chunk.MessageType);
        return chunk;
    }
}
