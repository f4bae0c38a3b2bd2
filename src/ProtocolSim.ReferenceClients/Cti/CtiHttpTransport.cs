using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Cti;

/// <summary>
/// The HTTP transport (docs/cti.md "HTTP"; HTTPT): <c>OPTIONS /direct</c>, <c>startSession</c>, requests posted to
/// <c>/direct/processRequest</c> (200 = queued), every answer and event from a long poll that runs from startSession to
/// endSession (CTI-008..-013).
/// </summary>
internal sealed class CtiHttpTransport : ICtiTransport
{
    private static readonly TimeSpan SlowPollPause = TimeSpan.FromSeconds(1.3);

    private readonly CtiClientFault _fault;
    private readonly Uri _base;
    private readonly string _clientName;
    private readonly bool _probe;
    private readonly Action<JsonObject> _receive;
    private readonly Action<Exception> _fail;
    private readonly TextWriter _log;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };
    private readonly CancellationTokenSource _stop = new();
    private Task _polling = Task.CompletedTask;
    private TaskCompletionSource _resume = Completed();
    private CancellationTokenSource? _currentPoll;
    private volatile bool _closing;
    private int _reported;

    public CtiHttpTransport(CtiClientFault fault, string baseUrl, string clientId, string clientName, bool probe, Action<JsonObject> receive, Action<Exception> fail, TextWriter log)
    {
        _fault = fault;
        _base = new Uri(baseUrl.TrimEnd('/') + "/", UriKind.Absolute);
        ClientId = clientId;
        _clientName = clientName;
        _probe = probe;
        _receive = receive;
        _fail = fail;
        _log = log;
    }

    /// <summary>The id the processor knows this client by: the one startSession returned.</summary>
    public string ClientId { get; private set; }

    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_probe && _fault != CtiClientFault.HttpNoProbe)
        {
            // CTI-013: ask whether the DCP prefix is served before using it.
            using var request = new HttpRequestMessage(HttpMethod.Options, new Uri(_base, "direct"));
            using var response = await _http.SendAsync(request, cancellationToken);
            var allow = string.Join(", ", response.Content.Headers.Allow);
            _log.WriteLine($"OPTIONS /direct → {(int)response.StatusCode}{(allow.Length > 0 ? " (Allow: " + allow + ")" : "")}");
            if (!response.IsSuccessStatusCode)
            {
                throw new CtiFailure($"the processor does not serve /direct (HTTP {(int)response.StatusCode})");
            }
        }

        if (_fault == CtiClientFault.HttpOwnClientId)
        {
            _log.WriteLine($"no startSession: using client id {ClientId}");
        }
        else
        {
            // CTI-008: startSession, then the id the processor returned.
            var (status, body) = await PostSessionsAsync(new JsonObject
            {
                ["messageType"] = "startSession",
                ["client"] = new JsonObject { ["id"] = ClientId, ["name"] = _clientName },
            }, cancellationToken);
            var id = CtiJson.Str(body, "id");
            if (status != HttpStatusCode.OK || string.IsNullOrEmpty(id))
            {
                throw new CtiFailure($"startSession → HTTP {(int)status} {(body is null ? "" : CtiJson.Serialize(body))}");
            }

            _log.WriteLine($"startSession {ClientId} → {(int)status}, client id {id}");
            ClientId = id;
        }

        _polling = PollLoopAsync(_stop.Token);
    }

    public async Task SendAsync(JsonObject message, CancellationToken cancellationToken)
    {
        using var content = new StringContent(CtiJson.Serialize(message), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(Endpoint("direct/processRequest"), content, cancellationToken);
        // CTI-009: 200 only means queued; the answer comes from the poll.
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new CtiFailure($"processRequest {CtiJson.Str(message, "command")} → HTTP {(int)response.StatusCode}");
        }
    }

    public async Task CloseAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        try
        {
            if (_fault == CtiClientFault.HttpNoEndSession)
            {
                _log.WriteLine("no endSession: stopping the poll loop and leaving");
                return;
            }

            // CTI-012: endSession, where 404 means the processor ended the client already. The poll runs until then.
            var (status, _) = await PostSessionsAsync(new JsonObject
            {
                ["messageType"] = "endSession",
                ["client"] = new JsonObject { ["id"] = ClientId },
            }, cancellationToken);
            _log.WriteLine(status == HttpStatusCode.NotFound ? "endSession → 404: already ended" : $"endSession → {(int)status}");
        }
        finally
        {
            await StopPollingAsync();
        }
    }

    /// <summary>CTI-010/-011 broken on purpose: neither poll nor send for <paramref name="duration"/>.</summary>
    public async Task IdleAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _resume, gate);
        try
        {
            Volatile.Read(ref _currentPoll)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // That poll already returned; the loop sees the gate before the next one.
        }

        try
        {
            await Task.Delay(duration, cancellationToken);
        }
        finally
        {
            gate.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _closing = true;
        await StopPollingAsync();
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task StopPollingAsync()
    {
        await _stop.CancelAsync();
        await _polling;
    }

    private Uri Endpoint(string path) => new(_base, $"{path}?clientId={Uri.EscapeDataString(ClientId)}");

    private async Task<(HttpStatusCode Status, JsonObject? Body)> PostSessionsAsync(JsonObject message, CancellationToken cancellationToken)
    {
        using var content = new StringContent(CtiJson.Serialize(message), Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(new Uri(_base, "sessions"), content, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) as JsonObject : null);
        }
        catch (JsonException)
        {
            return (response.StatusCode, null);
        }
    }

    /// <summary>CTI-010: one long poll after the other, re-issued as soon as one returns; messages dispatched in order.</summary>
    private async Task PollLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            // No new poll once the client is ending: endSession ends the one in flight.
            while (!cancellationToken.IsCancellationRequested && !_closing)
            {
                await Volatile.Read(ref _resume).Task.WaitAsync(cancellationToken);
                using var poll = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Volatile.Write(ref _currentPoll, poll);
                if (!Volatile.Read(ref _resume).Task.IsCompleted)
                {
                    continue;
                }

                HttpResponseMessage response;
                try
                {
                    response = await _http.GetAsync(Endpoint("direct/poll"), HttpCompletionOption.ResponseHeadersRead, poll.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    continue;
                }

                using (response)
                {
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Report(new CtiFailure(response.StatusCode == HttpStatusCode.NotFound
                            ? $"poll → 404: the processor does not know client {ClientId} (ended?)"
                            : $"poll → HTTP {(int)response.StatusCode}"));
                        return;
                    }

                    var body = CtiJson.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
                    var messages = body["messages"] as JsonArray ?? throw new CtiFailure("a poll answer without \"messages\"");
                    foreach (var message in messages)
                    {
                        _receive(message as JsonObject ?? throw new CtiFailure("a polled message that is not a JSON object"));
                    }
                }

                if (_fault == CtiClientFault.HttpSlowPoll)
                {
                    await Task.Delay(SlowPollPause, cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is HttpRequestException or IOException or JsonException or CtiFailure or TaskCanceledException)
        {
            Report(new CtiFailure("poll: " + e.Message));
        }
    }

    private void Report(Exception failure)
    {
        if (!_closing && Interlocked.Exchange(ref _reported, 1) == 0)
        {
            _fail(failure);
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource();
        done.SetResult();
        return done;
    }
}
