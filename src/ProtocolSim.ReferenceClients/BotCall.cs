using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients;

/// <summary>One frame for the send loop: a text message, or a close frame.</summary>
internal readonly record struct OutboundFrame(ReadOnlyMemory<byte> Text)
{
    public WebSocketCloseStatus? CloseStatus { get; init; }

    public string? CloseReason { get; init; }

    /// <summary>Sent even after the peer's close (audio-after-disconnect, verloop-audio-after-close).</summary>
    public bool Trailing { get; init; }

    /// <summary>A close the bot starts (not an answer to the peer's): wait a bounded time for the peer's answer.</summary>
    public bool BotInitiated { get; init; }

    public static OutboundFrame Close(WebSocketCloseStatus status, string reason, bool botInitiated) =>
        new(ReadOnlyMemory<byte>.Empty) { CloseStatus = status, CloseReason = reason, BotInitiated = botInitiated };
}

/// <summary>
/// Per-connection context and logic of a reference bot: one receive loop (first message, caller audio, speech
/// events), one send loop draining a bounded channel, and one task per reply that paces its chunks. Shared state is
/// guarded by <see cref="_sync"/> (never held across an await); ordering of outbound frames against barge-in is
/// guarded by <see cref="_sendGate"/> so no chunk of a cancelled reply can follow its killAudio (KVS-025).
/// </summary>
internal sealed class BotCall : IDisposable
{
    private const int MaxMessageBytes = 1 << 20;
    private const int OutboundCapacity = 64;
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan TrailingGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan TrailingDelay = TimeSpan.FromMilliseconds(100);

    // 003-V reference bots have no speech recognition: the suite's recordings are built for these duration bins.
    private static readonly TimeSpan TransferFrom = TimeSpan.FromSeconds(1.8);
    private static readonly TimeSpan GoodbyeFrom = TimeSpan.FromSeconds(3.3);

    private readonly BotRuntime _rt;
    private readonly BotBehavior _b;
    private readonly WebSocket _socket;
    private readonly TimeProvider _time;
    private readonly long _openedAt;
    private readonly int _configuredRate;
    private readonly Channel<OutboundFrame> _outbound;
    private readonly CancellationTokenSource _connection;
    private readonly CancellationTokenSource _call;
    private readonly SemaphoreSlim _sendGate = new(1, 1);
    private readonly Lock _sync = new();
    private readonly List<CancellationTokenSource> _replySources = [];
    private readonly List<Task> _background = [];

    // Receive-loop state (only the receive loop touches these).
    private SpeechActivityDetector? _detector;
    private int _danglingByte = -1;

    // Shared state, under _sync.
    private CallMetadata? _metadata;
    private string? _registryKey;
    private string? _greetedKey;
    private int _callerRate;
    private int _botRate;
    private bool _controlSent;
    private bool _closing;
    private TimeSpan _queueEnd;
    private Reply? _reply;
    private int _generation;
    private TimeSpan _utteranceStart;
    private bool _utteranceIsBargeIn;
    private Task _trailing = Task.CompletedTask;

    private volatile bool _greetingSent;
    private volatile bool _peerClosed;
    private volatile bool _ended;

    public BotCall(BotRuntime runtime, WebSocket socket, int configuredRate, CancellationToken connectionToken)
    {
        _rt = runtime;
        _b = runtime.Behavior;
        _socket = socket;
        _time = runtime.Time;
        _openedAt = _time.GetTimestamp();
        _configuredRate = configuredRate;
        _callerRate = configuredRate;
        _botRate = _b.FixedOutputRate ?? configuredRate;
        _outbound = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(OutboundCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _connection = CancellationTokenSource.CreateLinkedTokenSource(connectionToken);
        _call = CancellationTokenSource.CreateLinkedTokenSource(_connection.Token);
    }

    /// <summary>Call id from the first message, or a placeholder before it.</summary>
    public string CallId => Volatile.Read(ref _metadata)?.CallId ?? "(before metadata)";

    /// <summary>True once the connection is gone (leaks-on-abort tells stale flags from live calls).</summary>
    public bool Ended => _ended;

    private TimeSpan Now => _time.GetElapsedTime(_openedAt);

    private string Bot => _rt.Info.Name;

    /// <summary>Runs the call until the connection is gone; never throws for transport problems.</summary>
    public async Task<CallEnd> RunAsync(CancellationToken cancellationToken)
    {
        using var stop = cancellationToken.Register(static s => ((CancellationTokenSource)s!).Cancel(), _connection);
        var sendLoop = SendLoopAsync(_connection.Token);
        var end = CallEnd.Aborted;
        try
        {
            if (_b.Greeting == GreetingMode.BeforeMetadata)
            {
                // greet-before-metadata / verloop-greet-early: nothing read yet, so the rate is the configured one.
                StartReply(Prompt.Greeting, TimeSpan.Zero);
            }

            end = await ReceiveLoopAsync(_connection.Token);
            if (end == CallEnd.Aborted && cancellationToken.IsCancellationRequested)
            {
                end = CallEnd.Shutdown;
            }
        }
        finally
        {
            await _call.CancelAsync();
            if (end == CallEnd.PeerClosed)
            {
                await AnswerPeerCloseAsync();
            }
            else if (end != CallEnd.BotClosed)
            {
                await _connection.CancelAsync(); // nothing more can be delivered
            }

            _outbound.Writer.TryComplete();
            await sendLoop;
            await _connection.CancelAsync();
            await DrainBackgroundAsync();
            Release(end);
        }

        return end;
    }

    private void Track(Task task)
    {
        lock (_sync)
        {
            _background.RemoveAll(t => t.IsCompleted);
            _background.Add(task);
        }
    }

    // Replies, delayed barge-ins and trailing audio all watch the call or connection token, so they end quickly.
    private async Task DrainBackgroundAsync()
    {
        Task[] running;
        lock (_sync)
        {
            running = [.. _background];
        }

        try
        {
            await Task.WhenAll(running).WaitAsync(CloseHandshakeTimeout, _time);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // a task ignores cancellation; its writes fail harmlessly on the completed channel
        }
    }

    // ---------------------------------------------------------------- receive side

    private async Task<CallEnd> ReceiveLoopAsync(CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        var message = new ArrayBufferWriter<byte>(16 * 1024);
        var discarding = false;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                try
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), ct);
                }
                catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
                {
                    return CallEnd.Aborted;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _peerClosed = true;
                    return Volatile.Read(ref _closing) ? CallEnd.BotClosed : CallEnd.PeerClosed;
                }

                if (!discarding)
                {
                    message.Write(buffer.AsSpan(0, result.Count));
                    if (message.WrittenCount > MaxMessageBytes)
                    {
                        discarding = true;
                        await BotCloseAsync(WebSocketCloseStatus.MessageTooBig, "message too big");
                    }
                }

                if (!result.EndOfMessage)
                {
                    continue;
                }

                if (!discarding)
                {
                    await HandleMessageAsync(result.MessageType, message.WrittenMemory, ct);
                }

                discarding = false;
                message.ResetWrittenCount();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task HandleMessageAsync(WebSocketMessageType type, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        if (Volatile.Read(ref _closing))
        {
            return;
        }

        if (type == WebSocketMessageType.Text)
        {
            var text = Encoding.UTF8.GetString(payload.Span);
            if (Volatile.Read(ref _metadata) is null)
            {
                await OnFirstMessageAsync(text);
            }
            else if (_b.CrashOnText)
            {
                await BotCloseAsync(WebSocketCloseStatus.InternalServerError, "unexpected text frame");
            }
            else
            {
                Log.Ignored(_rt.Logger, Bot, CallId, "text frame after the first message"); // KVS-032
            }

            return;
        }

        if (_b.CrashOnEarlyAudio && !_greetingSent)
        {
            await BotCloseAsync(WebSocketCloseStatus.InternalServerError, "audio before the greeting was sent");
            return;
        }

        if (_detector is null)
        {
            Log.Ignored(_rt.Logger, Bot, CallId, "binary frame before the first message"); // KVS-004
            return;
        }

        if (_b.OnlyCallerFrameBytes is { } only && payload.Length != only)
        {
            return; // frame-size-640
        }

        var events = _b.BigEndianCallerAudio ? ProcessBigEndian(payload.Span) : _detector.Process(payload.Span);
        foreach (var e in events)
        {
            if (e.Kind == SpeechEventKind.SpeechStart)
            {
                await OnSpeechStartAsync(e, ct);
            }
            else
            {
                OnSpeechEnd(e);
            }
        }
    }

    // big-endian-audio: swap each byte pair (keeping a byte split across frames) before detection.
    private IReadOnlyList<SpeechEvent> ProcessBigEndian(ReadOnlySpan<byte> pcm)
    {
        var rented = ArrayPool<byte>.Shared.Rent(pcm.Length + 1);
        try
        {
            var n = 0;
            var i = 0;
            if (_danglingByte >= 0 && pcm.Length > 0)
            {
                rented[n++] = pcm[0];
                rented[n++] = (byte)_danglingByte;
                _danglingByte = -1;
                i = 1;
            }

            for (; i + 1 < pcm.Length; i += 2)
            {
                rented[n++] = pcm[i + 1];
                rented[n++] = pcm[i];
            }

            if (i < pcm.Length)
            {
                _danglingByte = pcm[i];
            }

            return _detector!.Process(rented.AsSpan(0, n));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private async Task OnFirstMessageAsync(string text)
    {
        MetadataRejection? rejection;
        var metadata = _b.Dialect == BotDialect.StreamNode
            ? CallMetadataParser.ParseStreamNode(text, _b.Metadata, out rejection)
            : CallMetadataParser.ParseVerloop(text, _b.Metadata, out rejection);
        if (metadata is null)
        {
            await BotCloseAsync(rejection!.CloseStatus, rejection.Reason);
            return;
        }

        var startGreeting = _b.Greeting == GreetingMode.AfterMetadata;
        lock (_sync)
        {
            // Stream Node: the rate is configured per node, not sent (bot reads ?sampling_rate=). Verloop: sample_rate.
            _callerRate = metadata.SampleRate ?? _configuredRate;
            _botRate = _b.FixedOutputRate ?? _callerRate;
            _metadata = metadata;

            // KVS-003: state keyed by callid; state-by-number keys it by virtual_number, so a later call takes over.
            _registryKey = _b.StateByVirtualNumber ? metadata.VirtualNumber ?? metadata.CallId : metadata.CallId;
            _rt.Calls[_registryKey] = this;

            if (startGreeting && _b.GreetedFlagLeaksOnAbort && metadata.CustomerNumber is { } customer)
            {
                // leaks-on-abort: a flag left behind by an aborted call suppresses the greeting. Flags of calls
                // still running do not, so concurrent calls from one customer behave (only KVS-031 breaks).
                var owner = _rt.GreetedCustomers.AddOrUpdate(
                    customer, this, (_, existing) => existing.Ended ? existing : this);
                if (owner != this)
                {
                    startGreeting = false;
                }
                else
                {
                    _greetedKey = customer;
                }
            }
        }

        _detector = new SpeechActivityDetector(_callerRate);
        Log.CallStarted(_rt.Logger, Bot, metadata.CallId, _b.Dialect, _callerRate, _botRate);
        if (startGreeting)
        {
            // 003-V ch.1 Connection Flow step 3: greet immediately, without waiting for caller speech (KVS-008).
            StartReply(Prompt.Greeting, _b.GreetingDelay);
        }
    }

    // ---------------------------------------------------------------- speech and barge-in

    private async Task OnSpeechStartAsync(SpeechEvent e, CancellationToken ct)
    {
        Log.Speech(_rt.Logger, Bot, CallId, "speech start", e.At);
        bool playing;
        lock (_sync)
        {
            if (_controlSent || _closing)
            {
                return;
            }

            _utteranceStart = e.At;
            var sending = _reply is { Sending: true };

            // KVS-026: playing = the peer still has queued audio (playback time), not "we are still sending".
            playing = _b.PlaybackFromSendState ? sending : sending || Now < _queueEnd;
            _utteranceIsBargeIn = playing;
        }

        if (!playing)
        {
            return;
        }

        if (_b.KillAudioDelay > TimeSpan.Zero)
        {
            // late-killaudio: act a fixed time after the onset (audio time lags arrival by the detector's delay).
            var lag = _detector!.Position - e.At;
            var wait = _b.KillAudioDelay - lag;
            Track(LateBargeInAsync(wait > TimeSpan.Zero ? wait : TimeSpan.Zero, _call.Token));
            return;
        }

        await BargeInAsync(ct);
    }

    private async Task LateBargeInAsync(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            await Task.Delay(wait, _time, ct);
            await BargeInAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // call ended
        }
    }

    // 003-V ch.3 Pattern 4: cancel the reply and send killAudio at once (KVS-023/024/025).
    private async Task BargeInAsync(CancellationToken ct)
    {
        await _sendGate.WaitAsync(ct);
        try
        {
            Reply? interrupted;
            lock (_sync)
            {
                if (_controlSent || _closing)
                {
                    return;
                }

                interrupted = _reply;
                if (_b.CancelOnBargeIn)
                {
                    _generation++;
                    _reply = null;
                }

                if (_b.SendKillAudio)
                {
                    _queueEnd = Now; // the peer flushes its queue
                }
            }

            if (_b.CancelOnBargeIn && interrupted is not null)
            {
                await interrupted.Source.CancelAsync();
            }

            Log.BargeIn(_rt.Logger, Bot, CallId, _b.SendKillAudio);
            if (_b.SendKillAudio)
            {
                await Writer().WriteAsync(new OutboundFrame(BotMessages.KillAudio), ct);
            }
        }
        catch (ChannelClosedException)
        {
            // connection is going away
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private void OnSpeechEnd(SpeechEvent e)
    {
        Log.Speech(_rt.Logger, Bot, CallId, "speech end", e.At);
        Prompt next;
        lock (_sync)
        {
            if (_controlSent || _closing)
            {
                return;
            }

            var duration = e.At - _utteranceStart;
            next = _utteranceIsBargeIn || duration < TransferFrom ? Prompt.Answer
                : duration < GoodbyeFrom ? Prompt.TransferAnnouncement
                : Prompt.Goodbye;
            _utteranceIsBargeIn = false;
        }

        StartReply(next, _b.ThinkingDelay);
    }

    // ---------------------------------------------------------------- replies

    private sealed class Reply(Prompt prompt, int generation, CancellationTokenSource source)
    {
        public Prompt Prompt { get; } = prompt;

        public int Generation { get; } = generation;

        public CancellationTokenSource Source { get; } = source;

        /// <summary>True until its last chunk is written (including a thinking delay before the first).</summary>
        public volatile bool Sending = true;
    }

    private void StartReply(Prompt prompt, TimeSpan delay)
    {
        Reply reply;
        Reply? superseded;
        lock (_sync)
        {
            if (_controlSent || _closing || _call.IsCancellationRequested)
            {
                return;
            }

            superseded = _reply;
            var source = CancellationTokenSource.CreateLinkedTokenSource(_call.Token);
            _replySources.Add(source);
            reply = new Reply(prompt, ++_generation, source);
            _reply = reply;
        }

        superseded?.Source.Cancel();
        Log.ReplyStarted(_rt.Logger, Bot, CallId, prompt);
        Track(Task.Run(() => RunReplyAsync(reply, delay, reply.Source.Token), CancellationToken.None));
    }

    private async Task RunReplyAsync(Reply reply, TimeSpan delay, CancellationToken ct)
    {
        try
        {
            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, _time, ct);
            }

            int rate;
            lock (_sync)
            {
                rate = _botRate;
            }

            var pcm = BotVoice.Pcm(reply.Prompt, rate);
            if (_b.OneBigPayload)
            {
                // one-big-payload: the whole prompt as one WAV (KVS-020).
                var whole = BotAudioEncoder.Encode(pcm.Span, rate, _b);
                if (!await SendAudioAsync(reply, whole, BotVoice.DurationOf(reply.Prompt), ct))
                {
                    return;
                }
            }
            else if (!await SendChunksAsync(reply, pcm, rate, ct))
            {
                return;
            }

            reply.Sending = false;
            if (_b.UntypedMarks)
            {
                await SendGatedAsync(reply, BotMessages.UntypedMark, ct); // KVS-014 broken on purpose
            }

            if (reply.Prompt is Prompt.TransferAnnouncement or Prompt.Goodbye)
            {
                // 003-V ch.3 Pattern 5: the prompt plays out before the call leaves the Stream Node.
                await WaitForPlaybackEndAsync(ct);
                await SendControlAsync(reply, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // barge-in, superseded, or the call ended
        }
        catch (Exception ex)
        {
            Log.ReplyFailed(_rt.Logger, ex, Bot, CallId);
        }
        finally
        {
            reply.Sending = false;
            lock (_sync)
            {
                if (_reply == reply)
                {
                    _reply = null;
                }
            }
        }
    }

    // 003-V ch.3 Pattern 3: 100 ms WAV chunks, streamed ahead of playback by the lead (as streaming TTS would).
    private async Task<bool> SendChunksAsync(Reply reply, ReadOnlyMemory<byte> pcm, int rate, CancellationToken ct)
    {
        var chunkBytes = Pcm.BytesPer(_b.ChunkDuration, rate);
        var t0 = Now;
        TimeSpan playStart;
        lock (_sync)
        {
            playStart = _queueEnd > t0 ? _queueEnd : t0;
        }

        var index = 0;
        for (var offset = 0; offset < pcm.Length; offset += chunkBytes, index++)
        {
            var due = _b.DripInterval is { } drip
                ? t0 + (drip * index)
                : playStart + (_b.ChunkDuration * index) - _b.Lead;
            var wait = due - Now;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, ct);
            }

            var slice = pcm.Slice(offset, Math.Min(chunkBytes, pcm.Length - offset));
            var content = BotAudioEncoder.Encode(slice.Span, rate, _b);
            if (!await SendAudioAsync(reply, content, Pcm.DurationOf(slice.Length, rate), ct))
            {
                return false;
            }
        }

        return true;
    }

    private Task<bool> SendAudioAsync(Reply reply, string audioContent, TimeSpan duration, CancellationToken ct) =>
        SendGatedAsync(reply, BotMessages.PlayAudio(_b.AudioContentType, audioContent), ct, duration);

    // Writes one frame of a reply unless the reply was cancelled or superseded meanwhile (checked under the gate).
    private async Task<bool> SendGatedAsync(Reply reply, ReadOnlyMemory<byte> frame, CancellationToken ct, TimeSpan? audio = null)
    {
        await _sendGate.WaitAsync(ct);
        try
        {
            lock (_sync)
            {
                if (ct.IsCancellationRequested || _controlSent || _closing
                    || (_b.CancelOnBargeIn && reply.Generation != _generation))
                {
                    return false;
                }
            }

            await Writer().WriteAsync(new OutboundFrame(frame), ct);
            if (audio is { } duration)
            {
                lock (_sync)
                {
                    var now = Now;
                    _queueEnd = (_queueEnd > now ? _queueEnd : now) + duration; // 003-V ch.2: back-to-back playback
                }

                if (reply.Prompt == Prompt.Greeting)
                {
                    _greetingSent = true;
                }
            }

            return true;
        }
        catch (ChannelClosedException)
        {
            return false;
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private async Task WaitForPlaybackEndAsync(CancellationToken ct)
    {
        while (true)
        {
            TimeSpan remaining;
            lock (_sync)
            {
                remaining = _queueEnd - Now;
            }

            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await Task.Delay(remaining, _time, ct);
        }
    }

    private async Task SendControlAsync(Reply reply, CancellationToken ct)
    {
        var transfer = reply.Prompt == Prompt.TransferAnnouncement;
        if (!transfer && _b.HangupByClose)
        {
            // hangup-by-close: closes instead of {"type":"disconnect"} (KVS-029).
            await BotCloseAsync(WebSocketCloseStatus.NormalClosure, "goodbye");
            return;
        }

        var frame = transfer ? TransferMessage() : EndMessage();
        await _sendGate.WaitAsync(ct);
        try
        {
            lock (_sync)
            {
                if (_controlSent || _closing || reply.Generation != _generation)
                {
                    return;
                }
            }

            await Writer().WriteAsync(new OutboundFrame(frame), ct);
            lock (_sync)
            {
                _controlSent = true; // KVS-030 / KVV-014: nothing after this
                if (_b.AudioAfterControl)
                {
                    _trailing = SendTrailingAudioAsync(_connection.Token);
                    _background.Add(_trailing);
                }
            }
        }
        catch (ChannelClosedException)
        {
            // connection is going away
        }
        finally
        {
            _sendGate.Release();
        }
    }

    private ReadOnlyMemory<byte> TransferMessage()
    {
        var destination = _b.TransferNationalDigits ? NationalDigits(_rt.Options.TransferDestination) : _rt.Options.TransferDestination;
        if (_b.Control == ControlForm.StreamNode || _b.TransferAsStreamNodeMessage)
        {
            return BotMessages.Transfer(destination); // 003-V ch.2 transfer
        }

        // 002 §Call Transfer. Control messages always say "wave" (verloop-wav-type changes audio only).
        return BotMessages.PlayAudio("wave", "None", "asr_disconnect=true" + _b.PairSeparator + "parameter1=default");
    }

    private ReadOnlyMemory<byte> EndMessage() =>
        _b.Control == ControlForm.StreamNode || _b.DisconnectAsStreamNodeMessage
            ? BotMessages.Disconnect // 003-V ch.2 disconnect
            : BotMessages.PlayAudio("wave", "None", "asr_disconnect=true"); // 002 §Termination by Bot

    private static string NationalDigits(string number)
    {
        var digits = new string([.. number.Where(char.IsAsciiDigit)]);
        return digits.Length > 10 ? digits[^10..] : digits;
    }

    // audio-after-disconnect / verloop-audio-after-close: two more chunks 100 ms after the control message.
    private async Task SendTrailingAudioAsync(CancellationToken ct)
    {
        try
        {
            await Task.Delay(TrailingDelay, _time, ct);
            int rate;
            lock (_sync)
            {
                rate = _botRate;
            }

            var pcm = BotVoice.Pcm(Prompt.Answer, rate);
            var chunkBytes = Pcm.BytesPer(_b.ChunkDuration, rate);
            for (var i = 0; i < 2; i++)
            {
                var content = BotAudioEncoder.Encode(pcm.Span.Slice(i * chunkBytes, chunkBytes), rate, _b);
                await Writer().WriteAsync(
                    new OutboundFrame(BotMessages.PlayAudio(_b.AudioContentType, content)) { Trailing = true }, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // connection gone
        }
    }

    // ---------------------------------------------------------------- send side and closing

    // state-by-number writes to the socket of whichever call holds its key now (KVS-003 broken on purpose).
    private ChannelWriter<OutboundFrame> Writer()
    {
        if (_b.StateByVirtualNumber)
        {
            string? key;
            lock (_sync)
            {
                key = _registryKey;
            }

            if (key is not null && _rt.Calls.TryGetValue(key, out var owner))
            {
                return owner._outbound.Writer;
            }
        }

        return _outbound.Writer;
    }

    private async Task BotCloseAsync(WebSocketCloseStatus status, string reason)
    {
        lock (_sync)
        {
            if (_closing)
            {
                return;
            }

            _closing = true;
        }

        Log.BotClosing(_rt.Logger, Bot, CallId, status, reason);
        await _call.CancelAsync();
        try
        {
            await _outbound.Writer.WriteAsync(OutboundFrame.Close(status, CloseReason(reason), botInitiated: true), _connection.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // connection gone
        }
    }

    private async Task AnswerPeerCloseAsync()
    {
        Task trailing;
        lock (_sync)
        {
            trailing = _trailing;
        }

        // The trailing variants still get their two chunks out if the peer closed right after the control message.
        try
        {
            await trailing.WaitAsync(TrailingGrace, _time);
        }
        catch (TimeoutException)
        {
            // answer the close anyway
        }

        if (Volatile.Read(ref _closing) || _socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        var status = _socket.CloseStatus ?? WebSocketCloseStatus.NormalClosure;
        if (status == WebSocketCloseStatus.Empty)
        {
            status = WebSocketCloseStatus.NormalClosure;
        }

        try
        {
            using var timeout = new CancellationTokenSource(CloseHandshakeTimeout, _time);
            await _outbound.Writer.WriteAsync(OutboundFrame.Close(status, string.Empty, botInitiated: false), timeout.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // send loop already gone
        }
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var frame in _outbound.Reader.ReadAllAsync(ct))
            {
                if (frame.CloseStatus is { } status)
                {
                    if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(status, frame.CloseReason, ct);
                    }

                    if (frame.BotInitiated)
                    {
                        _connection.CancelAfter(CloseHandshakeTimeout); // the peer has this long to answer
                    }

                    break;
                }

                if ((_peerClosed && !frame.Trailing)
                    || _socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    continue; // nothing new after the peer's close, except the trailing variants' audio
                }

                await _socket.SendAsync(frame.Text, WebSocketMessageType.Text, endOfMessage: true, ct);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
            Log.SendStopped(_rt.Logger, ex, Bot, CallId);
            await _connection.CancelAsync(); // a broken send side ends the receive side too
        }
        finally
        {
            _outbound.Writer.TryComplete();
        }
    }

    private void Release(CallEnd end)
    {
        _ended = true;
        lock (_sync)
        {
            if (_registryKey is not null)
            {
                // KVS-031: release on every kind of end. Remove only our own entry (a newer call may hold the key).
                _rt.Calls.TryRemove(new KeyValuePair<string, BotCall>(_registryKey, this));
            }

            if (_greetedKey is not null && end is CallEnd.PeerClosed or CallEnd.BotClosed)
            {
                // leaks-on-abort: cleared in the close handler only, so an abort leaves the flag behind.
                _rt.GreetedCustomers.TryRemove(new KeyValuePair<string, BotCall>(_greetedKey, this));
            }
        }

        Log.CallEnded(_rt.Logger, Bot, CallId, end);
    }

    private static string CloseReason(string reason)
    {
        // RFC 6455 §5.5: a close frame body is at most 125 bytes, 2 of them the code.
        if (Encoding.UTF8.GetByteCount(reason) <= 123)
        {
            return reason;
        }

        var cut = reason;
        while (Encoding.UTF8.GetByteCount(cut) > 120)
        {
            cut = cut[..^1];
        }

        return cut + "...";
    }

    public void Dispose()
    {
        foreach (var source in _replySources)
        {
            source.Dispose();
        }

        _call.Dispose();
        _connection.Dispose();
        _sendGate.Dispose();
    }
}
