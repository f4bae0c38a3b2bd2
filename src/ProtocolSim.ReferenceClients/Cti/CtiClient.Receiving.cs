using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

internal sealed partial class CtiClient
{
    // ---------------------------------------------------------------- receiving

    private ICtiTransport CreateTransport(string clientId, bool probe) => _kind switch
    {
        CtiTransportKind.Socket => new CtiSocketTransport(_fault, S.Endpoint, clientId, S.ClientName, OnMessage, Fail, _log),
        CtiTransportKind.Http => new CtiHttpTransport(_fault, S.Endpoint, clientId, S.ClientName, probe, OnMessage, Fail, _log),
        _ => new CtiWebSocketTransport(S.Endpoint, OnMessage, Fail, _log),
    };

    /// <summary>The receive loop's dispatch (CTI-030): DCP responses by messageType to their request, events to the model.</summary>
    private void OnMessage(JsonObject message)
    {
        var type = CtiJson.Str(message, "messageType");
        // CTI-033: context and members not in the document are ignored (the fault gives up on them).
        if (_fault == CtiClientFault.StrictMembers && message.Select(p => p.Key).FirstOrDefault(k => !KnownMembers.Contains(k)) is { } member)
        {
            Fail(new CtiFailure($"a {type} message with the unknown member \"{member}\""));
            return;
        }

        switch (type)
        {
            case "coreResponse" or "coreError" or "serviceResponse" or "serviceError" or "resourceResponse" or "resourceError":
                OnAnswer(type, message);
                break;
            case "resourceEvent":
                OnEvent(message);
                break;
            default:
                // coreEvent, serviceEvent and newer types carry nothing this desktop uses.
                break;
        }
    }

    private void OnAnswer(string type, JsonObject message)
    {
        var requestId = CtiJson.Str(message, "requestId");
        var target = CtiJson.Str(message, "target");
        Pending? match = null;
        lock (_gate)
        {
            if (_fault == CtiClientFault.TargetMatching && type is "resourceResponse" or "resourceError" && target is not null)
            {
                match = _pending.Find(p => p.Kind == RequestKind.Resource && p.Target == target);
            }

            // CTI-014: by requestId.
            match ??= _pending.Find(p => p.RequestId == requestId);
            if (match is not null)
            {
                _pending.Remove(match);
            }
        }

        if (match is null)
        {
            Log($"{type} {CtiJson.Str(message, "command")} ({requestId}) answers no pending request: ignored");
            return;
        }

        match.Answer.TrySetResult(message);
    }

    private void OnEvent(JsonObject message)
    {
        var name = CtiJson.Str(message, "name") ?? "";
        var target = CtiJson.Str(message, "target") ?? "";
        // CTI-035: unknown events are ignored (the fault gives up on them).
        if (_fault == CtiClientFault.StrictEventNames && !KnownEvents.Contains(name))
        {
            Fail(new CtiFailure($"unknown event \"{name}\""));
            return;
        }

        string? dropped = null;
        Pending? taken = null;
        List<(Waiter Waiter, object Value)> ready;
        lock (_gate)
        {
            if (_fault == CtiClientFault.EventsAfterResponseOnly && _pending.Count > 0)
            {
                dropped = "a request is waiting for its answer";
            }
            else if (_fault == CtiClientFault.IgnoresInitEvents && !_model.Initialized && name != "session.initialized")
            {
                dropped = "before session.initialized";
            }
            else
            {
                // CTI-025: the model, also from the events before session.initialized.
                _model.Apply(name, target, message["data"] as JsonObject);
            }

            if (_fault == CtiClientFault.TargetMatching && (taken = _pending.Find(p => p.Kind == RequestKind.Resource && p.Target == target)) is not null)
            {
                _pending.Remove(taken);
            }

            ready = TakeReady();
        }

        Log(dropped is null ? $"event {name} {target}" : $"event {name} {target} dropped ({dropped})");
        taken?.Answer.TrySetResult(message);
        foreach (var (waiter, value) in ready)
        {
            waiter.Done.TrySetResult(value);
        }
    }

    /// <summary>The connection broke (or a strict fault gave up): every pending request and wait fails.</summary>
    private void Fail(Exception failure)
    {
        List<Pending> pending;
        List<Waiter> waiters;
        lock (_gate)
        {
            if (_fatal is not null)
            {
                return;
            }

            _fatal = failure;
            pending = [.. _pending];
            waiters = [.. _waiters];
            _pending.Clear();
            _waiters.Clear();
        }

        foreach (var request in pending)
        {
            request.Answer.TrySetException(failure);
        }

        foreach (var waiter in waiters)
        {
            waiter.Done.TrySetException(failure);
        }
    }

    private void ThrowIfFailed()
    {
        if (_fatal is not null)
        {
            throw new CtiFailure(_fatal.Message);
        }
    }
}
