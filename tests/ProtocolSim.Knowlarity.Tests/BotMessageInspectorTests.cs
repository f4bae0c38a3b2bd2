using System.Text.Json;
using ProtocolSim.Audio;
using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Knowlarity.Tests;

public sealed class BotMessageInspectorTests
{
    private static string PlayAudio(string type, byte[] audio, string contentType = "wav") =>
        JsonSerializer.Serialize(new { type, data = new { audioContentType = contentType, audioContent = Convert.ToBase64String(audio) } });

    private static byte[] Wav100ms(int rate, int channels = 1) => Wav.Encode(new byte[Pcm.BytesPer(TimeSpan.FromMilliseconds(100), rate, channels)], rate, channels);

    [Fact]
    public void Text_ConformingChunk_HasNoViolationAndLasts100Ms()
    {
        var m = BotMessageInspector.Text(PlayAudio("playAudio", Wav100ms(16000)), VoiceDialect.StreamNode, 16000);
        Assert.Equal(BotMessageKind.PlayAudio, m.Kind);
        Assert.Empty(m.Violations);
        Assert.Equal(TimeSpan.FromMilliseconds(100), m.AudioDuration);
        Assert.Equal(3200, m.Pcm!.Length);
    }

    [Theory]
    [InlineData(8000, 1, "KVS-017")]
    [InlineData(16000, 2, "KVS-016")]
    public void Text_WrongFormat_NamesTheRule(int rate, int channels, string rule)
    {
        var m = BotMessageInspector.Text(PlayAudio("playAudio", Wav100ms(rate, channels)), VoiceDialect.StreamNode, 16000);
        Assert.Contains(m.Violations, v => v.RuleId == rule);
        Assert.Null(m.Pcm); // played as silence (003-V ch.4 Issue 4)
    }

    [Fact]
    public void Text_RawPcmWithoutHeader_IsKvs015()
    {
        var m = BotMessageInspector.Text(PlayAudio("playAudio", new byte[3200]), VoiceDialect.StreamNode, 16000);
        Assert.Equal("KVS-015", Assert.Single(m.Violations).RuleId);
        Assert.Equal(TimeSpan.FromMilliseconds(100), m.AudioDuration);
    }

    [Fact]
    public void Text_UrlSafeBase64_IsKvs018AndStillJudgesTheWav()
    {
        var wav = Wav100ms(16000);
        wav[44] = 0xfb; wav[45] = 0xff; // make sure '-' or '_' appear
        var text = "{\"type\":\"playAudio\",\"data\":{\"audioContentType\":\"wav\",\"audioContent\":\"" + Convert.ToBase64String(wav).Replace('+', '-').Replace('/', '_').TrimEnd('=') + "\"}}";
        var m = BotMessageInspector.Text(text, VoiceDialect.StreamNode, 16000);
        Assert.Contains(m.Violations, v => v.RuleId == "KVS-018");
        Assert.DoesNotContain(m.Violations, v => v.RuleId is "KVS-015" or "KVS-016" or "KVS-017");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"mark\":\"x\"}")]
    [InlineData("[1,2,3]")]
    public void Text_NotATypedJsonObject_IsKvs014(string text)
    {
        var m = BotMessageInspector.Text(text, VoiceDialect.StreamNode, 16000);
        Assert.Equal(BotMessageKind.Invalid, m.Kind);
        Assert.Equal("KVS-014", Assert.Single(m.Violations).RuleId);
    }

    [Theory]
    [InlineData("+919876543210", true)]
    [InlineData("9876543210", false)]
    [InlineData("+91 98765 43210", false)]
    public void Text_Transfer_ChecksE164(string destination, bool ok)
    {
        var m = BotMessageInspector.Text(JsonSerializer.Serialize(new { type = "transfer", data = new { destination } }), VoiceDialect.StreamNode, 16000);
        Assert.Equal(BotMessageKind.Transfer, m.Kind);
        Assert.Equal(ok, m.Violations.Count == 0);
    }

    [Theory]
    [InlineData("asr_disconnect=true", BotMessageKind.Disconnect, null)]
    [InlineData("asr_disconnect=true,parameter1=default", BotMessageKind.Transfer, null)]
    [InlineData("asr_disconnect=true, parameter1=default", BotMessageKind.Transfer, "KVV-013")]
    [InlineData("parameter1=default,asr_disconnect=true", BotMessageKind.Transfer, "KVV-013")]
    public void Text_VerloopControl_ParsesPairs(string textContent, BotMessageKind kind, string? rule)
    {
        var text = JsonSerializer.Serialize(new { type = "playAudio", data = new { audioContentType = "wave", audioContent = "None", textContent } });
        var m = BotMessageInspector.Text(text, VoiceDialect.Verloop, 16000);
        Assert.Equal(kind, m.Kind);
        Assert.Equal(rule, m.Violations.SingleOrDefault()?.RuleId);
    }

    [Fact]
    public void Text_VerloopWavSpelling_IsKvv009ButPlays()
    {
        var m = BotMessageInspector.Text(PlayAudio("playAudio", Wav100ms(8000), "wav"), VoiceDialect.Verloop, 8000);
        Assert.Equal("KVV-009", Assert.Single(m.Violations).RuleId);
        Assert.NotNull(m.Pcm);
    }

    [Fact]
    public void Metadata_DocumentedForm_IsAJsonStringWrappingAPythonDict()
    {
        var options = new VoicePeerOptions { Target = new Uri("wss://127.0.0.1/voice"), CallId = "6ccf0a28-0000-0000-0000-000000000000", VirtualNumber = "+911234567890", CustomerNumber = "+919999999999" };
        Assert.Equal("\"{'callid': '6ccf0a28-0000-0000-0000-000000000000', 'virtual_number': '+911234567890', 'customer_number': '+919999999999', 'call_type': 'inbound'}\"",
            Metadata.StreamNode(options));
        Assert.Equal("{'k': \"it's\"}", Metadata.PyRepr([new("k", "it's")]));
    }

    [Fact]
    public void ResolveTarget_RatePlaceholderOrQuery()
    {
        Assert.Equal("wss://h/voice/8000", new VoicePeerOptions { Target = new Uri("wss://h/voice/{rate}"), SampleRate = 8000 }.ResolveTarget().ToString());
        Assert.Equal("wss://h/voice?a=1&sampling_rate=24000", new VoicePeerOptions { Target = new Uri("wss://h/voice?a=1"), SampleRate = 24000 }.ResolveTarget().ToString());
    }

    [Fact]
    public void Playback_KillFlushesQueueAndMarksUnderrunOnlyMidReply()
    {
        var playback = new PlaybackModel();
        playback.Enqueue(1, TimeSpan.Zero, TimeSpan.FromMilliseconds(100), silent: false);
        var late = playback.Enqueue(2, TimeSpan.FromMilliseconds(150), TimeSpan.FromMilliseconds(100), silent: false);
        Assert.Equal(TimeSpan.FromMilliseconds(50), late.UnderrunBefore);
        playback.Enqueue(3, TimeSpan.FromMilliseconds(160), TimeSpan.FromMilliseconds(100), silent: false);
        Assert.Equal(TimeSpan.FromMilliseconds(190), playback.Kill(TimeSpan.FromMilliseconds(160)));
        Assert.False(playback.IsPlaying(TimeSpan.FromMilliseconds(161)));
        var after = playback.Enqueue(4, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(100), silent: false);
        Assert.Null(after.UnderrunBefore); // after killAudio a gap is expected
    }
}
