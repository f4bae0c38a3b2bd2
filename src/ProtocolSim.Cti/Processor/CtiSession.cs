using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Core;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Processor;

/// <summary>
/// One agent's session resource (004): the model of channels, groups and interactions, the session commands with
/// their success and failure shapes, and the secondary events in the documented orders. Requests are handled at once
/// under the session's lock; the response and events go through one ordered emitter that applies the configured
/// delays, so a slow platform, events before the response and the delayed logout are all one queue.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The life and stop tokens are cancelled, never disposed: timers linked from them may still be unwinding.")]
public sealed partial class CtiSession
{
    private readonly InteractionProcessor _processor;
    private readonly CtiOptions _options;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Channel<Emission> _emissions = Channel.CreateUnbounded<Emission>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _life = new();
    private readonly CancellationTokenSource _stopped = new();
    private readonly Dictionary<string, ChannelModel> _channels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, GroupModel> _groups = new(StringComparer.Ordinal);
    private readonly List<PendingResponse> _pending = [];
    private readonly HashSet<string> _partiallyRemoved = new(StringComparer.Ordinal);
    private readonly HashSet<(string Command, string Target)> _unsupported = [];
    private readonly HashSet<InboundCall> _rung = [];
    /// <summary>How long the client has had an interaction.created before removing its channel counts against it (CTI-041).</summary>
    private static readonly TimeSpan AnnouncementMargin = TimeSpan.FromMilliseconds(500);

    private bool _ringOnGroupRemoval;
    private int _nextChannel;
    private int _nextGroup;
    private int _nextInteraction;

    internal CtiSession(string id, Agent agent, string preparedBy, InteractionProcessor processor, CtiOptions options, TimeProvider time)
    {
        Id = id;
        Agent = agent;
        PreparedBy = preparedBy;
        _processor = processor;
        _options = options;
        _time = time;
        _ringOnGroupRemoval = options.RingOnGroupRemoval;
        _ = EmitLoopAsync();
    }

    public string Id { get; }

    public Agent Agent { get; }

    /// <summary>Client id that called prepareSession (CTI-021).</summary>
    public string PreparedBy { get; }

    public SessionState State { get; private set; } = SessionState.Prepared;

    /// <summary>When the current client bound the resource (CTI-022).</summary>
    internal long BoundAt { get; set; }

    /// <summary>The connection that holds the resource (one bound client, SR).</summary>
    public CtiConnection? BoundBy { get; internal set; }

    /// <summary>The logout request arrived and its response is not sent yet (CTI-036).</summary>
    public bool LogoutPending => State == SessionState.LoggingOut;

    public bool Inactive => State == SessionState.Inactive;

    /// <summary>The endpoint of every channel of the session (admin API, tests).</summary>
    public IReadOnlyList<string> Endpoints
    {
        get
        {
            lock (_gate)
            {
                return _channels.Values.Select(c => c.Endpoint).ToList();
            }
        }
    }

    // ------------------------------------------------------------------ lifetime

    /// <summary>The session is replaced by an override, or the processor stops: inert, no more events.</summary>
    internal void Dispose(string reason)
    {
        lock (_gate)
        {
            if (State == SessionState.Inactive)
            {
                return;
            }

            State = SessionState.Inactive;
        }

        BoundBy?.Journal.Append(Direction.Internal, FrameKind.Note, $"session {Id} ended: {reason}");
        _life.Cancel();
    }

    /// <summary>The processor stops: the emitter ends too.</summary>
    internal void Stop()
    {
        Dispose("the processor stopped");
        _stopped.Cancel();
        _emissions.Writer.TryComplete();
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    internal static string Compact(JsonNode? node) => node?.ToJsonString() ?? "null";
}
