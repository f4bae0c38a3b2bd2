using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>Writes the first frame of a call in each dialect and encoding.</summary>
internal static class Metadata
{
    /// <summary>Stream-Node metadata (003-V ch.2 Metadata Frame) in the chosen encoding.</summary>
    public static string StreamNode(VoicePeerOptions options)
    {
        var pairs = new List<KeyValuePair<string, string>>
        {
            new("callid", options.CallId),
            new("virtual_number", options.VirtualNumber),
            new("customer_number", options.CustomerNumber),
            new("call_type", options.CallType),
        };
        pairs.AddRange(options.ExtraMetadata);

        switch (options.MetadataEncoding)
        {
            case MetadataEncoding.Json:
                var obj = new JsonObject();
                foreach (var (key, value) in pairs)
                {
                    obj[key] = value;
                }

                return obj.ToJsonString(JsonDefaults.Relaxed);
            case MetadataEncoding.PyRepr:
                return PyRepr(pairs);
            default:
                // The documented form: a JSON string literal whose content is the Python repr of the dict.
                return JsonSerializer.Serialize(PyRepr(pairs), JsonDefaults.Relaxed);
        }
    }

    /// <summary>Verloop first message (002 §Inbound/§Outbound, comments removed).</summary>
    public static string Verloop(VoicePeerOptions options)
    {
        var obj = new JsonObject
        {
            ["uuid"] = options.CallId,
            ["sample_rate"] = options.SampleRate,
            ["from"] = options.CustomerNumber,
            ["to"] = options.VirtualNumber,
            ["campaign"] = options.Campaign,
            ["metadata"] = new JsonObject
            {
                ["welcome_message"] = options.WelcomeMessage,
                ["event"] = "websocket:connected",
                ["call_type"] = options.CallType,
            },
        };
        foreach (var (key, value) in options.ExtraMetadata)
        {
            obj[key] = value;
        }

        return obj.ToJsonString(JsonDefaults.Relaxed);
    }

    /// <summary>Python's repr of a dict of strings: <c>{'k': 'v', ...}</c>, quoting as Python does.</summary>
    public static string PyRepr(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var (key, value) in pairs)
        {
            if (!first)
            {
                sb.Append(", ");
            }

            first = false;
            AppendPyString(sb, key);
            sb.Append(": ");
            AppendPyString(sb, value);
        }

        return sb.Append('}').ToString();
    }

    private static void AppendPyString(StringBuilder sb, string value)
    {
        // Python uses single quotes unless the text holds a single quote and no double quote.
        var quote = value.Contains('\'', StringComparison.Ordinal) && !value.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        foreach (var c in value)
        {
            switch (c)
            {
                case '\\': sb.Append(@"\\"); break;
                case '\n': sb.Append(@"\n"); break;
                case '\r': sb.Append(@"\r"); break;
                case '\t': sb.Append(@"\t"); break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                    }
                    else if (c < 0x20 || c == 0x7f)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
                    }
                    else
                    {
                        sb.Append(c);
                    }

                    break;
            }
        }

        sb.Append(quote);
    }
}
