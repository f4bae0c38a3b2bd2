using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ProtocolSim.ReferenceClients.DataFlow;

/// <summary>
/// The reference Data Flow HTTP batch client (dataflow.md §2.8, rules DFH): one <c>multipart/form-data</c> POST per
/// session with the token in <c>Authorization: Bearer</c>, the <c>Tenant</c> and <c>ProjectName</c> headers, a
/// <c>Parameters</c> part (Start-shaped JSON without the token; the task's event in <c>Events</c>) and the WAV file as
/// the <c>Audio</c> part; a timeout that allows for processing the whole file; the answer's incidents read even on
/// 200 (an Error incident fails the task). One optional defect (<see cref="DataFlowClientFault"/>).
/// </summary>
internal sealed class DataFlowBatchClient(ClientTask task, DataFlowClientFault fault, TextWriter log)
{
    /// <summary>DFH-008: the answer comes only when every node is done; allow for a long file.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    public async Task<bool> RunAsync(string token, int number, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = fault == DataFlowClientFault.HttpShortTimeout ? TimeSpan.FromSeconds(3) : Patience };
        using var request = new HttpRequestMessage(HttpMethod.Post, task.HttpUrl) { Content = Body(token, number) };
        if (fault == DataFlowClientFault.HttpNoBearer)
        {
            request.Headers.TryAddWithoutValidation("Authorization", token);
        }
        else
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (fault != DataFlowClientFault.HttpNoHeaders)
        {
            request.Headers.Add("Tenant", task.Tenant);
            request.Headers.Add("ProjectName", task.Project);
        }

        await log.WriteLineAsync($"POST {task.HttpUrl} ({task.WavFile.Length} B of WAV)");
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        var body = ServerMessage.FromText(Encoding.UTF8.GetBytes(text))?.Json;
        var results = body?["Results"] as JsonArray ?? [];
        var incidents = body?["Incidents"] as JsonArray ?? [];
        foreach (var incident in incidents.OfType<JsonObject>())
        {
            await log.WriteLineAsync($"incident {Level(incident)}: {incident["Message"]}");
        }

        if ((int)response.StatusCode != 200)
        {
            await log.WriteLineAsync($"the batch failed: {(int)response.StatusCode} {response.ReasonPhrase}");
            return false;
        }

        await log.WriteLineAsync($"200 with {results.Count} result(s) ({string.Join(", ", results.OfType<JsonObject>().Select(e => e["Name"]?.ToString()).Distinct())}) and {incidents.Count} incident(s)");

        // DFH-009: a 200 answer may still hold Error incidents: the results are then not complete.
        var errors = incidents.OfType<JsonObject>().Where(i => Level(i) == "Error").ToList();
        if (errors.Count > 0 && fault != DataFlowClientFault.HttpIgnoresIncidents)
        {
            await log.WriteLineAsync($"the batch reported {errors.Count} Error incident(s); its results are not complete");
            return false;
        }

        return true;
    }

    private static string? Level(JsonObject incident) => (incident["Level"] ?? incident["IncidentLevel"])?.ToString();

    private HttpContent Body(string token, int number)
    {
        var parameters = Parameters(token, number);
        if (fault == DataFlowClientFault.HttpUrlEncoded)
        {
            return new FormUrlEncodedContent(
            [
                new("Parameters", parameters.ToJsonString()),
                new("Audio", Convert.ToBase64String(task.WavFile)),
            ]);
        }

        var form = new MultipartFormDataContent();
        if (fault != DataFlowClientFault.HttpNoParameters)
        {
            form.Add(new StringContent(parameters.ToJsonString(), Encoding.UTF8, "application/json"), "Parameters");
        }

        var audio = new ByteArrayContent(fault == DataFlowClientFault.HttpRawAudio ? task.Audio : task.WavFile);
        audio.Headers.ContentType = new MediaTypeHeaderValue(fault == DataFlowClientFault.HttpRawAudio ? "application/octet-stream" : "audio/wav");
        form.Add(audio, "Audio", fault == DataFlowClientFault.HttpRawAudio ? "audio.raw" : "audio.wav");
        return form;
    }

    /// <summary>DFH-004: Start-shaped, without the token (DFH-010); Audio as the WAV header says (DFH-006).</summary>
    private JsonObject Parameters(string token, int number)
    {
        var settings = new JsonObject { ["Punctuation"] = true };
        if (task.Format.Channels == 2)
        {
            settings["ChannelTags"] = new JsonArray("agent", "customer");
        }

        if (task.Name == "update-settings")
        {
            foreach (var (key, value) in task.UpdateParameters)
            {
                settings[key] = value?.DeepClone();
            }
        }

        var parameters = new JsonObject
        {
            ["MessageName"] = "Start",
            ["ProjectName"] = task.Project,
            ["Tenant"] = task.Tenant,
            ["Audio"] = new JsonObject
            {
                ["Encoding"] = task.Encoding,
                ["SampleRate"] = fault == DataFlowClientFault.HttpWrongAudioParameters ? task.Format.SampleRate * 2 : task.Format.SampleRate,
                ["ChannelCount"] = task.Format.Channels,
            },
            ["Language"] = "en-US",
            ["Settings"] = settings,
            ["CallProperties"] = new JsonObject
            {
                ["ExternalId"] = string.Create(CultureInfo.InvariantCulture, $"protosim-batch-{number}"),
                ["Direction"] = 1,
                ["CallStartTime"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            },
        };
        if (fault == DataFlowClientFault.HttpTokenInParameters)
        {
            parameters["Token"] = token;
        }

        if (task.Name == "send-event" && fault != DataFlowClientFault.HttpNoInitialEvents)
        {
            // DFH-007: HTTP is the integration that takes initial events (000 §Start, Events).
            parameters["Events"] = new JsonArray(task.EventBody());
        }

        return parameters;
    }
}
