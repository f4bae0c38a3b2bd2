using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Processor;

public sealed partial class InteractionProcessor
{
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
}
