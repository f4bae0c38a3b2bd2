using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ProtocolSim.Cti.World;

/// <summary>Channel media types of 004 §session.addchannel.</summary>
internal static class ChannelTypes
{
    public static readonly string[] All = ["Telephony", "Chat", "Email"];
}

/// <summary>A reason of the platform's not-ready or logout list (004 §externalnotreadyreasons).</summary>
public sealed record Reason(string Code, string Name);

/// <summary>A quick-dial entry of the switch (004 §getdirectory).</summary>
public sealed record DirectoryEntry(string Name, string Number);

/// <summary>A call the agent's channel already has when the agent logs in (reported during initialization).</summary>
public sealed record ExistingCall
{
    public required string Ani { get; init; }

    /// <summary><c>ALERTING</c> or <c>STARTED</c>.</summary>
    public required string State { get; init; }

    /// <summary>The caller hangs up this long after log-in (null: stays until the session ends).</summary>
    public TimeSpan? HangUpAfter { get; init; }
}

/// <summary>A channel the switch already has for the agent at log-in.</summary>
public sealed record ExistingChannel
{
    public required string Endpoint { get; init; }

    public required string Type { get; init; }

    /// <summary><c>Ready</c> or <c>NotReady</c>.</summary>
    public string AgentState { get; init; } = "NotReady";

    /// <summary><c>Active</c> (the agent is logged in on it) or <c>Inactive</c> (BRG channel log-in states).</summary>
    public string LoginState { get; init; } = "Active";

    public IReadOnlyList<ExistingCall> Calls { get; init; } = [];
}

/// <summary>An agent who can log in (prepareSession), and the switch's state for that agent.</summary>
public sealed record Agent
{
    public required string Id { get; init; }

    public required string Password { get; init; }

    public string Name { get; init; } = "";

    public string? Extension { get; init; }

    /// <summary>The agent is already logged in on another desktop: prepareSession asks to confirm (IPS).</summary>
    public bool ExistingSession { get; init; }

    public IReadOnlyList<ExistingChannel> Channels { get; init; } = [];
}

/// <summary>A channel endpoint the platform knows (<c>session.addchannel</c> of another endpoint fails NotFound).</summary>
public sealed record KnownEndpoint(string Endpoint, string Type);

/// <summary>A channel group of the platform and its member channels.</summary>
public sealed record KnownGroup(string Name, IReadOnlyList<KnownEndpoint> Channels);

/// <summary>An inbound call the script delivers to an agent's channel.</summary>
public sealed record InboundCall
{
    public required string Agent { get; init; }

    /// <summary>The channel endpoint it rings on.</summary>
    public required string Endpoint { get; init; }

    public required string Ani { get; init; }

    /// <summary>When it arrives, after the agent's session is initialized (or after the channel is added).</summary>
    public TimeSpan After { get; init; }

    /// <summary>The caller hangs up this long after the call is answered.</summary>
    public TimeSpan Talk { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>An unanswered call is abandoned after this long.</summary>
    public TimeSpan Ring { get; init; } = TimeSpan.FromSeconds(20);
}

/// <summary>
/// The agent world of <c>fixtures/cti/*.yaml</c>: the processor's identity and capabilities, the agents and what the
/// switch holds for each at log-in, the endpoints and groups the platform knows, reason lists, directory entries, and
/// scripted inbound calls. Validated at load; every error names the file, line and path.
/// </summary>
public sealed record AgentWorld
{
    public required string Name { get; init; }

    /// <summary><c>cti-vendor</c> of the service info; <c>Avaya</c> uses the extension of session.start (004).</summary>
    public string CtiVendor { get; init; } = "Simulated";

    public string CtiVersion { get; init; } = "1.0";

    /// <summary>The call model prepareSession names.</summary>
    public string Model { get; init; } = "Simulated";

    /// <summary>Optional command groups the processor supports (<c>Telephony</c>, <c>Multimedia</c>).</summary>
    public IReadOnlySet<string> Capabilities { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The platform reports reason lists (004: "if supported").</summary>
    public bool ReasonsSupported { get; init; } = true;

    public IReadOnlyList<Reason> NotReadyReasons { get; init; } = [];

    public IReadOnlyList<Reason> LogoutReasons { get; init; } = [];

    /// <summary>Quick-dial entries; empty = <c>data: {}</c> (cti.md §5).</summary>
    public IReadOnlyList<DirectoryEntry> Directory { get; init; } = [];

    public required IReadOnlyList<Agent> Agents { get; init; }

    public IReadOnlyList<KnownEndpoint> Endpoints { get; init; } = [];

    public IReadOnlyList<KnownGroup> Groups { get; init; } = [];

    public IReadOnlyList<InboundCall> Inbound { get; init; } = [];

    public Agent? FindAgent(string id) => Agents.FirstOrDefault(a => string.Equals(a.Id, id, StringComparison.Ordinal));

    /// <summary>The default world's file, <c>fixtures/cti/default.yaml</c>.</summary>
    public static string DefaultPath(string fixtures) => Path.Combine(fixtures, "cti", "default.yaml");
}

/// <summary>Loads and validates agent worlds (STYLE.md: every error at once, naming file, line and path).</summary>
public static class AgentWorldLoader
{
    private static readonly string[] RootKeys = ["processor", "agents", "endpoints", "channelGroups", "inbound"];
    private static readonly string[] ProcessorKeys = ["ctiVendor", "ctiVersion", "model", "capabilities", "reasons", "directory"];
    private static readonly string[] ReasonKeys = ["supported", "notReady", "logout"];
    private static readonly string[] AgentKeys = ["id", "password", "name", "extension", "existingSession", "channels"];
    private static readonly string[] ChannelKeys = ["endpoint", "type", "agentState", "loginState", "calls"];
    private static readonly string[] CallKeys = ["ani", "state", "hangUpAfter"];
    private static readonly string[] InboundKeys = ["agent", "endpoint", "ani", "after", "talk", "ring"];
    private static readonly string[] KnownCapabilities = ["Telephony", "Multimedia"];

    /// <summary>Every <c>*.yaml</c> of a directory, by file name without extension.</summary>
    public static (IReadOnlyDictionary<string, AgentWorld> Worlds, IReadOnlyList<string> Errors) LoadDirectory(string directory)
    {
        var worlds = new Dictionary<string, AgentWorld>(StringComparer.Ordinal);
        var errors = new List<string>();
        if (!Directory.Exists(directory))
        {
            return (worlds, [$"{directory}: no such directory"]);
        }

        foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
        {
            var (world, fileErrors) = Load(file);
            errors.AddRange(fileErrors);
            if (world is not null)
            {
                worlds[world.Name] = world;
            }
        }

        if (worlds.Count == 0 && errors.Count == 0)
        {
            errors.Add($"{directory}: no agent world (*.yaml)");
        }

        return (worlds, errors);
    }

    public static (AgentWorld? World, IReadOnlyList<string> Errors) Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path), path);
        }
        catch (IOException e)
        {
            return (null, [$"{path}: {e.Message}"]);
        }
    }

    // Over ~100 lines on purpose: a validating parser of the agent world that collects every error at once, checks in the order the document gives them.
    public static (AgentWorld? World, IReadOnlyList<string> Errors) Parse(string yaml, string path)
    {
        var errors = new List<string>();
        void Error(YamlNode? node, string where, string message) =>
            errors.Add(node is null ? $"{path}: {where}: {message}" : $"{path}:{node.Start.Line}: {where}: {message}");

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            return (null, [$"{path}:{e.Start.Line}: not YAML: {e.Message}"]);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            return (null, [$"{path}: expected one mapping with {string.Join(", ", RootKeys)}"]);
        }

        CheckKeys(root, RootKeys, "(root)", Error);
        var world = new AgentWorld { Name = Path.GetFileNameWithoutExtension(path), Agents = [] };

        if (Child(root, "processor") is { } processorNode)
        {
            if (processorNode is not YamlMappingNode processor)
            {
                Error(processorNode, "processor", "must be a mapping");
            }
            else
            {
                CheckKeys(processor, ProcessorKeys, "processor", Error);
                var capabilities = StringList(processor, "capabilities", "processor.capabilities", Error);
                foreach (var unknown in capabilities.Where(c => !KnownCapabilities.Contains(c, StringComparer.Ordinal)))
                {
                    Error(Child(processor, "capabilities"), "processor.capabilities", $"\"{unknown}\" is not one of {string.Join(", ", KnownCapabilities)}");
                }

                world = world with
                {
                    CtiVendor = Text(processor, "ctiVendor", "processor.ctiVendor", Error) ?? world.CtiVendor,
                    CtiVersion = Text(processor, "ctiVersion", "processor.ctiVersion", Error) ?? world.CtiVersion,
                    Model = Text(processor, "model", "processor.model", Error) ?? world.Model,
                    Capabilities = capabilities.ToHashSet(StringComparer.Ordinal),
                };
                if (Child(processor, "reasons") is YamlMappingNode reasons)
                {
                    CheckKeys(reasons, ReasonKeys, "processor.reasons", Error);
                    world = world with
                    {
                        ReasonsSupported = Bool(reasons, "supported", "processor.reasons.supported", Error) ?? true,
                        NotReadyReasons = Reasons(reasons, "notReady", Error),
                        LogoutReasons = Reasons(reasons, "logout", Error),
                    };
                }
                else if (Child(processor, "reasons") is { } bad)
                {
                    Error(bad, "processor.reasons", "must be a mapping with supported, notReady, logout");
                }

                if (Child(processor, "directory") is YamlSequenceNode directory)
                {
                    world = world with
                    {
                        Directory = Items(directory, "processor.directory", Error)
                            .Select(x => new DirectoryEntry(Required(x.Map, "name", x.Where, Error) ?? "", Required(x.Map, "number", x.Where, Error) ?? "")).ToList(),
                    };
                }
            }
        }

        var agents = new List<Agent>();
        if (Child(root, "agents") is not YamlSequenceNode agentNodes || agentNodes.Children.Count == 0)
        {
            Error(Child(root, "agents"), "agents", "at least one agent (id, password) is required");
        }
        else
        {
            foreach (var (map, where) in Items(agentNodes, "agents", Error))
            {
                CheckKeys(map, AgentKeys, where, Error);
                var id = Required(map, "id", where, Error) ?? "";
                if (id.Contains('.', StringComparison.Ordinal))
                {
                    Error(map, where + ".id", "ids hold no dots (targets are dotted paths)");
                }

                if (agents.Any(a => a.Id == id))
                {
                    Error(map, where + ".id", $"agent \"{id}\" is defined twice");
                }

                var channels = new List<ExistingChannel>();
                if (Child(map, "channels") is YamlSequenceNode channelNodes)
                {
                    foreach (var (channel, channelWhere) in Items(channelNodes, where + ".channels", Error))
                    {
                        CheckKeys(channel, ChannelKeys, channelWhere, Error);
                        var type = ChannelType(channel, channelWhere, Error);
                        var agentState = Text(channel, "agentState", channelWhere + ".agentState", Error) ?? "NotReady";
                        if (agentState is not ("Ready" or "NotReady"))
                        {
                            Error(channel, channelWhere + ".agentState", "must be Ready or NotReady");
                        }

                        var loginState = Text(channel, "loginState", channelWhere + ".loginState", Error) ?? "Active";
                        if (loginState is not ("Active" or "Inactive"))
                        {
                            Error(channel, channelWhere + ".loginState", "must be Active or Inactive");
                        }

                        var calls = new List<ExistingCall>();
                        if (Child(channel, "calls") is YamlSequenceNode callNodes)
                        {
                            foreach (var (call, callWhere) in Items(callNodes, channelWhere + ".calls", Error))
                            {
                                CheckKeys(call, CallKeys, callWhere, Error);
                                var state = Text(call, "state", callWhere + ".state", Error) ?? "STARTED";
                                if (state is not ("ALERTING" or "STARTED"))
                                {
                                    Error(call, callWhere + ".state", "must be ALERTING or STARTED");
                                }

                                if (type != "Telephony")
                                {
                                    Error(call, callWhere, "calls need a Telephony channel");
                                }

                                calls.Add(new ExistingCall { Ani = Required(call, "ani", callWhere, Error) ?? "", State = state, HangUpAfter = Duration(call, "hangUpAfter", callWhere, Error) });
                            }
                        }

                        channels.Add(new ExistingChannel { Endpoint = Required(channel, "endpoint", channelWhere, Error) ?? "", Type = type, AgentState = agentState, LoginState = loginState, Calls = calls });
                    }
                }

                agents.Add(new Agent
                {
                    Id = id,
                    Password = Required(map, "password", where, Error) ?? "",
                    Name = Text(map, "name", where + ".name", Error) ?? "",
                    Extension = Text(map, "extension", where + ".extension", Error),
                    ExistingSession = Bool(map, "existingSession", where + ".existingSession", Error) ?? false,
                    Channels = channels,
                });
            }
        }

        var endpoints = new List<KnownEndpoint>();
        if (Child(root, "endpoints") is YamlSequenceNode endpointNodes)
        {
            foreach (var (map, where) in Items(endpointNodes, "endpoints", Error))
            {
                endpoints.Add(new KnownEndpoint(Required(map, "endpoint", where, Error) ?? "", ChannelType(map, where, Error)));
            }
        }

        var groups = new List<KnownGroup>();
        if (Child(root, "channelGroups") is YamlSequenceNode groupNodes)
        {
            foreach (var (map, where) in Items(groupNodes, "channelGroups", Error))
            {
                var members = new List<KnownEndpoint>();
                if (Child(map, "channels") is YamlSequenceNode memberNodes && memberNodes.Children.Count > 0)
                {
                    foreach (var (member, memberWhere) in Items(memberNodes, where + ".channels", Error))
                    {
                        members.Add(new KnownEndpoint(Required(member, "endpoint", memberWhere, Error) ?? "", ChannelType(member, memberWhere, Error)));
                    }
                }
                else
                {
                    Error(map, where + ".channels", "a group needs at least one channel");
                }

                groups.Add(new KnownGroup(Required(map, "name", where, Error) ?? "", members));
            }
        }

        var inbound = new List<InboundCall>();
        if (Child(root, "inbound") is YamlSequenceNode inboundNodes)
        {
            foreach (var (map, where) in Items(inboundNodes, "inbound", Error))
            {
                CheckKeys(map, InboundKeys, where, Error);
                var agent = Required(map, "agent", where, Error) ?? "";
                if (agents.Count > 0 && !agents.Any(a => a.Id == agent))
                {
                    Error(map, where + ".agent", $"no agent \"{agent}\"");
                }

                inbound.Add(new InboundCall
                {
                    Agent = agent,
                    Endpoint = Required(map, "endpoint", where, Error) ?? "",
                    Ani = Required(map, "ani", where, Error) ?? "",
                    After = Duration(map, "after", where, Error) ?? TimeSpan.Zero,
                    Talk = Duration(map, "talk", where, Error) ?? TimeSpan.FromSeconds(1),
                    Ring = Duration(map, "ring", where, Error) ?? TimeSpan.FromSeconds(20),
                });
            }
        }

        world = world with { Agents = agents, Endpoints = endpoints, Groups = groups, Inbound = inbound };
        return errors.Count > 0 ? (null, errors) : (world, errors);
    }

    private static string ChannelType(YamlMappingNode map, string where, Action<YamlNode?, string, string> error)
    {
        var type = Required(map, "type", where, error) ?? "Telephony";
        if (!ChannelTypes.All.Contains(type, StringComparer.Ordinal))
        {
            error(map, where + ".type", $"\"{type}\" is not one of {string.Join(", ", ChannelTypes.All)}");
        }

        return type;
    }

    private static List<Reason> Reasons(YamlMappingNode map, string key, Action<YamlNode?, string, string> error) =>
        Child(map, key) is YamlSequenceNode list
            ? Items(list, "processor.reasons." + key, error).Select(x => new Reason(Required(x.Map, "code", x.Where, error) ?? "", Required(x.Map, "name", x.Where, error) ?? "")).ToList()
            : [];

    private static IEnumerable<(YamlMappingNode Map, string Where)> Items(YamlSequenceNode list, string where, Action<YamlNode?, string, string> error)
    {
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (list.Children[i] is YamlMappingNode map)
            {
                yield return (map, $"{where}[{i}]");
            }
            else
            {
                error(list.Children[i], $"{where}[{i}]", "must be a mapping");
            }
        }
    }

    private static string[] StringList(YamlMappingNode map, string key, string where, Action<YamlNode?, string, string> error)
    {
        switch (Child(map, key))
        {
            case null:
                return [];
            case YamlSequenceNode list when list.Children.All(c => c is YamlScalarNode):
                return list.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToArray();
            case var other:
                error(other, where, "must be a list of names");
                return [];
        }
    }

    private static string? Required(YamlMappingNode map, string key, string where, Action<YamlNode?, string, string> error)
    {
        var value = Text(map, key, where + "." + key, error);
        if (string.IsNullOrEmpty(value))
        {
            error(map, where + "." + key, "is required");
        }

        return value;
    }

    private static string? Text(YamlMappingNode map, string key, string where, Action<YamlNode?, string, string> error)
    {
        switch (Child(map, key))
        {
            case null:
                return null;
            case YamlScalarNode scalar:
                return scalar.Value;
            case var other:
                error(other, where, "must be a text value");
                return null;
        }
    }

    private static bool? Bool(YamlMappingNode map, string key, string where, Action<YamlNode?, string, string> error)
    {
        var text = Text(map, key, where, error);
        if (text is null)
        {
            return null;
        }

        if (bool.TryParse(text, out var value))
        {
            return value;
        }

        error(Child(map, key), where, "must be true or false");
        return null;
    }

    /// <summary>A duration written <c>250ms</c>, <c>2s</c> or <c>1.5s</c>.</summary>
    private static TimeSpan? Duration(YamlMappingNode map, string key, string where, Action<YamlNode?, string, string> error)
    {
        var text = Text(map, key, where + "." + key, error);
        if (text is null)
        {
            return null;
        }

        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0) : text.EndsWith('s') ? (text[..^1], 1000.0) : (text, double.NaN);
        if (!double.IsNaN(scale) && double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0)
        {
            return TimeSpan.FromMilliseconds(value * scale);
        }

        error(Child(map, key), where + "." + key, $"\"{text}\" is not a duration such as 250ms or 2s");
        return null;
    }

    private static void CheckKeys(YamlMappingNode map, string[] allowed, string where, Action<YamlNode?, string, string> error)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                error(key, where, $"unknown key \"{name}\" (known: {string.Join(", ", allowed)})");
            }
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;
}
