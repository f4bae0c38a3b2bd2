using System.Globalization;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// The simulator defaults of knowlarity.md §5 that a run may change (<c>protosim run --set Name=Value</c>). Names are
/// those of §5, with or without the <c>Knowlarity:Stream:</c> prefix, case-insensitive. A scenario that sets the same
/// thing (say, the metadata encoding it tests) still wins: these replace defaults, not what a scenario is about.
/// </summary>
public static class VoicePeerOverrides
{
    private const string Prefix = "Knowlarity:Stream:";

    private static readonly Setting[] Settings =
    [
        new("GreetingTimeout", "seconds from the first frame to the greeting deadline; 0 = off (Stream-Node)", "3",
            (o, v) => o with { GreetingTimeout = Seconds(v, allowZero: true) }),
        new("Verloop:GreetingTimeout", "the same for Verloop calls", "0 (off)", (o, _) => o),
        new("GreetingTimeoutCloseCode", "close code when the greeting deadline passes (1000, 3000-4999)", "1000",
            (o, v) => o with { GreetingTimeoutCloseCode = CloseCode(v) }),
        new("MetadataEncoding", "PyReprInJsonString | PyRepr | Json", "PyReprInJsonString",
            (o, v) => o with { MetadataEncoding = Enum.Parse<MetadataEncoding>(v, ignoreCase: true) }),
        new("ExtraMetadata.<key>", "an extra metadata key, e.g. ExtraMetadata.client_meta_id=cm-1", "none", (o, _) => o),
        new("AudioStartsAfterFirstPlayAudio", "true: caller audio starts only after the bot's first playAudio", "false",
            (o, v) => o with { AudioStartsAfterFirstPlayAudio = bool.Parse(v) }),
        new("FrameMs", "caller frame duration in ms (5-100)", "20",
            (o, v) => o with { FrameDuration = TimeSpan.FromMilliseconds(Int(v, 5, 100)) }),
        new("StrictAudio", "true: invalid playAudio audio closes the call with 1003 instead of playing silence", "false",
            (o, v) => o with { StrictAudio = bool.Parse(v) }),
        new("BargeInDeadline", "ms from the caller's speech onset to the killAudio deadline (KVS-023)", "1000",
            (o, v) => o with { BargeInDeadline = TimeSpan.FromMilliseconds(Int(v, 50, 10_000)) }),
        new("BargeInInto", "ms into the playback of the bot's answer at which the caller's barge-in onset lands (at most half the greeting)", "1000",
            (o, v) => o with { BargeInInto = TimeSpan.FromMilliseconds(Int(v, 100, 10_000)) }),
        new("BargeInWarn", "ms above which barge-in is late (KVS-024)", "300",
            (o, v) => o with { BargeInWarn = TimeSpan.FromMilliseconds(Int(v, 10, 10_000)) }),
        new("TtfaWarn", "seconds above which the first answer audio is late (KVS-022)", "1.5",
            (o, v) => o with { TtfaWarn = Seconds(v, allowZero: false) }),
        new("CloseAfterControl", "false: the peer does not close after transfer/disconnect", "true",
            (o, v) => o with { CloseAfterControl = bool.Parse(v) }),
        new("ControlGrace", "ms the peer keeps listening after transfer/disconnect before it closes (KVS-030)", "600",
            (o, v) => o with { ControlGrace = TimeSpan.FromMilliseconds(Int(v, 0, 60_000)) }),
        new("MaxMessageBytes", "largest text message accepted from the bot", "1048576",
            (o, v) => o with { MaxMessageBytes = Int(v, 1024, 64 * 1024 * 1024) }),
        new("MaxChunkMs", "a playAudio longer than this is one large payload (KVS-020)", "1000",
            (o, v) => o with { MaxChunkDuration = TimeSpan.FromMilliseconds(Int(v, 20, 60_000)) }),
        new("RateQuery", "query parameter that tells the bot the rate when --target has no {rate}; empty = none", "sampling_rate",
            (o, v) => o with { RateQueryParameter = v }),
        new("JournalCallerFrames", "false: caller frames and audio stay out of journals and reports (many or long calls); no verdict reads them", "true",
            (o, v) => o with { JournalCallerFrames = bool.Parse(v) }),
    ];

    /// <summary>The settings as a suite offers them to <c>--set</c> (both voice-stream dialects share them).</summary>
    public static ISuiteSettings Catalog { get; } = new SettingSet();

    /// <summary>What one <c>--set Name=Value</c> is: not one of these settings, a valid value, or a bad one (the message says why).</summary>
    public static SettingCheck Check(string name, string value)
    {
        var key = Normalize(name);
        if (key.StartsWith("ExtraMetadata.", StringComparison.OrdinalIgnoreCase))
        {
            return key.Length == "ExtraMetadata.".Length
                ? SettingCheck.Invalid($"--set {name}: name the metadata key, e.g. ExtraMetadata.client_meta_id=cm-1")
                : SettingCheck.Valid;
        }

        if (key.Equals("Verloop:GreetingTimeout", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                Seconds(value, allowZero: true);
                return SettingCheck.Valid;
            }
            catch (FormatException ex)
            {
                return SettingCheck.Invalid($"--set {name}={value}: {ex.Message}");
            }
        }

        var setting = Array.Find(Settings, s => s.Name.Equals(key, StringComparison.OrdinalIgnoreCase));
        if (setting is null)
        {
            return SettingCheck.Unknown;
        }

        try
        {
            setting.Apply(new VoicePeerOptions { Target = new Uri("wss://127.0.0.1/") }, value);
            return SettingCheck.Valid;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or OverflowException)
        {
            return SettingCheck.Invalid($"--set {name}={value}: {ex.Message} (expected {setting.Meaning})");
        }
    }

    /// <summary>Applies validated overrides to the defaults of a call.</summary>
    public static VoicePeerOptions Apply(VoicePeerOptions options, IReadOnlyDictionary<string, string> overrides)
    {
        var extra = new Dictionary<string, string>(options.ExtraMetadata, StringComparer.Ordinal);
        foreach (var (name, value) in overrides)
        {
            var key = Normalize(name);
            if (key.StartsWith("ExtraMetadata.", StringComparison.OrdinalIgnoreCase))
            {
                extra[key["ExtraMetadata.".Length..]] = value;
                continue;
            }

            if (Array.Find(Settings, s => s.Name.Equals(key, StringComparison.OrdinalIgnoreCase)) is { } setting)
            {
                options = setting.Apply(options, value);
            }
        }

        return options with { ExtraMetadata = extra };
    }

    /// <summary>The Verloop greeting timeout (off unless set).</summary>
    public static TimeSpan VerloopGreetingTimeout(IReadOnlyDictionary<string, string> overrides)
    {
        foreach (var (name, value) in overrides)
        {
            if (Normalize(name).Equals("Verloop:GreetingTimeout", StringComparison.OrdinalIgnoreCase))
            {
                return Seconds(value, allowZero: true);
            }
        }

        return TimeSpan.Zero;
    }

    private static string Normalize(string name) =>
        name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? name[Prefix.Length..]
        : name.StartsWith("Knowlarity:", StringComparison.OrdinalIgnoreCase) ? name["Knowlarity:".Length..]
        : name;

    private static TimeSpan Seconds(string value, bool allowZero) =>
        TryParseSeconds(value, allowZero, out var seconds)
            ? seconds
            : throw new FormatException($"\"{value}\" is not a number of seconds{(allowZero ? " (0 or more)" : " above 0")}");

    /// <summary>A number of seconds up to an hour (0 only when <paramref name="allowZero"/>), as every seconds setting of the peer reads it.</summary>
    internal static bool TryParseSeconds(string value, bool allowZero, out TimeSpan seconds)
    {
        var ok = double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var s) && s >= 0 && (allowZero || s > 0) && s <= 3600;
        seconds = ok ? TimeSpan.FromSeconds(s) : TimeSpan.Zero;
        return ok;
    }

    private static int Int(string value, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) || n < min || n > max)
        {
            throw new FormatException($"\"{value}\" is not a whole number from {min} to {max}");
        }

        return n;
    }

    private static int CloseCode(string value)
    {
        var code = Int(value, 1000, 4999);
        return code == 1000 || code >= 3000 ? code : throw new FormatException($"{code} is not a close code an application may send (1000 or 3000-4999)");
    }

    private sealed record Setting(string Name, string Meaning, string Default, Func<VoicePeerOptions, string, VoicePeerOptions> Apply);

    private sealed class SettingSet : ISuiteSettings
    {
        public IReadOnlyList<SuiteSetting> Known { get; } = [.. Settings.Select(s => new SuiteSetting(s.Name, s.Meaning, s.Default))];

        public SettingCheck Check(string name, string value) => VoicePeerOverrides.Check(name, value);
    }
}
