using System.Collections.Frozen;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

/// <summary>
/// A reference agent desktop of the CTI interaction processor (OpenMethods Harmony session resource, 004), running one
/// task of docs/cti.md's client contract: <c>login</c>, <c>logout</c>, <c>login-add-channel</c>,
/// <c>add-channel-group</c>, <c>answer-inbound</c>, <c>dial</c>. One code path: the conforming client follows cti.md §3;
/// each fault bends one step so that the client breaks only its rules. The session model (channels, groups,
/// interactions) is built from events alone, and every wait looks at that model, so secondary events may come before
/// or after their response and interleaved with others (CTI-034).
/// </summary>
internal sealed class CtiClient : IAsyncDisposable
{
    public static readonly string[] Tasks = ["login", "logout", "login-add-channel", "add-channel-group", "answer-inbound", "dial"];

    private const string GetDirectory = "session.request.getdirectory";

    /// <summary>How long the fault that takes failures for successes waits for effects that may never come.</summary>
    private static readonly TimeSpan IgnoredFailureWait = TimeSpan.FromSeconds(3);

    private static readonly object Seen = new();

    /// <summary>Top-level members of the DCP messages in docs/cti.md; only the strict fault cares (CTI-033).</summary>
    private static readonly FrozenSet<string> KnownMembers = new[]
    {
        "messageType", "requestId", "command", "result", "data", "error", "serviceId", "resourceId", "target", "failure", "original", "message", "name",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The events docs/cti.md lists (with the document's <c>channelgruop</c> typo); only the strict fault cares (CTI-035).</summary>
    private static readonly FrozenSet<string> KnownEvents = new[]
    {
        "session.initialized", "session.externalnotreadyreasons.updated", "session.externallogoutreasons.updated",
        "channel.created", "channel.initialized", "channel.infochanged", "channel.disposed", "state.updated",
        "channelgroup.created", "channelgroup.initialized", "channelgroup.disposed", "channelgruop.disposed",
        "interaction.created", "interaction.datachanged", "interaction.preview", "interaction.initialized", "interaction.ended",
        "conversation.created", "conversation.member.added", "conversation.initialized", "conversation.disposed",
    }.ToFrozenSet(StringComparer.Ordinal);

    private readonly CtiClientFault _fault;
    private readonly CtiTransportKind _kind;
    private readonly TextWriter _log;
    private readonly Lock _gate = new();
    private readonly List<Pending> _pending = [];
    private readonly List<Waiter> _waiters = [];
    private readonly SessionModel _model = new();
    private readonly string _clientId = NewClientId();
    private Exception? _fatal;
    private Settings? _settings;
    private ICtiTransport? _transport;
    private string _serviceId = "";
    private string? _ctiVendor;
    private string _sessionId = "";

    public CtiClient(CtiClientFault fault, CtiTransportKind kind, TextWriter log)
    {
        _fault = fault;
        _kind = kind;
        // The receive loop logs events while the task logs its steps.
        _log = TextWriter.Synchronized(log);
    }

    private Settings S => _settings ?? throw new InvalidOperationException("the client has not read its environment");

    private ICtiTransport Transport => _transport ?? throw new InvalidOperationException("not connected");

    /// <summary>CTI-052: the processor revision's names (the fault keeps the seed names).</summary>
    private bool CurrentNames => S.CurrentCommands && _fault != CtiClientFault.SeedNamesOnly;

    private string LogoutCommand => CurrentNames ? "session.request.logout" : "session.logout";

    private string AddChannelCommand => CurrentNames ? "session.request.addchannel" : "session.addchannel";

    /// <summary>Only the client that takes failures for successes stops waiting for the effects of a "success".</summary>
    private TimeSpan? EffectWait => _fault == CtiClientFault.IgnoresFailure ? IgnoredFailureWait : null;

    public async Task<int> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        _settings = Settings.Read(environment, _kind, errors);
        if (errors.Count > 0)
        {
            Log("invalid environment: " + string.Join("; ", errors));
            return 2;
        }

        var task = S.Task;
        try
        {
            if (!await LogInAsync(cancellationToken))
            {
                await Transport.CloseAsync(cancellationToken);
                Log($"{task}: stopped without logging in");
                return 0;
            }

            var outcome = task switch
            {
                "login" => await QueriesAsync(cancellationToken),
                "login-add-channel" => await AddChannelAsync(cancellationToken),
                "add-channel-group" => await AddChannelGroupAsync(cancellationToken),
                "answer-inbound" => await AnswerInboundAsync(cancellationToken),
                "dial" => await DialAsync(cancellationToken),
                _ => 0,
            };
            var loggedOut = await LogOutAsync(cancellationToken);
            await Transport.CloseAsync(cancellationToken);
            var code = outcome != 0 ? outcome : loggedOut ? 0 : 3;
            Log($"{task}: {(code == 0 ? "done" : code == 3 ? "refused by the processor" : "not done")}");
            return code;
        }
        catch (CtiRefusal e)
        {
            Log("refused by the processor: " + e.Message);
            await CloseQuietlyAsync(cancellationToken);
            return 3;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log($"{task}: cancelled");
            return 1;
        }
        catch (Exception e) when (e is CtiFailure or IOException or SocketException or HttpRequestException or WebSocketException or JsonException
                                   or TimeoutException or FormatException or InvalidOperationException or OperationCanceledException)
        {
            // OperationCanceledException here is an HTTP request that timed out, not the task's cancellation.
            Log("failed: " + e.Message);
            return 1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_transport is not null)
        {
            await _transport.DisposeAsync();
        }
    }

    // ---------------------------------------------------------------- log-in and log-out

    /// <summary>docs/cti.md "log-in"; false when the user keeps the existing session (nothing to log out).</summary>
    private async Task<bool> LogInAsync(CancellationToken cancellationToken)
    {
        _transport = CreateTransport(_clientId, probe: true);
        await _transport.OpenAsync(cancellationToken);

        if (_fault != CtiClientFault.NoStatus)
        {
            // CTI-016: log in only where the processor accepts clients.
            var status = await RequestAsync("getStatus", Core("getStatus"), RequestKind.Core, null, cancellationToken);
            Require(status, "getStatus");
            if (CtiJson.Bool(status["data"], "acceptingClients") == false)
            {
                throw new CtiRefusal("the processor does not accept clients");
            }
        }

        var services = await RequestAsync("getServices", Core("getServices"), RequestKind.Core, null, cancellationToken);
        Require(services, "getServices");
        var processor = (services["data"]?["services"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(s => CtiJson.Str(s, "type") == "InteractionProcessor")
            ?? throw new CtiFailure("getServices lists no InteractionProcessor service");
        _serviceId = CtiJson.Str(processor, "serviceId") ?? throw new CtiFailure("the InteractionProcessor service has no serviceId");
        _ctiVendor = CtiJson.Str(processor, "cti-vendor");
        Log($"interaction processor {_serviceId} (cti-vendor {_ctiVendor ?? "?"})");

        // CTI-015: bind the service before asking it anything.
        if (_fault != CtiClientFault.NoBindService)
        {
            await BindServiceAsync(cancellationToken);
        }

        // CTI-017/-018: model, override:false first; override:true only after the user agrees.
        var prepared = await PrepareSessionAsync(_fault == CtiClientFault.AlwaysOverride, cancellationToken);
        if (CtiJson.Str(prepared, "result") == "confirm")
        {
            Log("the processor asks: " + (CtiJson.Str(prepared, "message") ?? "replace the existing session?"));
            if (!S.ConfirmOverride)
            {
                Log("the user keeps the existing session: stopping");
                return false;
            }

            Log("the user agrees to replace the existing session");
            prepared = await PrepareSessionAsync(true, cancellationToken);
        }

        Require(prepared, "prepareSession");
        _sessionId = CtiJson.Str(prepared["data"], "resourceId") ?? throw new CtiFailure("prepareSession gave no data.resourceId");
        if (_fault == CtiClientFault.BindsFromOtherClient)
        {
            await SwitchClientAsync(cancellationToken);
        }

        // CTI-019: bind the session resource before sending it anything.
        if (_fault != CtiClientFault.NoBindResource)
        {
            await BindResourceAsync(cancellationToken);
        }

        // CTI-022/-023: session.start at once, and nothing before it.
        if (_fault == CtiClientFault.LateStart)
        {
            Log("waiting 3 s before session.start");
            await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        }

        if (_fault == CtiClientFault.RequestBeforeStart)
        {
            await ResourceAsync(GetDirectory, _sessionId, new JsonObject(), cancellationToken);
        }

        var started = await ResourceAsync("session.start", _sessionId, StartData(), cancellationToken);
        Require(started, "session.start");
        if (_fault == CtiClientFault.BindsHeldSession)
        {
            await BindFromSecondClientAsync(cancellationToken);
        }

        // CTI-025/-026: the model is complete at session.initialized; no channel or group request before it.
        if (_fault == CtiClientFault.EarlyChannelRequest && S.Task is "login-add-channel" or "add-channel-group" or "dial")
        {
            Log("not waiting for session.initialized");
            return true;
        }

        await WaitUntilAsync("session.initialized", () => _model.Initialized, cancellationToken);
        Log($"session {_sessionId}: {Read(() => _model.Summary())}");
        if (_fault == CtiClientFault.Reconnects)
        {
            await ReconnectAsync(cancellationToken);
        }

        // PROTOSIM_IDLE_SECONDS: the user does nothing for a while; the desktop keeps its transport alive meanwhile.
        if (S.Idle > TimeSpan.Zero)
        {
            if (_fault == CtiClientFault.HttpIdle && _transport is CtiHttpTransport http)
            {
                Log($"idle for {S.Idle.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s: no poll, no request");
                await http.IdleAsync(S.Idle, cancellationToken);
            }
            else
            {
                Log($"the user pauses {S.Idle.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s (the transport stays alive)");
                await Task.Delay(S.Idle, cancellationToken);
            }

            Log("pause over: going on");
        }

        return true;
    }

    /// <summary>CTI-024: the extension only for a processor that uses it (Avaya); always <c>data</c> (CTI-027).</summary>
    private JsonObject? StartData()
    {
        if (_fault == CtiClientFault.AlwaysExtension)
        {
            return new JsonObject { ["extension"] = S.Extension ?? "5001" };
        }

        if (S.Extension is not null && string.Equals(_ctiVendor, "Avaya", StringComparison.OrdinalIgnoreCase))
        {
            return new JsonObject { ["extension"] = S.Extension };
        }

        // CTI-027 (the fault): an empty data is left out instead of sent as {}.
        return _fault == CtiClientFault.NoData ? null : new JsonObject();
    }

    private async Task<JsonObject> PrepareSessionAsync(bool replace, CancellationToken cancellationToken)
    {
        var data = new JsonObject();
        if (_fault != CtiClientFault.NoModel)
        {
            data["model"] = S.Model;
        }

        data["override"] = replace;
        data["agent"] = new JsonObject { ["id"] = S.AgentId, ["password"] = S.Password };
        var message = new JsonObject
        {
            ["messageType"] = "serviceRequest",
            ["requestId"] = NextRequestId(),
            ["serviceId"] = _serviceId,
            ["command"] = "prepareSession",
            ["data"] = data,
        };
        return await RequestAsync($"prepareSession for agent {S.AgentId} (override {(replace ? "true" : "false")})", message, RequestKind.Service, null, cancellationToken);
    }

    private async Task BindServiceAsync(CancellationToken cancellationToken)
    {
        var message = Core("bindService");
        message["serviceId"] = _serviceId;
        if (_fault == CtiClientFault.HttpQueuedIsDone)
        {
            // CTI-009 (the fault): the 200 of processRequest taken for the answer.
            await SendAsync(Transport, message, RequestKind.Core, null, cancellationToken);
            Log("bindService → queued, taken for done");
            return;
        }

        Require(await RequestAsync("bindService", message, RequestKind.Core, null, cancellationToken), "bindService");
    }

    private async Task BindResourceAsync(CancellationToken cancellationToken)
    {
        var message = Core("bindResource");
        message["resourceId"] = _sessionId;
        if (_fault == CtiClientFault.HttpQueuedIsDone)
        {
            await SendAsync(Transport, message, RequestKind.Core, null, cancellationToken);
            Log($"bindResource {_sessionId} → queued, taken for done");
            return;
        }

        Require(await RequestAsync($"bindResource {_sessionId}", message, RequestKind.Core, null, cancellationToken), "bindResource");
    }

    /// <summary>CTI-021 (the fault): the HTTP client that prepared the session ends, another one binds it.</summary>
    private async Task SwitchClientAsync(CancellationToken cancellationToken)
    {
        var first = Transport;
        await first.CloseAsync(cancellationToken);
        await first.DisposeAsync();
        _transport = CreateTransport(NewClientId(), probe: false);
        await _transport.OpenAsync(cancellationToken);
    }

    /// <summary>CTI-020 (the fault): a second HTTP client binds the session this one holds, then goes away.</summary>
    private async Task BindFromSecondClientAsync(CancellationToken cancellationToken)
    {
        await using var second = new CtiHttpTransport(_fault, S.Endpoint, NewClientId(), S.ClientName, probe: false, OnMessage, e => Log("second client: " + e.Message), _log);
        await second.OpenAsync(cancellationToken);
        var message = Core("bindResource");
        message["resourceId"] = _sessionId;
        await RequestOnAsync(second, $"bindResource {_sessionId} from client {second.ClientId}", message, RequestKind.Core, null, cancellationToken);
        await second.CloseAsync(cancellationToken);
    }

    /// <summary>CTI-007 (the fault): a new connection per phase instead of one for the client's life.</summary>
    private async Task ReconnectAsync(CancellationToken cancellationToken)
    {
        Log("closing the connection to go on over a new one");
        await Transport.DisposeAsync();
        _transport = CreateTransport(_clientId, probe: false);
        await _transport.OpenAsync(cancellationToken);
        await BindServiceAsync(cancellationToken);
        await BindResourceAsync(cancellationToken);
    }

    /// <summary>docs/cti.md "log-out"; true when the processor confirmed it.</summary>
    private async Task<bool> LogOutAsync(CancellationToken cancellationToken)
    {
        var command = LogoutCommand;
        var answer = await SendAsync(Transport, Resource(command, _sessionId, _fault == CtiClientFault.NoData ? null : new JsonObject()), RequestKind.Resource, _sessionId, cancellationToken);
        JsonObject result;
        if (_fault == CtiClientFault.LogoutTimeout)
        {
            try
            {
                result = await AnsweredAsync(command, answer.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken), cancellationToken);
            }
            catch (TimeoutException)
            {
                Log($"{command}: no answer within 1 s; closing");
                return true;
            }
        }
        else
        {
            // CTI-036: the answer comes when logout completed, however long that takes.
            result = await AnsweredAsync(command, answer, cancellationToken);
        }

        // CTI-037: nothing more to the session after its logout.
        if (_fault == CtiClientFault.AfterLogout)
        {
            var late = await SendAsync(Transport, Resource(GetDirectory, _sessionId, new JsonObject()), RequestKind.Resource, _sessionId, cancellationToken);
            try
            {
                await AnsweredAsync(GetDirectory, late.WaitAsync(TimeSpan.FromSeconds(3), cancellationToken), cancellationToken);
            }
            catch (TimeoutException)
            {
                Log(GetDirectory + ": no answer within 3 s");
            }
        }

        return IsSuccess(result);
    }

    private async Task CloseQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_transport is not null)
            {
                await _transport.CloseAsync(cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or HttpRequestException or WebSocketException or CtiFailure or InvalidOperationException or OperationCanceledException)
        {
            Log("close: " + e.Message);
        }
    }

    // ---------------------------------------------------------------- tasks

    /// <summary><c>login</c>: the directory, then both reason lists, each answered (CTI-047..-049).</summary>
    private async Task<int> QueriesAsync(CancellationToken cancellationToken)
    {
        // CTI-028: session.* requests target the session.
        var target = _fault == CtiClientFault.AgentTarget ? S.AgentId : _sessionId;
        var failed = 0;
        if (_fault == CtiClientFault.DuplicateRequests)
        {
            var first = await SendAsync(Transport, Resource(GetDirectory, target, DirectoryData()), RequestKind.Resource, target, cancellationToken);
            var second = await SendAsync(Transport, Resource(GetDirectory, target, DirectoryData()), RequestKind.Resource, target, cancellationToken);
            failed += IsSuccess(await AnsweredAsync(GetDirectory, first, cancellationToken)) ? 0 : 1;
            failed += IsSuccess(await AnsweredAsync(GetDirectory, second, cancellationToken)) ? 0 : 1;
        }
        else
        {
            failed += IsSuccess(await ResourceAsync(GetDirectory, target, DirectoryData(), cancellationToken)) ? 0 : 1;
        }

        // CTI-048: the spelling of the responses, not the request example's typo.
        var notReady = _fault == CtiClientFault.DocumentTypo ? "session.request.externalnotredyreasons" : "session.request.externalnotreadyreasons";
        foreach (var (command, updated) in new[] { (notReady, "session.externalnotreadyreasons.updated"), ("session.request.externallogoutreasons", "session.externallogoutreasons.updated") })
        {
            failed += IsSuccess(await ResourceAsync(command, target, new JsonObject(), cancellationToken)) ? 0 : 1;
            // CTI-049: the lists come as events only where the platform supports them; never wait for them.
            if (_fault == CtiClientFault.WaitsForReasons)
            {
                await WaitUntilAsync(updated, () => _model.SessionUpdates.Contains(updated), cancellationToken);
            }
        }

        return failed == 0 || _fault == CtiClientFault.AgentTarget ? 0 : 3;
    }

    private JsonObject DirectoryData() => _fault == CtiClientFault.DirectoryWithData ? new JsonObject { ["filter"] = "*" } : new JsonObject();

    /// <summary><c>login-add-channel</c>: add, wait for channel.initialized, wait for no active interaction, remove, wait for channel.disposed.</summary>
    private async Task<int> AddChannelAsync(CancellationToken cancellationToken)
    {
        var endpoint = S.ChannelEndpoint ?? "";
        // CTI-038: the type as documented (Telephony, Chat, Email).
        var type = _fault == CtiClientFault.LowercaseType ? new string(S.ChannelType.Select(char.ToLowerInvariant).ToArray()) : S.ChannelType;
        var mark = Read(() => _model.Mark);
        var added = await ResourceAsync(AddChannelCommand, _sessionId, new JsonObject { ["channel"] = new JsonObject { ["endpoint"] = endpoint, ["type"] = type } }, cancellationToken);
        if (!IsSuccess(added))
        {
            // CTI-031: a failed add has no channel and no events; the task ends.
            return 3;
        }

        if (_fault == CtiClientFault.IgnoresFailure && CtiJson.Str(added, "result") != "success")
        {
            // CTI-031 (the fault): a failure taken for a success; the only key at hand is the endpoint.
            await ResourceAsync("session.removechannel", _sessionId, new JsonObject { ["channel"] = new JsonObject { ["id"] = endpoint } }, cancellationToken);
            await WaitForAsync("channel.disposed", () => _model.Channels.Find(c => c.DisposedAt > mark), IgnoredFailureWait, cancellationToken);
            return 0;
        }

        // The new channel is the one created after the request with this endpoint (its events may precede the answer).
        var channel = await WaitForAsync($"channel.created for {endpoint}", () => _model.Channels.Find(c => c.Seq > mark && c.Endpoint == endpoint), EffectWait, cancellationToken);
        if (channel is null)
        {
            return 0;
        }

        // CTI-039: use the channel only after its channel.initialized.
        if (_fault != CtiClientFault.EarlyChannelUse)
        {
            await WaitForAsync($"channel.initialized {channel.Id}", () => channel.Initialized || channel.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        }

        // PROTOSIM_HOLD_SECONDS: the user keeps the channel a while before removing it.
        if (S.Hold > TimeSpan.Zero)
        {
            Log($"the user keeps {channel.Id} {S.Hold.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
            await Task.Delay(S.Hold, cancellationToken);
        }

        return await RemoveChannelAsync(channel, endpoint, cancellationToken);
    }

    private async Task<int> RemoveChannelAsync(ChannelState channel, string endpoint, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            // CTI-041: never remove a channel with an active interaction (the fault tries first and waits after ActiveInteraction).
            if (_fault != CtiClientFault.RemovesBusyChannel || attempt > 0)
            {
                await WaitUntilAsync($"no active interaction on {channel.Id}", () => !_model.Busy(channel), cancellationToken);
            }

            // CTI-040: the channel by its id.
            var key = _fault == CtiClientFault.RemoveByEndpoint ? new JsonObject { ["endpoint"] = endpoint } : new JsonObject { ["id"] = channel.Id };
            var removed = await ResourceAsync("session.removechannel", _sessionId, new JsonObject { ["channel"] = key }, cancellationToken);
            if (IsSuccess(removed))
            {
                break;
            }

            // A call may have come between the wait and the request: one more try once it ended.
            if (attempt > 0 || FailureCode(removed) != "ActiveInteraction")
            {
                return 3;
            }
        }

        // CTI-042: the channel leaves the model at channel.disposed.
        await WaitForAsync($"channel.disposed {channel.Id}", () => channel.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        return 0;
    }

    /// <summary><c>add-channel-group</c>: add, wait for channelgroup.initialized, wait for idle members, remove (resynchronising after a partial failure).</summary>
    private async Task<int> AddChannelGroupAsync(CancellationToken cancellationToken)
    {
        var name = S.Group ?? "";
        // CTI-043: the name and the three flags.
        var spec = new JsonObject { ["name"] = name };
        if (_fault != CtiClientFault.GroupWithoutFlags)
        {
            spec["chat"] = S.GroupChat;
            spec["email"] = S.GroupEmail;
            spec["callback"] = S.GroupCallback;
        }

        var mark = Read(() => _model.Mark);
        var added = await ResourceAsync("session.addchannelgroup", _sessionId, new JsonObject { ["channelgroup"] = spec }, cancellationToken);
        if (!IsSuccess(added))
        {
            return 3;
        }

        var group = await WaitForAsync($"channelgroup.created for {name}", () => _model.Groups.Find(g => g.Seq > mark && (g.Name is null || g.Name == name)), EffectWait, cancellationToken);
        if (group is null)
        {
            return 0;
        }

        // CTI-044: use the group only after channelgroup.initialized (which follows its members' channel.initialized).
        if (_fault != CtiClientFault.EarlyGroupUse)
        {
            await WaitForAsync($"channelgroup.initialized {group.Id}", () => group.Initialized || group.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        }

        for (var attempt = 0; ; attempt++)
        {
            // CTI-041, CTI-046: wait for the members the model still has (after a partial removal, the ones not disposed).
            if (_fault != CtiClientFault.RemovesBusyChannel || attempt > 0)
            {
                await WaitUntilAsync($"no active interaction in group {group.Id}", () => !_model.Members(group).Any(_model.Busy), cancellationToken);
            }

            var known = Read(() => _model.Members(group).ToList());
            // CTI-045: the group id under "channel", as documented.
            var key = _fault == CtiClientFault.GroupKey ? "channelgroup" : "channel";
            var removed = await ResourceAsync("session.removechannelgroup", _sessionId, new JsonObject { [key] = new JsonObject { ["id"] = group.Id } }, cancellationToken);
            if (IsSuccess(removed))
            {
                break;
            }

            if (attempt > 0 || FailureCode(removed) != "ActiveInteraction")
            {
                return 3;
            }

            if (_fault == CtiClientFault.NoResync)
            {
                // CTI-046 (the fault): the members as they were before the partial removal, disposed or not.
                foreach (var member in known)
                {
                    await ResourceAsync("session.removechannel", _sessionId, new JsonObject { ["channel"] = new JsonObject { ["id"] = member.Id } }, cancellationToken);
                }
            }
        }

        await WaitForAsync($"channelgroup.disposed {group.Id}", () => group.DisposedAt > 0 ? Seen : null, EffectWait, cancellationToken);
        return 0;
    }

    /// <summary><c>answer-inbound</c>: an alerting inbound call on a telephony channel of the model, answered, then its end.</summary>
    private async Task<int> AnswerInboundAsync(CancellationToken cancellationToken)
    {
        var call = await WaitForAsync<InteractionState>("an alerting inbound call", _model.AlertingCall, null, cancellationToken) ?? throw new InvalidOperationException("no call");
        var conversation = Read(() => call.ConversationTarget) ?? "";
        var outcome = 0;
        for (var attempt = 0; ; attempt++)
        {
            // CTI-051: a phone call is answered on its conversation.
            var answer = _fault == CtiClientFault.AcceptsCalls
                ? await ResourceAsync("interaction.accept", call.Target, new JsonObject(), cancellationToken)
                : await ResourceAsync("conversation.answer", conversation, new JsonObject(), cancellationToken);
            if (IsSuccess(answer))
            {
                break;
            }

            if (!RetriesAfter(answer, attempt))
            {
                outcome = 3;
                break;
            }
        }

        await WaitUntilAsync($"interaction.ended {call.Id}", () => call.Ended, cancellationToken);
        return outcome;
    }

    /// <summary><c>dial</c>: channel.dial on the first telephony channel, then the call's initialization and end.</summary>
    private async Task<int> DialAsync(CancellationToken cancellationToken)
    {
        if (_fault == CtiClientFault.EarlyChannelRequest)
        {
            await WaitUntilAsync("a telephony channel", () => _model.Initialized || _model.FirstTelephony() is not null, cancellationToken);
        }

        var channel = Read(_model.FirstTelephony);
        if (channel is null)
        {
            Log("no telephony channel in the session");
            return 1;
        }

        var mark = Read(() => _model.Mark);
        for (var attempt = 0; ; attempt++)
        {
            var dialled = await ResourceAsync("channel.dial", channel.Target, new JsonObject { ["destination"] = S.DialDestination, ["extensions"] = new JsonObject() }, cancellationToken);
            if (IsSuccess(dialled))
            {
                break;
            }

            if (!RetriesAfter(dialled, attempt))
            {
                return 3;
            }
        }

        var call = await WaitForAsync("interaction.initialized", () => _model.Interactions.Find(i => i.Seq > mark && i.ChannelTarget == channel.Target && (i.Initialized || i.Ended)), EffectWait, cancellationToken);
        if (call is not null)
        {
            await WaitUntilAsync($"interaction.ended {call.Id}", () => call.Ended, cancellationToken);
        }

        return 0;
    }

    /// <summary>CTI-050: telephony is optional; Unsupported is an answer, not a reason to try again (the fault retries 3 times).</summary>
    private bool RetriesAfter(JsonObject answer, int attempt)
    {
        if (_fault == CtiClientFault.RetriesUnsupported && attempt < 3 && FailureCode(answer) == "Unsupported")
        {
            Log("retrying after Unsupported");
            return true;
        }

        return false;
    }

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

    // ---------------------------------------------------------------- waiting on the model

    private sealed class Waiter(Func<object?> probe)
    {
        public Func<object?> Probe => probe;

        public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Under <see cref="_gate"/>: the waiters whose condition now holds, with what they found.</summary>
    private List<(Waiter Waiter, object Value)> TakeReady()
    {
        var ready = new List<(Waiter, object)>();
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Probe() is { } value)
            {
                ready.Add((_waiters[i], value));
                _waiters.RemoveAt(i);
            }
        }

        return ready;
    }

    private T Read<T>(Func<T> read)
    {
        lock (_gate)
        {
            return read();
        }
    }

    private async Task WaitUntilAsync(string what, Func<bool> condition, CancellationToken cancellationToken) =>
        await WaitForAsync(what, () => condition() ? Seen : null, null, cancellationToken);

    /// <summary>
    /// Waits until <paramref name="probe"/> (run under the lock, on the model) finds something: at once when the model
    /// already shows it, whatever order the events came in. Null when <paramref name="limit"/> passes first.
    /// </summary>
    private async Task<T?> WaitForAsync<T>(string what, Func<T?> probe, TimeSpan? limit, CancellationToken cancellationToken)
        where T : class
    {
        T? found;
        Waiter? waiter = null;
        lock (_gate)
        {
            ThrowIfFailed();
            found = probe();
            if (found is null)
            {
                waiter = new Waiter(probe);
                _waiters.Add(waiter);
            }
        }

        if (waiter is null)
        {
            Log(what + ": yes");
            return found;
        }

        Log("waiting for " + what);
        try
        {
            var value = limit is { } within ? await waiter.Done.Task.WaitAsync(within, cancellationToken) : await waiter.Done.Task.WaitAsync(cancellationToken);
            Log(what + ": yes");
            return (T)value;
        }
        catch (TimeoutException)
        {
            Log($"{what}: not within {limit?.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; going on");
            return null;
        }
        finally
        {
            lock (_gate)
            {
                _waiters.Remove(waiter);
            }
        }
    }

    private void Log(string line) => _log.WriteLine(line);

    // ---------------------------------------------------------------- the session model

    private static string Parent(string target) => target.LastIndexOf('.') is var dot and >= 0 ? target[..dot] : "";

    private static string Last(string target) => target[(target.LastIndexOf('.') + 1)..];

    /// <summary>The target of the object an event is about: most name the object itself; one naming its owner gets the id appended.</summary>
    private static string Own(string target, string? id) =>
        id is null || target == id || target.EndsWith("." + id, StringComparison.Ordinal) ? target : target + "." + id;

    private static bool IsTelephony(string? type) => string.Equals(type, "Telephony", StringComparison.OrdinalIgnoreCase);

    private sealed class ChannelState(string target, string? endpoint, string? type, long seq)
    {
        public string Target => target;

        public string Id => Last(target);

        /// <summary>The session, or the group a group's channel belongs to.</summary>
        public string Owner => Parent(target);

        public string? Endpoint => endpoint;

        public string? Type => type;

        public long Seq => seq;

        public bool Initialized { get; set; }

        public long DisposedAt { get; set; }
    }

    private sealed class GroupState(string target, string? name, long seq)
    {
        public string Target => target;

        public string Id => Last(target);

        public string? Name => name;

        public long Seq => seq;

        public bool Initialized { get; set; }

        public long DisposedAt { get; set; }
    }

    private sealed class InteractionState(string target, string? type, string? direction, long seq)
    {
        public string Target => target;

        public string Id => Last(target);

        public string ChannelTarget => Parent(target);

        public string? Type => type;

        public string? Direction => direction;

        public long Seq => seq;

        public string? State { get; set; }

        public string? ConversationTarget { get; set; }

        public bool Initialized { get; set; }

        public bool Ended { get; set; }
    }

    /// <summary>Channels, groups and interactions as the events describe them (004 secondary events; docs/cti.md). Used under the client's lock.</summary>
    private sealed class SessionModel
    {
        private long _seq;

        public bool Initialized { get; private set; }

        /// <summary>The number of events applied so far: objects created after a request have a higher <c>Seq</c>.</summary>
        public long Mark => _seq;

        public List<ChannelState> Channels { get; } = [];

        public List<GroupState> Groups { get; } = [];

        public List<InteractionState> Interactions { get; } = [];

        public HashSet<string> SessionUpdates { get; } = new(StringComparer.Ordinal);

        public void Apply(string name, string target, JsonObject? data)
        {
            var seq = ++_seq;
            switch (name)
            {
                case "session.initialized":
                    Initialized = true;
                    break;
                case "channel.created":
                    var channel = data?["channel"];
                    Channels.Add(new ChannelState(Own(target, CtiJson.Str(channel, "id")), CtiJson.Str(channel, "endpoint"), CtiJson.Str(channel, "type"), seq));
                    break;
                case "channel.initialized":
                    if (FindChannel(target, data) is { } initialized)
                    {
                        initialized.Initialized = true;
                    }

                    break;
                case "channel.disposed":
                    if (FindChannel(target, data) is { } disposed)
                    {
                        disposed.DisposedAt = seq;
                    }

                    break;
                case "channelgroup.created":
                    var group = data?["channelgroup"];
                    Groups.Add(new GroupState(Own(target, CtiJson.Str(group, "id")), CtiJson.Str(group, "name"), seq));
                    break;
                case "channelgroup.initialized":
                    if (FindGroup(target, data) is { } ready)
                    {
                        ready.Initialized = true;
                    }

                    break;
                case "channelgroup.disposed" or "channelgruop.disposed":
                    // The document's typo (cti.md §6.2) names the same event.
                    if (FindGroup(target, data) is { } gone)
                    {
                        gone.DisposedAt = seq;
                    }

                    break;
                case "interaction.created":
                    var interaction = data?["interaction"];
                    Interactions.Add(new InteractionState(Own(target, CtiJson.Str(interaction, "id")), CtiJson.Str(interaction, "type"), CtiJson.Str(interaction, "direction"), seq));
                    break;
                case "interaction.initialized":
                    if (FindInteraction(target, data) is { } complete)
                    {
                        complete.Initialized = true;
                    }

                    break;
                case "interaction.ended":
                    if (FindInteraction(target, data) is { } ended)
                    {
                        ended.Ended = true;
                    }

                    break;
                case "conversation.created":
                    var conversation = CtiJson.Str(data?["conversation"], "id");
                    if (conversation is not null && Interactions.FindLast(i => i.Target == target) is { } owner)
                    {
                        owner.ConversationTarget = target + "." + conversation;
                    }
                    else if (Interactions.FindLast(i => i.Target == Parent(target)) is { } parent)
                    {
                        parent.ConversationTarget = target;
                    }

                    break;
                case "state.updated":
                    if (CtiJson.Str(data, "state") is { } state && Interactions.FindLast(i => i.Target == target) is { } changed)
                    {
                        changed.State = state;
                    }

                    break;
                default:
                    if (name.StartsWith("session.", StringComparison.Ordinal) && name.EndsWith(".updated", StringComparison.Ordinal))
                    {
                        SessionUpdates.Add(name);
                    }

                    // Other events (infochanged, datachanged, preview, members, unknown names) change nothing used here (CTI-035).
                    break;
            }
        }

        public bool Busy(ChannelState channel) => Interactions.Exists(i => !i.Ended && i.ChannelTarget == channel.Target);

        public IEnumerable<ChannelState> Members(GroupState group) => Channels.Where(c => c.DisposedAt == 0 && c.Owner == group.Target);

        public ChannelState? FirstTelephony() => Channels.Find(c => c.DisposedAt == 0 && IsTelephony(c.Type));

        /// <summary>An inbound call alerting on a telephony channel of the model, with its conversation known.</summary>
        public InteractionState? AlertingCall() => Interactions.Find(i =>
            !i.Ended
            && string.Equals(i.State, "ALERTING", StringComparison.OrdinalIgnoreCase)
            && i.ConversationTarget is not null
            && (i.Direction is null || string.Equals(i.Direction, "inbound", StringComparison.OrdinalIgnoreCase))
            && Channels.FindLast(c => c.Target == i.ChannelTarget) is { DisposedAt: 0 } channel
            && IsTelephony(channel.Type ?? i.Type));

        public string Summary() =>
            $"{Channels.Count(c => c.DisposedAt == 0)} channel(s), {Groups.Count(g => g.DisposedAt == 0)} group(s), {Interactions.Count(i => !i.Ended)} active interaction(s)";

        private ChannelState? FindChannel(string target, JsonObject? data)
        {
            var own = Own(target, CtiJson.Str(data?["channel"], "id"));
            return Channels.FindLast(c => c.Target == own);
        }

        private GroupState? FindGroup(string target, JsonObject? data)
        {
            var own = Own(target, CtiJson.Str(data?["channelgroup"], "id"));
            return Groups.FindLast(g => g.Target == own);
        }

        private InteractionState? FindInteraction(string target, JsonObject? data)
        {
            var own = Own(target, CtiJson.Str(data?["interaction"], "id"));
            return Interactions.FindLast(i => i.Target == own);
        }
    }

    // ---------------------------------------------------------------- environment

    /// <summary>The <c>PROTOSIM_*</c> task contract of docs/cti.md, read and checked at once (every error reported).</summary>
    private sealed record Settings(
        string Task,
        string Endpoint,
        string AgentId,
        string Password,
        string Model,
        string ClientName,
        bool ConfirmOverride,
        bool CurrentCommands,
        string? Extension,
        string? ChannelEndpoint,
        string ChannelType,
        string? Group,
        bool GroupChat,
        bool GroupEmail,
        bool GroupCallback,
        string? DialDestination,
        TimeSpan Idle,
        TimeSpan Hold)
    {
        public static Settings Read(IReadOnlyDictionary<string, string> environment, CtiTransportKind kind, List<string> errors)
        {
            string? Get(string key) => environment.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value) ? value : null;

            string Need(string key)
            {
                var value = Get(key);
                if (value is null)
                {
                    errors.Add(key + " is not set");
                }

                return value ?? "";
            }

            bool Choice(string key, string yes, string no, string fallback)
            {
                var value = Get(key) ?? fallback;
                if (!string.Equals(value, yes, StringComparison.OrdinalIgnoreCase) && !string.Equals(value, no, StringComparison.OrdinalIgnoreCase))
                {
                    errors.Add($"{key} is \"{value}\", not {yes} or {no}");
                }

                return string.Equals(value, yes, StringComparison.OrdinalIgnoreCase);
            }

            var task = Need("PROTOSIM_TASK");
            if (task.Length > 0 && !Tasks.Contains(task, StringComparer.Ordinal))
            {
                errors.Add($"PROTOSIM_TASK \"{task}\" is not one of {string.Join(", ", Tasks)}");
            }

            var (key, file) = kind switch
            {
                CtiTransportKind.Socket => ("PROTOSIM_CTI_TCP", "ctiTcp"),
                CtiTransportKind.Http => ("PROTOSIM_CTI_HTTP_URL", "ctiHttp"),
                _ => ("PROTOSIM_CTI_WS_URL", "ctiWebSocket"),
            };
            var endpoint = Get(key) ?? FromEndpointsFile(Get("PROTOSIM_ENDPOINTS"), file, errors) ?? "";
            if (endpoint.Length == 0)
            {
                errors.Add($"{key} is not set (nor {file} in PROTOSIM_ENDPOINTS)");
            }
            else if (!ValidEndpoint(kind, endpoint))
            {
                errors.Add($"{key} \"{endpoint}\" is not a {(kind == CtiTransportKind.Socket ? "tcp://host:port" : "URL")}");
            }

            var idleText = Get("PROTOSIM_IDLE_SECONDS") ?? "0";
            if (!double.TryParse(idleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var idle) || idle is < 0 or > 3600)
            {
                errors.Add($"PROTOSIM_IDLE_SECONDS \"{idleText}\" is not a number of seconds");
                idle = 0;
            }

            var holdText = Get("PROTOSIM_HOLD_SECONDS") ?? "0";
            if (!double.TryParse(holdText, NumberStyles.Float, CultureInfo.InvariantCulture, out var hold) || hold is < 0 or > 3600)
            {
                errors.Add($"PROTOSIM_HOLD_SECONDS \"{holdText}\" is not a number of seconds");
                hold = 0;
            }

            return new Settings(
                task,
                endpoint,
                Need("PROTOSIM_AGENT_ID"),
                Need("PROTOSIM_AGENT_PASSWORD"),
                Need("PROTOSIM_CTI_MODEL"),
                Get("PROTOSIM_CLIENT_NAME") ?? "ProtocolSim desktop",
                Choice("PROTOSIM_CONFIRM_OVERRIDE", "yes", "no", "no"),
                Choice("PROTOSIM_CTI_COMMANDS", "current", "seed", "seed"),
                Get("PROTOSIM_CTI_EXTENSION"),
                task == "login-add-channel" ? Need("PROTOSIM_CHANNEL_ENDPOINT") : Get("PROTOSIM_CHANNEL_ENDPOINT"),
                Get("PROTOSIM_CHANNEL_TYPE") ?? "Telephony",
                task == "add-channel-group" ? Need("PROTOSIM_CHANNEL_GROUP") : Get("PROTOSIM_CHANNEL_GROUP"),
                Choice("PROTOSIM_GROUP_CHAT", "true", "false", "false"),
                Choice("PROTOSIM_GROUP_EMAIL", "true", "false", "false"),
                Choice("PROTOSIM_GROUP_CALLBACK", "true", "false", "false"),
                task == "dial" ? Need("PROTOSIM_DIAL_DESTINATION") : Get("PROTOSIM_DIAL_DESTINATION"),
                TimeSpan.FromSeconds(idle),
                TimeSpan.FromSeconds(hold));
        }

        private static bool ValidEndpoint(CtiTransportKind kind, string endpoint)
        {
            if (kind == CtiTransportKind.Socket)
            {
                try
                {
                    CtiSocketTransport.ParseEndpoint(endpoint);
                    return true;
                }
                catch (FormatException)
                {
                    return false;
                }
            }

            return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri)
                && (kind == CtiTransportKind.Http ? uri.Scheme is "http" or "https" : uri.Scheme is "ws" or "wss");
        }

        /// <summary>The endpoints file of <c>protosim serve</c>, for a transport whose variable is missing.</summary>
        private static string? FromEndpointsFile(string? path, string key, List<string> errors)
        {
            if (path is null)
            {
                return null;
            }

            try
            {
                return CtiJson.Str(JsonNode.Parse(File.ReadAllText(path)), key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
            {
                errors.Add($"PROTOSIM_ENDPOINTS {path}: {e.Message}");
                return null;
            }
        }
    }
}
