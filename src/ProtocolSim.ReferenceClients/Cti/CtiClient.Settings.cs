using System.Globalization;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

internal sealed partial class CtiClient
{
    // ---------------------------------------------------------------- environment

    /// <summary>The <c>PROTOSIM_*</c> task contract of docs/cti.md, read and checked at once (every error reported).</summary>
    private sealed record Settings(
        string Task,
        string Endpoint,
        string AgentId,
        string Password,
        string Model,
        string ClientName,
        bool ConfirmOverride,
        bool CurrentCommands,
        string? Extension,
        string? ChannelEndpoint,
        string ChannelType,
        string? Group,
        bool GroupChat,
        bool GroupEmail,
        bool GroupCallback,
        string? DialDestination,
        TimeSpan Idle,
        TimeSpan Hold)
    {
        public static Settings Read(IReadOnlyDictionary<string, string> environment, CtiTransportKind kind, List<string> errors)
        {
            string? Get(string key) => environment.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

            string Need(string key)
            {
                var value = Get(key);
                if (value is null)
                {
                    errors.Add(key + " is not set");
                }

                return value ?? "";
            }

            bool Choice(string key, string yes, string no, string fallback)
            {
                var value = Get(key) ?? fallback;
                if (!string.Equals(value, yes, StringComparison.OrdinalIgnoreCase) && !string.Equals(value, no, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{key} is \"{value}\", not {yes} or {no}");
                }

                return string.Equals(value, yes, StringComparison.OrdinalIgnoreCase);
            }

            var task = Need("PROTOSIM_TASK");
            if (task.Length > 0 && !Tasks.Contains(task, StringComparer.Ordinal))
            {
                errors.Add($"PROTOSIM_TASK \"{task}\" is not one of {string.Join(", ", Tasks)}");
            }

            var (key, file) = kind switch
            {
                CtiTransportKind.Socket => ("PROTOSIM_CTI_TCP", "ctiTcp"),
                CtiTransportKind.Http => ("PROTOSIM_CTI_HTTP_URL", "ctiHttp"),
                _ => ("PROTOSIM_CTI_WS_URL", "ctiWebSocket"),
            };
            var endpoint = Get(key) ?? FromEndpointsFile(Get("PROTOSIM_ENDPOINTS"), file, errors) ?? "";
            if (endpoint.Length == 0)
            {
                errors.Add($"{key} is not set (nor {file} in PROTOSIM_ENDPOINTS)");
            }
            else if (!ValidEndpoint(kind, endpoint))
            {
                errors.Add($"{key} \"{endpoint}\" is not a {(kind == CtiTransportKind.Socket ? "tcp://host:port" : "URL")}");
            }

            var idleText = Get("PROTOSIM_IDLE_SECONDS") ?? "0";
            if (!double.TryParse(idleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var idle) || idle is < 0 or > 3600)
            {
                errors.Add($"PROTOSIM_IDLE_SECONDS \"{idleText}\" is not a number of seconds");
                idle = 0;
            }

            var holdText = Get("PROTOSIM_HOLD_SECONDS") ?? "0";
            if (!double.TryParse(holdText, NumberStyles.Float, CultureInfo.InvariantCulture, out var hold) || hold is < 0 or > 3600)
            {
                errors.Add($"PROTOSIM_HOLD_SECONDS \"{holdText}\" is not a number of seconds");
                hold = 0;
            }

            return new Settings(
                task,
                endpoint,
                Need("PROTOSIM_AGENT_ID"),
                Need("PROTOSIM_AGENT_PASSWORD"),
                Need("PROTOSIM_CTI_MODEL"),
                Get("PROTOSIM_CLIENT_NAME") ?? "ProtocolSim desktop",
                Choice("PROTOSIM_CONFIRM_OVERRIDE", "yes", "no", "no"),
                Choice("PROTOSIM_CTI_COMMANDS", "current", "seed", "seed"),
                Get("PROTOSIM_CTI_EXTENSION"),
                task == "login-add-channel" ? Need("PROTOSIM_CHANNEL_ENDPOINT") : Get("PROTOSIM_CHANNEL_ENDPOINT"),
                Get("PROTOSIM_CHANNEL_TYPE") ?? "Telephony",
                task == "add-channel-group" ? Need("PROTOSIM_CHANNEL_GROUP") : Get("PROTOSIM_CHANNEL_GROUP"),
                Choice("PROTOSIM_GROUP_CHAT", "true", "false", "false"),
                Choice("PROTOSIM_GROUP_EMAIL", "true", "false", "false"),
                Choice("PROTOSIM_GROUP_CALLBACK", "true", "false", "false"),
                task == "dial" ? Need("PROTOSIM_DIAL_DESTINATION") : Get("PROTOSIM_DIAL_DESTINATION"),
                TimeSpan.FromSeconds(idle),
                TimeSpan.FromSeconds(hold));
        }

        private static bool ValidEndpoint(CtiTransportKind kind, string endpoint)
        {
            if (kind == CtiTransportKind.Socket)
            {
                try
                {
                    CtiSocketTransport.ParseEndpoint(endpoint);
                    return true;
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                && (kind == CtiTransportKind.Http ? uri.Scheme is "http" or "https" : uri.Scheme is "ws" or "wss");
        }

        /// <summary>The endpoints file of <c>protosim serve</c>, for a transport whose variable is missing.</summary>
        private static string? FromEndpointsFile(string? path, string key, List<string> errors)
        {
            if (path is null)
            {
                return null;
            }

            try
            {
                return CtiJson.Str(JsonNode.Parse(File.ReadAllText(path)), key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                errors.Add($"PROTOSIM_ENDPOINTS {path}: {e.Message}");
                return null;
            }
        }
    }
}
