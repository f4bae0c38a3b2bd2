using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Threading.Channels;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients;

internal sealed partial class BotCall
{
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
}
