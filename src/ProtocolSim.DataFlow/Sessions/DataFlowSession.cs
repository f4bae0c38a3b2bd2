using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.DataFlow.Identity;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>
/// One Data Flow streaming session, the same for every transport (WebSocket now, gRPC next): the state machine of
/// dataflow.md §4.1 with the responses, incidents and findings it gives. Requests are handled one at a time in the
/// order they arrive; the build and finalize delays run in the background under the same lock.
/// </summary>
internal sealed class DataFlowSession : IAsyncDisposable
{
    private static readonly string[] Encodings = ["pcm", "ulaw", "alaw"];
    private static readonly string[] RequestNames = ["Start", "Update", "Finalize", "Stop"];
    private static readonly string[] EventMembers = ["Name", "Channel", "StartMsec", "EndMsec", "GroupId", "Tags", "Data"];

    // Wire member names (000 §Start); a constant keeps them apart from this class's members of the same name.
    private const string SettingsMember = "Settings";
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly DataFlowOptions _options;
    private readonly TokenService _tokens;
    private readonly ISessionSink _sink;
    private readonly TimeProvider _time;
    private readonly string? _pathProject;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly List<Task> _background = [];
    private readonly JsonObject _settings = [];
    private byte[] _carry = [];
    private long _audioFrames;
    private TimeSpan _ttsEnd;
    private bool _startPending;
    private bool _misalignedReported;
    private bool _anyRequest;
    private readonly TaskCompletionSource _finalResultSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _startAnswered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Projects.ScriptRunner? _script;
    private bool _scriptedStartUsed;

    public DataFlowSession(DataFlowOptions options, TokenService tokens, SessionJournal journal, ISessionSink sink, string? pathProject, TimeProvider? time = null)
    {
        _options = options;
        _tokens = tokens;
        Journal = journal;
        _sink = sink;
        _pathProject = string.IsNullOrEmpty(pathProject) ? null : pathProject;
        _time = time ?? TimeProvider.System;
        SessionId = Convert.ToHexString(Guid.NewGuid().ToByteArray().AsSpan(0, 8)).ToLowerInvariant();
        journal.SetLabel("sessionId", SessionId);
    }

    /// <summary>The session's clock (the mock's injected one): the transports time their waits after FinalResult on it.</summary>
    internal TimeProvider Time => _time;

    public SessionJournal Journal { get; }

    /// <summary>
    /// The integration the session runs on. gRPC has no text/binary frames: JSON in the audio field or a json field that
    /// is not JSON breaks DFG-004 instead of DFW-002. A batch (HTTP) session honours <c>Start.Events</c> (000 §Start:
    /// supported on HTTP only), emitting them from the Entry node once the project has started.
    /// </summary>
    public DataFlowTransport Transport { get; init; } = DataFlowTransport.WebSocket;

    private string FramingRule => Transport == DataFlowTransport.Grpc ? "DFG-004" : "DFW-002";

    /// <summary>16 hex digits, as in the documents' incidents.</summary>
    public string SessionId { get; }

    public SessionState State { get; private set; } = SessionState.Idle;

    public AudioFormat? Format { get; private set; }

    public string? Project { get; private set; }

    /// <summary>The journal's audio track of the speech the session's TTS fragments carry.</summary>
    public const string TtsTrack = "tts";

    /// <summary>Audio received per channel (every channel advances together in interleaved audio).</summary>
    public TimeSpan AudioTime => Format is null ? TimeSpan.Zero : TimeSpan.FromSeconds((double)_audioFrames / Format.SampleRate);

    /// <summary>
    /// Where audio handled now lands on the first input track, for its journal entry (<see cref="OnAudioAsync"/>); no
    /// track while the session takes no audio (before StartResponse Success, after Finalize or Stop) or keeps none
    /// (past <see cref="DataFlowOptions.MaxCapturedAudio"/>).
    /// </summary>
    private (string? Track, TimeSpan? At) InputPlace =>
        State == SessionState.Active && Format is { } format && AudioTime < _options.MaxCapturedAudio ? (format.InputTrack(0), AudioTime) : (null, null);

    /// <summary>A Start is being answered (the project builds): its StartResponse is still to come.</summary>
    public bool StartPending => _startPending;

    /// <summary>Completes when a StartResponse has been sent after the build (whatever its result).</summary>
    public Task StartAnswered => _startAnswered.Task;

    /// <summary>Completes when <c>FinalResult</c> has been sent (the transport then waits for the client to close).</summary>
    public Task FinalResultSent => _finalResultSent.Task;

    /// <summary>Current settings (Start.Settings merged with every successful Update).</summary>
    public JsonObject Settings => (JsonObject)_settings.DeepClone();

    /// <summary>Handles one text message (already journaled by the transport as received).</summary>
    /// <param name="parsed">The message as the transport already parsed it (read, never changed), or null to parse here.</param>
    public async Task OnTextAsync(string text, long entrySeq, CancellationToken cancellationToken, JsonNode? parsed = null)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            JsonNode? node;
            try
            {
                node = parsed ?? JsonNode.Parse(text);
            }
            catch (JsonException ex)
            {
                // §5: a non-JSON text frame gets an Error incident; the connection stays.
                await IncidentAsync("Error", "Message could not be parsed as JSON: " + ex.Message, cancellationToken);
                Journal.AddFinding(FramingRule, Transport == DataFlowTransport.Grpc ? "A StreamInput json field is not JSON." : "A text frame is not JSON.",
                    Transport == DataFlowTransport.Grpc ? "JSON text in StreamInput.json" : "JSON messages in text frames", Excerpt(text), entrySeq);
                if (Transport == DataFlowTransport.Grpc)
                {
                    await RefuseFirstAsync(cancellationToken);
                }

                return;
            }

            if (node is JsonObject obj && obj["MessageName"] is JsonValue nameValue && nameValue.TryGetValue<string>(out var name))
            {
                await OnRequestAsync(name, obj, entrySeq, cancellationToken);
            }
            else if (node is JsonObject ev && ev["Event"] is JsonObject body)
            {
                await OnClientEventAsync(body, entrySeq, cancellationToken);
            }
            else
            {
                await IncidentAsync("Error", "Message has neither a MessageName nor an Event.", cancellationToken);
                Journal.AddFinding("DFW-012", "A JSON message has neither a MessageName nor an Event member.", "{\"MessageName\":...} or {\"Event\":{...}}", Excerpt(text), entrySeq);
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// gRPC (dataflow.md §5): an unparsable first message is answered with StartResponse Failed, not a gRPC error status.
    /// Returns whether it was the first (nothing received before it, no Start pending or started).
    /// </summary>
    public async Task<bool> RefuseUnparsableFirstAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            return await RefuseFirstAsync(cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<bool> RefuseFirstAsync(CancellationToken cancellationToken)
    {
        if (_anyRequest || _startPending || State != SessionState.Idle)
        {
            return false;
        }

        _anyRequest = true;
        await RespondAsync("StartResponse", "Failed", cancellationToken);
        return true;
    }

    /// <summary>
    /// Keeps the input audio per channel as the journal's tracks (what the dashboard and the report play), up to
    /// <see cref="DataFlowOptions.MaxCapturedAudio"/>; <paramref name="before"/> is the sample frames received before it.
    /// </summary>
    private void Capture(AudioFormat format, byte[][] channels, long before)
    {
        var room = ((long)(_options.MaxCapturedAudio.TotalSeconds * format.SampleRate) - before) * 2;
        var take = (int)Math.Clamp(room, 0, channels[0].Length);
        for (var ch = 0; ch < channels.Length && take > 0; ch++)
        {
            Journal.GetOrAddAudio(format.InputTrack(ch), format.SampleRate).Append(channels[ch].AsSpan(0, take));
        }

        if (room >= 0 && take < channels[0].Length)
        {
            // The chunk that reaches the bound (once: the chunks after it start past it).
            Journal.Append(Direction.Internal, FrameKind.Note, $"the input audio is kept for its first {_options.MaxCapturedAudio.TotalMinutes:0.#} min (MaxCapturedAudio); the rest is handled, not kept");
        }
    }

    /// <summary>
    /// Handles one binary message that the transport journaled as it read it: links that entry to the frame's place in
    /// the input track (known now, with every earlier frame handled), then <see cref="OnBinaryAsync"/>.
    /// </summary>
    public Task OnAudioAsync(ReadOnlyMemory<byte> data, long entrySeq, CancellationToken cancellationToken) =>
        OnBinaryAsync(data, entrySeq, cancellationToken, linkEntry: true);

    /// <summary>Handles one binary message: input audio in the Start format.</summary>
    public async Task OnBinaryAsync(ReadOnlyMemory<byte> data, long entrySeq, CancellationToken cancellationToken, bool linkEntry = false)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (linkEntry && InputPlace is ({ } track, { } at))
            {
                Journal.LinkAudio(entrySeq, track, at);
            }

            switch (State)
            {
                case SessionState.Idle when LooksLikeJsonRequest(data.Span):
                    // A JSON request in a binary frame is audio to Data Flow: dropped, and the client is told.
                    Journal.AddFinding(FramingRule, Transport == DataFlowTransport.Grpc ? "A JSON message was sent in the StreamInput audio field." : "A JSON message was sent in a binary frame.",
                        Transport == DataFlowTransport.Grpc ? "Start JSON in StreamInput.json; audio only in StreamInput.audio" : "JSON messages in text frames; binary frames carry audio only", Excerpt(System.Text.Encoding.UTF8.GetString(data.Span[..Math.Min(data.Length, 200)])), entrySeq);
                    await IncidentAsync("Warning", "Audio received before the session started; it was dropped.", cancellationToken);
                    return;
                case SessionState.Idle:
                    var rule = _startPending ? "DFW-005" : "DFW-001";
                    Journal.AddFinding(rule, _startPending ? "Audio sent before StartResponse Success." : "Audio sent before Start.",
                        _startPending ? "audio only after StartResponse Success" : "Start first", $"{data.Length} B of audio", entrySeq);
                    await IncidentAsync("Warning", "Audio received before the session started; it was dropped.", cancellationToken);
                    return;
                case SessionState.Finishing or SessionState.Ended:
                    Journal.AddFinding("DFW-019", $"Audio sent after Finalize/Stop ({State}).", "no audio after Finalize or Stop", $"{data.Length} B of audio", entrySeq);
                    if (State == SessionState.Finishing)
                    {
                        await IncidentAsync("Warning", "Audio received while the session is finishing; it was dropped.", cancellationToken);
                    }

                    return;
            }

            var format = Format!;
            if (_audioFrames == 0 && _carry.Length == 0 && data.Length >= 12 && data.Span[..4].SequenceEqual("RIFF"u8))
            {
                Journal.AddFinding("DFW-007", "The audio stream starts with a WAV header.", $"raw {format.Encoding} without a header", "RIFF header in the first chunk", entrySeq);
            }

            if (data.Length % format.FrameBytes != 0 && !_misalignedReported)
            {
                // §4.1: misaligned chunks are re-assembled (remainder carried to the next chunk) and recorded.
                _misalignedReported = true;
                Journal.AddFinding("DFW-009", $"An audio chunk of {data.Length} B is not a whole number of {format.FrameBytes}-byte sample frames ({format.Encoding}, {format.ChannelCount} ch).",
                    $"a multiple of {format.FrameBytes} bytes", $"{data.Length} B", entrySeq);
            }

            var total = _carry.Length + data.Length;
            var whole = total - (total % format.FrameBytes);
            var kept = _audioFrames;
            _audioFrames += whole / format.FrameBytes;
            var joined = new byte[total];
            _carry.CopyTo(joined, 0);
            data.Span.CopyTo(joined.AsSpan(_carry.Length));
            _carry = joined[whole..];
            var channels = format.ToChannels(joined.AsSpan(0, whole));
            Capture(format, channels, kept);
            await EmitAsync(_script?.OnChannels(channels), cancellationToken);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>The connection ended (by either side).</summary>
    public async ValueTask DisposeAsync()
    {
        await _lifetime.CancelAsync();
        try
        {
            await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException)
        {
        }

        _lifetime.Dispose();
        _lock.Dispose();
    }

    private async Task OnRequestAsync(string name, JsonObject request, long entrySeq, CancellationToken cancellationToken)
    {
        var first = !_anyRequest;
        _anyRequest = true;
        if (first && name != "Start" && State == SessionState.Idle)
        {
            Journal.AddFinding("DFW-001", $"The first request is {name}, not Start.", "Start first", name, entrySeq);
        }

        if (name != "Start" && _script?.TakeResponseOverride(name) is { } scripted)
        {
            Journal.Append(Direction.Internal, FrameKind.Note, $"scripted response: {name} gets {scripted}");
            await RespondAsync(name + "Response", scripted, cancellationToken);
            if (name is "Finalize" or "Stop" && State == SessionState.Active)
            {
                switch (scripted)
                {
                    case "Busy":
                        // Another finishing operation is already running (the platform is finalizing the call):
                        // its FinalResult follows as usual.
                        BeginFinishing(stop: false);
                        break;
                    case "NoActiveOperation":
                        // The session already ended on the server side: no FinalResult will come.
                        State = SessionState.Ended;
                        break;
                }
            }

            return;
        }

        if (name == "Event")
        {
            Journal.AddFinding("DFW-012", "A client event was sent as a request with MessageName \"Event\".", "{\"Event\":{...}} without MessageName", "MessageName \"Event\"", entrySeq);
        }

        switch (name)
        {
            case "Start":
                await OnStartAsync(request, entrySeq, cancellationToken);
                break;
            case "Update":
                await OnUpdateAsync(request, entrySeq, cancellationToken);
                break;
            case "Finalize" or "Stop":
                await OnFinishAsync(name, entrySeq, cancellationToken);
                break;
            default:
                if (RequestNames.FirstOrDefault(n => n.Equals(name, StringComparison.OrdinalIgnoreCase)) is { } meant)
                {
                    Journal.AddFinding("DFW-024", $"Request name \"{name}\" is not spelled as documented.", $"\"{meant}\"", $"\"{name}\"", entrySeq);
                }

                // §4.1: "<Name>Response" with UnknownMessageName, in every state.
                await RespondAsync(name + "Response", "UnknownMessageName", cancellationToken);
                break;
        }
    }

    private async Task OnStartAsync(JsonObject start, long entrySeq, CancellationToken cancellationToken)
    {
        if (State != SessionState.Idle || _startPending)
        {
            Journal.AddFinding("DFW-034", "A second Start on the same connection.", "one Start per connection", $"Start while {(_startPending ? "starting" : State.ToString())}", entrySeq);
            await RespondAsync("StartResponse", "Failed", cancellationToken);
            return;
        }

        var problems = ValidateStart(start, entrySeq, await _tokens.CheckAsync(String(start, "Token")), out var format, out var project, out var settings);
        if (problems.Count > 0)
        {
            // 000 §StartResponse: anything but Success = the session did not start; it stays Idle (§4.1).
            foreach (var problem in problems)
            {
                await IncidentAsync("Error", problem, cancellationToken);
            }

            await RespondAsync("StartResponse", "Failed", cancellationToken);
            return;
        }

        if (_options.Scripts.TryGetValue(project!, out var scripted) && scripted.Responses.TryGetValue("Start", out var scriptedStart) && !_scriptedStartUsed)
        {
            // A scripted Start failure (once), after the build time like a real one: the session does not start
            // (000 §StartResponse) and may be retried.
            _scriptedStartUsed = true;
            _startPending = true;
            Journal.Append(Direction.Internal, FrameKind.Note, $"scripted response: Start gets {scriptedStart} in {_options.StartDelay.TotalMilliseconds:0} ms");
            _background.Add(AfterAsync(_options.StartDelay, async ct =>
            {
                // Pending until the answer is out: a transport that sees "pending" waits for it (StartAnswered).
                await RespondAsync("StartResponse", scriptedStart, ct);
                _startPending = false;
            }));
            return;
        }

        _startPending = true;
        Format = format;
        Project = project;
        foreach (var (key, value) in settings)
        {
            _settings[key] = value?.DeepClone();
        }

        Journal.SetLabel("project", project!);
        Journal.Append(Direction.Internal, FrameKind.Note, $"building project {project} ({format!.Encoding} {format.SampleRate} Hz {format.ChannelCount} ch); StartResponse in {_options.StartDelay.TotalMilliseconds:0} ms");
        _script = _options.Scripts.TryGetValue(project!, out var definition) ? new Projects.ScriptRunner(definition, format!) : null;

        var initialEvents = Transport == DataFlowTransport.Http && start["Events"] is JsonArray events
            ? events.OfType<JsonObject>().Select(e => (JsonObject)e.DeepClone()).ToList()
            : [];
        _background.Add(AfterAsync(_options.StartDelay, async ct =>
        {
            State = SessionState.Active;
            await RespondAsync("StartResponse", "Success", ct);
            _startPending = false;

            // Scripted events follow only after StartResponse (§4.1).
            await EmitAsync(_script?.OnStart(), ct);

            // HTTP: Start.Events enter the project at the Entry node as the session starts (000 §Start, Events).
            foreach (var initial in initialEvents)
            {
                await EnterAsync(initial, ct);
            }
        }));
    }

    // Over ~100 lines on purpose: a validating parser of a Start message (every bad field, dataflow.md §4.2) that collects every error at once, checks in the order the document gives them.
    private List<string> ValidateStart(JsonObject start, long entrySeq, TokenResult tokenResult, out AudioFormat? format, out string? project, out JsonObject settings)
    {
        var problems = new List<string>();
        format = null;
        settings = [];

        // Tenant and token (DFA-004/005, 000 §Start).
        var tenant = String(start, "Tenant");
        var token = String(start, "Token");
        if (tenant is null || !Guid.TryParse(tenant, out _))
        {
            problems.Add(tenant is null ? "Tenant is required." : $"Tenant \"{tenant}\" is not a GUID.");
            Journal.AddFinding(tenant is null ? "DFW-003" : "DFA-005", "Start has no valid Tenant.", "the tenant GUID in Start.Tenant", tenant ?? "missing", entrySeq);
        }

        var (check, claims) = tokenResult;
        if (check != TokenCheck.Valid)
        {
            // The wording of a real identity failure (INC sample incident).
            problems.Add("determine user failed http status code : 401");
            Journal.AddFinding(token is null ? "DFW-003" : "DFA-004", $"Start token refused: {check}.", "a valid access token in Start.Token", token is null ? "missing" : check.ToString(), entrySeq);
        }
        else if (claims is not null && tenant is not null && !string.Equals(claims.Tenant, tenant, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add($"Tenant {tenant} does not match the token's tenant.");
            Journal.AddFinding("DFA-005", "Start.Tenant differs from the tenant the token was issued for.", claims.Tenant, tenant, entrySeq);
        }

        // Project: in Start or in the URL path (RN); both must agree (§4.1).
        var startProject = String(start, "ProjectName");
        project = startProject ?? _pathProject;
        if (startProject is not null && _pathProject is not null && startProject != _pathProject)
        {
            problems.Add($"ProjectName \"{startProject}\" differs from the project in the URL \"{_pathProject}\".");
        }
        else if (project is null)
        {
            problems.Add("ProjectName is required.");
            Journal.AddFinding("DFW-003", "Start names no project (neither ProjectName nor the URL path).", "ProjectName", "missing", entrySeq);
        }
        else if (!_options.Projects.Contains(project))
        {
            problems.Add($"Project \"{project}\" not found.");
        }

        // Audio (DFW-004); numbers given as strings are accepted (§4.1).
        if (start["Audio"] is not JsonObject audio)
        {
            problems.Add("Audio is required.");
            Journal.AddFinding("DFW-003", "Start has no Audio object.", "Audio {Encoding, SampleRate, ChannelCount}", "missing", entrySeq);
        }
        else
        {
            var encoding = String(audio, "Encoding");
            var rate = Number(audio["SampleRate"]);
            var channels = Number(audio["ChannelCount"]);
            var ok = true;
            if (encoding is null || !Encodings.Contains(encoding, StringComparer.Ordinal))
            {
                problems.Add($"Audio.Encoding \"{encoding}\" is not pcm, ulaw or alaw.");
                ok = false;
            }

            if (rate is not (>= 8000 and <= 48000))
            {
                problems.Add($"Audio.SampleRate {audio["SampleRate"]?.ToJsonString() ?? "missing"} is not a sample rate.");
                ok = false;
            }

            if (channels is not (1 or 2))
            {
                problems.Add($"Audio.ChannelCount {audio["ChannelCount"]?.ToJsonString() ?? "missing"} is not 1 or 2.");
                ok = false;
            }

            if (audio["Output"] is JsonObject output && String(output, "Encoding") is var outEncoding && (outEncoding is null || !Encodings.Contains(outEncoding, StringComparer.Ordinal)))
            {
                problems.Add($"Audio.Output.Encoding \"{outEncoding}\" is not pcm, ulaw or alaw.");
                ok = false;
            }

            if (!ok)
            {
                Journal.AddFinding("DFW-004", "Start.Audio does not describe a supported format.", "Encoding pcm|ulaw|alaw, SampleRate, ChannelCount 1|2", audio.ToJsonString(), entrySeq);
            }
            else
            {
                format = new AudioFormat(encoding!, (int)rate!.Value, (int)channels!.Value, audio["Output"] is JsonObject o && String(o, "Encoding") is { } oe ? oe : "pcm");
            }
        }

        // Settings: primitives only; ChannelTags only customer/agent (DFW-013).
        if (start[SettingsMember] is JsonObject given)
        {
            foreach (var (key, value) in given)
            {
                if (key == "ChannelTags")
                {
                    if (value is not null && (value is not JsonArray tags || tags.Any(t => t is not JsonValue v || !v.TryGetValue<string>(out var s) || s is not ("customer" or "agent"))))
                    {
                        problems.Add("Settings.ChannelTags must be an array of \"customer\" and \"agent\".");
                        Journal.AddFinding("DFW-013", "Settings.ChannelTags holds values other than customer/agent.", "[\"agent\",\"customer\"]", value?.ToJsonString() ?? "null", entrySeq);
                    }
                }
                else if (value is not (null or JsonValue))
                {
                    problems.Add($"Settings.{key} is not a primitive value.");
                    Journal.AddFinding("DFW-013", $"Settings.{key} is an object or array.", "string, int, float or bool", value.ToJsonString(), entrySeq);
                }

                settings[key] = value?.DeepClone();
            }
        }

        if (start["Events"] is JsonArray { Count: > 0 } && Transport != DataFlowTransport.Http)
        {
            // 000 §Start: Events are not supported in streaming. The mock ignores them and says so.
            Journal.AddFinding("DFW-011", "Start carries Events on a streaming connection.", "no Events in Start; {\"Event\":...} messages after StartResponse", "Start.Events", entrySeq);
        }

        if (start["CallProperties"] is JsonObject call && call["Direction"] is { } direction && Number(direction) is not (>= 1 and <= 6))
        {
            Journal.AddFinding("DFW-033", "CallProperties.Direction is not 1-6.", "1 IN, 2 OUT, 3 IN_TRANSFER, 4 IN_CONSULT, 5 INTERNAL, 6 UNKNOWN", direction.ToJsonString(), entrySeq);
        }

        return problems;
    }

    private async Task OnUpdateAsync(JsonObject update, long entrySeq, CancellationToken cancellationToken)
    {
        switch (State)
        {
            case SessionState.Idle or SessionState.Ended:
                if (State == SessionState.Idle)
                {
                    Journal.AddFinding("DFW-014", "Update before StartResponse Success.", "Update only in an active session", "Update while idle", entrySeq);
                }

                await RespondAsync("UpdateResponse", "NoActiveOperation", cancellationToken);
                return;
            case SessionState.Finishing:
                await RespondAsync("UpdateResponse", "Busy", cancellationToken);
                return;
        }

        if (update["Parameters"] is not JsonObject parameters || parameters.Any(p => p.Value is not (null or JsonValue)))
        {
            // 000 §UpdateResponse: anything but Success = parameters unchanged.
            Journal.AddFinding(update["Parameters"] is JsonObject ? "DFW-013" : "DFW-014", "Update.Parameters is missing or holds non-primitive values.", "{\"Parameters\":{key: primitive}}", update.ToJsonString(), entrySeq);
            await RespondAsync("UpdateResponse", "Failed", cancellationToken);
            return;
        }

        foreach (var (key, value) in parameters)
        {
            _settings[key] = value?.DeepClone();
        }

        await RespondAsync("UpdateResponse", "Success", cancellationToken);
        await EmitAsync(_script?.OnUpdate(), cancellationToken);
    }

    private async Task OnFinishAsync(string name, long entrySeq, CancellationToken cancellationToken)
    {
        var response = name + "Response";
        switch (State)
        {
            case SessionState.Idle or SessionState.Ended:
                await RespondAsync(response, "NoActiveOperation", cancellationToken);
                return;
            case SessionState.Finishing:
                Journal.AddFinding("DFW-020", $"{name} while a Finalize/Stop is in progress.", "wait for FinalResult", name, entrySeq);
                await RespondAsync(response, "Busy", cancellationToken);
                return;
        }

        // 000 §FinalizeResponse: Success means finalization started; FinalResult follows.
        await RespondAsync(response, "Success", cancellationToken);
        BeginFinishing(stop: name == "Stop");
    }

    private void BeginFinishing(bool stop)
    {
        State = SessionState.Finishing;
        var outputs = _script?.OnFinish(stop);
        _background.Add(AfterAsync(_options.FinalizeDuration, async ct =>
        {
            // Finalize: the remaining scripted events, then FinalResult last; nothing follows it (§4.1).
            await EmitAsync(outputs, ct);
            await _sink.SendTextAsync(SessionMessages.FinalResult(), ct);
            State = SessionState.Ended;
            _finalResultSent.TrySetResult();
        }));
    }

    private async Task OnClientEventAsync(JsonObject body, long entrySeq, CancellationToken cancellationToken)
    {
        var missing = EventMembers.Where(k => !body.ContainsKey(k)).ToList();
        if (missing.Count > 0)
        {
            Journal.AddFinding("DFW-012", $"Client event lacks {string.Join(", ", missing)}.", "Name, Channel, StartMsec, EndMsec, GroupId, Tags, Data", body.ToJsonString(), entrySeq);
        }

        if (State != SessionState.Active)
        {
            if (State == SessionState.Idle)
            {
                await IncidentAsync("Warning", "Event received before the session started; it was dropped.", cancellationToken);
            }
            else
            {
                // §4.1: dropped while finishing or after FinalResult; journaled so that nothing the client sent is lost.
                Journal.AddFinding(null, $"Client event \"{String(body, "Name")}\" after Finalize/Stop ({State}); it was dropped.", "no client events after Finalize or Stop", body.ToJsonString(), entrySeq);
            }

            return;
        }

        await EnterAsync(body, cancellationToken);
    }

    /// <summary>A client event enters the project at the Entry node; which nodes react is the project's business.</summary>
    private async Task EnterAsync(JsonObject body, CancellationToken cancellationToken)
    {
        Journal.Append(Direction.Internal, FrameKind.Note, $"client event \"{String(body, "Name")}\" entered the project at the Entry node");
        await EmitAsync(_script?.OnClientEvent(body["Data"] is JsonObject data ? String(data, "Text") : null), cancellationToken);
    }

    private async Task AfterAsync(TimeSpan delay, Func<CancellationToken, Task> action)
    {
        var token = _lifetime.Token;
        try
        {
            await Task.Delay(delay, _time, token);
            await _lock.WaitAsync(token);
            try
            {
                await action(token);
            }
            finally
            {
                _lock.Release();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A defect of ours: journaled for a bug report, never a silent hang for the client.
            Journal.Append(Direction.Internal, FrameKind.Error, $"the mock failed in a background step: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// Keeps a TTS fragment's speech on the <see cref="TtsTrack"/>, on the input audio's timeline where it is sent, or
    /// after the fragment before it if that one is still speaking there (fragments sent back to back follow each other).
    /// </summary>
    private void CaptureSpeech(byte[] pcm)
    {
        var rate = Format!.SampleRate;
        var at = AudioTime > _ttsEnd ? AudioTime : _ttsEnd;
        _ttsEnd = at + TimeSpan.FromSeconds(pcm.Length / 2.0 / rate);
        var room = (long)((_options.MaxCapturedAudio - at).TotalSeconds * rate) * 2;
        if (room > 0)
        {
            Journal.GetOrAddAudio(TtsTrack, rate).Write(at, pcm.AsSpan(0, (int)Math.Min(room, pcm.Length)));
        }
    }

    private async Task EmitAsync(IReadOnlyList<Projects.ScriptOutput>? outputs, CancellationToken cancellationToken)
    {
        var list = outputs ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var output = list[i];
            if (output.Delay is { } delay)
            {
                // A scripted delay holds back the rest of this rule, not the session.
                var rest = list.Skip(i + 1).ToList();
                Journal.Append(Direction.Internal, FrameKind.Note, $"scripted fault: {rest.Count} output(s) delayed by {delay.TotalMilliseconds:0} ms");
                _background.Add(AfterAsync(delay, ct => EmitAsync(rest, ct)));
                return;
            }

            if (output.Drop)
            {
                Journal.Append(Direction.ToClient, FrameKind.Close, "scripted fault: connection dropped without a close frame");
                _sink.Abort();
                return;
            }

            if (output.EventUtf8 is not null)
            {
                // A run of events goes out as one burst (one send lock, journaled in order, sent back to back).
                var end = i + 1;
                while (end < list.Count && list[end].EventUtf8 is not null)
                {
                    end++;
                }

                var burst = System.Buffers.ArrayPool<(ReadOnlyMemory<byte> Utf8Json, string Summary)>.Shared.Rent(end - i);
                try
                {
                    for (var k = i; k < end; k++)
                    {
                        burst[k - i] = (list[k].EventUtf8!.Value, list[k].Summary ?? "Event");
                        if (list[k].SpokenPcm is { } spoken)
                        {
                            CaptureSpeech(spoken);
                        }
                    }

                    await _sink.SendTextsAsync(new ArraySegment<(ReadOnlyMemory<byte>, string)>(burst, 0, end - i), cancellationToken);
                }
                finally
                {
                    System.Buffers.ArrayPool<(ReadOnlyMemory<byte> Utf8Json, string Summary)>.Shared.Return(burst, clearArray: true);
                }

                i = end - 1;
            }
            else if (output.Binary is not null)
            {
                await _sink.SendBinaryAsync(output.Binary, cancellationToken);
            }
            else
            {
                await IncidentAsync(output.IncidentLevel!, output.IncidentMessage!, cancellationToken);
            }
        }
    }

    private async ValueTask RespondAsync(string messageName, string result, CancellationToken cancellationToken)
    {
        await _sink.SendTextAsync(SessionMessages.Response(messageName, result), cancellationToken);
        if (messageName == "StartResponse")
        {
            _startAnswered.TrySetResult();
        }
    }

    private async Task IncidentAsync(string level, string message, CancellationToken cancellationToken)
    {
        foreach (var incident in SessionMessages.Incident(_options.IncidentShape, level, message, SessionId))
        {
            await _sink.SendTextAsync(incident, cancellationToken);
        }
    }

    private static string? String(JsonObject obj, string key) =>
        obj[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>A number, or a string holding one ("8000", "2": the WS sample, §4.1).</summary>
    private static long? Number(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<long>(out var n) => n,
        JsonValue v when v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) => p,
        _ => null,
    };

    private static bool LooksLikeJsonRequest(ReadOnlySpan<byte> data)
    {
        var trimmed = data.TrimStart(" \t\r\n"u8);
        return trimmed.Length > 0 && trimmed[0] == (byte)'{' && data.IndexOf("\"MessageName\""u8) >= 0;
    }

    private static string Excerpt(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 120), "…");
}
