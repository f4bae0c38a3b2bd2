using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ProtocolSim.Knowlarity.Rest;

internal static partial class RestHandlers
{
    // ---- agents, tasks --------------------------------------------------------------------------------------

    public static ApiResult ListAgents(RestCall call)
    {
        lock (call.Account.Gate)
        {
            // 003-R Get Agents List: a bare array (KRS-028).
            return ApiResult.Ok(w => WriteVisible(w, call.Account.Agents.OfType<JsonObject>()));
        }
    }

    public static ApiResult GetAgent(RestCall call)
    {
        var id = call.RouteValues["id"];
        lock (call.Account.Gate)
        {
            var agent = call.Account.Agents.OfType<JsonObject>().FirstOrDefault(a => a["id"]?.ToString() == id);
            return agent is null ? ApiResult.Message(404, $"Agent {id} not found.") : ApiResult.Ok(w => WriteVisible(w, agent));
        }
    }

    public static ApiResult ListTasks(RestCall call)
    {
        lock (call.Account.Gate)
        {
            // 003-R Get Task List: offset and total_count are strings.
            return Envelope(call, call.Account.Tasks.OfType<JsonObject>(), defaultLimit: 1000, numbersAsStrings: true);
        }
    }

    public static ApiResult GetTask(RestCall call)
    {
        var id = call.RouteValues["id"];
        lock (call.Account.Gate)
        {
            var task = call.Account.Tasks.OfType<JsonObject>().FirstOrDefault(t => t["id"]?.ToString() == id);
            return task is null ? ApiResult.Message(404, $"Task {id} not found.") : ApiResult.Ok(w => WriteVisible(w, task));
        }
    }
}
