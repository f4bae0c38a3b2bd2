using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.DataFlow;

/// <summary>Something the client could not do; it ends the task with exit code 1.</summary>
internal sealed class ClientFailure(string message) : Exception(message);

/// <summary>The task a client runs, read from the <c>PROTOSIM_*</c> environment (README: the client task contract).</summary>
internal sealed record ClientTask
{
    public static readonly string[] Tasks = ["stream-audio", "stream-and-stop", "send-event", "update-settings"];

    public required string Name { get; init; }

    /// <summary>The integration the client uses for every task.</summary>
    public required DataFlowTransport Transport { get; init; }

    public required Uri WebSocketUrl { get; init; }

    public required Uri GrpcUrl { get; init; }

    public required Uri GrpcCleartextUrl { get; init; }

    /// <summary>The CA the gRPC server certificate must chain to (PROTOSIM_DATAFLOW_GRPC_CA, a PEM file).</summary>
    public string? GrpcCaPem { get; init; }

    public required Uri HttpUrl { get; init; }

    public required Uri IdentityUrl { get; init; }

    public required string ClientId { get; init; }

    public required string ClientSecret { get; init; }

    public required string Tenant { get; init; }

    public required string Project { get; init; }

    public required WavFormat Format { get; init; }

    public required byte[] Audio { get; init; }

    public required byte[] WavFile { get; init; }

    public string? OutputDirectory { get; init; }

    public string OutputEncoding { get; init; } = "pcm";

    public string EventText { get; init; } = "Hello from the client";

    public JsonObject UpdateParameters { get; init; } = new() { ["Punctuation"] = true };

    public int Sessions { get; init; } = 1;

    // A wire member name (000 §Event); a constant keeps it apart from this record's Name.
    private const string NameMember = "Name";

    /// <summary>The task's client event (000 §Event): every member, <c>Data.Text</c> = <see cref="EventText"/>.</summary>
    public JsonObject EventBody() => new()
    {
        [NameMember] = "Client Text",
        ["Channel"] = 0,
        ["StartMsec"] = -1,
        ["EndMsec"] = -1,
        ["GroupId"] = string.Empty,
        ["Tags"] = new JsonArray(),
        ["Data"] = new JsonObject { ["Text"] = EventText },
    };

    public string Encoding => Format.FormatTag switch
    {
        WavFormat.MuLawTag => "ulaw",
        WavFormat.ALawTag => "alaw",
        _ => "pcm",
    };

    public static ClientTask Parse(IReadOnlyDictionary<string, string> env, DataFlowTransport transport)
    {
        string Need(string key) => env.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new ClientFailure($"{key} is not set");
        var name = Need("PROTOSIM_TASK");
        if (!Tasks.Contains(name, StringComparer.Ordinal))
        {
            throw new ClientFailure($"PROTOSIM_TASK \"{name}\" is not one of {string.Join(", ", Tasks)}");
        }

        var file = File.ReadAllBytes(Need("PROTOSIM_AUDIO"));
        var wav = Wav.Parse(file);
        if (!wav.IsValid || wav.Format is not { } format || !(format.IsPcm16 || format.FormatTag is WavFormat.MuLawTag or WavFormat.ALawTag) || format.Channels is not (1 or 2))
        {
            throw new ClientFailure($"PROTOSIM_AUDIO is not a mono or stereo PCM16, mu-law or A-law WAV file ({wav.Format})");
        }

        return new ClientTask
        {
            Name = name,
            Transport = transport,
            WebSocketUrl = new Uri(Need("PROTOSIM_DATAFLOW_WS_URL")),
            GrpcUrl = new Uri(Need("PROTOSIM_DATAFLOW_GRPC_URL")),
            GrpcCleartextUrl = new Uri(Need("PROTOSIM_DATAFLOW_GRPC_CLEARTEXT_URL")),
            GrpcCaPem = env.GetValueOrDefault("PROTOSIM_DATAFLOW_GRPC_CA") is { Length: > 0 } ca ? File.ReadAllText(ca) : null,
            HttpUrl = new Uri(Need("PROTOSIM_DATAFLOW_HTTP_URL")),
            IdentityUrl = new Uri(Need("PROTOSIM_IDENTITY_URL")),
            ClientId = Need("PROTOSIM_CLIENT_ID"),
            ClientSecret = Need("PROTOSIM_CLIENT_SECRET"),
            Tenant = Need("PROTOSIM_TENANT"),
            Project = Need("PROTOSIM_PROJECT"),
            Format = format,
            Audio = wav.Data.ToArray(),
            WavFile = file,
            OutputDirectory = env.GetValueOrDefault("PROTOSIM_OUTPUT_DIR"),
            OutputEncoding = env.GetValueOrDefault("PROTOSIM_OUTPUT_ENCODING") is { Length: > 0 } output ? output : "pcm",
            EventText = env.GetValueOrDefault("PROTOSIM_EVENT_TEXT") is { Length: > 0 } text ? text : "Hello from the client",
            UpdateParameters = env.GetValueOrDefault("PROTOSIM_UPDATE_PARAMETERS") is { Length: > 0 } json
                ? JsonNode.Parse(json) as JsonObject ?? throw new ClientFailure("PROTOSIM_UPDATE_PARAMETERS is not a JSON object")
                : new JsonObject { ["Punctuation"] = true },
            Sessions = env.GetValueOrDefault("PROTOSIM_SESSIONS") is { Length: > 0 } n ? int.Parse(n, CultureInfo.InvariantCulture) : 1,
        };
    }
}

/// <summary>
/// The reference Data Flow WebSocket client (000, 001; rules DFA and DFW of dataflow.md §3), with one optional
/// defect (<see cref="DataFlowClientFault"/>). It gets a token with client credentials, opens a session per
/// <c>PROTOSIM_SESSIONS</c>, streams the WAV's samples raw in 100 ms chunks, finalizes (or stops), reads until
/// FinalResult and closes; output audio (TTS fragments) is decoded and saved as tts-N.wav.
/// </summary>
internal sealed partial class DataFlowClient(DataFlowClientFault fault, DataFlowTransport transport, TextWriter log)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(12);

    /// <summary>
    /// dataflow-impatient's wait for StartResponse (DFW-035 wants at least 10 s): short enough to give up on the 3 s
    /// build of DFW-035's scenario, long enough that a StartResponse delayed by a loaded machine in the other scenarios
    /// (their build takes 100 ms; one arrived 800 ms after Start in a CI run) does not make it break other rules.
    /// </summary>
    private static readonly TimeSpan ImpatientStartTimeout = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ResponseTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan FinalResultTimeout = TimeSpan.FromSeconds(30);

    private static readonly HashSet<string> KnownEvents = new(StringComparer.Ordinal)
    {
        "FinalResult", "Age Change", "CallStateUpdate", "Change Insights", "Chat Message", "Chat Response", "Conversation Analyzer Result",
        "Conversation Insights", "Early Speech Ended", "Emotion", "End Of Segment", "Start Of Segment", "End Of TTS Fragment",
        "Gender Change", "Language Change", "Language Detected", "Merge Audio Started", "Merge Audio Ended", "RTG Notification",
        "RTG Scenarios", "RTG State", "RTG Supervisor Message", "RTG Transcript", "Sentiment", "Speech Started", "Speech Ended",
        "Speech Quality", "SR Milestone", "SR Partial", "Start Of TTS Fragment", "Subtitle Generated", "Summarize", "Topic Detected",
        "Translation", "VAAsyncOutput", "VA Activity Object", "VA External", "VBCallEvent", "VBStreamState", "VBTransactionEvent",
    };

    private ClientTask _task = null!;
    private string? _token;
    private DateTimeOffset _tokenExpiry;
    private int _fragments;

    public async Task<int> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        try
        {
            _task = ClientTask.Parse(environment, transport);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
            var ok = true;
            for (var i = 1; i <= _task.Sessions; i++)
            {
                var token = await TokenAsync(http, cancellationToken);
                ok &= transport == DataFlowTransport.Http
                    ? await new DataFlowBatchClient(_task, fault, log).RunAsync(token, i, cancellationToken)
                    : await RunSessionAsync(token, i, cancellationToken);
            }

            return ok ? 0 : 1;
        }
        catch (ClientFailure ex)
        {
            await log.WriteLineAsync("error: " + ex.Message);
            return 1;
        }
        catch (Exception ex) when (ex is WebSocketException or HttpRequestException or IOException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            await log.WriteLineAsync($"error: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }
    }

    // ------------------------------------------------------------ DFA: the token

    /// <summary>DFA-006: one token until shortly before it expires.</summary>
    private async Task<string> TokenAsync(HttpClient http, CancellationToken cancellationToken)
    {
        if (_token is not null && fault != DataFlowClientFault.TokenPerSession && DateTimeOffset.UtcNow < _tokenExpiry)
        {
            return _token;
        }

        var url = fault == DataFlowClientFault.FixedIdentityUrl ? new Uri("http://127.0.0.1:9/connect/token") : _task.IdentityUrl;
        var fields = new List<KeyValuePair<string, string>>
        {
            new("grant_type", "client_credentials"),
            new("client_id", _task.ClientId),
            new("client_secret", _task.ClientSecret),
        };
        if (fault != DataFlowClientFault.NoScope)
        {
            fields.Add(new("scope", "Wagtail"));
        }

        using HttpContent content = fault == DataFlowClientFault.TokenAsJson
            ? new StringContent(new JsonObject(fields.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)f.Value))).ToJsonString(), Encoding.UTF8, new MediaTypeHeaderValue("application/json"))
            : new FormUrlEncodedContent(fields);
        using var response = await http.PostAsync(url, content, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode || (JsonNode.Parse(body) as JsonObject)?["access_token"]?.GetValue<string>() is not { } token)
        {
            throw new ClientFailure($"token request failed: {(int)response.StatusCode} {body}");
        }

        var lifetime = (JsonNode.Parse(body) as JsonObject)?["expires_in"]?.GetValue<long>() ?? 3600;
        _token = token;
        _tokenExpiry = DateTimeOffset.UtcNow.AddSeconds(lifetime - Math.Min(60, lifetime / 10));
        await log.WriteLineAsync($"token obtained (expires in {lifetime} s)");
        return token;
    }
}
