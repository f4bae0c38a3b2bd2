using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

internal sealed partial class CtiClient
{
    // ---------------------------------------------------------------- requests

    private enum RequestKind
    {
        Core,
        Service,
        Resource,
    }

    private sealed class Pending(string requestId, RequestKind kind, string? target)
    {
        public string RequestId => requestId;

        public RequestKind Kind => kind;

        public string? Target => target;

        public TaskCompletionSource<JsonObject> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>CTI-014: a unique requestId per request.</summary>
    private string NextRequestId() => _fault == CtiClientFault.ReusedRequestId ? "1" : Guid.NewGuid().ToString();

    private static string NewClientId() => "desk-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    private JsonObject Core(string command) => new() { ["messageType"] = "coreRequest", ["requestId"] = NextRequestId(), ["command"] = command };

    /// <summary>CTI-027/-028/-032: command, target and data (<c>{}</c> when empty), no context.</summary>
    private JsonObject Resource(string command, string target, JsonObject? data)
    {
        var message = new JsonObject
        {
            ["messageType"] = "resourceRequest",
            ["requestId"] = NextRequestId(),
            ["resourceId"] = _sessionId,
            ["command"] = command,
            ["target"] = target,
        };
        if (data is not null)
        {
            message["data"] = data;
        }

        if (_fault == CtiClientFault.SendsContext)
        {
            message["context"] = new JsonObject { ["client"] = "debug" };
        }

        return message;
    }

    private Task<JsonObject> ResourceAsync(string command, string target, JsonObject? data, CancellationToken cancellationToken) =>
        RequestAsync(target == _sessionId ? command : $"{command} on {target}", Resource(command, target, data), RequestKind.Resource, target, cancellationToken);

    private Task<JsonObject> RequestAsync(string label, JsonObject message, RequestKind kind, string? target, CancellationToken cancellationToken) =>
        RequestOnAsync(Transport, label, message, kind, target, cancellationToken);

    private async Task<JsonObject> RequestOnAsync(ICtiTransport transport, string label, JsonObject message, RequestKind kind, string? target, CancellationToken cancellationToken) =>
        await AnsweredAsync(label, await SendAsync(transport, message, kind, target, cancellationToken), cancellationToken);

    /// <summary>Sends a request and returns its answer-to-be; the request is pending before it leaves, as its answer may come at once.</summary>
    private async Task<Task<JsonObject>> SendAsync(ICtiTransport transport, JsonObject message, RequestKind kind, string? target, CancellationToken cancellationToken)
    {
        var pending = new Pending(CtiJson.Str(message, "requestId") ?? "", kind, target);
        lock (_gate)
        {
            ThrowIfFailed();
            _pending.Add(pending);
        }

        try
        {
            await transport.SendAsync(message, cancellationToken);
        }
        catch
        {
            lock (_gate)
            {
                _pending.Remove(pending);
            }

            throw;
        }

        return pending.Answer.Task;
    }

    private async Task<JsonObject> AnsweredAsync(string label, Task<JsonObject> answer, CancellationToken cancellationToken)
    {
        var message = await answer.WaitAsync(cancellationToken);
        Log($"{label} → {Describe(message)}");
        return message;
    }

    private void Require(JsonObject answer, string what)
    {
        if (!IsSuccess(answer))
        {
            throw new CtiRefusal($"{what}: {Describe(answer)}");
        }
    }

    /// <summary>CTI-031: only <c>result</c> "success" is a success.</summary>
    private bool IsSuccess(JsonObject answer)
    {
        var type = CtiJson.Str(answer, "messageType");
        if (type is "coreError" or "serviceError" or "resourceError")
        {
            return false;
        }

        // The faults: an event taken for the answer (CTI-030), any resourceResponse taken for a success (CTI-031).
        if (_fault == CtiClientFault.TargetMatching && type == "resourceEvent" || _fault == CtiClientFault.IgnoresFailure && type == "resourceResponse")
        {
            return true;
        }

        return CtiJson.Str(answer, "result") == "success";
    }

    private static string? FailureCode(JsonObject answer) => CtiJson.Str(answer["failure"], "code") ?? CtiJson.Str(answer["error"], "code");

    private static string Describe(JsonObject answer)
    {
        if (CtiJson.Str(answer, "name") is { } name)
        {
            return $"event {name} taken for the answer";
        }

        var result = CtiJson.Str(answer, "result") ?? CtiJson.Str(answer, "messageType") ?? "?";
        var failure = answer["failure"] ?? answer["error"];
        return failure is null ? result : $"{result} {CtiJson.Str(failure, "code")}: {CtiJson.Str(failure, "message")}";
    }
}
