using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProtocolSim.DataFlow.Projects;

/// <summary>What starts a script rule.</summary>
public enum ScriptTrigger
{
    /// <summary>StartResponse Success was sent.</summary>
    Start,

    /// <summary>The speech-activity detector found speech starting on a channel of the real incoming audio.</summary>
    SpeechStart,

    /// <summary>... and ending.</summary>
    SpeechEnd,

    /// <summary>Received audio time of a channel reached <see cref="ScriptRule.At"/>.</summary>
    AudioTime,

    /// <summary>A client <c>{"Event":...}</c> arrived.</summary>
    ClientEvent,

    /// <summary>An Update succeeded.</summary>
    Update,

    /// <summary>Finalize started (its rules run before FinalResult).</summary>
    Finalize,

    /// <summary>Stop started (pending rules are dropped; its own rules run before FinalResult).</summary>
    Stop,
}

/// <summary>A scripted fault (issue 3: delays, duplicated or out-of-order events, a dropped connection).</summary>
public enum FaultKind
{
    /// <summary>The rest of the rule's output comes <see cref="ScriptEmit.DelayMs"/> later.</summary>
    Delay,

    /// <summary>The next event is sent twice.</summary>
    Duplicate,

    /// <summary>The next two events are sent in swapped order.</summary>
    OutOfOrder,

    /// <summary>The connection drops without a close frame.</summary>
    Drop,
}

/// <summary>One thing a rule emits: an event (001), an incident (000 §Incident), TTS audio or a fault.</summary>
public sealed record ScriptEmit
{
    /// <summary>Event name exactly as 001 writes it; null for an incident.</summary>
    public string? Event { get; init; }

    /// <summary>Event channel; null = the channel that triggered the rule (or -1).</summary>
    public int? Channel { get; init; }

    /// <summary>Event <c>Data</c>; strings may hold <c>{text}</c>, <c>{channel}</c>, <c>{startMsec}</c>, <c>{endMsec}</c>.</summary>
    public JsonNode? Data { get; init; }

    /// <summary>Text to speak as output audio (a Text-To-Speech node wired to the Publisher); may hold <c>{text}</c>.</summary>
    public string? Tts { get; init; }

    /// <summary>
    /// <c>HasWaveHeader</c> of the TTS fragment: false (the default, as TTS documents it: raw audio), true (the first
    /// frame starts with a WAV header), or null for a Start Of TTS Fragment without the member, which means true (001).
    /// </summary>
    public bool? TtsWaveHeader { get; init; } = false;

    public string? IncidentLevel { get; init; }

    public string? IncidentMessage { get; init; }

    public FaultKind? Fault { get; init; }

    public int DelayMs { get; init; }
}

/// <summary>A rule of a project's script: when it fires and what it emits.</summary>
public sealed record ScriptRule
{
    public required ScriptTrigger Trigger { get; init; }

    /// <summary>Audio time for <see cref="ScriptTrigger.AudioTime"/>.</summary>
    public TimeSpan? At { get; init; }

    /// <summary>Channel the rule listens to (null = any).</summary>
    public int? Channel { get; init; }

    /// <summary>Texts used in turn for <c>{text}</c> (one per firing).</summary>
    public IReadOnlyList<string> Texts { get; init; } = [];

    public required IReadOnlyList<ScriptEmit> Emit { get; init; }

    /// <summary>Where it was defined (file:line), for messages.</summary>
    public required string Source { get; init; }
}

/// <summary>A Data Flow project: which events a session emits, as a real project decides which nodes run.</summary>
public sealed record ProjectDefinition
{
    public required string Name { get; init; }

    public string Description { get; init; } = string.Empty;

    /// <summary>Emit Speech Started / Speech Ended from the real audio (an Audio Splitter node).</summary>
    public bool SpeechEvents { get; init; }

    public required IReadOnlyList<ScriptRule> Rules { get; init; }

    /// <summary>The first request of a name gets this OperationResult instead of the state machine's (a scripted Busy/Failed).</summary>
    public IReadOnlyDictionary<string, string> Responses { get; init; } = new Dictionary<string, string>();

    public required string File { get; init; }
}

/// <summary>Loads and validates <c>fixtures/dataflow/projects/*.yaml</c>, reporting every error at once (file:line: message).</summary>
public static class ProjectLoader
{
    /// <summary>Every event name of the 001 catalogue (dataflow.md §2.4), exactly as written on the wire.</summary>
    public static readonly IReadOnlySet<string> KnownEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        "Age Change", "CallStateUpdate", "Change Insights", "Chat Message", "Chat Response", "Conversation Analyzer Result",
        "Conversation Insights", "Early Speech Ended", "Emotion", "End Of Segment", "Start Of Segment", "End Of TTS Fragment",
        "Gender Change", "Language Change", "Language Detected", "Merge Audio Started", "Merge Audio Ended",
        "RTG Notification", "RTG Scenarios", "RTG State", "RTG Supervisor Message", "RTG Transcript", "Sentiment",
        "Speech Started", "Speech Ended", "Speech Quality", "SR Milestone", "SR Partial", "Start Of TTS Fragment",
        "Subtitle Generated", "Summarize", "Topic Detected", "Translation", "VAAsyncOutput", "VA Activity Object",
        "VA External", "VBCallEvent", "VBStreamState", "VBTransactionEvent",
    };

    private static readonly string[] ProjectKeys = ["name", "description", "speechEvents", "script", "responses"];
    private static readonly string[] RequestNames = ["Start", "Update", "Finalize", "Stop"];
    private static readonly string[] OperationResults = ["Success", "Busy", "NoActiveOperation", "UnknownMessageName", "Failed"];
    private static readonly string[] RuleKeys = ["on", "at", "channel", "texts", "emit"];
    private static readonly string[] EmitKeys = ["event", "channel", "data", "incident", "custom", "tts", "waveHeader", "fault"];
    private static readonly string[] FaultKeys = ["delay", "duplicate", "outOfOrder", "drop"];
    private static readonly string[] Levels = ["Debug", "Warning", "Error"];

    /// <summary>Loads every *.yaml of a directory; projects are returned only when there is no error at all.</summary>
    public static (IReadOnlyList<ProjectDefinition> Projects, IReadOnlyList<string> Errors) LoadDirectory(string directory)
    {
        var errors = new List<string>();
        var projects = new List<ProjectDefinition>();
        if (!Directory.Exists(directory))
        {
            return ([], [$"{directory}: project directory not found"]);
        }

        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            if (Load(file, File.ReadAllText(file), errors) is { } project)
            {
                projects.Add(project);
            }
        }

        foreach (var duplicate in projects.GroupBy(p => p.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"project \"{duplicate.Key}\" is defined in {string.Join(" and ", duplicate.Select(p => p.File))}");
        }

        return errors.Count == 0 ? (projects, []) : ([], errors);
    }

    /// <summary>Parses one project; adds every problem to <paramref name="errors"/>.</summary>
    // Over ~100 lines on purpose: a validating parser of a project file that collects every error at once, checks in the order the document gives them.
    public static ProjectDefinition? Load(string file, string yaml, List<string> errors)
    {
        var before = errors.Count;
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            errors.Add($"{file}:{ex.Start.Line}: {ex.Message}");
            return null;
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add($"{file}:1: a project is one YAML mapping (name, description, speechEvents, script)");
            return null;
        }

        void Error(YamlNode node, string message) => errors.Add($"{file}:{node.Start.Line}: {message}");
        CheckKeys(root, ProjectKeys, "project", Error);
        var name = Scalar(root, "name");
        if (string.IsNullOrWhiteSpace(name))
        {
            Error(root, "name is required");
        }

        var speech = Scalar(root, "speechEvents") is { } s ? ParseBool(s, root, "speechEvents", Error) : false;
        var rules = new List<ScriptRule>();
        if (Child(root, "script") is YamlSequenceNode script)
        {
            foreach (var item in script)
            {
                if (item is not YamlMappingNode rule)
                {
                    Error(item, "a script rule is a mapping (on, at, channel, texts, emit)");
                    continue;
                }

                CheckKeys(rule, RuleKeys, "script rule", Error);
                var on = Scalar(rule, "on");
                if (on is null || !Enum.TryParse<ScriptTrigger>(on, ignoreCase: true, out var trigger) || int.TryParse(on, out _))
                {
                    Error(rule, $"on: \"{on}\" is not a trigger ({string.Join(", ", Enum.GetNames<ScriptTrigger>().Select(n => char.ToLowerInvariant(n[0]) + n[1..]))})");
                    continue;
                }

                TimeSpan? at = null;
                if (Scalar(rule, "at") is { } atText)
                {
                    if (!double.TryParse(atText.TrimEnd('s'), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
                    {
                        Error(rule, $"at: \"{atText}\" is not a time in seconds (e.g. 2.5s)");
                    }
                    else
                    {
                        at = TimeSpan.FromSeconds(seconds);
                    }
                }

                if (trigger == ScriptTrigger.AudioTime && at is null)
                {
                    Error(rule, "on: audioTime needs at: (seconds of received audio)");
                }

                int? channel = Scalar(rule, "channel") is { } ch ? ParseInt(ch, rule, "channel", Error) : null;
                var texts = Child(rule, "texts") is YamlSequenceNode list ? list.Select(t => (t as YamlScalarNode)?.Value ?? string.Empty).ToList() : [];
                var emits = new List<ScriptEmit>();
                if (Child(rule, "emit") is not YamlSequenceNode emitList || emitList.Children.Count == 0)
                {
                    Error(rule, "emit: a list of events or incidents is required");
                }
                else
                {
                    foreach (var e in emitList)
                    {
                        if (ParseEmit(e, Error) is { } emit)
                        {
                            emits.Add(emit);
                        }
                    }
                }

                rules.Add(new ScriptRule { Trigger = trigger, At = at, Channel = channel, Texts = texts, Emit = emits, Source = $"{file}:{rule.Start.Line}" });
            }
        }
        else if (Child(root, "script") is { } notList)
        {
            Error(notList, "script: a list of rules");
        }

        var responses = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Child(root, "responses") is YamlMappingNode responseMap)
        {
            foreach (var (key, value) in responseMap.Children)
            {
                var request = (key as YamlScalarNode)?.Value;
                var result = (value as YamlScalarNode)?.Value;
                if (request is null || !RequestNames.Contains(request, StringComparer.Ordinal))
                {
                    Error(key, $"responses: \"{request}\" is not a request ({string.Join(", ", RequestNames)})");
                }
                else if (result is null || !OperationResults.Contains(result, StringComparer.Ordinal) || result == "Success")
                {
                    Error(value, $"responses: {request}: \"{result}\" is not a non-Success OperationResult (Busy, NoActiveOperation, UnknownMessageName, Failed)");
                }
                else
                {
                    responses[request] = result;
                }
            }
        }
        else if (Child(root, "responses") is { } notMap)
        {
            Error(notMap, "responses: a mapping of request name to OperationResult");
        }

        return errors.Count > before ? null : new ProjectDefinition { Name = name!, Description = Scalar(root, "description") ?? string.Empty, SpeechEvents = speech, Rules = rules, Responses = responses, File = file };
    }

    // Over ~100 lines on purpose: a validating parser of an emit of a project's rule that collects every error at once, checks in the order the document gives them.
    private static ScriptEmit? ParseEmit(YamlNode node, Action<YamlNode, string> error)
    {
        if (node is not YamlMappingNode map)
        {
            error(node, "an emit item is a mapping with event or incident");
            return null;
        }

        CheckKeys(map, EmitKeys, "emit item", error);
        var eventName = Scalar(map, "event");
        var custom = Scalar(map, "custom") is "true";
        if (Child(map, "incident") is YamlMappingNode incident)
        {
            var level = Scalar(incident, "level");
            var message = Scalar(incident, "message");
            if (level is null || !Levels.Contains(level, StringComparer.Ordinal))
            {
                error(incident, $"incident level \"{level}\" is not Debug, Warning or Error");
            }

            if (string.IsNullOrEmpty(message))
            {
                error(incident, "incident message is required");
            }

            return new ScriptEmit { IncidentLevel = level, IncidentMessage = message };
        }

        if (Child(map, "fault") is { } faultNode)
        {
            if (faultNode is not YamlMappingNode fault || fault.Children.Count != 1)
            {
                error(faultNode, $"fault: one of {string.Join(", ", FaultKeys)}, e.g. {{ delay: 500 }}");
                return null;
            }

            CheckKeys(fault, FaultKeys, "fault", error);
            var (key, value) = fault.Children.First();
            var kind = ((YamlScalarNode)key).Value;
            var text = (value as YamlScalarNode)?.Value;
            switch (kind)
            {
                case "delay" when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms) && ms is > 0 and <= 60_000:
                    return new ScriptEmit { Fault = FaultKind.Delay, DelayMs = ms };
                case "delay":
                    error(value, $"fault delay: \"{text}\" is not a number of milliseconds (1-60000)");
                    return null;
                case "duplicate" or "outOfOrder" or "drop" when text == "true":
                    return new ScriptEmit { Fault = kind switch { "duplicate" => FaultKind.Duplicate, "outOfOrder" => FaultKind.OutOfOrder, _ => FaultKind.Drop } };
                default:
                    error(value, $"fault {kind}: write {kind}: true");
                    return null;
            }
        }

        if (Child(map, "tts") is { } tts)
        {
            if (tts is not YamlScalarNode { Value: { Length: > 0 } ttsText })
            {
                error(tts, "tts: the text to speak");
                return null;
            }

            bool? header = false;
            switch (Scalar(map, "waveHeader"))
            {
                case null or "false":
                    break;
                case "true":
                    header = true;
                    break;
                case "absent":
                    header = null;
                    break;
                case var other:
                    error(map, $"waveHeader: \"{other}\" is not true, false or absent (absent: HasWaveHeader is left out, which means true)");
                    return null;
            }

            return new ScriptEmit { Tts = ttsText, TtsWaveHeader = header };
        }

        if (eventName is null)
        {
            error(map, "an emit item needs event:, incident: or tts:");
            return null;
        }

        if (!custom && !KnownEvents.Contains(eventName))
        {
            // Names are exact, case and spaces significant (001 §General Structure).
            var near = KnownEvents.FirstOrDefault(k => k.Equals(eventName, StringComparison.OrdinalIgnoreCase) || k.Replace(" ", string.Empty, StringComparison.Ordinal).Equals(eventName.Replace(" ", string.Empty, StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase));
            error(map, $"event \"{eventName}\" is not in the 001 catalogue{(near is null ? string.Empty : $" (did you mean \"{near}\"?)")}; add custom: true for a project-specific event");
        }

        return new ScriptEmit
        {
            Event = eventName,
            Channel = Scalar(map, "channel") is { } c ? ParseInt(c, map, "channel", error) : null,
            Data = Child(map, "data") is { } data ? ToJson(data) : null,
        };
    }

    /// <summary>YAML to JSON: plain scalars that look like numbers or booleans become numbers and booleans.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, ToJson(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when v is "null" or "~" or "" => null,
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when v is "true" or "false" => JsonValue.Create(v == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        YamlScalarNode { Style: ScalarStyle.Plain, Value: var v } when double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };

    private static void CheckKeys(YamlMappingNode map, string[] allowed, string what, Action<YamlNode, string> error)
    {
        foreach (var key in map.Children.Keys.OfType<YamlScalarNode>().Where(k => !allowed.Contains(k.Value, StringComparer.Ordinal)))
        {
            error(key, $"unknown key \"{key.Value}\" in a {what} (allowed: {string.Join(", ", allowed)})");
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    private static string? Scalar(YamlMappingNode map, string key) => (Child(map, key) as YamlScalarNode)?.Value;

    private static bool ParseBool(string value, YamlNode at, string key, Action<YamlNode, string> error)
    {
        if (bool.TryParse(value, out var b))
        {
            return b;
        }

        error(at, $"{key}: \"{value}\" is not true or false");
        return false;
    }

    private static int? ParseInt(string value, YamlNode at, string key, Action<YamlNode, string> error)
    {
        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= -2)
        {
            return n;
        }

        error(at, $"{key}: \"{value}\" is not a channel (-2, -1, 0, 1, ...)");
        return null;
    }
}
