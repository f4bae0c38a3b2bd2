using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Audio;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Projects;

/// <summary>Something a script emits: an event message (as the UTF-8 that goes on the wire), or an incident (sent in the configured shape), or output audio.</summary>
internal sealed record ScriptOutput(ReadOnlyMemory<byte>? EventUtf8, string? IncidentLevel = null, string? IncidentMessage = null, byte[]? Binary = null)
{
    /// <summary>The event message parsed (a fresh object each time; for inspection, not the hot path).</summary>
    public JsonObject? Event => EventUtf8 is { } utf8 ? JsonNode.Parse(utf8.Span) as JsonObject : null;

    /// <summary>The journal's summary line of the event (<c>Event &lt;Name&gt;</c>).</summary>
    public string? Summary { get; init; }

    /// <summary>The outputs after this one come this much later.</summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>The connection drops here.</summary>
    public bool Drop { get; init; }

    /// <summary>On a Start Of TTS Fragment: the fragment's speech as 16-bit PCM at the input rate (what the journal keeps).</summary>
    public byte[]? SpokenPcm { get; init; }
}

/// <summary>
/// Runs a project's script over one session: decodes the real incoming audio (pcm, μ-law, A-law; mono or interleaved
/// stereo), finds speech per channel, and fires the rules whose trigger came. Deterministic: the same audio and
/// requests give the same events.
/// </summary>
internal sealed class ScriptRunner
{
    private readonly ProjectDefinition _project;
    private readonly AudioFormat _format;
    private readonly SpeechActivityDetector[] _detectors;
    private readonly TimeSpan?[] _speechStart;
    private readonly string[] _group;
    // Rules and emits are keyed by identity: their record equality would hash every member on each lookup.
    private readonly Dictionary<ScriptRule, int> _fired = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<ScriptRule> _timeFired = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _responsesUsed = new(StringComparer.Ordinal);
    private readonly Dictionary<ScriptEmit, DataTemplate> _templates = new(ReferenceEqualityComparer.Instance);
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly OutputArena _arena = new();
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
    public IReadOnlyList<ScriptOutput> OnAudio(ReadOnlySpan<byte> frames) => OnChannels(_format.ToChannels(frames));

    /// <summary>Input audio as <see cref="AudioFormat.ToChannels"/> gives it: 16-bit PCM per channel, all of one length.</summary>
    public IReadOnlyList<ScriptOutput> OnChannels(IReadOnlyList<byte[]> channels)
    {
        if (channels.Count != _format.ChannelCount)
        {
            throw new ArgumentException($"{channels.Count} channel(s) of audio for a {_format.ChannelCount}-channel Start", nameof(channels));
        }

        var outputs = new List<ScriptOutput>();
        for (var ch = 0; ch < channels.Count; ch++)
        {
            foreach (var e in _detectors[ch].Process(channels[ch]))
            {
                outputs.AddRange(OnSpeech(ch, e));
            }
        }

        var perChannel = channels.Count == 0 ? 0 : channels[0].Length / 2;
        _frames += perChannel;
        // A rule for a channel the audio does not have (channel 1 of mono audio) never fires.
        foreach (var rule in _project.Rules.Where(r => r.Trigger == ScriptTrigger.AudioTime && r.At <= AudioTime && !_timeFired.Contains(r)
            && (r.Channel is null || r.Channel < _format.ChannelCount)))
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
                outputs.Add(Event("Speech Started", channel, Ms(e.At), -1, _group[channel], null));
            }

            outputs.AddRange(Fire(ScriptTrigger.SpeechStart, channel, e.At, null));
        }
        else
        {
            var start = _speechStart[channel] ?? e.At;
            if (_project.SpeechEvents)
            {
                outputs.Add(Event("Speech Ended", channel, Ms(start), Ms(e.At), _group[channel], null));
            }

            outputs.AddRange(Fire(ScriptTrigger.SpeechEnd, channel, start, e.At));
            _speechStart[channel] = null;
        }

        return outputs;
    }

    private List<ScriptOutput> Fire(ScriptTrigger trigger, int? channel, TimeSpan? start, TimeSpan? end, string? text = null)
    {
        List<ScriptOutput>? outputs = null;
        foreach (var rule in _project.Rules)
        {
            if (rule.Trigger == trigger && (rule.Channel is null || channel is null || rule.Channel == channel))
            {
                var emitted = Emit(rule, channel, start, end, text);
                if (outputs is null)
                {
                    outputs = emitted;
                }
                else
                {
                    outputs.AddRange(emitted);
                }
            }
        }

        return outputs ?? [];
    }

    private List<ScriptOutput> Emit(ScriptRule rule, int? channel, TimeSpan? start, TimeSpan? end, string? givenText = null)
    {
        var n = _fired.TryGetValue(rule, out var count) ? count : 0;
        _fired[rule] = n + 1;
        var text = givenText ?? (rule.Texts.Count > 0 ? rule.Texts[n % rule.Texts.Count] : string.Empty);
        var outputs = new List<ScriptOutput>(rule.Emit.Count);
        var duplicateNext = false;
        var swapNext = false;
        byte[]? escapedText = null;
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
                outputs.AddRange(Speak(emit.Tts.Replace("{text}", text, StringComparison.Ordinal), emit.TtsWaveHeader));
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
            escapedText ??= JsonEncodedText.Encode(text).EncodedUtf8Bytes.ToArray();
            var output = Template(emit).Render(_buffer, _arena, emit, escapedText, text, ch, startMs, endMs, channel is { } c && c >= 0 && c < _group.Length && _group[c] is { } g ? g : string.Empty);
            outputs.Add(output);
            if (duplicateNext)
            {
                duplicateNext = false;
                outputs.Add(output);
            }

            if (swapNext && outputs.Count >= 2 && outputs[^2].EventUtf8 is not null && outputs[^2] is { Delay: null, Drop: false })
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
    private List<ScriptOutput> Speak(string text, bool? waveHeader)
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

        // The PCM is the journal's copy of the speech (SpokenPcm), and the output itself when the output is pcm.
        var pcm = Pcm.ToBytes(samples);
        var encoded = _format.OutputEncoding switch
        {
            "ulaw" => G711.EncodeMuLaw(samples),
            "alaw" => G711.EncodeALaw(samples),
            _ => pcm,
        };
        var frameBytes = (_format.OutputEncoding is "ulaw" or "alaw" ? 1 : 2) * rate / 10;
        var start = new JsonObject { ["Text"] = text };
        if (waveHeader is { } given)
        {
            start["HasWaveHeader"] = given;
        }

        if (waveHeader ?? true)
        {
            // HasWaveHeader true (or absent, which 001 says means true): the fragment is a WAV file in the output encoding.
            encoded = _format.OutputEncoding switch
            {
                "ulaw" => Wav.EncodeG711(encoded, rate, 1, WavFormat.MuLawTag),
                "alaw" => Wav.EncodeG711(encoded, rate, 1, WavFormat.ALawTag),
                _ => Wav.Encode(encoded, rate),
            };
        }

        var outputs = new List<ScriptOutput>
        {
            Event("Start Of TTS Fragment", 0, -1, -1, string.Empty, start) with { SpokenPcm = pcm },
        };
        for (var i = 0; i < encoded.Length; i += frameBytes)
        {
            outputs.Add(new ScriptOutput(null, Binary: encoded[i..Math.Min(encoded.Length, i + frameBytes)]));
        }

        outputs.Add(Event("End Of TTS Fragment", -1, -1, -1, string.Empty, null));
        return outputs;
    }

    /// <summary>A fixed event (speech events, TTS fragment markers), serialized as <see cref="SessionMessages.Event"/> does.</summary>
    private static ScriptOutput Event(string name, int channel, int startMsec, int endMsec, string groupId, JsonNode? data) =>
        new(System.Text.Encoding.UTF8.GetBytes(SessionMessages.Event(name, channel, startMsec, endMsec, groupId, data).ToJsonString())) { Summary = "Event " + name };

    private DataTemplate Template(ScriptEmit emit)
    {
        if (!_templates.TryGetValue(emit, out var template))
        {
            template = DataTemplate.For(emit);
            _templates[emit] = template;
        }

        return template;
    }

    /// <summary>Rendered events share 32 KiB chunks (a slice is never overwritten: a full chunk is replaced).</summary>
    private sealed class OutputArena
    {
        private byte[] _chunk = [];
        private int _used;

        public ReadOnlyMemory<byte> Keep(ReadOnlySpan<byte> bytes)
        {
            if (bytes.Length > 8 * 1024)
            {
                return bytes.ToArray();
            }

            if (_chunk.Length - _used < bytes.Length)
            {
                _chunk = new byte[32 * 1024];
                _used = 0;
            }

            var kept = _chunk.AsMemory(_used, bytes.Length);
            bytes.CopyTo(kept.Span);
            _used += bytes.Length;
            return kept;
        }
    }

    /// <summary>
    /// An emit's event message prepared once as UTF-8 pieces, so that a burst of events costs one byte array each: the
    /// output is exactly what <see cref="SessionMessages.Event"/> serializes (same members, order and escaping), with
    /// the placeholders of string values replaced by their JSON-escaped values.
    /// </summary>
    private sealed class DataTemplate
    {
        private static readonly string[] Placeholders = ["{text}", "{channel}", "{startMsec}", "{endMsec}"];

        private byte[] _prefix = [];
        private byte[][] _dataPieces = [];
        private int[] _holes = [];
        private bool _keysHavePlaceholders;

        public required string Summary { get; init; }

        public JsonNode? Data { get; init; }

        public static DataTemplate For(ScriptEmit emit)
        {
            // An emit without data: gets the documented Data of its event (EventTemplates).
            var node = emit.Data ?? EventTemplates.DataFor(emit.Event!);
            var template = new DataTemplate { Summary = "Event " + emit.Event, Data = node };
            template._prefix = System.Text.Encoding.UTF8.GetBytes("{\"Event\":{\"Name\":" + JsonSerializer.Serialize(emit.Event!) + ",\"Channel\":");
            var data = node?.ToJsonString() ?? "null";
            template._keysHavePlaceholders = KeyHasPlaceholder(node);

            // Split the serialized Data at the placeholders: pieces[i], hole[i], pieces[i+1], ...
            var pieces = new List<byte[]>();
            var holes = new List<int>();
            var at = 0;
            while (true)
            {
                var next = Placeholders.Select((p, i) => (Index: data.IndexOf(p, at, StringComparison.Ordinal), Kind: i)).Where(x => x.Index >= 0).OrderBy(x => x.Index).FirstOrDefault((Index: -1, Kind: -1));
                if (next.Index < 0)
                {
                    pieces.Add(System.Text.Encoding.UTF8.GetBytes(data[at..]));
                    break;
                }

                pieces.Add(System.Text.Encoding.UTF8.GetBytes(data[at..next.Index]));
                holes.Add(next.Kind);
                at = next.Index + Placeholders[next.Kind].Length;
            }

            template._dataPieces = [.. pieces];
            template._holes = [.. holes];
            return template;
        }

        public ScriptOutput Render(ArrayBufferWriter<byte> buffer, OutputArena arena, ScriptEmit emit, byte[] escapedText, string text, int channel, int startMsec, int endMsec, string groupId)
        {
            if (_keysHavePlaceholders)
            {
                // Keys are never substituted: the object path keeps them as written.
                var data = Substitute(Data?.DeepClone(), text, channel, startMsec, endMsec);
                return new ScriptOutput(System.Text.Encoding.UTF8.GetBytes(SessionMessages.Event(emit.Event!, channel, startMsec, endMsec, groupId, data).ToJsonString())) { Summary = Summary };
            }

            buffer.ResetWrittenCount();
            buffer.Write(_prefix);
            WriteInt(buffer, channel);
            buffer.Write(",\"StartMsec\":"u8);
            WriteInt(buffer, startMsec);
            buffer.Write(",\"EndMsec\":"u8);
            WriteInt(buffer, endMsec);
            buffer.Write(",\"GroupId\":"u8);
            if (groupId.Length == 0)
            {
                buffer.Write("\"\""u8);
            }
            else
            {
                buffer.Write(System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(groupId)));
            }

            buffer.Write(",\"Tags\":[],\"Data\":"u8);
            for (var i = 0; i < _dataPieces.Length; i++)
            {
                buffer.Write(_dataPieces[i]);
                if (i < _holes.Length)
                {
                    switch (_holes[i])
                    {
                        case 0:
                            buffer.Write(escapedText);
                            break;
                        case 1:
                            WriteInt(buffer, channel);
                            break;
                        case 2:
                            WriteInt(buffer, startMsec);
                            break;
                        default:
                            WriteInt(buffer, endMsec);
                            break;
                    }
                }
            }

            buffer.Write("}}"u8);
            return new ScriptOutput(arena.Keep(buffer.WrittenSpan)) { Summary = Summary };
        }

        private static void WriteInt(ArrayBufferWriter<byte> buffer, int value)
        {
            var span = buffer.GetSpan(11);
            System.Buffers.Text.Utf8Formatter.TryFormat(value, span, out var written);
            buffer.Advance(written);
        }

        private static bool KeyHasPlaceholder(JsonNode? node) => node switch
        {
            JsonObject o => o.Any(p => p.Key.Contains('{', StringComparison.Ordinal) || KeyHasPlaceholder(p.Value)),
            JsonArray a => a.Any(KeyHasPlaceholder),
            _ => false,
        };
    }

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
