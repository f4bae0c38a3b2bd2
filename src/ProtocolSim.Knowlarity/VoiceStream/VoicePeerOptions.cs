namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>The two documented voice-stream dialects.</summary>
public enum VoiceDialect
{
    /// <summary>Knowlarity IVR Stream Node (003-V): Python-dict metadata, WAV playAudio, killAudio/transfer/disconnect.</summary>
    StreamNode,

    /// <summary>Verloop's Knowlarity integration (002): JSON first message, "wave" audio, asr_disconnect textContent.</summary>
    Verloop,
}

/// <summary>How the Stream-Node metadata frame is written (knowlarity.md §5).</summary>
public enum MetadataEncoding
{
    /// <summary>A JSON string literal wrapping a Python-repr dict: the documented wire form (003-V ch.2 Parsing note).</summary>
    PyReprInJsonString,

    /// <summary>The bare Python-repr dict text.</summary>
    PyRepr,

    /// <summary>A plain JSON object.</summary>
    Json,
}

/// <summary>
/// Options of one simulated call. Defaults are the simulator defaults of knowlarity.md §5; every one can be
/// changed by a scenario step or the command line.
/// </summary>
public sealed record VoicePeerOptions
{
    /// <summary>The bot's WebSocket URL. <c>{rate}</c> in it is replaced by the sampling rate.</summary>
    public required Uri Target { get; init; }

    public VoiceDialect Dialect { get; init; } = VoiceDialect.StreamNode;

    /// <summary>Stream Node <c>sampling-rate</c> (8000/16000/24000/32000/48000), or the Verloop <c>sample_rate</c>.</summary>
    public int SampleRate { get; init; } = 16000;

    public MetadataEncoding MetadataEncoding { get; init; } = MetadataEncoding.PyReprInJsonString;

    /// <summary>Extra metadata keys (knowlarity.md §5 <c>ExtraMetadata</c>), sent after the documented four.</summary>
    public IReadOnlyDictionary<string, string> ExtraMetadata { get; init; } = new Dictionary<string, string>();

    /// <summary>Time from the first frame to the greeting deadline; <see cref="TimeSpan.Zero"/> = off (Verloop default).</summary>
    public TimeSpan GreetingTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Close code used when the greeting deadline passes.</summary>
    public int GreetingTimeoutCloseCode { get; init; } = 1000;

    /// <summary>Caller audio starts only after the bot's first playAudio (default: right after the first frame).</summary>
    public bool AudioStartsAfterFirstPlayAudio { get; init; }

    /// <summary>Caller frame duration.</summary>
    public TimeSpan FrameDuration { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// Offset of this call's frames within the frame period. Real calls start at random moments, so their frames are
    /// spread; a benchmark that dials many calls at once spreads them with this.
    /// </summary>
    public TimeSpan PacingPhase { get; init; } = TimeSpan.Zero;

    /// <summary>Invalid playAudio audio closes the call with 1003 instead of being played as silence.</summary>
    public bool StrictAudio { get; init; }

    /// <summary>killAudio must arrive within this time of the caller's speech onset (KVS-023).</summary>
    public TimeSpan BargeInDeadline { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How far into the playback of the bot's answer the caller's speech onset lands when the caller barges in while
    /// the bot is still sending (KVS-023/024/025); at most half the bot's greeting, so a bot of short replies is
    /// interrupted while it plays. A simulator default: the documents give no number.
    /// </summary>
    public TimeSpan BargeInInto { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Barge-in above this is late (KVS-024).</summary>
    public TimeSpan BargeInWarn { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Time to first audio above this is late (KVS-022).</summary>
    public TimeSpan TtfaWarn { get; init; } = TimeSpan.FromSeconds(1.5);

    /// <summary>The peer closes with 1000 after transfer/disconnect/asr_disconnect.</summary>
    public bool CloseAfterControl { get; init; } = true;

    /// <summary>How long the peer keeps listening after a transfer/disconnect before it closes (to see KVS-030/KVV-014).</summary>
    public TimeSpan ControlGrace { get; init; } = TimeSpan.FromMilliseconds(600);

    /// <summary>Allow <c>ws://</c> targets (the real peer refuses plain WS, KVS-002).</summary>
    public bool AllowPlainWs { get; init; }

    /// <summary>Accept any TLS certificate (self-signed bots).</summary>
    public bool Insecure { get; init; }

    /// <summary>Largest text message accepted from the bot; larger ones are findings and are discarded.</summary>
    public int MaxMessageBytes { get; init; } = 1024 * 1024;

    /// <summary>A playAudio longer than this is "one large payload" (KVS-020).</summary>
    public TimeSpan MaxChunkDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Delay between the WebSocket opening and the first frame (to see a bot greet before metadata).</summary>
    public TimeSpan FirstFrameDelay { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Query parameter that tells the bot the call's rate when the target has no <c>{rate}</c> placeholder
    /// (the reference bots read <c>sampling_rate</c>); empty = do not add one.
    /// </summary>
    public string RateQueryParameter { get; init; } = "sampling_rate";

    /// <summary>
    /// Whether every caller frame is journaled and its audio captured for the report (the default). False keeps them
    /// out of the journal, the report and the dashboard's timeline, for runs of many or long calls (a load or soak
    /// run: 1,000 calls journal 50,000 frames a second); no verdict reads them (KVS-013 counts the call's own record).
    /// </summary>
    public bool JournalCallerFrames { get; init; } = true;

    /// <summary>Connect timeout (TCP + TLS + upgrade).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public string CallId { get; init; } = Guid.NewGuid().ToString();

    /// <summary>The SR number dialled (<c>virtual_number</c> / Verloop <c>to</c>).</summary>
    public string VirtualNumber { get; init; } = "+918071234567";

    /// <summary>The caller (<c>customer_number</c> / Verloop <c>from</c>).</summary>
    public string CustomerNumber { get; init; } = "+919812345678";

    public string CallType { get; init; } = "inbound";

    /// <summary>Verloop <c>campaign</c> (Knowlarity's campaign id on outbound calls).</summary>
    public string Campaign { get; init; } = string.Empty;

    /// <summary>Verloop <c>metadata.welcome_message</c>.</summary>
    public string WelcomeMessage { get; init; } = "Welcome to knowlarity";

    /// <summary>Returns the URL actually dialled for this call.</summary>
    public Uri ResolveTarget()
    {
        var text = Target.OriginalString;
        if (text.Contains("{rate}", StringComparison.Ordinal))
        {
            return new Uri(text.Replace("{rate}", SampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        }

        if (string.IsNullOrEmpty(RateQueryParameter))
        {
            return Target;
        }

        var builder = new UriBuilder(Target);
        var query = builder.Query.TrimStart('?');
        var pair = $"{Uri.EscapeDataString(RateQueryParameter)}={SampleRate}";
        builder.Query = query.Length == 0 ? pair : query + "&" + pair;
        return builder.Uri;
    }
}
