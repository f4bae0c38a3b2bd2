using System.Net.WebSockets;
using System.Threading.Channels;
using ProtocolSim.Audio;

namespace ProtocolSim.ReferenceClients;

internal sealed partial class BotCall
{
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
}
