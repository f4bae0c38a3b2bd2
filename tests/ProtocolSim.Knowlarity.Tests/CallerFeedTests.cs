using ProtocolSim.Knowlarity.VoiceStream;

namespace ProtocolSim.Knowlarity.Tests;

public sealed class CallerFeedTests
{
    private const int Rate = 8000;
    private const int FrameBytes = 320; // 20 ms at 8 kHz

    private static CallerUtterance OneSecond() => new()
    {
        Name = "question",
        Pcm = new byte[Rate * 2],
        SpeechStart = TimeSpan.FromMilliseconds(500),
        SpeechEnd = TimeSpan.FromMilliseconds(800),
    };

    [Fact]
    public void NextFrame_AfterALateFirstFrame_OnsetAndEndAreWhenTheirFramesWereSent()
    {
        // The pacer keeps frames on their schedule: the first went out 100 ms late, the next ones catch up at once
        // (frames 1 to 5 at 100 ms), then one every 20 ms. The onset (byte 8000) is in frame 25, sent at 500 ms,
        // not at the first frame's 100 ms plus the onset's 500 ms.
        var feed = new CallerFeed(FrameBytes, Rate, seed: 1);
        var spoken = feed.Enqueue(OneSecond());
        var frame = new byte[FrameBytes];
        var onsetFrames = new List<int>();
        for (var k = 0; k < 50; k++)
        {
            var at = TimeSpan.FromMilliseconds(Math.Max(100, k * 20));
            var current = feed.NextFrame(frame, at, out _, out var holdsOnset);
            Assert.Same(spoken, current);
            if (k == 0)
            {
                Assert.Equal(TimeSpan.FromMilliseconds(600), spoken.SpeechOnsetAt); // due, not sent yet
            }

            if (holdsOnset)
            {
                onsetFrames.Add(k);
                spoken.MarkOnsetSent(at, bargedIn: true);
            }
        }

        Assert.Equal([25], onsetFrames);
        Assert.True(spoken.OnsetSent);
        Assert.True(spoken.BargedIn);
        Assert.Equal(TimeSpan.FromMilliseconds(500), spoken.SpeechOnsetAt);
        // The last speech sample (byte 12798) is in frame 39 (bytes 12480 to 12799).
        Assert.Equal(TimeSpan.FromMilliseconds(780), spoken.SpeechEndAt);
        Assert.Equal(TimeSpan.FromMilliseconds(980), spoken.FinishedAt);
    }

    [Fact]
    public void NextFrame_OnSchedule_OnsetIsTheStartOfItsFrame()
    {
        var feed = new CallerFeed(FrameBytes, Rate, seed: 1);
        var utterance = OneSecond() with { SpeechStart = TimeSpan.FromMilliseconds(510), SpeechEnd = TimeSpan.FromMilliseconds(1000) };
        var spoken = feed.Enqueue(utterance);
        var frame = new byte[FrameBytes];
        for (var k = 0; k < 50; k++)
        {
            var at = TimeSpan.FromMilliseconds(1000 + (k * 20));
            feed.NextFrame(frame, at, out var finished, out var holdsOnset);
            if (holdsOnset)
            {
                spoken.MarkOnsetSent(at, bargedIn: false);
            }

            Assert.Equal(k == 49, finished is not null);
        }

        // 510 ms is inside frame 25 (500 to 520 ms): the bot has it when that frame is sent.
        Assert.Equal(TimeSpan.FromMilliseconds(1500), spoken.SpeechOnsetAt);
        Assert.False(spoken.BargedIn);
        // Speech to the very end: the end is in the last frame.
        Assert.Equal(TimeSpan.FromMilliseconds(1980), spoken.SpeechEndAt);
    }
}
