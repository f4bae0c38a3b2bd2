namespace ProtocolSim.ReferenceClients.Tests;

/// <summary>Scenario building blocks shared by the flow tests.</summary>
internal static class Flow
{
    /// <summary>Time the greeting (2 s) needs to play out, plus a margin.</summary>
    public static readonly TimeSpan AfterGreeting = TimeSpan.FromSeconds(2.4);

    /// <summary>
    /// Waits for the greeting's first chunk, streams line noise until the greeting has played, then
    /// <paramref name="recording"/>, then noise; returns the streaming task and the peer time at which the speech ends.
    /// </summary>
    public static async Task<(Task Streaming, TimeSpan SpeechEndsAt)> SayAfterGreetingAsync(
        TestPeer peer, string recording, int rate = 16000, double tailSeconds = 4)
    {
        var greeting = await peer.ReceiveAsync("the greeting");
        Assert.True(greeting.IsPlayAudio, $"expected the greeting, got {greeting}");
        var (speech, speechEnd) = CallerAudio.Recording(recording, rate);
        var lead = CallerAudio.LineNoise(AfterGreeting, rate);
        var audio = CallerAudio.Concat(lead, speech, CallerAudio.LineNoise(TimeSpan.FromSeconds(tailSeconds), rate, seed: 3));
        var endsAt = peer.Elapsed + AfterGreeting + speechEnd;
        return (peer.StreamAsync(audio, rate), endsAt);
    }

    /// <summary>Streams <paramref name="recording"/> at once (a barge-in), then noise.</summary>
    public static Task SayNow(TestPeer peer, string recording, int rate = 16000, double tailSeconds = 3)
    {
        var (speech, _) = CallerAudio.Recording(recording, rate);
        return peer.StreamAsync(CallerAudio.Concat(speech, CallerAudio.LineNoise(TimeSpan.FromSeconds(tailSeconds), rate, seed: 4)), rate);
    }

    public static bool IsKill(Received r) => r.MessageType == "killAudio";

    public static bool IsControl(Received r) =>
        r.MessageType is "transfer" or "disconnect" || r.Json["data"]?["textContent"] is not null;
}
