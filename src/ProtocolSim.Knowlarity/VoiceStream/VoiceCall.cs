using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using ProtocolSim.Audio;
using ProtocolSim.Core;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// One simulated Knowlarity call: dials the bot, sends the first frame, streams caller audio from the pacer,
/// plays the bot's audio on a model of the peer's queue, and journals everything with findings (knowlarity.md §4.1).
/// </summary>
public sealed class VoiceCall : IAsyncDisposable, IPacedStream
{
    private readonly Lock _gate = new();
    private readonly VoicePeerOptions _options;
    private readonly MediaPacer _pacer;
    private readonly StallMonitor? _stalls;
    private readonly CallerFeed _feed;
    private readonly PlaybackModel _playback = new();
    private readonly List<ReceivedMessage> _messages = [];
    private readonly List<TimeSpan> _kills = [];
    private readonly List<TimeSpan> _replyUnderruns = [];
    private readonly List<SpokenUtterance> _spoken = [];
    private readonly CancellationTokenSource _lifetime = new();
    private readonly int _frameBytes;
    private ClientWebSocket? _socket;
    private SendLane? _lane;
    private Task? _receiveLoop;
    private ITimer? _greetingTimer;
    private ITimer? _controlTimer;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _pacing;
    private int _closeRequested;
    private string? _peerCloseReason;
    private bool _greetingTimedOut;
    private TimeSpan? _lastPlayAudioAt;
    private TimeSpan? _firstFrameAt;
    private TimeSpan? _firstPlayAudioAt;

    // When each caller frame went out, until the bot's first playAudio arrived (guarded by _gate): KVS-013.
    private readonly List<TimeSpan> _framesBeforeGreeting = [];
    private TimeSpan? _firstMessageAt;
    private ReceivedMessage? _control;
    private TimeSpan? _endedAt;
    private CallEndedBy? _endedBy;
    private WebSocketCloseStatus? _closeStatus;
    private string? _closeDescription;

    /// <param name="stalls">The harness's own stalls (on the pacer's clock): a chunk read late because the harness stalled does not count as an underrun (KVS-021).</param>
    public VoiceCall(VoicePeerOptions options, SessionJournal journal, MediaPacer? pacer = null, int seed = 0, StallMonitor? stalls = null)
    {
        _options = options;
        _stalls = stalls;
        Journal = journal;
        _pacer = pacer ?? MediaPacer.Shared;
        _frameBytes = Pcm.BytesPer(options.FrameDuration, options.SampleRate);
        _feed = new CallerFeed(_frameBytes, options.SampleRate, seed);
        journal.SetLabel("dialect", options.Dialect == VoiceDialect.StreamNode ? "Stream-Node" : "Verloop");
        journal.SetLabel("callid", options.CallId);
        journal.SetLabel("rate", options.SampleRate.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public VoicePeerOptions Options => _options;

    public SessionJournal Journal { get; }

    public ConnectOutcome? Connection { get; private set; }

    public TimeSpan? FirstFrameAt
    {
        get { lock (_gate) { return _firstFrameAt; } }
        private set { lock (_gate) { _firstFrameAt = value; } }
    }

    public TimeSpan? FirstPlayAudioAt
    {
        get { lock (_gate) { return _firstPlayAudioAt; } }
        private set { lock (_gate) { _firstPlayAudioAt = value; } }
    }

    /// <summary>
    /// How many caller frames went out before <paramref name="until"/>, for any moment up to the bot's first playAudio
    /// (frames are kept until then, journaled or not: <see cref="VoicePeerOptions.JournalCallerFrames"/>).
    /// </summary>
    public int CallerFramesBefore(TimeSpan until)
    {
        lock (_gate)
        {
            return _framesBeforeGreeting.Count(t => t < until);
        }
    }

    /// <summary>Time the latest playAudio arrived (steps poll it while waiting, so it is kept, not searched for).</summary>
    public TimeSpan? LastPlayAudioAt
    {
        get { lock (_gate) { return _lastPlayAudioAt; } }
    }

    /// <summary>Time of the first message of any kind from the bot.</summary>
    public TimeSpan? FirstMessageAt
    {
        get { lock (_gate) { return _firstMessageAt; } }
        private set { lock (_gate) { _firstMessageAt = value; } }
    }

    /// <summary>The transfer/disconnect/asr_disconnect that ended the stream.</summary>
    public ReceivedMessage? Control
    {
        get { lock (_gate) { return _control; } }
        private set { lock (_gate) { _control = value; } }
    }

    public TimeSpan? EndedAt
    {
        get { lock (_gate) { return _endedAt; } }
        private set { lock (_gate) { _endedAt = value; } }
    }

    public CallEndedBy? EndedBy
    {
        get { lock (_gate) { return _endedBy; } }
        private set { lock (_gate) { _endedBy = value; } }
    }

    public WebSocketCloseStatus? CloseStatus
    {
        get { lock (_gate) { return _closeStatus; } }
        private set { lock (_gate) { _closeStatus = value; } }
    }

    public string? CloseDescription
    {
        get { lock (_gate) { return _closeDescription; } }
        private set { lock (_gate) { _closeDescription = value; } }
    }

    public bool IsOpen => Connection?.Connected == true && EndedAt is null;

    public Task Closed => _closed.Task;

    public IReadOnlyList<ReceivedMessage> Messages
    {
        get
        {
            lock (_gate)
            {
                return _messages.ToList();
            }
        }
    }

    /// <summary>Times killAudio arrived.</summary>
    public IReadOnlyList<TimeSpan> Kills
    {
        get
        {
            lock (_gate)
            {
                return _kills.ToList();
            }
        }
    }

    public IReadOnlyList<SpokenUtterance> Spoken
    {
        get
        {
            lock (_gate)
            {
                return _spoken.ToList();
            }
        }
    }

    public IReadOnlyList<PlayItem> Playback => _playback.Items;

    public TimeSpan Now => Journal.Elapsed;

    /// <summary>Bot audio still to play at this moment.</summary>
    public TimeSpan RemainingPlayback => _playback.Remaining(Now);

    /// <summary>Dials the bot and, once connected, sends the first frame and starts the caller audio.</summary>
    public async Task<ConnectOutcome> ConnectAsync(CancellationToken cancellationToken)
    {
        var url = _options.ResolveTarget();
        Journal.SetLabel("target", url.GetLeftPart(UriPartial.Path));
        if (url.Scheme is not ("ws" or "wss"))
        {
            return Fail(new ConnectOutcome { Connected = false, Url = url, Error = $"unsupported scheme {url.Scheme}:// (expected wss://)" });
        }

        if (url.Scheme == "ws" && !_options.AllowPlainWs)
        {
            // 003-V ch.2 Connection: "plain WS is not accepted".
            Journal.Append(Direction.Internal, FrameKind.Note, $"refused to dial {url}: plain ws:// is not accepted by the peer (KVS-002)");
            return Fail(new ConnectOutcome { Connected = false, Url = url, Error = "plain ws:// is not accepted by the peer; serve wss://" });
        }

        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.Zero;
        if (_options.Insecure)
        {
            // --insecure: the user asked to accept a self-signed bot certificate (local development, reference bots).
#pragma warning disable CA5359
            socket.Options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
#pragma warning restore CA5359
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
        timeout.CancelAfter(_options.ConnectTimeout);
        Journal.Append(Direction.Internal, FrameKind.Note, $"dialling {url}");
        try
        {
            await socket.ConnectAsync(url, timeout.Token);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or HttpRequestException)
        {
            var status = (int)socket.HttpStatusCode;
            socket.Dispose();
            var error = cancellationToken.IsCancellationRequested ? "cancelled"
                : ex is OperationCanceledException ? $"no answer within {_options.ConnectTimeout.TotalSeconds:0.#} s"
                : Describe(ex);
            var tls = false;
            for (var e = ex; e is not null; e = e.InnerException)
            {
                tls |= e is System.Security.Authentication.AuthenticationException;
            }

            return Fail(new ConnectOutcome { Connected = false, Url = url, HttpStatus = status == 0 ? null : status, Error = status == 0 ? error : $"upgrade answered HTTP {status}", TlsFailed = tls });
        }

        _socket = socket;
        _lane = new SendLane(socket, this);
        Connection = new ConnectOutcome { Connected = true, Url = url, HttpStatus = 101 };
        Journal.Append(Direction.Internal, FrameKind.Open, $"connected to {url} (HTTP 101{(url.Scheme == "wss" ? ", TLS" : string.Empty)})");
        _receiveLoop = Task.Run(() => ReceiveLoopAsync(_lifetime.Token), CancellationToken.None);

        if (_options.FirstFrameDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.FirstFrameDelay, _pacer.Time, cancellationToken);
        }

        var first = _options.Dialect == VoiceDialect.StreamNode ? Metadata.StreamNode(_options) : Metadata.Verloop(_options);
        // Anything that arrives before this instant was sent by the bot before it could have read the first frame.
        FirstFrameAt = Now;
        try
        {
            await SendTextAsync(first, _options.Dialect == VoiceDialect.StreamNode ? $"metadata ({_options.MetadataEncoding})" : "first message", cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            // The bot accepted the upgrade and went away at once: the call is up, and over.
            Journal.Append(Direction.Internal, FrameKind.Error, "the first frame could not be sent: " + Describe(ex));
            MarkEnded(CallEndedBy.Transport, null, Describe(ex));
            return Connection;
        }

        if (_options.GreetingTimeout > TimeSpan.Zero)
        {
            _greetingTimer = _pacer.Time.CreateTimer(_ => OnGreetingTimeout(), null, _options.GreetingTimeout, Timeout.InfiniteTimeSpan);
        }

        // Caller audio never goes out before the first frame, even when a greeting came early; and it follows the
        // first frame at once (003-V ch.1: metadata, then audio, which may arrive before the greeting).
        if (!_options.AudioStartsAfterFirstPlayAudio || FirstPlayAudioAt is not null)
        {
            StartPacing(sendFirstNow: true);
        }

        Signal();
        return Connection;

        ConnectOutcome Fail(ConnectOutcome outcome)
        {
            Connection = outcome;
            Journal.Append(Direction.Internal, FrameKind.Error, $"cannot connect: {outcome.Error}");
            EndedAt = Now;
            EndedBy = CallEndedBy.Transport;
            _closed.TrySetResult();
            Signal();
            return outcome;
        }
    }

    /// <summary>Queues caller audio; it is spoken after what is already queued.</summary>
    public SpokenUtterance Speak(CallerUtterance utterance)
    {
        var spoken = _feed.Enqueue(utterance);
        lock (_gate)
        {
            _spoken.Add(spoken);
        }

        return spoken;
    }

    /// <summary>
    /// Sends a text frame (metadata, or an unexpected frame a scenario injects). When the connection is already gone
    /// (the bot closed or aborted it), the frame is not sent and the journal says so: what the bot did is for the
    /// judges that follow, not a failure of the step.
    /// </summary>
    public async Task SendTextAsync(string text, string summary, CancellationToken cancellationToken)
    {
        if (_lane is null)
        {
            throw new InvalidOperationException("The call is not connected.");
        }

        JsonNode? parsed = null;
        try
        {
            parsed = JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
        }

        var entry = Journal.Append(Direction.ToClient, FrameKind.Text, summary, text: text, parsed: parsed);
        try
        {
            await _lane.PostAsync(new Outgoing(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, Due: null), cancellationToken);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or IOException or InvalidOperationException)
        {
            Journal.Append(Direction.Internal, FrameKind.Note, $"#{entry.Seq} was not sent: the connection is gone ({Describe(ex)})");
        }
    }

    /// <summary>Caller hang-up: the peer closes with 1000 and no message before it (knowlarity.md §4.1 item 9).</summary>
    public Task HangUpAsync(string reason, CancellationToken cancellationToken) => CloseAsync(WebSocketCloseStatus.NormalClosure, reason, cancellationToken);

    /// <summary>Drops the connection without a close handshake (an abrupt close by the peer).</summary>
    public void Abort()
    {
        if (_socket is null || EndedAt is not null)
        {
            return;
        }

        Journal.Append(Direction.ToClient, FrameKind.Close, "connection aborted by the peer (no close frame)");
        MarkEnded(CallEndedBy.Peer, null, "aborted");
        _socket.Abort();
    }

    /// <summary>Waits until <paramref name="condition"/> holds, re-checking on every change and every 10 ms.</summary>
    public async Task<bool> WaitUntilAsync(Func<VoiceCall, bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _pacer.Time.GetTimestamp() + (long)(timeout.TotalSeconds * _pacer.Time.TimestampFrequency);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }

            if (condition(this))
            {
                return true;
            }

            var left = _pacer.Time.GetElapsedTime(_pacer.Time.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return condition(this);
            }

            // Playback advances with time, not only with messages: wake at least every 10 ms.
            var step = left < TimeSpan.FromMilliseconds(10) ? left : TimeSpan.FromMilliseconds(10);
            await Task.WhenAny(changed, Task.Delay(step, _pacer.Time, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Closes with a close handshake (waits up to 2 s for the bot's answer, then aborts).</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        if (_socket is null || _lane is null || Interlocked.Exchange(ref _closeRequested, 1) == 1 || EndedAt is not null)
        {
            return;
        }

        StopPacing();
        _peerCloseReason = $"{(int)status} \"{reason}\"";
        Journal.Append(Direction.ToClient, FrameKind.Close, $"close {(int)status} \"{reason}\"");
        try
        {
            // Bounded: a bot that stopped reading cannot hold the close (or the scenario's end) hostage.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(TimeSpan.FromSeconds(2));
            await _lane.PostAsync(new Outgoing(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Close, Due: null, CloseStatus: status, CloseReason: reason), wait.Token);
            await _closed.Task.WaitAsync(wait.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or ObjectDisposedException or TimeoutException)
        {
            if (EndedAt is null)
            {
                Journal.Append(Direction.Internal, FrameKind.Note, "the bot did not answer the close handshake within 2 s; connection aborted");
                MarkEnded(CallEndedBy.Peer, status, reason);
                _socket.Abort();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (IsOpen)
        {
            await CloseAsync(WebSocketCloseStatus.NormalClosure, "scenario over", CancellationToken.None);
        }

        StopPacing();
        _feed.CancelAll();
        _greetingTimer?.Dispose();
        _controlTimer?.Dispose();
        await _lifetime.CancelAsync();
        if (_receiveLoop is not null)
        {
            try
            {
                await _receiveLoop.WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
            }
        }

        _socket?.Dispose();
        _lifetime.Dispose();
        _closed.TrySetResult();
    }

    bool IPacedStream.OnFrameDue(long dueTimestamp)
    {
        if (!_pacing || _lane is null)
        {
            return false;
        }

        var at = Now;
        var pooled = ArrayPool<byte>.Shared.Rent(_frameBytes);
        var frame = pooled.AsMemory(0, _frameBytes);
        var spoken = _feed.NextFrame(frame.Span, at, out var finished, out var holdsOnset);
        if (holdsOnset)
        {
            // The frame that holds the speech onset: was the bot's audio playing then?
            spoken!.MarkOnsetSent(at, _playback.IsPlaying(at));
        }

        lock (_gate)
        {
            // Kept against the playAudio's arrival time, whichever thread records first.
            if (_firstPlayAudioAt is not { } greeted || at < greeted)
            {
                _framesBeforeGreeting.Add(at);
            }
        }

        if (_options.JournalCallerFrames)
        {
            Journal.GetOrAddAudio("caller", _options.SampleRate).Write(at, frame.Span);
            var summary = spoken is null ? $"caller audio {frame.Length} B (line noise)" : $"caller audio {frame.Length} B ({spoken.Utterance.Name})";
            Journal.Append(Direction.ToClient, FrameKind.Binary, summary, length: frame.Length, audioTrack: "caller", audioOffset: at);
        }

        if (finished is not null)
        {
            Signal();
        }

        _lane.Post(new Outgoing(frame, WebSocketMessageType.Binary, dueTimestamp, Pooled: pooled));
        return true;
    }

    void IPacedStream.OnFault(Exception exception)
    {
        Journal.Append(Direction.Internal, FrameKind.Error, $"caller audio stopped: the peer failed to build a frame ({exception.GetType().Name}: {exception.Message})");
        StopPacing();
    }

    /// <summary>
    /// How much of a window of the call's timeline the harness itself lost to stalls (<see cref="StallMonitor"/>): up
    /// to that much of a delay measured in the window may be the harness's, not the bot's. Zero without a monitor.
    /// </summary>
    public TimeSpan HarnessStalled(TimeSpan from, TimeSpan to) =>
        _stalls?.StalledBetween(Journal.TimestampOf(from), Journal.TimestampOf(to)) ?? TimeSpan.Zero;

    internal void RecordLateness(long dueTimestamp)
    {
        if (VoiceStreamMetrics.SendLateness.Enabled)
        {
            var now = _pacer.Time.GetTimestamp();
            VoiceStreamMetrics.SendLateness.Record((now - dueTimestamp) * 1000.0 / _pacer.Time.TimestampFrequency);
        }
    }

    internal void OnSendFailed(Exception ex)
    {
        if (EndedAt is null)
        {
            Journal.Append(Direction.Internal, FrameKind.Error, "send failed: " + Describe(ex));
        }

        StopPacing();
    }

    private void StartPacing(bool sendFirstNow = false)
    {
        lock (_gate)
        {
            if (_pacing || _endedAt is not null)
            {
                return;
            }

            _pacing = true;
        }

        var now = _pacer.Time.GetTimestamp();
        var frameTicks = (long)(_options.FrameDuration.TotalSeconds * _pacer.Time.TimestampFrequency);
        var phase = (long)(_options.PacingPhase.TotalSeconds * _pacer.Time.TimestampFrequency);
        var first = now + phase;
        if (sendFirstNow && ((IPacedStream)this).OnFrameDue(now))
        {
            first += frameTicks;
        }

        _pacer.Schedule(this, first, _options.FrameDuration);
    }

    private void StopPacing()
    {
        lock (_gate)
        {
            _pacing = false;
        }
    }

    /// <summary>True when the greeting deadline passed before any playAudio (the peer's own decision, KVS-008).</summary>
    public bool GreetingTimedOut
    {
        get
        {
            lock (_gate)
            {
                return _greetingTimedOut;
            }
        }
    }

    private void OnGreetingTimeout()
    {
        lock (_gate)
        {
            // Decided under the lock that OnPlayAudio takes to record the greeting: one of the two wins.
            if (_firstPlayAudioAt is not null || _endedAt is not null)
            {
                return;
            }

            _greetingTimedOut = true;
        }

        // 003-V ch.1: "MUST send a playAudio event within a few seconds ... or the stream will be terminated".
        var entry = Journal.Append(Direction.Internal, FrameKind.Note, $"greeting timeout: no playAudio within {_options.GreetingTimeout.TotalSeconds:0.##} s of the first frame");
        Journal.AddFinding("KVS-008", $"No playAudio within the greeting timeout ({_options.GreetingTimeout.TotalSeconds:0.##} s); the peer terminates the stream.", $"playAudio within {_options.GreetingTimeout.TotalSeconds:0.##} s", "none", entry.Seq);
        _ = CloseAsync((WebSocketCloseStatus)_options.GreetingTimeoutCloseCode, "no audio", CancellationToken.None);
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var socket = _socket!;
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        var message = new PooledBuffer();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var result = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    var status = socket.CloseStatus;
                    var description = socket.CloseStatusDescription;
                    var ours = Volatile.Read(ref _closeRequested) == 1;
                    Journal.Append(Direction.FromClient, FrameKind.Close, ours
                        ? $"close answered {(int?)status} \"{description}\""
                        : $"bot closed the connection: {(int?)status} \"{description}\"");
                    if (!ours)
                    {
                        // Answer the handshake; nothing else will be sent.
                        StopPacing();
                        try
                        {
                            await _lane!.PostAsync(new Outgoing(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Close, null, WebSocketCloseStatus.NormalClosure, "bye"), CancellationToken.None);
                        }
                        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
                        {
                        }
                    }

                    MarkEnded(ours ? CallEndedBy.Peer : CallEndedBy.Bot, status, ours ? _peerCloseReason : description);
                    return;
                }

                if (message.Overflowed || message.Length + result.Count > _options.MaxMessageBytes)
                {
                    message.Overflowed = true;
                    message.OverflowLength += result.Count;
                }
                else
                {
                    message.Append(buffer.AsSpan(0, result.Count));
                }

                if (result.EndOfMessage)
                {
                    try
                    {
                        OnMessage(result.MessageType, message);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // A defect of ours must not stop the call from hearing the bot; it is journaled for a bug report.
                        Journal.Append(Direction.Internal, FrameKind.Error, $"the peer failed to process a message ({message.Length} B): {ex.GetType().Name}: {ex.Message}");
                    }

                    message.Reset();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is WebSocketException or IOException or ObjectDisposedException)
        {
            if (EndedAt is null)
            {
                var partial = message.Length > 0 ? $" ({message.Length} B of an unfinished message discarded)" : string.Empty;
                Journal.Append(Direction.FromClient, FrameKind.Error, $"connection lost without a close frame: {Describe(ex)}{partial}");
                MarkEnded(CallEndedBy.Transport, null, Describe(ex));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            message.Dispose();
        }
    }

    private void OnMessage(WebSocketMessageType type, PooledBuffer message)
    {
        var now = Now;
        BotMessage inspected;
        JournalEntry entry;
        if (message.Overflowed)
        {
            var length = message.Length + message.OverflowLength;
            inspected = BotMessageInspector.TooLarge(SafeUtf8(message.Span), length, _options.MaxMessageBytes, _options.Dialect, _options.SampleRate);
            entry = Journal.Append(Direction.FromClient, type == WebSocketMessageType.Text ? FrameKind.Text : FrameKind.Binary, inspected.Summary,
                // The first MaxMessageBytes are kept (bounded, and nothing below the bound is lost); the summary says how much was cut.
                text: type == WebSocketMessageType.Text ? SafeUtf8(message.Span) : null,
                bytes: type == WebSocketMessageType.Binary ? message.Span.ToArray() : null, length: length);
        }
        else if (type == WebSocketMessageType.Binary)
        {
            inspected = BotMessageInspector.Binary(message.Length, _options.Dialect);
            entry = Journal.Append(Direction.FromClient, FrameKind.Binary, inspected.Summary, bytes: message.Span.ToArray(), length: message.Length);
        }
        else
        {
            var text = SafeUtf8(message.Span);
            inspected = BotMessageInspector.Text(text, _options.Dialect, _options.SampleRate);
            entry = Journal.Append(Direction.FromClient, FrameKind.Text, inspected.Summary, text: text, length: message.Length, parsed: inspected.Parsed);
        }

        foreach (var v in inspected.Violations)
        {
            Journal.AddFinding(v.RuleId, v.Message, v.Expected, v.Actual, entry.Seq);
        }

        var received = new ReceivedMessage(entry.Seq, now, inspected);
        var afterControl = Control is not null;
        lock (_gate)
        {
            _messages.Add(received);
        }

        FirstMessageAt ??= now;
        if (afterControl)
        {
            // The stream has left the Stream Node (KVS-030) / the call is over (KVV-014).
            var rule = _options.Dialect == VoiceDialect.StreamNode ? "KVS-030" : "KVV-014";
            Journal.AddFinding(rule, $"The bot sent {inspected.Summary} {(now - Control!.At).TotalMilliseconds:0} ms after {Control.Message.Summary}.", "nothing after the stream ends", inspected.Summary, entry.Seq);
            Signal();
            return;
        }

        switch (inspected.Kind)
        {
            case BotMessageKind.PlayAudio:
                OnPlayAudio(received, entry);
                break;
            case BotMessageKind.KillAudio:
                var flushed = _playback.Kill(now);
                lock (_gate)
                {
                    _kills.Add(now);
                }

                if (Journal.Audio.TryGetValue("bot", out var track))
                {
                    track.Truncate(now);
                }

                Journal.Append(Direction.Internal, FrameKind.Note, $"killAudio: {flushed.TotalMilliseconds:0} ms of queued bot audio flushed");
                break;
            case BotMessageKind.Transfer or BotMessageKind.Disconnect:
                Control = received;
                StopPacing();
                _feed.CancelAll();
                _greetingTimer?.Dispose();
                Journal.Append(Direction.Internal, FrameKind.Note, $"{inspected.Summary}: caller audio stopped; closing in {_options.ControlGrace.TotalMilliseconds:0} ms");
                if (_options.CloseAfterControl)
                {
                    _controlTimer = _pacer.Time.CreateTimer(_ => _ = CloseAsync(WebSocketCloseStatus.NormalClosure, inspected.Kind == BotMessageKind.Transfer ? "transferred" : "stream ended", CancellationToken.None), null, _options.ControlGrace, Timeout.InfiniteTimeSpan);
                }

                break;
        }

        Signal();
    }

    private void OnPlayAudio(ReceivedMessage received, JournalEntry entry)
    {
        var message = received.Message;
        var now = received.At;
        bool first;
        lock (_gate)
        {
            first = _firstPlayAudioAt is null;
            _firstPlayAudioAt ??= now;
            _lastPlayAudioAt = now;
        }

        if (first)
        {
            _greetingTimer?.Dispose();
            if (_options.AudioStartsAfterFirstPlayAudio && FirstFrameAt is not null)
            {
                StartPacing();
            }
        }

        var item = _playback.Enqueue(received.Seq, now, message.AudioDuration, message.Pcm is null);
        if (message.Pcm is not null)
        {
            Journal.GetOrAddAudio("bot", _options.SampleRate).Write(item.Start, message.Pcm);
        }

        if (_options.Dialect == VoiceDialect.StreamNode && message.AudioDuration > _options.MaxChunkDuration)
        {
            Journal.AddFinding("KVS-020", $"One playAudio carries {message.AudioDuration.TotalMilliseconds:0} ms of audio.", $"chunks of about 100 ms (at most {_options.MaxChunkDuration.TotalMilliseconds:0} ms)", $"{message.AudioDuration.TotalMilliseconds:0} ms", entry.Seq);
        }

        // A chunk this process was late to read (the harness stalled) only looks late: the stall is taken off the gap.
        if (item.UnderrunBefore is { } seen && seen - HarnessStalled(now - seen, now) is var gap && gap >= TimeSpan.FromMilliseconds(20)
            && seen < TimeSpan.FromSeconds(1.5) && !CallerSpokeBetween(now - seen, now))
        {
            // 003-V ch.2: chunks play "back-to-back with no gap" only when each arrives before the previous ends. A gap
            // between sentences (Pattern 2) is normal; three chunks in a row that each find the queue empty mean the
            // reply is sent slower than it plays.
            _replyUnderruns.Add(gap);
            if (_replyUnderruns.Count == 3)
            {
                Journal.AddFinding("KVS-021", $"Playback ran dry before each of {_replyUnderruns.Count} chunks in a row ({string.Join(", ", _replyUnderruns.Select(g => $"{g.TotalMilliseconds:0} ms"))}): chunks arrive slower than they play.",
                    "each chunk sent before the previous one finishes playing", $"{_replyUnderruns.Count} gaps in one reply", entry.Seq);
            }
        }
        else
        {
            _replyUnderruns.Clear(); // this chunk arrived in time (or starts a new turn)
        }

        if (_options.StrictAudio && message.Pcm is null)
        {
            _ = CloseAsync(WebSocketCloseStatus.InvalidMessageType, "invalid audio", CancellationToken.None); // 1003, knowlarity.md §5
        }
    }

    private bool CallerSpokeBetween(TimeSpan from, TimeSpan to)
    {
        foreach (var s in Spoken)
        {
            if (s.SpeechOnsetAt is { } on && (s.SpeechEndAt ?? to) >= from && on <= to)
            {
                return true;
            }
        }

        return false;
    }

    private void MarkEnded(CallEndedBy by, WebSocketCloseStatus? status, string? description)
    {
        lock (_gate)
        {
            if (_endedAt is not null)
            {
                return;
            }

            _endedAt = Now;
            _endedBy = by;
            _closeStatus = status;
            _closeDescription = description;
            _pacing = false;
        }

        _feed.CancelAll();
        _greetingTimer?.Dispose();
        Journal.End();
        _closed.TrySetResult();
        Signal();
    }

    private void Signal()
    {
        TaskCompletionSource previous;
        lock (_gate)
        {
            previous = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        previous.TrySetResult();
    }

    private static string SafeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return Encoding.UTF8.GetString(bytes);
        }
    }

    private static string Describe(Exception ex)
    {
        var inner = ex.InnerException is null ? string.Empty : $" ({ex.InnerException.Message})";
        return ex.Message + inner;
    }

    /// <summary>A growable pooled byte buffer for assembling one message.</summary>
    private sealed class PooledBuffer : IDisposable
    {
        private byte[] _array = ArrayPool<byte>.Shared.Rent(64 * 1024);

        public int Length { get; private set; }

        public bool Overflowed { get; set; }

        public int OverflowLength { get; set; }

        public ReadOnlySpan<byte> Span => _array.AsSpan(0, Length);

        public void Append(ReadOnlySpan<byte> data)
        {
            if (Length + data.Length > _array.Length)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, Length + data.Length));
                _array.AsSpan(0, Length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_array);
                _array = bigger;
            }

            data.CopyTo(_array.AsSpan(Length));
            Length += data.Length;
        }

        public void Reset()
        {
            Length = 0;
            Overflowed = false;
            OverflowLength = 0;
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_array);
    }
}
