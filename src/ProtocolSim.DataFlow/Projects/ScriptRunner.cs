using System.Text.Json.Nodes;
using ProtocolSim.Audio;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Projects;

/// <summary>Something a script emits: an event message, or an incident (sent in the configured shape).</summary>
public sealed record ScriptOutput(JsonObject? Event, string? IncidentLevel = null, string? IncidentMessage = null, byte[]? Binary = null)
{
    /// <summary>The outputs after this one come this much later.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>The connection drops here.</summary>
    public bool Drop { get; init; }
}

/// <summary>
/// Runs a project's script over one session: decodes the real incoming audio (pcm, μ-law, A-law; mono or interleaved
/// stereo), finds speech per channel, and fires the rules whose trigger came. Deterministic: the same audio and
/// requests give the same events.
/// </summary>
public sealed class ScriptRunner
{
    private readonly ProjectDefinition _project;
    private readonly AudioFormat _format;
    private readonly SpeechActivityDetector[] _detectors;
    private readonly TimeSpan?[] _speechStart;
    private readonly string[] _group;
    private readonly Dictionary<ScriptRule, int> _fired = [];
    private readonly HashSet<ScriptRule> _timeFired = [];
    private readonly HashSet<string> _responsesUsed = new(StringComparer.Ordinal);
    private long _frames;
    private int _groups;

    /// <summary>The scripted result for the first request of <paramref name="request"/>, once; null otherwise.</summary>
    public string? TakeResponseOverride(string request) =>
        _project.Responses.TryGetValue(request, out var result) && _responsesUsed.Add(request) ? result : null;

    public ScriptRunner(ProjectDefinition project, AudioFormat format)
    {
        _project = project;
        _format = format;
        _detectors = Enumerable.Range(0, format.ChannelCount).Select(_ => new SpeechActivityDetector(format.SampleRate)).ToArray();
        _speechStart = new TimeSpan?[format.ChannelCount];
        _group = new string[format.ChannelCount];
    }

    public TimeSpan AudioTime => TimeSpan.FromSeconds((double)_frames / _format.SampleRate);

    public IReadOnlyList<ScriptOutput> OnStart() => Fire(ScriptTrigger.Start, null, null, null);

    /// <summary>A client event; its <c>Data.Text</c>, when present, is the rule's <c>{text}</c> (what a TTS echo speaks).</summary>
    public IReadOnlyList<ScriptOutput> OnClientEvent(string? text) => Fire(ScriptTrigger.ClientEvent, null, null, null, text);

    public IReadOnlyList<ScriptOutput> OnUpdate() => Fire(ScriptTrigger.Update, null, null, null);

    /// <summary>Finalize lets pending speech end and runs its rules; Stop dismisses pending work and runs only its own.</summary>
    public IReadOnlyList<ScriptOutput> OnFinish(bool stop)
    {
        var outputs = new List<ScriptOutput>();
        if (!stop)
        {
            for (var ch = 0; ch < _detectors.Length; ch++)
            {
                foreach (var e in _detectors[ch].Flush())
                {
                    outputs.AddRange(OnSpeech(ch, e));
                }
            }
        }

        outputs.AddRange(Fire(stop ? ScriptTrigger.Stop : ScriptTrigger.Finalize, null, null, null));
        return outputs;
    }

    /// <summary>Whole sample frames of input audio, in the Start format.</summary>
    public IReadOnlyList<ScriptOutput> OnAudio(ReadOnlySpan<byte> frames)
    {
        var samples = _format.Encoding switch
        {
            "ulaw" => G711.DecodeMuLaw(frames),
            "alaw" => G711.DecodeALaw(frames),
            _ => Pcm.ToSamples(frames),
        };
        var channels = _format.ChannelCount;
        var perChannel = samples.Length / channels;
        var outputs = new List<ScriptOutput>();
        for (var ch = 0; ch < channels; ch++)
        {
            // De-interleave (DFW-008: one sample per channel in turn).
            var mono = new short[perChannel];
            for (var i = 0; i < perChannel; i++)
            {
                mono[i] = samples[(i * channels) + ch];
            }

            foreach (var e in _detectors[ch].Process(Pcm.ToBytes(mono)))
            {
                outputs.AddRange(OnSpeech(ch, e));
            }
        }

        _frames += perChannel;
        foreach (var rule in _project.Rules.Where(r => r.Trigger == ScriptTrigger.AudioTime && r.At <= AudioTime && !_timeFired.Contains(r)))
        {
            _timeFired.Add(rule);
            outputs.AddRange(Emit(rule, rule.Channel, null, null));
        }

        return outputs;
    }

    private List<ScriptOutput> OnSpeech(int channel, SpeechEvent e)
    {
        var outputs = new List<ScriptOutput>();
        if (e.Kind == SpeechEventKind.SpeechStart)
        {
            _speechStart[channel] = e.At;
            _group[channel] = (++_groups).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (_project.SpeechEvents)
            {
                outputs.Add(new ScriptOutput(Event("Speech Started", channel, Ms(e.At), -1, _group[channel], null)));
            }

            outputs.AddRange(Fire(ScriptTrigger.SpeechStart, channel, e.At, null));
        }
        else
        {
            var start = _speechStart[channel] ?? e.At;
            if (_project.SpeechEvents)
            {
                outputs.Add(new ScriptOutput(Event("Speech Ended", channel, Ms(start), Ms(e.At), _group[channel], null)));
            }

            outputs.AddRange(Fire(ScriptTrigger.SpeechEnd, channel, start, e.At));
            _speechStart[channel] = null;
        }

        return outputs;
    }

    private List<ScriptOutput> Fire(ScriptTrigger trigger, int? channel, TimeSpan? start, TimeSpan? end, string? text = null)
    {
        var outputs = new List<ScriptOutput>();
        foreach (var rule in _project.Rules.Where(r => r.Trigger == trigger && (r.Channel is null || channel is null || r.Channel == channel)))
        {
            outputs.AddRange(Emit(rule, channel, start, end, text));
        }

        return outputs;
    }

    private List<ScriptOutput> Emit(ScriptRule rule, int? channel, TimeSpan? start, TimeSpan? end, string? givenText = null)
    {
        var n = _fired.TryGetValue(rule, out var count) ? count : 0;
        _fired[rule] = n + 1;
        var text = givenText ?? (rule.Texts.Count > 0 ? rule.Texts[n % rule.Texts.Count] : string.Empty);
        var outputs = new List<ScriptOutput>();
        var duplicateNext = false;
        var swapNext = false;
        foreach (var emit in rule.Emit)
        {
            switch (emit.Fault)
            {
                case FaultKind.Delay:
                    outputs.Add(new ScriptOutput(null) { Delay = TimeSpan.FromMilliseconds(emit.DelayMs) });
                    continue;
                case FaultKind.Drop:
                    outputs.Add(new ScriptOutput(null) { Drop = true });
                    continue;
                case FaultKind.Duplicate:
                    duplicateNext = true;
                    continue;
                case FaultKind.OutOfOrder:
                    swapNext = true;
                    continue;
            }

            if (emit.Tts is not null)
            {
                outputs.AddRange(Speak(emit.Tts.Replace("{text}", text, StringComparison.Ordinal)));
                continue;
            }

            if (emit.Event is null)
            {
                outputs.Add(new ScriptOutput(null, emit.IncidentLevel, emit.IncidentMessage));
                continue;
            }

            var ch = emit.Channel ?? channel ?? -1;
            var startMs = start is null ? -1 : Ms(start.Value);
            var endMs = end is null ? -1 : Ms(end.Value);
            var data = Substitute(emit.Data?.DeepClone(), text, ch, startMs, endMs);
            var output = new ScriptOutput(Event(emit.Event, ch, startMs, endMs, channel is { } c && _group[c] is { } g ? g : string.Empty, data));
            outputs.Add(output);
            if (duplicateNext)
            {
                duplicateNext = false;
                outputs.Add(output with { Event = (JsonObject)output.Event!.DeepClone() });
            }

            if (swapNext && outputs.Count >= 2 && outputs[^2].Event is not null && outputs[^2] is { Delay: null, Drop: false })
            {
                // Out of order: this event goes before the one emitted just before it.
                swapNext = false;
                (outputs[^1], outputs[^2]) = (outputs[^2], outputs[^1]);
            }
        }

        return outputs;
    }

    /// <summary>
    /// A TTS fragment (001 §Start Of TTS Fragment): the start event with the text and <c>HasWaveHeader</c> false, raw
    /// audio in <c>Audio.Output.Encoding</c> at the input rate in frames of at most 100 ms (§5), then the end event.
    /// The voice is a speech-like synthetic signal, about 65 ms per character.
    /// </summary>
    private List<ScriptOutput> Speak(string text)
    {
        var rate = _format.SampleRate;
        var seconds = Math.Clamp(text.Length * 0.065, 0.4, 8.0);
        var samples = new short[(int)(rate * seconds)];
        for (var i = 0; i < samples.Length; i++)
        {
            var t = (double)i / rate;
            var envelope = 0.5 * (1 - Math.Cos(2 * Math.PI * 4 * t)); // syllables
            var voiced = Math.Sin(2 * Math.PI * 140 * t) + (0.5 * Math.Sin(2 * Math.PI * 280 * t)) + (0.25 * Math.Sin(2 * Math.PI * 420 * t));
            samples[i] = (short)(4000 * envelope * voiced);
        }

        var encoded = _format.OutputEncoding switch
        {
            "ulaw" => G711.EncodeMuLaw(samples),
            "alaw" => G711.EncodeALaw(samples),
            _ => Pcm.ToBytes(samples),
        };
        var frameBytes = (_format.OutputEncoding is "ulaw" or "alaw" ? 1 : 2) * rate / 10;
        var outputs = new List<ScriptOutput>
        {
            new(Event("Start Of TTS Fragment", 0, -1, -1, string.Empty, new JsonObject { ["Text"] = text, ["HasWaveHeader"] = false })),
        };
        for (var i = 0; i < encoded.Length; i += frameBytes)
        {
            outputs.Add(new ScriptOutput(null, Binary: encoded[i..Math.Min(encoded.Length, i + frameBytes)]));
        }

        outputs.Add(new ScriptOutput(Event("End Of TTS Fragment", -1, -1, -1, string.Empty, null)));
        return outputs;
    }

    private static JsonObject Event(string name, int channel, int startMsec, int endMsec, string groupId, JsonNode? data) =>
        SessionMessages.Event(name, channel, startMsec, endMsec, groupId, data);

    private static JsonNode? Substitute(JsonNode? node, string text, int channel, int startMsec, int endMsec)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = Substitute(obj[key], text, channel, startMsec, endMsec);
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = Substitute(array[i]?.DeepClone(), text, channel, startMsec, endMsec);
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var s) && s.Contains('{', StringComparison.Ordinal):
                return JsonValue.Create(s.Replace("{text}", text, StringComparison.Ordinal)
                    .Replace("{channel}", channel.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                    .Replace("{startMsec}", startMsec.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                    .Replace("{endMsec}", endMsec.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
            default:
                return node;
        }
    }

    private static int Ms(TimeSpan t) => (int)Math.Round(t.TotalMilliseconds);
}
