using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>
/// The voice stream in <c>protosim serve</c>: our peer dials the bot, so its admin action is ours. "Dial a bot" places
/// one call (the dialect's handshake and metadata, the caller's recording after the greeting, the bot's audio captured)
/// and hangs up after the listening time; the call is a session of the dashboard like any other. Its host has no
/// endpoint (clients do not call it) and its one admin action runs here.
/// </summary>
public sealed class VoiceDialer(Recordings? recordings) : IFakeHost
{
    private const int MaxListenSeconds = 120;

    // Calls at once at most: an action repeated in a loop must not open thousands of sockets.
    private const int MaxCalls = 50;
    private readonly ConcurrentDictionary<VoiceCall, Task> _calls = new();
    private readonly CancellationTokenSource _stop = new();
    private int _number;
    private int _active;
    private (ISessionObserver Observer, string? Group)? _observer;

    public string Name => "voice";

    public IReadOnlyList<AdminAction> AdminActions => [Action()];

    /// <summary>None: the bot does not call us, we dial it.</summary>
    public JsonObject Endpoints() => [];

    /// <summary>Each call it dials is shown to <paramref name="observer"/>.</summary>
    public void Observe(ISessionObserver observer, string? group = null) => _observer = (observer, group);

    public string Describe() => "Voice stream: our peer dials your bot's WebSocket server (the dashboard's \"Dial a bot\"); it has no endpoint to call";

    private AdminAction Action() => new("voice-dial", Name, "Dial a bot",
        "Our peer dials your bot's WebSocket server as Knowlarity would, says a caller recording after the greeting, listens, then hangs up. The call's frames and both sides' audio show in its session.")
    {
        Fields =
        [
            new ActionField("url", "Bot URL (wss://, or ws:// for a local bot)", Default: "ws://127.0.0.1:8080/voice"),
            new ActionField("dialect", "Dialect", ActionFieldKind.Choice, "Stream-Node") { Choices = ["Stream-Node", "Verloop"] },
            new ActionField("rate", "Sample rate (Hz)", ActionFieldKind.Choice, "16000") { Choices = ["8000", "16000", "24000", "32000", "48000"] },
            new ActionField("recording", "Caller says", ActionFieldKind.Choice, "question") { Choices = ["question", "bargein", "goodbye", "silence"] },
            new ActionField("listenSeconds", "Listen for (s)", ActionFieldKind.Number, "8"),
            new ActionField("insecure", "Accept a self-signed bot certificate", ActionFieldKind.Checkbox),
        ],
        Handler = DialAsync,
    };

    private async Task<ActionResult> DialAsync(JsonObject form, CancellationToken requestAborted)
    {
        requestAborted.ThrowIfCancellationRequested();

        // A slot is taken before dialling (calls still connecting count), and given back when the call is over.
        if (Interlocked.Increment(ref _active) > MaxCalls)
        {
            Interlocked.Decrement(ref _active);
            return new ActionResult(429, $"{MaxCalls} dashboard calls are already running; try again when one has hung up.");
        }

        var talking = false;
        try
        {
            var (result, started) = await PlaceAsync(form);
            talking = started;
            return result;
        }
        finally
        {
            if (!talking)
            {
                Interlocked.Decrement(ref _active);
            }
        }
    }

    /// <summary>Dials; true when the call is up and its conversation has started (it gives the slot back itself).</summary>
    private async Task<(ActionResult Result, bool Started)> PlaceAsync(JsonObject form)
    {
        if (recordings is null)
        {
            return (new ActionResult(503, "The caller recordings (recordings/audio) are not here, so there is nothing to say."), false);
        }

        if (!Uri.TryCreate(form["url"]?.ToString(), UriKind.Absolute, out var url) || url.Scheme is not ("ws" or "wss"))
        {
            return (new ActionResult(400, "Bot URL: a ws:// or wss:// URL."), false);
        }

        var dialect = form["dialect"]?.ToString() == "Verloop" ? VoiceDialect.Verloop : VoiceDialect.StreamNode;
        var rate = int.Parse(form["rate"]?.ToString() ?? "16000", CultureInfo.InvariantCulture);
        var listen = TimeSpan.FromSeconds(Math.Clamp(form["listenSeconds"] is JsonValue l && l.TryGetValue<int>(out var s) ? s : 8, 1, MaxListenSeconds));
        CallerUtterance utterance;
        try
        {
            utterance = recordings.Get(form["recording"]?.ToString() ?? "question", rate);
        }
        catch (FileNotFoundException e)
        {
            return (new ActionResult(400, e.Message), false);
        }

        var number = Interlocked.Increment(ref _number);
        var journal = new SessionJournal($"call-{number}", dialect == VoiceDialect.StreamNode ? "knowlarity-voice-stream" : "knowlarity-verloop", TimeProvider.System);
        long? session = _observer is ({ } observer, var group) ? observer.Show(Name, journal, group) : null;
        var call = new VoiceCall(new VoicePeerOptions
        {
            Target = url,
            Dialect = dialect,
            SampleRate = rate,
            AllowPlainWs = true,
            Insecure = form["insecure"] is JsonValue i && i.TryGetValue<bool>(out var insecure) && insecure,
        }, journal, MediaPacer.Shared, seed: number);
        // The call outlives the request: a browser that goes away does not cut it (serve's stop does).
        ConnectOutcome outcome;
        try
        {
            outcome = await call.ConnectAsync(_stop.Token);
        }
        catch
        {
            await call.DisposeAsync();
            throw;
        }

        if (!outcome.Connected)
        {
            await call.DisposeAsync();
            return (new ActionResult(502, new JsonObject { ["session"] = session, ["error"] = $"The bot did not accept the call: {outcome.Error ?? (outcome.HttpStatus is { } status ? $"HTTP {status}" : "refused")}" }.ToJsonString()), false);
        }

        // Registered before it runs, and removed when it has run, whichever finishes first.
        var talking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _calls[call] = talking.Task;
        _ = Task.Run(async () =>
        {
            try
            {
                await TalkAsync(call, utterance, listen, _stop.Token);
            }
            finally
            {
                _calls.TryRemove(call, out _);
                Interlocked.Decrement(ref _active);
                talking.SetResult();
            }
        }, CancellationToken.None);
        return (new ActionResult(202, new JsonObject { ["session"] = session, ["callId"] = call.Options.CallId, ["target"] = url.ToString(), ["listenSeconds"] = listen.TotalSeconds }.ToJsonString()), true);
    }

    /// <summary>The caller speaks once the bot greets (or its greeting window passes), listens, and hangs up.</summary>
    private static async Task TalkAsync(VoiceCall call, CallerUtterance utterance, TimeSpan listen, CancellationToken cancellationToken)
    {
        try
        {
            await call.WaitUntilAsync(c => c.FirstPlayAudioAt is not null || c.EndedAt is not null, call.Options.GreetingTimeout + TimeSpan.FromSeconds(1), cancellationToken);
            if (call.EndedAt is null)
            {
                call.Speak(utterance);
                await call.WaitUntilAsync(c => c.EndedAt is not null, TimeSpan.FromSeconds(utterance.Pcm.Length / 2.0 / call.Options.SampleRate) + listen, cancellationToken);
            }

            if (call.EndedAt is null)
            {
                await call.HangUpAsync("dashboard call done", cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            // serve is stopping: DisposeAsync hangs up.
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            call.Journal.Append(Direction.Internal, FrameKind.Error, $"the dashboard's call failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            await call.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_calls.Values).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
