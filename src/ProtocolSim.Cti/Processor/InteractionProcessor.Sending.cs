using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using ProtocolSim.Core;

namespace ProtocolSim.Cti.Processor;

public sealed partial class InteractionProcessor
{
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
