using System.Collections.Frozen;
using System.Globalization;
using System.Net.Sockets;
using System.Net.WebSockets;
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
internal sealed partial class CtiClient : IAsyncDisposable
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
}
