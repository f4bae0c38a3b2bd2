using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.Knowlarity;

internal sealed partial class KnowlarityClient
{
    // ---------------------------------------------------------------- notifications

    /// <summary>KRS-009, KRS-029, KNS-001: registered (an array) and enabled (a string) before calls and the stream.</summary>
    private async Task EnsureRegisteredAsync(CancellationToken cancellationToken)
    {
        var sr = SrNumber;
        var list = await SendAsync(HttpMethod.Get, "/notifications", cancellationToken, query: ("knowlarity_number", sr));
        var registration = IsError(list) ? null : list.Body?["objects"]?.AsArray().FirstOrDefault(o => o?["k_number"]?.ToString() == sr);
        if (registration is null)
        {
            await RequireAsync(SendAsync(HttpMethod.Post, "/notifications", cancellationToken, new JsonObject { ["knowlarity_number"] = new JsonArray(sr) }));
        }
        else if (registration["enable"]?.GetValue<bool>() != true)
        {
            JsonNode number = fault == KnowlarityClientFault.EnableWithArray ? new JsonArray(sr) : JsonValue.Create(sr);
            await RequireAsync(SendAsync(HttpMethod.Put, "/notifications", cancellationToken, new JsonObject { ["knowlarity_number"] = number, ["enable"] = "enable" }));
        }
    }

    /// <summary>
    /// Reads the stream (KNS-002..-005, -016, -017): SSE parsed incrementally, one event per <c>data:</c> field; on end or
    /// failure it reconnects after 0.5 s, doubling to 8 s. Each event goes to <paramref name="handle"/>, which returns
    /// true when the task is done.
    /// </summary>
    private async Task WatchStreamAsync(Func<JsonObject, Task<bool>> handle, TaskCompletionSource? opened, CancellationToken cancellationToken)
    {
        var key = fault == KnowlarityClientFault.AccessKeyInPath ? Env("PROTOSIM_X_API_KEY") : Env("PROTOSIM_SR_API_KEY");
        var url = $"{Env("PROTOSIM_KNOWLARITY_NOTIFICATIONS_URL").TrimEnd('/')}/update-stream/{Uri.EscapeDataString(key)}/konnect";
        using var stream = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var delay = TimeSpan.FromMilliseconds(500);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, url);
                if (fault != KnowlarityClientFault.NoAccept)
                {
                    request.Headers.Accept.ParseAdd("text/event-stream");
                }

                using var response = await stream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    // KNS-017: a non-200 body is an error text, not events.
                    var text = await response.Content.ReadAsStringAsync(cancellationToken);
                    await log.WriteLineAsync($"stream: {(int)response.StatusCode} {text.Trim()}");
                    if (fault == KnowlarityClientFault.ReadsErrorBody && await DispatchAllAsync(text, handle))
                    {
                        return;
                    }
                }
                else
                {
                    opened?.TrySetResult();
                    delay = TimeSpan.FromMilliseconds(500);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    if (fault == KnowlarityClientFault.WaitsForEnd)
                    {
                        using var whole = new StreamReader(body);
                        if (await DispatchAllAsync(await whole.ReadToEndAsync(cancellationToken), handle))
                        {
                            return;
                        }
                    }
                    else if (await ReadEventsAsync(body, handle, cancellationToken))
                    {
                        return;
                    }

                    await log.WriteLineAsync("stream: ended");
                }
            }
            catch (HttpRequestException e)
            {
                await log.WriteLineAsync("stream: " + e.Message);
            }
            catch (IOException e)
            {
                await log.WriteLineAsync("stream: " + e.Message);
            }

            if (fault == KnowlarityClientFault.NoReconnect)
            {
                throw new KnowlarityFailure("the notifications stream ended");
            }

            // KNS-016: a delay before every reconnection.
            if (fault != KnowlarityClientFault.Hammers)
            {
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(8).Ticks));
            }
        }
    }

    /// <summary>SSE as the EventSource spec parses it: fields per line, a blank line dispatches, comments skipped (KNS-004).</summary>
    private async Task<bool> ReadEventsAsync(Stream body, Func<JsonObject, Task<bool>> handle, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(body, Encoding.UTF8);
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (fault == KnowlarityClientFault.EveryLineJson)
            {
                if (line.Length > 0 && await HandleAsync(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), handle))
                {
                    return true;
                }

                continue;
            }

            if (line.Length == 0)
            {
                if (data.Length > 0 && await HandleAsync(data.ToString(), handle))
                {
                    return true;
                }

                data.Clear();
                continue;
            }

            if (line.StartsWith(':'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var field = colon < 0 ? line : line[..colon];
            var value = colon < 0 ? "" : line[(colon + 1)..];
            if (value.StartsWith(' '))
            {
                value = value[1..];
            }

            if (field == "data")
            {
                data.Append(data.Length > 0 ? "\n" : "").Append(value);
            }
        }

        return false;
    }

    private async Task<bool> DispatchAllAsync(string text, Func<JsonObject, Task<bool>> handle)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text + "\n\n"));
        return await ReadEventsAsync(stream, handle, CancellationToken.None);
    }

    private static async Task<bool> HandleAsync(string json, Func<JsonObject, Task<bool>> handle)
    {
        var node = JsonNode.Parse(json) as JsonObject ?? throw new KnowlarityFailure("an event that is not a JSON object: " + json);
        return await handle(node);
    }

    /// <summary>The checks a consumer makes of each event; the faults make them stricter than the documents allow.</summary>
    private void Inspect(JsonObject e)
    {
        if (fault == KnowlarityClientFault.AgentNumberRequired && e.ContainsKey("agent_number") && e["agent_number"] is null)
        {
            throw new KnowlarityFailure("event without agent_number");
        }

        if (fault == KnowlarityClientFault.CustomerNumberRequired && e.ContainsKey("customer_number") && e["customer_number"] is null)
        {
            throw new KnowlarityFailure("event without customer_number");
        }

        if (fault == KnowlarityClientFault.StrictFields && e.Select(p => p.Key).FirstOrDefault(k => !KnownFields.Contains(k)) is { } unknown)
        {
            throw new KnowlarityFailure("unknown field " + unknown);
        }

        if (fault == KnowlarityClientFault.StrictEventTypes
            && (e["event_type"]?.ToString() is { } t && !KnownEventTypes.Contains(t) || e["business_call_type"]?.ToString() is { } b && !KnownBusinessTypes.Contains(b)))
        {
            throw new KnowlarityFailure($"unknown event type {e["event_type"]} / {e["business_call_type"]}");
        }
    }
}
