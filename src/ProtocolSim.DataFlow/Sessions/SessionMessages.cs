using System.Text.Json.Nodes;

namespace ProtocolSim.DataFlow.Sessions;

/// <summary>The documented server messages (000 §Server Sourced Messages, 001 §General Structure).</summary>
internal static class SessionMessages
{
    public static JsonObject Response(string messageName, string operationResult) =>
        new() { ["MessageName"] = messageName, ["OperationResult"] = operationResult };

    /// <summary>Any event; <c>FinalResult</c> is <see cref="FinalResult"/>.</summary>
    public static JsonObject Event(string name, int channel, int startMsec, int endMsec, string groupId, JsonNode? data) =>
        new()
        {
            ["Event"] = new JsonObject
            {
                ["Name"] = name,
                ["Channel"] = channel,
                ["StartMsec"] = startMsec,
                ["EndMsec"] = endMsec,
                ["GroupId"] = groupId,
                ["Tags"] = new JsonArray(),
                ["Data"] = data,
            },
        };

    /// <summary>The end-of-session marker, exactly as 001 shows it.</summary>
    public static JsonObject FinalResult() =>
        new() { ["Event"] = new JsonObject { ["Name"] = "FinalResult", ["Channel"] = -1, ["StartMsec"] = -1, ["EndMsec"] = -1, ["GroupId"] = string.Empty } };

    /// <summary>An incident in the configured shape(s); <c>Channel</c> is a string (000 §Incident).</summary>
    public static IEnumerable<JsonObject> Incident(IncidentShape shape, string level, string message, string sessionId, string nodeName = "Project Runner", string nodeId = "project-runner-0")
    {
        if (shape is IncidentShape.Nested or IncidentShape.Both)
        {
            yield return new JsonObject
            {
                ["Incident"] = new JsonObject
                {
                    ["Message"] = message,
                    ["Level"] = level,
                    ["NodeName"] = nodeName,
                    ["NodeId"] = nodeId,
                    ["Channel"] = "-1",
                    ["SessionId"] = sessionId,
                },
            };
        }

        if (shape is IncidentShape.Flat or IncidentShape.Both)
        {
            yield return new JsonObject
            {
                ["MessageName"] = "Incident",
                ["IncidentLevel"] = level,
                ["Message"] = message,
                ["NodeId"] = nodeId,
                ["NodeName"] = nodeName,
                ["SessionId"] = sessionId,
            };
        }
    }
}
