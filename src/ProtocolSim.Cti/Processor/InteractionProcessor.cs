using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Processor;

/// <summary>
/// The HIS network core with one Interaction Processor service (cti.md §2.1): DCP message classes and request ids,
/// service discovery and status, service and resource binding, prepareSession with the credential check and the
/// confirm/override flow, and the session resources it creates. Every transport hands it messages of one connection
/// in order; it answers through the connection's queue and journals everything, with the client's rule breaks as
/// findings. Bad input gets a DCP error, never an exception.
/// </summary>
public sealed partial class InteractionProcessor : IDisposable
{
    /// <summary>How soon <c>session.start</c> must follow the binding of the session resource (CTI-022).</summary>
    public static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(2);

    /// <summary>How every client message is parsed: bounded depth, and a duplicated member is an error (not an exception later).</summary>
    internal static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64, AllowDuplicateProperties = false };
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ConcurrentDictionary<string, CtiSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<CtiConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, byte> _phantoms = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly ILogger _logger;
    private long _connectionCount;

    public InteractionProcessor(CtiOptions options, TimeProvider time, ILogger<InteractionProcessor> logger)
    {
        Options = options;
        Time = time;
        _logger = logger;
        Redactor = options.CreateRedactor();
        Journals = new JournalStore(options.KeepJournals);

        // IPS: an agent the world marks as logged in elsewhere has a session the desktop must confirm to replace.
        foreach (var agent in options.World.Agents.Where(a => a.ExistingSession))
        {
            _phantoms[agent.Id] = 0;
        }
    }

    public CtiOptions Options { get; }

    public TimeProvider Time { get; }

    public Redactor Redactor { get; }

    /// <summary>One journal per client connection (protocol <c>cti</c>).</summary>
    public JournalStore Journals { get; }

    /// <summary>Raised when prepareSession creates a session (scenarios, admin API).</summary>
    public event Action<CtiSession>? SessionCreated;

    /// <summary>Raised when a session's logout completed or it was replaced.</summary>
    public event Action<CtiSession>? SessionEnded;

    public IReadOnlyCollection<CtiSession> Sessions => (IReadOnlyCollection<CtiSession>)_sessions.Values;

    public int ClientCount => _connections.Count;

    /// <summary>The live session of an agent, if any.</summary>
    public CtiSession? SessionOf(string agentId) => _sessions.Values.FirstOrDefault(s => s.Agent.Id == agentId && !s.Inactive);

    // ------------------------------------------------------------------ connections

    /// <summary>A client connected; opens its journal.</summary>
    public CtiConnection Connect(CtiTransportKind transport, string? clientId, string remote)
    {
        var n = Interlocked.Increment(ref _connectionCount);
        var id = clientId ?? "client-" + n.ToString(CultureInfo.InvariantCulture);
        var journal = Journals.Open($"cti-{n}", "cti", Time, Redactor);
        var transportName = Describe(transport);
        journal.SetLabel("transport", transportName);
        journal.SetLabel("client", id);
        journal.SetLabel("remote", remote);
        var connection = new CtiConnection(id, transport, journal, Options.OutboundCapacity);
        _connections[connection] = 0;
        Journals.Enter();
        journal.Append(Direction.Internal, FrameKind.Open, $"{transportName} client connected from {remote}");
        Log.Connected(_logger, id, transportName, remote);
        return connection;
    }

    /// <summary>
    /// The connection ended: its binding is released. A logout still in progress completes (the client asked for it);
    /// when the client itself left meanwhile (<paramref name="clientLeft"/>) that is a finding (CTI-036).
    /// </summary>
    public void Disconnect(CtiConnection connection, string reason, bool clientLeft = false)
    {
        if (!connection.MarkClosed(reason))
        {
            return;
        }

        _connections.TryRemove(connection, out _);
        if (connection.Bound is { } session)
        {
            if (session.Inactive)
            {
                session.Stop();
            }

            if (session.LogoutPending)
            {
                if (clientLeft)
                {
                    connection.Journal.AddFinding("CTI-036", "the client left while its logout was in progress", "wait for the session.logout response without an early timeout", reason);
                }

                session.FinishLogout();
            }

            Release(connection);
        }

        connection.Journal.Append(Direction.Internal, FrameKind.Close, "connection ended: " + reason);
        Journals.Leave();
        Log.Disconnected(_logger, connection.ClientId, reason);
    }

    private void Release(CtiConnection connection)
    {
        lock (_gate)
        {
            if (connection.Bound is { } session && session.BoundBy == connection)
            {
                session.BoundBy = null;
            }

            connection.Bound = null;
        }
    }

    internal static string Describe(CtiTransportKind transport) => transport switch
    {
        CtiTransportKind.Socket => "socket",
        CtiTransportKind.Http => "http",
        CtiTransportKind.WebSocket => "websocket",
        _ => "websocket-bare",
    };

    // ------------------------------------------------------------------ receiving

    /// <summary>
    /// One DCP message as the transport received it: journaled first (nothing the client sent is lost), then checked
    /// for UTF-8 (CTI-053) and JSON, then dispatched. Returns the parsed message (null when it was not a JSON object).
    /// </summary>
    public JsonObject? Receive(CtiConnection connection, ReadOnlyMemory<byte> content, string? prefix = null, bool bare = false)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(content.Span);
        }
        catch (DecoderFallbackException)
        {
            var entry = connection.Journal.Append(Direction.FromClient, FrameKind.Binary, prefix + "message that is not UTF-8", bytes: content.ToArray());
            connection.Journal.AddFinding("CTI-053", "the message content is not valid UTF-8", "JSON encoded as UTF-8", $"{content.Length} bytes, not UTF-8 (e.g. Latin-1)", entry.Seq);
            SendDcp(connection, CoreError(null, null, "InvalidRequest", "The message is not valid UTF-8."), "coreError InvalidRequest (not UTF-8)");
            return null;
        }

        JsonNode? parsed = null;
        string? error = null;
        try
        {
            parsed = JsonNode.Parse(text, documentOptions: ParseOptions);
        }
        catch (JsonException e)
        {
            error = e.Message;
        }

        var message = parsed as JsonObject;
        var summary = message is null ? "message that is not a JSON object" : Summarise(message);
        var received = connection.Journal.Append(Direction.FromClient, FrameKind.Text, prefix + summary, text: text, parsed: parsed);
        if (message is null)
        {
            connection.Journal.AddFinding(null, "the message is not a JSON object", "one JSON object per message", error ?? text, received.Seq);
            SendDcp(connection, CoreError(null, null, "InvalidRequest", "The message is not a JSON object" + (error is null ? "." : ": " + error)), "coreError InvalidRequest (not JSON)");
            return null;
        }

        try
        {
            if (bare)
            {
                DispatchBare(connection, message, received.Seq);
            }
            else
            {
                Dispatch(connection, message, received.Seq);
            }
        }
#pragma warning disable CA1031 // a defect of the mock must not take the connection down: it is journaled and answered
        catch (Exception e)
#pragma warning restore CA1031
        {
            connection.Journal.AddFinding(null, "the processor failed on this message (a defect of the mock)", "an answer", e.Message, received.Seq);
            Log.Defect(_logger, e, connection.ClientId);
            SendDcp(connection, CoreError(Text(message["requestId"]), Text(message["command"]), "InternalError", "The processor failed: " + e.Message), "coreError InternalError");
        }

        return message;
    }

    private void Dispatch(CtiConnection connection, JsonObject message, long seq)
    {
        var messageType = Text(message["messageType"]);
        var requestId = Text(message["requestId"]);
        var command = Text(message["command"]);
        if (messageType is null)
        {
            Finding(connection, "CTI-014", "the message has no messageType", "every DCP message carries messageType", CtiSession.Compact(message), seq);
            SendDcp(connection, CoreError(requestId, command, "InvalidRequest", "messageType is required."), "coreError InvalidRequest (no messageType)");
            return;
        }

        if (messageType is "coreRequest" or "serviceRequest" or "resourceRequest")
        {
            if (requestId is null)
            {
                Finding(connection, "CTI-014", $"a {messageType} without requestId", "a unique requestId on every request", CtiSession.Compact(message), seq);
            }
            else if (connection.ReusesRequestId(requestId))
            {
                Finding(connection, "CTI-014", $"requestId \"{requestId}\" was used before", "a unique requestId on every request", requestId, seq);
            }

            // A request that depends on an answer still waiting to be polled: the client took the 200 for the answer.
            var waitingOn = messageType switch
            {
                "serviceRequest" when Volatile.Read(ref connection.UndeliveredServiceBindings) > 0 => "bindService",
                "resourceRequest" when Volatile.Read(ref connection.UndeliveredResourceBindings) > 0 => "bindResource",
                _ => null,
            };
            if (connection.Transport == CtiTransportKind.Http && waitingOn is not null)
            {
                Finding(connection, "CTI-009", $"{messageType} {command} was sent while the {waitingOn} answer it depends on was still waiting to be polled", "200 from processRequest means queued: wait for the response from the polling service", command ?? messageType, seq);
            }
        }

        switch (messageType)
        {
            case "coreRequest":
                Core(connection, message, requestId, command, seq);
                break;
            case "serviceRequest":
                Service(connection, message, requestId, command, seq);
                break;
            case "resourceRequest":
                Resource(connection, message, requestId, seq);
                break;
            case "handshake" or "negotiate" or "teardown" or "ERROR" when connection.Transport == CtiTransportKind.Socket:
                Finding(connection, "CTI-006", $"the transport message {messageType} came on the DCP index", $"transport messages on the reserved index {Options.Framing.ReservedIndex}", messageType, seq);
                SendDcp(connection, CoreError(requestId, command, "InvalidRequest", $"{messageType} is a transport message; send it on index {Options.Framing.ReservedIndex}."), "coreError InvalidRequest (transport message on the DCP index)");
                break;
            default:
                Finding(connection, "CTI-014", $"messageType \"{messageType}\" is not a request class", "coreRequest, serviceRequest or resourceRequest", messageType, seq);
                SendDcp(connection, CoreError(requestId, command, "InvalidRequest", $"Unknown messageType '{messageType}'."), "coreError InvalidRequest (messageType)");
                break;
        }
    }

    private void Core(CtiConnection connection, JsonObject message, string? requestId, string? command, long seq)
    {
        switch (command)
        {
            case "getServices":
                SendDcp(connection, CoreResponse(requestId, command, new JsonObject { ["services"] = new JsonArray(ServiceInfo()) }), "coreResponse getServices");
                break;
            case "getStatus":
                SendDcp(connection, CoreResponse(requestId, command, new JsonObject { ["status"] = "running", ["acceptingClients"] = Options.AcceptingClients, ["clientCount"] = ClientCount }), "coreResponse getStatus");
                break;
            case "bindService":
                var serviceId = Text(message["serviceId"]);
                if (serviceId != Options.ServiceId)
                {
                    SendDcp(connection, CoreError(requestId, command, "UnknownService", $"No service '{serviceId}'."), "coreError UnknownService");
                    return;
                }

                connection.BoundService = serviceId;
                SendDcp(connection, CoreResponse(requestId, command, new JsonObject { ["serviceId"] = serviceId }), "coreResponse bindService", Setup.ServiceBinding);
                break;
            case "unbindService":
                connection.BoundService = null;
                SendDcp(connection, CoreResponse(requestId, command, []), "coreResponse unbindService");
                break;
            case "unbindResource":
                Release(connection);
                SendDcp(connection, CoreResponse(requestId, command, []), "coreResponse unbindResource");
                break;
            case var bind when bind == Options.BindResourceCommand:
                BindResource(connection, Text(message["resourceId"]), requestId, bind, seq);
                break;
            default:
                SendDcp(connection, CoreError(requestId, command, "UnknownCommand", $"Unknown core command '{command}'."), "coreError UnknownCommand");
                break;
        }
    }

    private void BindResource(CtiConnection connection, string? resourceId, string? requestId, string command, long seq)
    {
        if (resourceId is null || !_sessions.TryGetValue(resourceId, out var session))
        {
            SendDcp(connection, ResourceError(requestId, resourceId, command, "NotFound", $"No resource '{resourceId}'."), "resourceError NotFound");
            return;
        }

        lock (_gate)
        {
            if (session.BoundBy is { } holder && holder != connection && !holder.IsClosed)
            {
                // SR: the session resource accepts one bound client.
                Finding(connection, "CTI-020", $"bound session {resourceId}, which client {holder.ClientId} holds", "never bind a session resource another client holds", "bindResource " + resourceId, seq);
                SendDcp(connection, ResourceError(requestId, resourceId, command, "ResourceBound", $"Resource '{resourceId}' is bound by another client."), "resourceError ResourceBound");
                return;
            }

            if (session.Inactive)
            {
                SendDcp(connection, ResourceError(requestId, resourceId, command, "SessionInactive", $"Resource '{resourceId}' is no longer active."), "resourceError SessionInactive");
                return;
            }

            if (connection.Bound is { } previous && previous != session && previous.BoundBy == connection)
            {
                previous.BoundBy = null;
            }

            connection.Bound = session;
            session.BoundBy = connection;
            session.BoundAt = Time.GetTimestamp();
        }

        if (session.PreparedBy != connection.ClientId)
        {
            Finding(connection, "CTI-021", $"client {connection.ClientId} bound session {resourceId}, which client {session.PreparedBy} prepared", "bind from the client that called prepareSession", connection.ClientId, seq);
        }

        connection.Journal.SetLabel("session", session.Id);
        connection.Journal.SetLabel("agent", session.Agent.Id);
        // CTI-022 counts from the moment the client has the answer (for HTTP, when it is polled).
        SendDcp(connection, CoreResponse(requestId, command, new JsonObject { ["resourceId"] = resourceId }), "coreResponse " + command, Setup.ResourceBinding, () => session.BoundAt = Time.GetTimestamp());
    }

    private void Service(CtiConnection connection, JsonObject message, string? requestId, string? command, long seq)
    {
        var serviceId = Text(message["serviceId"]);
        if (serviceId is null || serviceId != connection.BoundService)
        {
            Finding(connection, "CTI-015", $"a service request ({command}) to a service this client has not bound", "bindService before service requests", serviceId ?? "no serviceId", seq);
            SendDcp(connection, new JsonObject
            {
                ["messageType"] = "serviceError",
                ["requestId"] = requestId,
                ["serviceId"] = serviceId,
                ["command"] = command,
                ["error"] = new JsonObject { ["code"] = "NotBound", ["message"] = "Bind the service first." },
            }, "serviceError NotBound");
            return;
        }

        if (command != "prepareSession")
        {
            SendDcp(connection, ServiceAnswer(requestId, serviceId, command, message, "failure", failure: ("UnknownCommand", $"Unknown service command '{command}'.")), "serviceResponse failure UnknownCommand");
            return;
        }

        PrepareSession(connection, message, requestId, serviceId, seq);
    }

    /// <summary>IPS prepareSession: credentials, the confirm/override flow, and a new session resource.</summary>
    private void PrepareSession(CtiConnection connection, JsonObject message, string? requestId, string serviceId, long seq)
    {
        var data = message["data"] as JsonObject;
        var agentNode = data?["agent"] as JsonObject;
        var missing = new List<string>();
        if (Text(data?["model"]) is null)
        {
            missing.Add("model");
        }

        if (data?["override"] is not JsonValue overrideValue || !overrideValue.TryGetValue<bool>(out _))
        {
            missing.Add("override (a boolean)");
        }

        if (Text(agentNode?["id"]) is null)
        {
            missing.Add("agent.id");
        }

        if (Text(agentNode?["password"]) is null)
        {
            missing.Add("agent.password");
        }

        if (missing.Count > 0)
        {
            Finding(connection, "CTI-017", "prepareSession without " + string.Join(", ", missing), "data {model, override, agent{id, password}}", CtiSession.Compact(data), seq);
        }

        var agentId = Text(agentNode?["id"]);
        var agent = agentId is null ? null : Options.World.FindAgent(agentId);
        if (agent is null || agent.Password != Text(agentNode?["password"]))
        {
            SendDcp(connection, ServiceAnswer(requestId, serviceId, "prepareSession", message, "failure", failure: ("InvalidCredentials", "The agent id or password is not valid.")), "serviceResponse failure InvalidCredentials", Setup.Delayed);
            return;
        }

        var wantsOverride = data?["override"] is JsonValue o && o.TryGetValue<bool>(out var b) && b;
        if (wantsOverride && !connection.Confirmed)
        {
            Finding(connection, "CTI-018", "prepareSession with override:true before the processor asked to confirm", "override:false first; override:true only after a confirm the user agreed to", "override:true", seq);
        }

        CtiSession? replaced;
        CtiSession session;
        lock (_gate)
        {
            var existing = SessionOf(agent.Id);
            var phantom = _phantoms.ContainsKey(agent.Id);
            if ((existing is not null || phantom) && !wantsOverride)
            {
                connection.Confirmed = true;
                var answer = ServiceAnswer(requestId, serviceId, "prepareSession", message, "confirm");
                answer["message"] = $"Agent {agent.Id} is already logged in on another desktop. Log in here and end that session?";
                SendDcp(connection, answer, "serviceResponse confirm (the agent has a session)", Setup.Delayed);
                return;
            }

            // Created and registered under the lock: two prepareSession calls for one agent cannot both make a session.
            _phantoms.TryRemove(agent.Id, out _);
            replaced = existing;
            var id = "S" + Convert.ToHexString(RandomNumberGenerator.GetBytes(4)).ToLowerInvariant();
            session = new CtiSession(id, agent, connection.ClientId, this, Options, Time);
            _sessions[id] = session;
        }

        if (replaced is not null)
        {
            replaced.Dispose("replaced by prepareSession with override:true");
            Ended(replaced);
        }

        connection.Confirmed = false;
        SessionCreated?.Invoke(session);
        var success = ServiceAnswer(requestId, serviceId, "prepareSession", message, "success");
        success["data"] = new JsonObject { [Options.PrepareSessionIdField] = session.Id };
        SendDcp(connection, success, $"serviceResponse prepareSession success ({session.Id})", Setup.Delayed);
    }

    private void Resource(CtiConnection connection, JsonObject message, string? requestId, long seq)
    {
        var resourceId = Text(message["resourceId"]);
        var payload = Options.Nested ? message["message"] as JsonObject : SessionPart(message);
        var command = Text(payload?["command"]);
        var session = connection.Bound;
        if (resourceId is null || session is null || session.Id != resourceId)
        {
            Finding(connection, "CTI-019", $"{command} to resource {resourceId ?? "(none)"}, which this client has not bound", "bind the session resource named by prepareSession before sending it requests", command ?? "resourceRequest", seq);
            SendDcp(connection, ResourceError(requestId, resourceId, command, "NotBound", $"Resource '{resourceId}' is not bound by this client."), "resourceError NotBound");
            return;
        }

        if (payload is null)
        {
            SendDcp(connection, ResourceError(requestId, resourceId, command, "InvalidRequest", "The session message is missing (message)."), "resourceError InvalidRequest");
            return;
        }

        session.Handle(connection, payload, requestId, seq);
    }

    /// <summary>Bare WebSocket mode: session messages without the DCP envelope, the resource bound on connect.</summary>
    private void DispatchBare(CtiConnection connection, JsonObject message, long seq)
    {
        if (connection.Bound is not { } session)
        {
            SendDcp(connection, new JsonObject { ["result"] = "failure", ["failure"] = new JsonObject { ["code"] = "SessionInactive", ["message"] = "No session is bound.", ["context"] = "" }, ["original"] = message.DeepClone() }, "failure SessionInactive");
            return;
        }

        session.Handle(connection, message, null, seq);
    }

    /// <summary>Binds a session on a bare WebSocket connection; false with the reason when it cannot be.</summary>
    public string? BindBare(CtiConnection connection, string sessionId)
    {
        if (!_sessions.TryGetValue(sessionId, out var session) || session.Inactive)
        {
            return $"no active session '{sessionId}'";
        }

        lock (_gate)
        {
            if (session.BoundBy is { IsClosed: false } holder && holder != connection)
            {
                return $"session '{sessionId}' is bound by client {holder.ClientId}";
            }

            connection.Bound = session;
            session.BoundBy = connection;
            session.BoundAt = Time.GetTimestamp();
        }

        connection.Journal.SetLabel("session", session.Id);
        return null;
    }

    private static JsonObject SessionPart(JsonObject message)
    {
        var part = new JsonObject();
        foreach (var (key, value) in message)
        {
            if (key is not ("messageType" or "requestId" or "resourceId"))
            {
                part[key] = value?.DeepClone();
            }
        }

        return part;
    }

    // ------------------------------------------------------------------ sending

    /// <summary>Sends a session response or event in the connection's envelope (DCP, or bare).</summary>
    /// <returns>Whether the message was queued (then <paramref name="onSent"/> runs when it reaches the client).</returns>
    internal bool SendResource(CtiConnection connection, CtiSession session, JsonObject payload, bool isEvent, string? requestId, string summary, Action? onSent)
    {
        if (connection.Transport == CtiTransportKind.WebSocketBare)
        {
            return Deliver(connection, payload, summary, onSent);
        }

        var envelope = new JsonObject { ["messageType"] = isEvent ? "resourceEvent" : "resourceResponse" };
        if (!isEvent)
        {
            envelope["requestId"] = requestId;
        }

        envelope["resourceId"] = session.Id;
        if (Options.Nested)
        {
            envelope["message"] = payload;
        }
        else
        {
            // The payload was built for this one message: its members move into the envelope (no copies).
            foreach (var key in payload.Select(p => p.Key).ToList())
            {
                var value = payload[key];
                payload.Remove(key);
                envelope[key] = value;
            }
        }

        return Deliver(connection, envelope, (isEvent ? "resourceEvent " : "resourceResponse ") + summary, onSent);
    }

    /// <summary>How an answer of the setup phase is sent: after the core's delay, counted until delivered for CTI-009.</summary>
    internal enum Setup
    {
        None,

        /// <summary>Slowed by <see cref="CtiOptions.SetupDelay"/> (prepareSession answers).</summary>
        Delayed,

        /// <summary>A bindService answer: service requests depend on it.</summary>
        ServiceBinding,

        /// <summary>A bindResource answer: resource requests depend on it.</summary>
        ResourceBinding,
    }

    internal void SendDcp(CtiConnection connection, JsonObject message, string summary, Setup setup = Setup.None, Action? delivered = null)
    {
        if (setup == Setup.None)
        {
            Deliver(connection, message, summary, delivered);
            return;
        }

        if (setup == Setup.ServiceBinding)
        {
            Interlocked.Increment(ref connection.UndeliveredServiceBindings);
        }
        else if (setup == Setup.ResourceBinding)
        {
            Interlocked.Increment(ref connection.UndeliveredResourceBindings);
        }

        void OnSent()
        {
            if (setup == Setup.ServiceBinding)
            {
                Interlocked.Decrement(ref connection.UndeliveredServiceBindings);
            }
            else if (setup == Setup.ResourceBinding)
            {
                Interlocked.Decrement(ref connection.UndeliveredResourceBindings);
            }

            delivered?.Invoke();
        }

        if (Options.SetupDelay <= TimeSpan.Zero)
        {
            Deliver(connection, message, summary, OnSent);
            return;
        }

        // A slow core: the answer comes later (a client that took 200 for completion has moved on meanwhile, CTI-009).
        _ = DeliverLaterAsync();
        async Task DeliverLaterAsync()
        {
            try
            {
                await Task.Delay(Options.SetupDelay, Time, connection.Closed);
                Deliver(connection, message, summary, OnSent);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private bool Deliver(CtiConnection connection, JsonObject message, string summary, Action? onSent = null)
    {
        if (connection.Send(message, summary, onSent))
        {
            return true;
        }

        if (!connection.IsClosed)
        {
            // A client that does not read its messages: the queue is bounded, so it is disconnected (journaled).
            connection.Journal.Append(Direction.Internal, FrameKind.Note, $"the client does not read: {Options.OutboundCapacity} messages are queued; disconnecting");
            Disconnect(connection, "too slow: outbound queue full");
        }

        return false;
    }

    /// <summary>
    /// A session logged out or was replaced: it leaves the registry (so a long-running processor stays bounded) and
    /// stays with its bound client only, which it still answers (SessionInactive) until that client leaves.
    /// </summary>
    internal void Ended(CtiSession session)
    {
        if (!session.MarkEnded())
        {
            return;
        }

        _sessions.TryRemove(session.Id, out _);
        if (session.BoundBy is null or { IsClosed: true })
        {
            session.Stop();
        }

        SessionEnded?.Invoke(session);
    }

    private JsonObject ServiceInfo() => new()
    {
        ["serviceId"] = Options.ServiceId,
        ["type"] = "InteractionProcessor",
        ["vendor"] = "OpenMethods",
        ["version"] = "1.0",
        ["cti-vendor"] = Options.World.CtiVendor,
        ["cti-version"] = Options.World.CtiVersion,
        ["instance-domain"] = "protosim",
    };

    private static JsonObject CoreResponse(string? requestId, string? command, JsonObject data) => new()
    {
        ["messageType"] = "coreResponse",
        ["requestId"] = requestId,
        ["command"] = command,
        ["result"] = "success",
        ["data"] = data,
    };

    internal static JsonObject CoreError(string? requestId, string? command, string code, string message) => new()
    {
        ["messageType"] = "coreError",
        ["requestId"] = requestId,
        ["command"] = command,
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    };

    private static JsonObject ResourceError(string? requestId, string? resourceId, string? command, string code, string message) => new()
    {
        ["messageType"] = "resourceError",
        ["requestId"] = requestId,
        ["resourceId"] = resourceId,
        ["command"] = command,
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    };

    private static JsonObject ServiceAnswer(string? requestId, string serviceId, string? command, JsonObject request, string result, (string Code, string Message)? failure = null)
    {
        var answer = new JsonObject
        {
            ["messageType"] = "serviceResponse",
            ["requestId"] = requestId,
            ["serviceId"] = serviceId,
            ["command"] = command,
            ["result"] = result,
        };
        if (failure is { } f)
        {
            answer["failure"] = new JsonObject { ["code"] = f.Code, ["message"] = f.Message, ["context"] = "" };
        }

        if (result != "success")
        {
            var original = (JsonObject)request.DeepClone();
            original.Remove("messageType");
            original.Remove("requestId");
            answer["original"] = original;
        }

        return answer;
    }

    private static void Finding(CtiConnection connection, string rule, string message, string expected, string actual, long seq) =>
        connection.Journal.AddFinding(rule, message, expected, actual, seq);

    /// <summary>One line for the journal: message class, command or event name, target.</summary>
    internal static string Summarise(JsonObject message)
    {
        var parts = new[] { Text(message["messageType"]), Text(message["command"]) ?? Text(message["name"]), Text(message["target"]) };
        var line = string.Join(' ', parts.Where(p => p is not null));
        return line.Length == 0 ? "message without messageType" : line;
    }

    internal static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Stop();
        }

        foreach (var connection in _connections.Keys)
        {
            Disconnect(connection, "the processor stopped");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "CTI client {ClientId} connected over {Transport} from {Remote}")]
        public static partial void Connected(ILogger logger, string clientId, string transport, string remote);

        [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "CTI client {ClientId} disconnected: {Reason}")]
        public static partial void Disconnected(ILogger logger, string clientId, string reason);

        [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "The CTI processor failed on a message of client {ClientId}")]
        public static partial void Defect(ILogger logger, Exception exception, string clientId);
    }
}
