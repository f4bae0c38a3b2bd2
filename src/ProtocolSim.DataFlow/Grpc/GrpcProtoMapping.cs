using System.Text.RegularExpressions;

namespace ProtocolSim.DataFlow.Grpc;

/// <summary>
/// Where the mock finds the session's JSON and audio in the gRPC messages, and the method's path (dataflow.md §5,
/// <c>DataFlow:Grpc:ProtoFile</c>). The default is the assumed proto (<c>fixtures/dataflow/grpcDataFlow.proto</c>:
/// <c>/dataflow/Stream</c>, <c>string json = 1; bytes audio = 2;</c> in both messages). <see cref="Load"/> reads
/// another .proto file (the official one) and maps it by type and name: the bidirectional streaming method, in its
/// request and response messages the one string field (the JSON) and the one bytes field (the audio); when a message
/// has several of a kind, the one named like json/message/text (string) or audio/data/bytes (bytes).
/// </summary>
public sealed partial record GrpcProtoMapping(string MethodPath, int InputJsonField, int InputAudioField, int OutputJsonField, int OutputAudioField, IReadOnlySet<int> InputFields, string Source)
{
    /// <summary>
    /// What server reflection says of a proto loaded at run time: its package, the service with the one bidirectional
    /// method the mock serves, and that method's two messages with their scalar fields (a field of a message or enum
    /// type is left out: the mock reads only the JSON text and the audio). Null for the bundled proto, whose generated
    /// descriptor is complete.
    /// </summary>
    public Google.Protobuf.Reflection.FileDescriptor? Descriptor { get; init; }

    public static GrpcProtoMapping Default { get; } = new("/dataflow/Stream", 1, 2, 1, 2, new HashSet<int> { 1, 2 }, "the assumed proto (fixtures/dataflow/grpcDataFlow.proto)");

    /// <summary>Reads a .proto file; throws <see cref="InvalidDataException"/> naming what cannot be mapped.</summary>
    public static GrpcProtoMapping Load(string path)
    {
        var text = File.ReadAllText(path);
        try
        {
            return Parse(path, text);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException or FormatException or OverflowException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: not a .proto file the mock can read ({e.Message})", e);
        }
    }

    private static GrpcProtoMapping Parse(string path, string text)
    {
        // Comments go, string literals stay (a "//" or "/*" inside an option's string is not a comment).
        var tokens = Tokens().Matches(Comments().Replace(text, m => m.Groups["string"].Success ? m.Value : " ")).Select(m => m.Value).ToList();
        var package = "";
        var messages = new Dictionary<string, List<(string Type, string Name, int Number)>>(StringComparer.Ordinal);
        var rpcs = new List<(string Service, string Method, bool ClientStream, string Input, bool ServerStream, string Output)>();
        var i = 0;
        ParseBlock(tokens, ref i, scope: "", messages, rpcs, ref package, service: null);

        var streaming = rpcs.Where(r => r.ClientStream && r.ServerStream).ToList();
        var rpc = streaming.Count == 1 ? streaming[0]
            : streaming.FirstOrDefault(r => r.Method == "Stream") is { Service: not null } named ? named
            : throw new InvalidDataException($"{path}: {(streaming.Count == 0 ? "no bidirectional streaming method" : $"{streaming.Count} bidirectional streaming methods and none named Stream")} (the Data Flow gRPC integration is one bidirectional Stream call)");
        var input = Message(path, messages, rpc.Input, package);
        var output = Message(path, messages, rpc.Output, package);
        var method = $"/{(package.Length > 0 ? package + "." : "")}{rpc.Service}/{rpc.Method}";
        return new GrpcProtoMapping(method,
            Pick(path, rpc.Input, input, "string", JsonNames()), Pick(path, rpc.Input, input, "bytes", AudioNames()),
            Pick(path, rpc.Output, output, "string", JsonNames()), Pick(path, rpc.Output, output, "bytes", AudioNames()),
            input.Select(f => f.Number).ToHashSet(), Path.GetFileName(path))
        {
            Descriptor = Describe(Path.GetFileName(path), package, rpc.Service, rpc.Method, (rpc.Input, input), (rpc.Output, output)),
        };
    }

    private static readonly Dictionary<string, Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type> Scalars = new(StringComparer.Ordinal)
    {
        ["double"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Double,
        ["float"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Float,
        ["int64"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Int64,
        ["uint64"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Uint64,
        ["int32"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Int32,
        ["fixed64"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Fixed64,
        ["fixed32"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Fixed32,
        ["bool"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Bool,
        ["string"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.String,
        ["bytes"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Bytes,
        ["uint32"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Uint32,
        ["sfixed32"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Sfixed32,
        ["sfixed64"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Sfixed64,
        ["sint32"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Sint32,
        ["sint64"] = Google.Protobuf.Reflection.FieldDescriptorProto.Types.Type.Sint64,
    };

    /// <summary>Builds the <see cref="Descriptor"/> (one file, no imports: a name clash or a bad name gives null, reflection then lists health only).</summary>
    private static Google.Protobuf.Reflection.FileDescriptor? Describe(string file, string package, string service, string method,
        (string Type, List<(string Type, string Name, int Number)> Fields) input, (string Type, List<(string Type, string Name, int Number)> Fields) output)
    {
        static string Simple(string type) => type.TrimStart('.')[(type.TrimStart('.').LastIndexOf('.') + 1)..];
        var proto = new Google.Protobuf.Reflection.FileDescriptorProto { Name = file, Package = package, Syntax = "proto3" };
        foreach (var (type, fields) in new[] { input, output }.DistinctBy(m => Simple(m.Type)))
        {
            var message = new Google.Protobuf.Reflection.DescriptorProto { Name = Simple(type) };
            foreach (var (fieldType, name, number) in fields)
            {
                var repeated = fieldType.StartsWith("repeated ", StringComparison.Ordinal);
                if (Scalars.TryGetValue(repeated ? fieldType["repeated ".Length..] : fieldType, out var scalar))
                {
                    message.Field.Add(new Google.Protobuf.Reflection.FieldDescriptorProto
                    {
                        Name = name,
                        Number = number,
                        Type = scalar,
                        Label = repeated ? Google.Protobuf.Reflection.FieldDescriptorProto.Types.Label.Repeated : Google.Protobuf.Reflection.FieldDescriptorProto.Types.Label.Optional,
                        JsonName = name,
                    });
                }
            }

            proto.MessageType.Add(message);
        }

        var prefix = package.Length > 0 ? "." + package + "." : ".";
        proto.Service.Add(new Google.Protobuf.Reflection.ServiceDescriptorProto
        {
            Name = service,
            Method =
            {
                new Google.Protobuf.Reflection.MethodDescriptorProto
                {
                    Name = method, InputType = prefix + Simple(input.Type), OutputType = prefix + Simple(output.Type), ClientStreaming = true, ServerStreaming = true,
                },
            },
        });
        try
        {
            return Google.Protobuf.Reflection.FileDescriptor.BuildFromByteStrings([Google.Protobuf.MessageExtensions.ToByteString(proto)])[0];
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public override string ToString() =>
        $"{MethodPath}: request json field {InputJsonField}, audio field {InputAudioField}; response json field {OutputJsonField}, audio field {OutputAudioField} ({Source})";

    private static List<(string Type, string Name, int Number)> Message(string path, Dictionary<string, List<(string Type, string Name, int Number)>> messages, string type, string package)
    {
        var name = type.TrimStart('.');
        if (package.Length > 0 && name.StartsWith(package + ".", StringComparison.Ordinal))
        {
            name = name[(package.Length + 1)..];
        }

        return messages.TryGetValue(name, out var fields) ? fields
            : messages.Where(m => m.Key.EndsWith("." + name, StringComparison.Ordinal)).Select(m => m.Value).FirstOrDefault()
            ?? throw new InvalidDataException($"{path}: message {type} is not defined in the file");
    }

    private static int Pick(string path, string message, List<(string Type, string Name, int Number)> fields, string type, Regex preferred)
    {
        var all = fields.Where(f => f.Type == type).ToList();
        var candidates = all.Count > 1 ? all.Where(f => preferred.IsMatch(f.Name)).ToList() : all;
        var what = type == "string" ? "JSON text" : "audio";
        return candidates.Count == 1 ? candidates[0].Number
            : all.Count == 0 ? throw new InvalidDataException($"{path}: message {message} has no {type} field for the {what}; the mock cannot map it")
            : throw new InvalidDataException($"{path}: message {message} has more than one {type} field ({string.Join(", ", all.Select(f => f.Name))}) and not one named for the {what}; the mock cannot map it");
    }

    private static void ParseBlock(List<string> t, ref int i, string scope, Dictionary<string, List<(string, string, int)>> messages,
        List<(string, string, bool, string, bool, string)> rpcs, ref string package, string? service)
    {
        while (i < t.Count && t[i] != "}")
        {
            switch (t[i])
            {
                case "package":
                    package = t[i + 1];
                    i = Skip(t, i, ";");
                    break;
                case "message":
                    var name = scope.Length > 0 ? $"{scope}.{t[i + 1]}" : t[i + 1];
                    messages[name] = [];
                    i += 3;
                    ParseMessage(t, ref i, name, messages);
                    i++;
                    break;
                case "service":
                    var serviceName = t[i + 1];
                    i += 3;
                    ParseBlock(t, ref i, scope, messages, rpcs, ref package, serviceName);
                    i++;
                    break;
                case "rpc" when service is not null:
                    // rpc M ( [stream] In ) returns ( [stream] Out ) { ... } | ;
                    var j = i + 2;
                    var clientStream = t[j + 1] == "stream";
                    var inType = t[j + (clientStream ? 2 : 1)];
                    var returns = t.IndexOf("returns", j);
                    if (returns < 0)
                    {
                        throw new FormatException($"rpc {t[i + 1]} has no returns clause");
                    }

                    j = returns + 1;
                    var serverStream = t[j + 1] == "stream";
                    var outType = t[j + (serverStream ? 2 : 1)];
                    rpcs.Add((service, t[i + 1], clientStream, inType, serverStream, outType));
                    var closing = t.IndexOf(")", j);
                    i = closing > 0 ? closing + 1 : throw new FormatException($"rpc {t[i + 1]} is not closed");
                    i = i < t.Count && t[i] == "{" ? SkipBraces(t, i) : i + 1;
                    break;
                case "enum" or "extend":
                    i = SkipBraces(t, t.IndexOf("{", i));
                    break;
                case "{":
                    i = SkipBraces(t, i);
                    break;
                default:
                    i = Skip(t, i, ";");
                    break;
            }
        }
    }

    private static void ParseMessage(List<string> t, ref int i, string name, Dictionary<string, List<(string, string, int)>> messages)
    {
        while (i < t.Count && t[i] != "}")
        {
            switch (t[i])
            {
                case "message":
                    var nested = $"{name}.{t[i + 1]}";
                    messages[nested] = [];
                    i += 3;
                    ParseMessage(t, ref i, nested, messages);
                    i++;
                    break;
                case "oneof":
                    // The oneof's fields belong to the message.
                    i += 3;
                    ParseMessage(t, ref i, name, messages);
                    i++;
                    break;
                case "enum" or "extensions" or "extend":
                    i = t[i] == "extensions" ? Skip(t, i, ";") : SkipBraces(t, t.IndexOf("{", i));
                    break;
                case "option" or "reserved":
                    i = Skip(t, i, ";");
                    break;
                case "map":
                    // map < K , V > name = N ;
                    var close = t.IndexOf(">", i);
                    messages[name].Add(("map", t[close + 1], FieldNumber(t[close + 3]) ?? throw new FormatException($"map field {t[close + 1]} has no number")));
                    i = Skip(t, i, ";");
                    break;
                default:
                    // [repeated|optional|required] type name = N [options] ;
                    var modifier = t[i] is "repeated" or "optional" or "required" ? t[i] : null;
                    var k = modifier is null ? i : i + 1;
                    if (k + 3 < t.Count && t[k + 2] == "=" && FieldNumber(t[k + 3]) is { } number)
                    {
                        messages[name].Add((modifier == "repeated" ? "repeated " + t[k] : t[k], t[k + 1], number));
                    }

                    i = Skip(t, i, ";");
                    break;
            }
        }
    }

    /// <summary>A field number as proto3 writes it: decimal, hexadecimal (0x…) or octal (0…).</summary>
    private static int? FieldNumber(string token)
    {
        try
        {
            return token.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? Convert.ToInt32(token[2..], 16)
                : token.Length > 1 && token[0] == '0' ? Convert.ToInt32(token, 8)
                : int.TryParse(token, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static int Skip(List<string> t, int i, string until)
    {
        var at = t.IndexOf(until, i);
        return at < 0 ? t.Count : at + 1;
    }

    private static int SkipBraces(List<string> t, int open)
    {
        var depth = 0;
        for (var i = open; i < t.Count; i++)
        {
            depth += t[i] == "{" ? 1 : t[i] == "}" ? -1 : 0;
            if (depth == 0)
            {
                return i + 1;
            }
        }

        return t.Count;
    }

    [GeneratedRegex(@"(?<string>""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*')|//[^\n]*|/\*.*?\*/", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|[A-Za-z_][\w.]*|\.[A-Za-z_][\w.]*|0[xX][0-9A-Fa-f]+|-?\d+|[{}();=<>,\[\]]")]
    private static partial Regex Tokens();

    [GeneratedRegex("json|message|text|content|payload", RegexOptions.IgnoreCase)]
    private static partial Regex JsonNames();

    [GeneratedRegex("audio|data|bytes|chunk|payload|binary", RegexOptions.IgnoreCase)]
    private static partial Regex AudioNames();
}
