namespace ProtocolSim.ReferenceClients;

/// <summary>How a bot reads the first text frame.</summary>
internal enum MetadataMode
{
    /// <summary>The guide's parser: JSON, then a Python literal if the JSON is a string or not JSON at all.</summary>
    Lenient,

    /// <summary>JSON-decode and index as an object; anything else closes with 1011 (python-dict-crash).</summary>
    JsonObjectOnly,

    /// <summary>Lenient, but closes with 1008 on keys other than the four documented (strict-metadata-keys).</summary>
    StrictKeys,

    /// <summary>
    /// Lenient, but JSON-decodes every extra key's string value too; a Python-repr value such as
    /// <c>'ivr_data': "{'lang': 'en'}"</c> fails, and the bot closes at once with 1011 "bad metadata" (repr-values-close).
    /// </summary>
    ReprValuesClose,

    /// <summary>Verloop JSON object keyed by <c>uuid</c>.</summary>
    Verloop,

    /// <summary>Verloop bot that expects Stream-Node keys; closes with 1011 without <c>callid</c>.</summary>
    VerloopExpectsCallId,
}

/// <summary>When the greeting goes out.</summary>
internal enum GreetingMode
{
    AfterMetadata,
    BeforeMetadata,
    Never,
}

/// <summary>Shape of the base64 text in <c>audioContent</c>.</summary>
internal enum Base64Style
{
    Standard,
    UrlSafeUnpadded,
}

/// <summary>How the bot ends or transfers a call.</summary>
internal enum ControlForm
{
    /// <summary><c>{"type":"transfer"}</c> / <c>{"type":"disconnect"}</c> (003-V ch.2).</summary>
    StreamNode,

    /// <summary><c>playAudio</c> with <c>audioContent</c> "None" and <c>textContent</c> asr_disconnect pairs (002).</summary>
    Verloop,
}

/// <summary>
/// Everything a reference bot does that a variant may change. The conforming bots are <see cref="StreamNode"/>
/// and <see cref="Verloop"/>; each broken variant is one of them with one member changed (ReferenceBots table).
/// </summary>
internal sealed record BotBehavior
{
    public required BotDialect Dialect { get; init; }

    public required string Path { get; init; }

    public bool Tls { get; init; } = true;

    // Call state
    public bool StateByVirtualNumber { get; init; }

    public bool GreetedFlagLeaksOnAbort { get; init; }

    // First message
    public required MetadataMode Metadata { get; init; }

    // Greeting
    public GreetingMode Greeting { get; init; } = GreetingMode.AfterMetadata;

    public TimeSpan GreetingDelay { get; init; } = TimeSpan.Zero;

    public bool CrashOnEarlyAudio { get; init; }

    // Caller audio and peer text
    public bool BigEndianCallerAudio { get; init; }

    /// <summary>When set, caller frames of any other size are dropped.</summary>
    public int? OnlyCallerFrameBytes { get; init; }

    public bool CrashOnText { get; init; }

    // Bot audio
    public required string AudioContentType { get; init; }

    public bool RawPcm { get; init; }

    public int Channels { get; init; } = 1;

    /// <summary>When set, bot audio is produced at this rate whatever the call rate.</summary>
    public int? FixedOutputRate { get; init; }

    public Base64Style Base64 { get; init; } = Base64Style.Standard;

    /// <summary>Bytes the WAV header claims beyond the data present (RIFF and data sizes).</summary>
    public int HeaderLieBytes { get; init; }

    public bool OneBigPayload { get; init; }

    public TimeSpan ChunkDuration { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How far ahead of playback chunks are sent (streaming TTS runs ahead of the caller's ear).</summary>
    public TimeSpan Lead { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>When set, chunk i goes out at start + i × interval with no lead (slow-drip).</summary>
    public TimeSpan? DripInterval { get; init; }

    public TimeSpan ThinkingDelay { get; init; } = TimeSpan.FromMilliseconds(300);

    public bool UntypedMarks { get; init; }

    // Barge-in
    public required bool SendKillAudio { get; init; }

    public TimeSpan KillAudioDelay { get; init; } = TimeSpan.Zero;

    public bool CancelOnBargeIn { get; init; } = true;

    public bool PlaybackFromSendState { get; init; }

    // Ending the call
    public required ControlForm Control { get; init; }

    public bool TransferNationalDigits { get; init; }

    public bool HangupByClose { get; init; }

    /// <summary>Verloop bot that ends with <c>{"type":"disconnect"}</c>.</summary>
    public bool DisconnectAsStreamNodeMessage { get; init; }

    /// <summary>Verloop bot that transfers with <c>{"type":"transfer"}</c>.</summary>
    public bool TransferAsStreamNodeMessage { get; init; }

    /// <summary>Separator of the Verloop textContent pairs ("," documented).</summary>
    public string PairSeparator { get; init; } = ",";

    public bool AudioAfterControl { get; init; }

    /// <summary>The conforming Stream-Node bot (003-V).</summary>
    public static BotBehavior StreamNode { get; } = new()
    {
        Dialect = BotDialect.StreamNode,
        Path = "/voice",
        Metadata = MetadataMode.Lenient,
        AudioContentType = "wav",
        SendKillAudio = true,
        Control = ControlForm.StreamNode,
    };

    /// <summary>The conforming Verloop bot (002): no killAudio is documented, control via asr_disconnect.</summary>
    public static BotBehavior Verloop { get; } = new()
    {
        Dialect = BotDialect.Verloop,
        Path = "/vaani/knowlarity/setup-call-streams",
        Metadata = MetadataMode.Verloop,
        AudioContentType = "wave",
        SendKillAudio = false,
        Control = ControlForm.Verloop,
    };
}
