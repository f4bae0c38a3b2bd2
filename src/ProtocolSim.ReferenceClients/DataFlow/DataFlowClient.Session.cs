using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients.DataFlow;

internal sealed partial class DataFlowClient
{
    // ------------------------------------------------------------ DFW: one session

    private async Task<bool> RunSessionAsync(string token, int number, CancellationToken cancellationToken)
    {
        await using var stream = await ConnectAsync(cancellationToken);
        var session = new Session(stream, this, log);
        var reading = session.ReadAsync(cancellationToken);
        try
        {
            return await session.RunAsync(token, number, cancellationToken);
        }
        finally
        {
            if (!session.Aborted)
            {
                await stream.CloseAsync(log);
            }

            stream.Abort();
            await reading;
        }
    }

    /// <summary>The session's channel: a WebSocket connection, or a gRPC Stream call (TLS, the task's CA).</summary>
    private async Task<IDataFlowStream> ConnectAsync(CancellationToken cancellationToken)
    {
        if (_task.Transport != DataFlowTransport.Grpc)
        {
            return await WebSocketDataFlowStream.ConnectAsync(_task.WebSocketUrl, cancellationToken);
        }

        var options = new GrpcStreamOptions
        {
            Url = fault == DataFlowClientFault.GrpcCleartext ? _task.GrpcCleartextUrl : _task.GrpcUrl,
            CaPem = _task.GrpcCaPem,
            TrustAnyCertificate = fault == DataFlowClientFault.GrpcTrustsAnyCertificate,
            Method = fault == DataFlowClientFault.GrpcWrongMethod ? "/dataflow.Dataflow/Stream" : "/dataflow/Stream",
            ExtraField = fault == DataFlowClientFault.GrpcExtraField,
        };
        return GrpcDataFlowStream.Start(options);
    }

    private enum Outcome
    {
        Continue,
        Abort,
    }

    /// <summary>One connection: a receive loop feeding a queue, and the request flow reading it.</summary>
    private sealed class Session(IDataFlowStream stream, DataFlowClient client, TextWriter log)
    {
        private readonly Channel<ServerMessage> _inbox = Channel.CreateUnbounded<ServerMessage>();
        private readonly Queue<JsonObject> _responses = new();
        private List<byte>? _fragment;
        private bool _fragmentHasHeader;
        private bool _finalResult;
        private bool _stopRequested;

        private DataFlowClientFault Fault => client.Fault;

        private ClientTask Task => client._task;

        public bool Aborted { get; private set; }

        public Task ReadAsync(CancellationToken cancellationToken) => stream.ReadAsync(_inbox.Writer, cancellationToken);

        public async Task<bool> RunAsync(string token, int number, CancellationToken cancellationToken)
        {
            var frameBytes = (Task.Encoding == "pcm" ? 2 : 1) * Task.Format.Channels;
            var chunks = Chunks(frameBytes).ToList();
            var next = 0;

            if (Fault == DataFlowClientFault.AudioBeforeStart)
            {
                await SendBinaryAsync(chunks[next++], cancellationToken);
            }

            var start = Start(token, number);
            if (Fault is DataFlowClientFault.StartAsBinary or DataFlowClientFault.GrpcStartAsAudio)
            {
                await SendBinaryAsync(Encoding.UTF8.GetBytes(start.ToJsonString()), cancellationToken);
            }
            else
            {
                await SendAsync(start, cancellationToken);
            }

            if (Fault == DataFlowClientFault.UpdateBeforeStart && Task.Name == "update-settings")
            {
                await SendAsync(new JsonObject { ["MessageName"] = "Update", ["Parameters"] = Task.UpdateParameters.DeepClone() }, cancellationToken);
            }

            if (Fault == DataFlowClientFault.NoWaitForStart)
            {
                // The first chunk goes before StartResponse; the rest waits like the conforming client.
                await SendBinaryAsync(chunks[next++], cancellationToken);
            }

            {
                // DFW-005/035: wait for the build, with a start timeout of at least 10 s.
                var started = await WaitForResponseAsync("StartResponse", Fault == DataFlowClientFault.Impatient ? ImpatientStartTimeout : StartTimeout, cancellationToken);
                if (started is null)
                {
                    await log.WriteLineAsync("no StartResponse in time; giving up");
                    return false;
                }

                var result = SessionResult(started);
                var success = result == "Success"
                    || Fault == DataFlowClientFault.IgnoresFailedStart
                    || (Fault == DataFlowClientFault.FailedOnly && result != "Failed");
                if (!success)
                {
                    // DFW-006/023: anything but Success means the session did not start.
                    await log.WriteLineAsync($"StartResponse {result}: the session did not start");
                    return false;
                }
            }

            if (Fault == DataFlowClientFault.DoubleStart)
            {
                await SendAsync(Start(token, number), cancellationToken);
            }

            // Stream: the event or Update half-way; Stop half-way for stream-and-stop.
            var half = Math.Min(Math.Max(next, chunks.Count / 2), chunks.Count);
            var stop = false;
            for (; next <= chunks.Count && !_stopRequested && !Aborted; next++)
            {
                if (next == half)
                {
                    switch (Task.Name)
                    {
                        case "send-event":
                            await SendAsync(ClientEvent(), cancellationToken);
                            break;
                        case "update-settings" when Fault != DataFlowClientFault.UpdateBeforeStart:
                            await UpdateAsync(cancellationToken);
                            break;
                        case "stream-and-stop":
                            stop = true;
                            break;
                    }
                }

                if (stop || next == chunks.Count)
                {
                    break;
                }

                await SendBinaryAsync(chunks[next], cancellationToken);
                if (await PumpAsync() == Outcome.Abort)
                {
                    return false;
                }
            }

            if (Aborted)
            {
                return false;
            }

            return await EndAsync(stop || _stopRequested, frameBytes, cancellationToken);
        }

        private async Task<bool> EndAsync(bool stop, int frameBytes, CancellationToken cancellationToken)
        {
            if (Fault is DataFlowClientFault.CloseWithoutFinalize or DataFlowClientFault.GrpcHalfCloseEarly)
            {
                await log.WriteLineAsync("all audio sent; closing");
                return true;
            }

            var name = stop ? "Stop" : "Finalize";
            await SendAsync(new JsonObject { ["MessageName"] = name }, cancellationToken);
            if (Fault == DataFlowClientFault.AudioAfterFinalize)
            {
                var silence = new byte[frameBytes * Task.Format.SampleRate / 10];
                Array.Fill(silence, Task.Encoding switch { "ulaw" => (byte)0xFF, "alaw" => (byte)0xD5, _ => (byte)0 });
                await SendBinaryAsync(silence, cancellationToken);
            }

            if (Fault == DataFlowClientFault.FinalizeTwice)
            {
                await SendAsync(new JsonObject { ["MessageName"] = name }, cancellationToken);
            }

            var response = await WaitForResponseAsync(name + "Response", ResponseTimeout, cancellationToken);
            var result = response is null ? "none" : SessionResult(response);
            switch (result)
            {
                case "Success" when Fault == DataFlowClientFault.ClosesBeforeFinalResult:
                    await log.WriteLineAsync($"{name}Response Success; closing");
                    return true;
                case "Success":
                    break;
                case "Busy" when Fault == DataFlowClientFault.GivesUpOnBusy:
                    await log.WriteLineAsync($"{name}Response Busy; giving up");
                    return false;
                case "Busy":
                    // DFW-021: an operation is already running; its FinalResult ends the session.
                    await log.WriteLineAsync($"{name}Response Busy; waiting for the running operation's FinalResult");
                    break;
                case "NoActiveOperation" when Fault != DataFlowClientFault.WaitsAfterNoActive:
                    // DFW-022: the session has ended (or never started).
                    await log.WriteLineAsync($"{name}Response NoActiveOperation: the session is over");
                    return true;
                case "NoActiveOperation":
                    break;
                default:
                    await log.WriteLineAsync($"{name}Response {result}; closing");
                    return false;
            }

            // DFW-017/018: read until FinalResult.
            var deadline = DateTime.UtcNow + FinalResultTimeout;
            while (!_finalResult && !Aborted && DateTime.UtcNow < deadline)
            {
                var message = await NextAsync(deadline - DateTime.UtcNow, cancellationToken);
                if (message is null)
                {
                    break;
                }

                if (await HandleAsync(message) == Outcome.Abort)
                {
                    return false;
                }
            }

            if (!_finalResult)
            {
                await log.WriteLineAsync("no FinalResult; closing");
                return false;
            }

            await log.WriteLineAsync($"FinalResult after {name}; {client._fragments} TTS fragment(s) saved");
            if (Fault == DataFlowClientFault.GrpcCancelsAfterFinalResult)
            {
                // Does not read on to the call's status.
                await AbortAsync("done at FinalResult; cancelling the call");
                return true;
            }

            if (Fault == DataFlowClientFault.Lingers)
            {
                // Waits for the server to close.
                while (await NextAsync(TimeSpan.FromSeconds(10), cancellationToken) is not null)
                {
                }
            }

            return true;
        }

        private async Task UpdateAsync(CancellationToken cancellationToken)
        {
            var parameters = Fault == DataFlowClientFault.NestedSettings
                ? new JsonObject { ["Punctuation"] = new JsonObject { ["Enabled"] = true } }
                : (JsonObject)Task.UpdateParameters.DeepClone();
            var name = Fault == DataFlowClientFault.LowercaseUpdate ? "update" : "Update";
            await SendAsync(new JsonObject { ["MessageName"] = name, ["Parameters"] = parameters }, cancellationToken);
            var response = await WaitForResponseAsync(name + "Response", ResponseTimeout, cancellationToken);
            var result = response is null ? "none" : SessionResult(response);

            // DFW-015: anything but Success means the parameters are unchanged.
            await log.WriteLineAsync(result == "Success" ? "settings updated" : $"UpdateResponse {result}: settings unchanged");
        }

        private JsonObject Start(string token, int number)
        {
            var audio = new JsonObject
            {
                ["Encoding"] = Task.Encoding,
                ["SampleRate"] = Fault == DataFlowClientFault.DeclaresWrongRate ? 16000 : Task.Format.SampleRate,
                ["ChannelCount"] = Task.Format.Channels,
                ["Output"] = new JsonObject { ["Encoding"] = Task.OutputEncoding },
            };
            var settings = new JsonObject { ["Punctuation"] = true };
            if (Task.Format.Channels == 2)
            {
                settings["ChannelTags"] = new JsonArray("agent", "customer");
            }

            var start = new JsonObject
            {
                ["MessageName"] = "Start",
                ["ProjectName"] = Task.Project,
                ["Tenant"] = Fault == DataFlowClientFault.WrongTenant ? Guid.NewGuid().ToString() : Task.Tenant,
                ["Token"] = Fault == DataFlowClientFault.BearerInStart ? "Bearer " + token : token,
                ["Audio"] = audio,
                ["Language"] = Fault == DataFlowClientFault.DirectionAsText ? "English" : "en-US",
                ["Settings"] = settings,
                ["CallProperties"] = new JsonObject
                {
                    ["ExternalId"] = string.Create(CultureInfo.InvariantCulture, $"protosim-call-{number}"),
                    ["Direction"] = Fault == DataFlowClientFault.DirectionAsText ? "IN" : 1,
                    ["CallStartTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                },
            };
            if (Fault == DataFlowClientFault.NoProjectName)
            {
                start.Remove("ProjectName");
            }

            if (Fault == DataFlowClientFault.SecretToDataFlow)
            {
                start["ClientSecret"] = Task.ClientSecret;
            }

            if (Fault == DataFlowClientFault.EventsInStart)
            {
                start["Events"] = new JsonArray(new JsonObject
                {
                    ["Name"] = "SR Milestone",
                    ["Channel"] = 0,
                    ["Data"] = new JsonObject { ["Text"] = "Hello from channel zero" },
                    ["StartSampleIndex"] = 0,
                    ["EndSampleIndex"] = 1000,
                });
            }

            return start;
        }

        private JsonObject ClientEvent()
        {
            var body = Task.EventBody();
            if (Fault == DataFlowClientFault.EventMissingMembers)
            {
                foreach (var key in new[] { "Channel", "StartMsec", "EndMsec", "GroupId", "Tags" })
                {
                    body.Remove(key);
                }
            }

            return new JsonObject { ["Event"] = body };
        }

        /// <summary>The audio as sent: 100 ms chunks of raw samples (or the variant's way).</summary>
        private IEnumerable<byte[]> Chunks(int frameBytes)
        {
            var audio = Task.Audio;
            if (Fault == DataFlowClientFault.OneBigChunk)
            {
                yield return audio;
                yield break;
            }

            var size = frameBytes * Task.Format.SampleRate / 10;
            if (Fault == DataFlowClientFault.Misaligned)
            {
                size++;
            }

            for (var offset = 0; offset < audio.Length; offset += size)
            {
                var chunk = audio[offset..Math.Min(audio.Length, offset + size)];
                if (Fault == DataFlowClientFault.NoInterleave && Task.Format.Channels == 2)
                {
                    chunk = Planar(chunk, frameBytes / 2);
                }

                if (Fault == DataFlowClientFault.WavHeader && offset == 0)
                {
                    // The file as it is on disk: RIFF header up to and including the data chunk header.
                    var header = Task.WavFile.AsSpan(0, Task.WavFile.AsSpan().IndexOf("data"u8) + 8);
                    chunk = [.. header, .. chunk];
                }

                yield return chunk;
            }
        }

        private static byte[] Planar(byte[] interleaved, int sampleBytes)
        {
            var frames = interleaved.Length / (2 * sampleBytes);
            var planar = new byte[interleaved.Length];
            for (var i = 0; i < frames; i++)
            {
                interleaved.AsSpan(2 * i * sampleBytes, sampleBytes).CopyTo(planar.AsSpan(i * sampleBytes));
                interleaved.AsSpan(((2 * i) + 1) * sampleBytes, sampleBytes).CopyTo(planar.AsSpan((frames + i) * sampleBytes));
            }

            return planar;
        }

        // ------------------------------------------------------------ receiving

        private async Task<JsonObject?> WaitForResponseAsync(string name, TimeSpan timeout, CancellationToken cancellationToken)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (true)
            {
                if (_responses.Count > 0)
                {
                    var response = _responses.Dequeue();
                    if (string.Equals(response["MessageName"]?.ToString(), name, StringComparison.Ordinal))
                    {
                        return response;
                    }

                    continue;
                }

                if (Aborted || DateTime.UtcNow >= deadline)
                {
                    return null;
                }

                var message = await NextAsync(deadline - DateTime.UtcNow, cancellationToken);
                if (message is null || await HandleAsync(message) == Outcome.Abort)
                {
                    return null;
                }
            }
        }

        /// <summary>Handles what has arrived without waiting.</summary>
        private async Task<Outcome> PumpAsync()
        {
            while (_inbox.Reader.TryRead(out var message))
            {
                if (await HandleAsync(message) == Outcome.Abort)
                {
                    return Outcome.Abort;
                }
            }

            return Outcome.Continue;
        }

        private async Task<ServerMessage?> NextAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (timeout <= TimeSpan.Zero)
            {
                return null;
            }

            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            try
            {
                return await _inbox.Reader.ReadAsync(wait.Token);
            }
            catch (ChannelClosedException)
            {
                return null;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        /// <summary>DFW-025: classify by top-level member; events, incidents and output audio never end the session.</summary>
        private async Task<Outcome> HandleAsync(ServerMessage message)
        {
            if (Fault == DataFlowClientFault.GrpcIgnoresJson && message.Json is not null)
            {
                // Reads StreamOutput for audio only: the JSON text never reaches the flow.
                return Outcome.Continue;
            }

            if (message.Binary is { } audio)
            {
                // DFW-031: output audio belongs to the open TTS fragment.
                if (Fault != DataFlowClientFault.IgnoresBinary)
                {
                    _fragment?.AddRange(audio);
                }

                return Outcome.Continue;
            }

            var json = message.Json!;
            if (json["Event"] is JsonObject ev)
            {
                return await OnEventAsync(ev);
            }

            if (json["Incident"] is JsonObject incident)
            {
                return await OnIncidentAsync(incident["Level"]?.ToString(), incident["Message"]?.ToString());
            }

            if (json["MessageName"]?.ToString() == "Incident")
            {
                if (Fault == DataFlowClientFault.NestedIncidentsOnly)
                {
                    return await AbortAsync("unexpected response \"Incident\"");
                }

                return await OnIncidentAsync(json["IncidentLevel"]?.ToString(), json["Message"]?.ToString());
            }

            if (json["MessageName"] is not null)
            {
                _responses.Enqueue(json);
            }

            return Outcome.Continue;
        }

        private async Task<Outcome> OnEventAsync(JsonObject ev)
        {
            var name = ev["Name"]?.ToString() ?? string.Empty;
            if (Fault == DataFlowClientFault.StrictEventNames && !KnownEvents.Contains(name))
            {
                return await AbortAsync($"unknown event \"{name}\"");
            }

            if (Fault == DataFlowClientFault.StrictChannels && ev["Channel"] is JsonValue c && c.TryGetValue<int>(out var channel) && channel < -1)
            {
                return await AbortAsync($"event channel {channel}");
            }

            switch (name)
            {
                case "Start Of TTS Fragment":
                    _fragment = [];
                    _fragmentHasHeader = Fault != DataFlowClientFault.IgnoresWaveHeader
                        && (ev["Data"]?["HasWaveHeader"] is not JsonValue h || !h.TryGetValue<bool>(out var header) || header);
                    break;
                case "End Of TTS Fragment" when _fragment is not null:
                    await SaveFragmentAsync([.. _fragment]);
                    _fragment = null;
                    break;
                case "FinalResult":
                    _finalResult = true;
                    break;
            }

            return Outcome.Continue;
        }

        private async Task<Outcome> OnIncidentAsync(string? level, string? text)
        {
            await log.WriteLineAsync($"incident {level}: {text}");
            if (Fault == DataFlowClientFault.StopsOnWarning && level == "Warning")
            {
                _stopRequested = true;
            }

            // DFW-027: Warning and Debug keep the session going; so does Error here (the project decides).
            return Outcome.Continue;
        }

        /// <summary>DFW-032: decode per Audio.Output.Encoding; a WAV header only when HasWaveHeader is true or absent.</summary>
        private async Task SaveFragmentAsync(byte[] raw)
        {
            if (Task.OutputDirectory is null || (raw.Length == 0 && Fault == DataFlowClientFault.IgnoresBinary))
            {
                return;
            }

            if (_fragmentHasHeader && Wav.Parse(raw) is { IsValid: true } wav)
            {
                raw = wav.Data.ToArray();
            }

            var samples = Fault == DataFlowClientFault.NoDecode ? Pcm.ToSamples(raw.AsSpan(0, raw.Length & ~1)) : Task.OutputEncoding switch
            {
                "ulaw" => G711.DecodeMuLaw(raw),
                "alaw" => G711.DecodeALaw(raw),
                _ => Pcm.ToSamples(raw.AsSpan(0, raw.Length & ~1)),
            };
            var path = Path.Combine(Task.OutputDirectory, string.Create(CultureInfo.InvariantCulture, $"tts-{++client._fragments}.wav"));
            await File.WriteAllBytesAsync(path, Wav.Encode(samples, Task.Format.SampleRate));
        }

        private async Task<Outcome> AbortAsync(string why)
        {
            await log.WriteLineAsync($"giving up: {why}");
            Aborted = true;
            stream.Abort();
            return Outcome.Abort;
        }

        private static string SessionResult(JsonObject response) => response["OperationResult"]?.ToString() ?? "none";

        private Task SendAsync(JsonObject message, CancellationToken cancellationToken) => stream.SendTextAsync(message.ToJsonString(), cancellationToken);

        private Task SendBinaryAsync(byte[] data, CancellationToken cancellationToken) => stream.SendBinaryAsync(data, cancellationToken);
    }

    private DataFlowClientFault Fault => fault;
}
