using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Audio;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>
/// The Data Flow HTTP batch integration (dataflow.md §2.8, §4.2): <c>POST /batch</c> with a bearer token, <c>Tenant</c>
/// and <c>ProjectName</c> headers and a multipart body (<c>Parameters</c>: Start-shaped JSON; <c>Audio</c>: a WAV file in
/// pcm, alaw or ulaw). The project's script runs over the whole audio at once (no real-time pacing) on the same session
/// state machine as the streaming integrations, and the answer is every event and incident in one JSON body.
/// </summary>
internal static class DataFlowHttpEndpoint
{
    public const string Path = "/batch";

    /// <summary>How long the session may take to answer Start and to finish after Finalize.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Audio is handed to the session in chunks of this many sample frames (as a streaming client would).</summary>
    private const int ChunkFrames = 1600;

    public static IEndpointRouteBuilder MapDataFlowHttp(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(Path, RunAsync);
        return endpoints;
    }

    private static async Task RunAsync(HttpContext context)
    {
        await SessionFrames.WithJournalAsync(context, "http", async (options, secrets, journal) =>
        {
            journal.Append(Direction.Internal, FrameKind.Open, $"HTTP batch {context.Request.Method} {context.Request.Path} over {context.Request.Protocol} from {context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
            try
            {
                var (status, body) = await HandleAsync(context, options, secrets, journal);
                var text = body.ToJsonString();
                journal.Append(Direction.ToClient, FrameKind.Text, $"{status} with {body["Results"]!.AsArray().Count} result(s), {body["Incidents"]!.AsArray().Count} incident(s)", text: text, parsed: body);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(text, context.RequestAborted);
            }
            catch (Exception e) when (context.RequestAborted.IsCancellationRequested && e is OperationCanceledException or IOException or BadHttpRequestException)
            {
                // DFH-008: the client stopped waiting before every node was done (the answer comes only then).
                journal.Append(Direction.FromClient, FrameKind.Close, "the client closed the request before the answer");
            }
        });
    }

    private static async Task<(int Status, JsonObject Body)> HandleAsync(HttpContext context, DataFlowOptions options, IReadOnlyList<string> secrets, SessionJournal journal)
    {
        var request = context.Request;
        var headerText = string.Join("\n", request.Headers.Select(h => $"{h.Key}: {h.Value}"));
        var received = journal.Append(Direction.FromClient, FrameKind.Text, $"POST {request.Path} ({request.ContentType}, {request.ContentLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "chunked"} B)", text: headerText);
        JsonObject Error(string message) => Answer([], [IncidentOf(options, "Error", message)]);
        if (request.Headers.Where(h => secrets.Any(secret => h.Value.ToString().Contains(secret, StringComparison.Ordinal))).Select(h => h.Key).ToList() is { Count: > 0 } leaking)
        {
            journal.AddFinding("DFA-007", "The client secret was sent to the Data Flow batch endpoint.", "client_secret only on /connect/token", $"in the header(s) {string.Join(", ", leaking)} (redacted in this journal)", received.Seq);
        }

        // Step 1: the bearer token (DFH-002; DFA-004 on HTTP).
        var tokens = context.RequestServices.GetRequiredService<TokenService>();
        var authorization = request.Headers.Authorization.ToString();
        var token = authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..].Trim() : null;
        if (token is null || (await tokens.CheckAsync(token)).Check != TokenCheck.Valid)
        {
            var seen = authorization.Length == 0 ? "no Authorization header" : token is null ? "an Authorization header without the Bearer scheme" : "a bearer token that does not validate";
            journal.AddFinding("DFH-002", "The batch request has no valid bearer token.", "Authorization: Bearer <token>", seen, received.Seq);
            journal.AddFinding("DFA-004", "The token is not in Authorization: Bearer <token> on HTTP.", "Authorization: Bearer <token>", seen, received.Seq);
            return (StatusCodes.Status401Unauthorized, Error("Unauthorized: a valid bearer token is required."));
        }

        // Step 2: Tenant and ProjectName select the project (DFH-003).
        var tenant = request.Headers["Tenant"].ToString();
        var project = request.Headers["ProjectName"].ToString();
        if (tenant.Length == 0 || project.Length == 0)
        {
            journal.AddFinding("DFH-003", "The batch request lacks the Tenant or ProjectName header.", "Tenant and ProjectName headers", $"Tenant: \"{tenant}\", ProjectName: \"{project}\"", received.Seq);
            return (StatusCodes.Status400BadRequest, Error("The Tenant and ProjectName headers are required."));
        }

        if (!options.Projects.Contains(project))
        {
            return (StatusCodes.Status404NotFound, Error($"Project '{project}' was not found."));
        }

        // Step 3: the multipart body (DFH-001).
        if (!request.HasFormContentType || !request.ContentType!.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            journal.AddFinding("DFH-001", "The batch body is not multipart/form-data.", "multipart/form-data with Parameters and Audio parts", request.ContentType ?? "no Content-Type", received.Seq);
            return (StatusCodes.Status400BadRequest, Error("The body must be multipart/form-data with the parts Parameters and Audio."));
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            journal.AddFinding("DFH-001", "The multipart body could not be read.", "a well-formed multipart/form-data body", e.Message, received.Seq);
            return (StatusCodes.Status400BadRequest, Error("The multipart body could not be read: " + e.Message));
        }

        var parts = string.Join(", ", form.Keys.Concat(form.Files.Select(f => $"{f.Name} (file {f.FileName}, {f.Length} B)")));
        journal.Append(Direction.FromClient, FrameKind.Note, "parts: " + (parts.Length == 0 ? "none" : parts));

        // Step 4: Parameters, a Start without the token (DFH-004, DFH-010).
        var parametersText = form.TryGetValue("Parameters", out var field) ? field.ToString() : await ReadFileTextAsync(form.Files.GetFile("Parameters"));
        if (string.IsNullOrEmpty(parametersText))
        {
            journal.AddFinding("DFH-004", "The batch body has no Parameters part.", "a part named Parameters with Start-shaped JSON", parts, received.Seq);
            return (StatusCodes.Status400BadRequest, Error("The Parameters part is required."));
        }

        JsonObject parameters;
        try
        {
            parameters = JsonNode.Parse(parametersText) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e)
        {
            journal.AddFinding("DFH-004", "The Parameters part is not a JSON object.", "Start-shaped JSON", e.Message, received.Seq);
            return (StatusCodes.Status400BadRequest, Error("Parameters could not be parsed as JSON: " + e.Message));
        }

        var parametersEntry = journal.Append(Direction.FromClient, FrameKind.Text, "Parameters", text: parametersText, parsed: parameters);
        if (secrets.Any(secret => parametersText.Contains(secret, StringComparison.Ordinal)))
        {
            journal.AddFinding("DFA-007", "The client secret was sent to the Data Flow batch endpoint in Parameters.", "client_secret only on /connect/token", "the secret in Parameters (redacted in this journal)", parametersEntry.Seq);
        }

        if (parameters.ContainsKey("Token"))
        {
            journal.AddFinding("DFH-010", "Parameters carries the token.", "no Token in Parameters (the bearer header authenticates)", "Token present (redacted)", received.Seq);
        }

        // Step 6: Audio, a WAV file in pcm, alaw or ulaw (DFH-005, DFH-006).
        var audioFile = form.Files.GetFile("Audio");
        if (audioFile is null)
        {
            journal.AddFinding("DFH-005", "The batch body has no Audio part.", "a part named Audio holding a WAV file", parts, received.Seq);
            return (StatusCodes.Status400BadRequest, Error("The Audio part is required."));
        }

        var audioBytes = new byte[audioFile.Length];
        await using (var stream = audioFile.OpenReadStream())
        {
            await stream.ReadExactlyAsync(audioBytes, context.RequestAborted);
        }

        var wav = Wav.Parse(audioBytes);
        var encoding = wav.Format switch
        {
            { IsPcm16: true } => "pcm",
            { FormatTag: WavFormat.ALawTag, BitsPerSample: 8 } => "alaw",
            { FormatTag: WavFormat.MuLawTag, BitsPerSample: 8 } => "ulaw",
            _ => null,
        };
        if (!wav.IsValid || encoding is null)
        {
            var why = !wav.IsValid ? string.Join("; ", wav.FatalDefects.Select(d => d.ToString())) : $"format tag {wav.Format!.FormatTag}, {wav.Format.BitsPerSample} bits";
            journal.AddFinding("DFH-005", "The Audio part is not a WAV file in pcm, alaw or ulaw.", "RIFF/WAVE with 16-bit PCM, A-law or μ-law samples", why, received.Seq);
            return (StatusCodes.Status400BadRequest, Error("The Audio part must be a WAV file with pcm, alaw or ulaw samples: " + why));
        }

        var declared = new JsonObject { ["Encoding"] = encoding, ["SampleRate"] = wav.Format!.SampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture), ["ChannelCount"] = wav.Format.Channels.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (parameters["Audio"] is JsonObject given && !Matches(given, declared))
        {
            journal.AddFinding("DFH-006", "Parameters.Audio does not match the WAV header.", declared.ToJsonString(), given.ToJsonString(), received.Seq);
        }

        // Steps 4–9 on the session: Start (token from the header), the audio in chunks, Finalize, every output.
        var start = (JsonObject)parameters.DeepClone();
        start["MessageName"] = "Start";
        // The headers select the project and the tenant (step 2); the token comes from the bearer header (step 1).
        start["ProjectName"] = project;
        start["Tenant"] = tenant;
        start["Token"] = token;
        start["Audio"] = declared;
        var sink = new CollectingSink(journal);
        await using var session = new DataFlowSession(options, context.RequestServices.GetRequiredService<TokenService>(), journal, sink, pathProject: null, context.RequestServices.GetService<TimeProvider>())
        {
            Transport = DataFlowTransport.Http,
        };
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        patience.CancelAfter(Patience);
        try
        {
            await session.OnTextAsync(start.ToJsonString(), received.Seq, patience.Token);
            var startResponse = await sink.StartResponse.WaitAsync(patience.Token);
            if (startResponse != "Success")
            {
                // Step 5: start errors fail the request.
                return (StatusCodes.Status400BadRequest, sink.Body());
            }

            var frameBytes = wav.Format.BlockAlign;
            var data = wav.Data;
            for (var offset = 0; offset < data.Length; offset += ChunkFrames * frameBytes)
            {
                var chunk = data.Slice(offset, Math.Min(ChunkFrames * frameBytes, data.Length - offset));
                await session.OnBinaryAsync(chunk, received.Seq, patience.Token);
            }

            await session.OnTextAsync("""{"MessageName":"Finalize"}""", received.Seq, patience.Token);
            await session.FinalResultSent.WaitAsync(patience.Token);
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            journal.Append(Direction.Internal, FrameKind.Error, $"the session did not finish within {Patience.TotalSeconds:0} s");
            return (StatusCodes.Status500InternalServerError, Answer(sink.Results, [.. sink.Incidents, IncidentOf(options, "Error", "The project did not finish processing the audio.")]));
        }

        return (StatusCodes.Status200OK, sink.Body());
    }

    private static bool Matches(JsonObject given, JsonObject declared) =>
        string.Equals(given["Encoding"]?.ToString(), declared["Encoding"]?.ToString(), StringComparison.OrdinalIgnoreCase)
        && given["SampleRate"]?.ToString() == declared["SampleRate"]?.ToString()
        && given["ChannelCount"]?.ToString() == declared["ChannelCount"]?.ToString();

    private static async Task<string?> ReadFileTextAsync(IFormFile? file)
    {
        if (file is null)
        {
            return null;
        }

        using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static JsonObject IncidentOf(DataFlowOptions options, string level, string message) =>
        Inner(SessionMessages.Incident(options.IncidentShape == IncidentShape.Flat ? IncidentShape.Flat : IncidentShape.Nested, level, message, "batch").First());

    private static JsonObject Inner(JsonObject message) => message["Incident"] as JsonObject ?? message["Event"] as JsonObject ?? message;

    private static JsonObject Answer(IEnumerable<JsonObject> results, IEnumerable<JsonObject> incidents) => new()
    {
        ["Results"] = new JsonArray(results.Select(r => (JsonNode)r.DeepClone()).ToArray()),
        ["Incidents"] = new JsonArray(incidents.Select(i => (JsonNode)i.DeepClone()).ToArray()),
    };

    /// <summary>Collects what the session sends: events (in emission order) and incidents; responses decide the flow.</summary>
    private sealed class CollectingSink(SessionJournal journal) : ISessionSink
    {
        private readonly List<JsonObject> _results = [];
        private readonly List<JsonObject> _incidents = [];
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource<string> _startResponse = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<string> StartResponse => _startResponse.Task;

        public IReadOnlyList<JsonObject> Results
        {
            get
            {
                lock (_gate)
                {
                    return [.. _results];
                }
            }
        }

        public IReadOnlyList<JsonObject> Incidents
        {
            get
            {
                lock (_gate)
                {
                    return [.. _incidents];
                }
            }
        }

        public JsonObject Body() => Answer(Results, Incidents);

        public ValueTask SendTextAsync(JsonObject message, CancellationToken cancellationToken)
        {
            Collect(message, SessionFrames.Describe(message));
            return ValueTask.CompletedTask;
        }

        public ValueTask SendTextsAsync(IReadOnlyList<(ReadOnlyMemory<byte> Utf8Json, string Summary)> messages, CancellationToken cancellationToken)
        {
            foreach (var (utf8, summary) in messages)
            {
                if (JsonNode.Parse(utf8.Span) is JsonObject message)
                {
                    Collect(message, summary);
                }
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask SendBinaryAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            journal.Append(Direction.Internal, FrameKind.Note, $"output audio {data.Length} B (not part of the batch answer)");
            return ValueTask.CompletedTask;
        }

        public void Abort() => journal.Append(Direction.Internal, FrameKind.Note, "a scripted connection drop does not apply to a batch request");

        private void Collect(JsonObject message, string summary)
        {
            journal.Append(Direction.Internal, FrameKind.Note, "collected: " + summary);
            lock (_gate)
            {
                if (message["Event"] is JsonObject ev)
                {
                    _results.Add(ev);
                }
                else if (message["Incident"] is JsonObject incident)
                {
                    _incidents.Add(incident);
                }
                else if (message["MessageName"]?.ToString() == "Incident")
                {
                    _incidents.Add(message);
                }
            }

            if (message["MessageName"]?.ToString() == "StartResponse")
            {
                _startResponse.TrySetResult(message["OperationResult"]?.ToString() ?? "");
            }
        }
    }
}
