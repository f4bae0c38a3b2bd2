using System.Net.WebSockets;
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
internal sealed partial class BotCall : IDisposable
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
}
