using System.Collections.Frozen;

namespace ProtocolSim.ReferenceClients;

/// <summary>The catalogue of reference bots: two conforming ones and the broken variants that prove rules can fail.</summary>
public static class ReferenceBots
{
    // The one table. Each row: name, dialect, rules the variant is expected to fail, what it changes, and the change.
    // The lead's suite and self-test decide the final truth; adjust BreaksRules here.
    private static readonly Variant[] Table =
    [
        // The conforming bots take 100 ms to fetch their greeting prompt, as a real bot does; the caller's first frame
        // (sent right after the metadata) then always arrives first, which KVS-013 needs to be judged at all.
        new("conforming", BotDialect.StreamNode, [], "Conforming Stream-Node bot (003-V).", b => b with { GreetingDelay = TimeSpan.FromMilliseconds(100) }),
        new("verloop-conforming", BotDialect.Verloop, [], "Conforming Verloop bot (002).", b => b with { GreetingDelay = TimeSpan.FromMilliseconds(100) }),

        // Streaming TTS at about real time: 100 ms chunks every 80 ms, so the peer never has more than a few hundred
        // ms queued while the bot talks. Barge-in must be judged for it all the same (issue 17).
        new("streaming-tts", BotDialect.StreamNode, [], "Conforming bot that streams each reply at about real time: 100 ms chunks every 80 ms.",
            b => b with { GreetingDelay = TimeSpan.FromMilliseconds(100), DripInterval = TimeSpan.FromMilliseconds(80) }),
        new("streaming-no-killaudio", BotDialect.StreamNode, ["KVS-023"], "Streams at about real time (100 ms every 80 ms); on barge-in cancels the reply but sends no killAudio.",
            b => b with { GreetingDelay = TimeSpan.FromMilliseconds(100), DripInterval = TimeSpan.FromMilliseconds(80), SendKillAudio = false }),
        new("streaming-stale-chunks", BotDialect.StreamNode, ["KVS-025"], "Streams at about real time (100 ms every 80 ms); sends killAudio on barge-in but keeps streaming the interrupted reply.",
            b => b with { GreetingDelay = TimeSpan.FromMilliseconds(100), DripInterval = TimeSpan.FromMilliseconds(80), CancelOnBargeIn = false }),

        // Stream-Node variants
        new("wrong-path", BotDialect.StreamNode, ["KVS-001"], "Serves /bot instead of /voice (so /voice answers 404).",
            b => b with { Path = "/bot" }),
        new("plain-ws", BotDialect.StreamNode, ["KVS-002"], "Plain ws:// without TLS.",
            b => b with { Tls = false }),
        new("state-by-number", BotDialect.StreamNode, ["KVS-003"],
            "Keys call state by virtual_number: a second call to the same number takes over, and replies go to its socket.",
            b => b with { StateByVirtualNumber = true }),
        new("python-dict-crash", BotDialect.StreamNode, ["KVS-005", "KVS-006"],
            "Indexes the JSON-decoded metadata as an object; a JSON string or non-JSON text closes with 1011.",
            b => b with { Metadata = MetadataMode.JsonObjectOnly }),
        new("strict-metadata-keys", BotDialect.StreamNode, ["KVS-007"],
            "Closes with 1008 when the metadata has keys other than the four documented.",
            b => b with { Metadata = MetadataMode.StrictKeys }),
        new("repr-values-close", BotDialect.StreamNode, ["KVS-007"],
            "JSON-decodes the values of extra metadata keys; a Python-repr value (ivr_data \"{'lang': 'en'}\") closes at once with 1011 \"bad metadata\".",
            b => b with { Metadata = MetadataMode.ReprValuesClose }),
        new("no-greeting", BotDialect.StreamNode, ["KVS-008"], "Never greets (still answers speech).",
            b => b with { Greeting = GreetingMode.Never }),
        new("late-greeting", BotDialect.StreamNode, ["KVS-008"], "Greets 4.5 s after the metadata.",
            b => b with { GreetingDelay = TimeSpan.FromSeconds(4.5) }),
        new("greet-before-metadata", BotDialect.StreamNode, ["KVS-009"],
            "Greets as soon as the socket opens, before the metadata frame.",
            b => b with { Greeting = GreetingMode.BeforeMetadata }),
        new("big-endian-audio", BotDialect.StreamNode, ["KVS-010"],
            "Reads caller PCM as big-endian (line noise looks like speech).",
            b => b with { BigEndianCallerAudio = true }),
        new("frame-size-640", BotDialect.StreamNode, ["KVS-011"], "Drops caller frames that are not exactly 640 bytes.",
            b => b with { OnlyCallerFrameBytes = 640 }),
        new("crash-on-early-audio", BotDialect.StreamNode, ["KVS-013"],
            "Greets after a 150 ms TTS warm-up and closes with 1011 when caller audio arrives before that.",
            b => b with { CrashOnEarlyAudio = true, GreetingDelay = TimeSpan.FromMilliseconds(150) }),
        new("untyped-marks", BotDialect.StreamNode, ["KVS-014"],
            "After each reply also sends {\"mark\":\"reply-done\"} (no type).",
            b => b with { UntypedMarks = true }),
        new("raw-pcm", BotDialect.StreamNode, ["KVS-015"], "audioContent is base64 of raw PCM, no WAV header.",
            b => b with { RawPcm = true }),
        new("stereo", BotDialect.StreamNode, ["KVS-016"], "WAV with 2 channels (each sample duplicated).",
            b => b with { Channels = 2 }),
        new("wrong-rate", BotDialect.StreamNode, ["KVS-017"],
            "WAV declares and holds 8000 Hz audio whatever the call rate (right by accident at 8 kHz).",
            b => b with { FixedOutputRate = 8000 }),
        new("bad-base64", BotDialect.StreamNode, ["KVS-018"], "URL-safe base64 alphabet (- and _) without padding.",
            b => b with { Base64 = Base64Style.UrlSafeUnpadded }),
        new("lying-header", BotDialect.StreamNode, ["KVS-019"],
            "WAV data chunk size declares 200 bytes more than present (RIFF size consistent with the lie).",
            b => b with { HeaderLieBytes = 200 }),
        new("one-big-payload", BotDialect.StreamNode, ["KVS-020"], "Each reply as one playAudio holding the whole WAV.",
            b => b with { OneBigPayload = true }),
        new("slow-drip", BotDialect.StreamNode, ["KVS-021"], "No lead: one 100 ms chunk every 150 ms.",
            b => b with { DripInterval = TimeSpan.FromMilliseconds(150) }),
        new("slow-reply", BotDialect.StreamNode, ["KVS-022"], "Waits 2.5 s after the end of speech before replying.",
            b => b with { ThinkingDelay = TimeSpan.FromSeconds(2.5) }),
        new("no-killaudio", BotDialect.StreamNode, ["KVS-023"], "On barge-in cancels the reply but sends no killAudio.",
            b => b with { SendKillAudio = false }),
        new("late-killaudio", BotDialect.StreamNode, ["KVS-024"],
            "Sends killAudio (and cancels the reply) 700 ms after speech onset.",
            b => b with { KillAudioDelay = TimeSpan.FromMilliseconds(700) }),
        new("stale-chunks", BotDialect.StreamNode, ["KVS-025"],
            "Sends killAudio on barge-in but keeps sending the rest of the interrupted reply.",
            b => b with { CancelOnBargeIn = false }),
        new("send-state-playback", BotDialect.StreamNode, ["KVS-026"],
            "Thinks bot audio is playing only while chunks are left to send; speech during queued playback gets no killAudio.",
            b => b with { PlaybackFromSendState = true }),
        new("bad-transfer", BotDialect.StreamNode, ["KVS-027"], "Transfer destination without + and country code.",
            b => b with { TransferNationalDigits = true }),
        new("hangup-by-close", BotDialect.StreamNode, ["KVS-029"], "Ends the call by closing the socket (1000), no disconnect.",
            b => b with { HangupByClose = true }),
        new("audio-after-disconnect", BotDialect.StreamNode, ["KVS-030"],
            "Sends two more playAudio chunks 100 ms after transfer or disconnect.",
            b => b with { AudioAfterControl = true }),
        new("leaks-on-abort", BotDialect.StreamNode, ["KVS-031"],
            "Keeps a per-customer 'greeted' flag that an aborted connection never clears; that customer's next call gets no greeting.",
            b => b with { GreetedFlagLeaksOnAbort = true }),
        new("crash-on-text", BotDialect.StreamNode, ["KVS-032"], "Closes with 1011 on a text frame after the metadata.",
            b => b with { CrashOnText = true }),

        // Verloop variants
        new("verloop-plain-ws", BotDialect.Verloop, ["KVV-003"], "Plain ws:// without TLS.",
            b => b with { Tls = false }),
        new("verloop-crash-on-first", BotDialect.Verloop, ["KVV-004"],
            "Expects Stream-Node keys (callid) in the first message; closes with 1011 without them.",
            b => b with { Metadata = MetadataMode.VerloopExpectsCallId }),
        new("verloop-greet-early", BotDialect.Verloop, ["KVV-005"], "Greets as soon as the socket opens.",
            b => b with { Greeting = GreetingMode.BeforeMetadata }),
        new("verloop-fixed-16k", BotDialect.Verloop, ["KVV-007"],
            "Ignores sample_rate for its own audio: always 16 kHz WAV (caller audio is still read at sample_rate).",
            b => b with { FixedOutputRate = 16000 }),
        new("verloop-big-endian", BotDialect.Verloop, ["KVV-008"], "Reads caller PCM as big-endian.",
            b => b with { BigEndianCallerAudio = true }),
        new("verloop-wav-type", BotDialect.Verloop, ["KVV-009"], "audioContentType \"wav\" instead of \"wave\".",
            b => b with { AudioContentType = "wav" }),
        new("verloop-stereo", BotDialect.Verloop, ["KVV-010"], "Stereo WAV.",
            b => b with { Channels = 2 }),
        new("verloop-disconnect-message", BotDialect.Verloop, ["KVV-011"],
            "Ends with {\"type\":\"disconnect\"} instead of the asr_disconnect playAudio.",
            b => b with { DisconnectAsStreamNodeMessage = true }),
        new("verloop-transfer-message", BotDialect.Verloop, ["KVV-012"],
            "Transfers with {\"type\":\"transfer\",\"data\":{\"destination\":...}}.",
            b => b with { TransferAsStreamNodeMessage = true }),
        new("verloop-spaced-pairs", BotDialect.Verloop, ["KVV-013"],
            "Transfer textContent \"asr_disconnect=true, parameter1=default\" (space after the comma).",
            b => b with { PairSeparator = ", " }),
        new("verloop-audio-after-close", BotDialect.Verloop, ["KVV-014"],
            "Sends two more audio chunks 100 ms after the asr_disconnect message.",
            b => b with { AudioAfterControl = true }),
    ];

    private static readonly FrozenDictionary<string, (ReferenceBotInfo Info, BotBehavior Behavior)> ByName =
        Table.ToFrozenDictionary(v => v.Name, v => v.Build(), StringComparer.OrdinalIgnoreCase);

    /// <summary>Every reference bot, conforming ones first, in table order.</summary>
    public static IReadOnlyList<ReferenceBotInfo> All { get; } = [.. Table.Select(v => ByName[v.Name].Info)];

    /// <summary>The bot called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No such bot; the message lists the valid names.</exception>
    public static ReferenceBotInfo Get(string name) => Resolve(name).Info;

    internal static (ReferenceBotInfo Info, BotBehavior Behavior) Resolve(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return ByName.TryGetValue(name, out var entry)
            ? entry
            : throw new ArgumentException(
                $"Unknown reference bot '{name}'. Valid names: {string.Join(", ", Table.Select(v => v.Name))}.",
                nameof(name));
    }

    private sealed record Variant(
        string Name, BotDialect Dialect, string[] Breaks, string Description, Func<BotBehavior, BotBehavior> Change)
    {
        public (ReferenceBotInfo, BotBehavior) Build()
        {
            var baseline = Dialect == BotDialect.StreamNode ? BotBehavior.StreamNode : BotBehavior.Verloop;
            var behavior = Change(baseline);
            var info = new ReferenceBotInfo
            {
                Name = Name,
                Dialect = Dialect,
                Conforming = Breaks.Length == 0,
                Description = Description,
                BreaksRules = Breaks.ToFrozenSet(StringComparer.Ordinal),
                Path = behavior.Path,
                Tls = behavior.Tls,
            };
            return (info, behavior);
        }
    }
}
