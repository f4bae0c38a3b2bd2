using System.Collections.Specialized;
using System.Text;
using WireMock;
using WireMock.Logging;
using WireMock.Matchers;
using WireMock.RequestBuilders;
using WireMock.ResponseProviders;
using WireMock.Server;
using WireMock.Types;
using WireMock.Util;

namespace ProtocolSim.Knowlarity.Rest.Stubbing;

/// <summary>
/// The fake's stateful Knowlarity behaviour as a WireMock.Net mapping: the lowest-priority catch-all over the API's
/// paths, so that any user stub that matches wins, and everything else gets what the real API would answer.
/// </summary>
/// <remarks>
/// A <see cref="WireMock.ResponseBuilders.Response"/> with a callback, not an <see cref="IResponseProvider"/> of
/// ours: WireMock.Net's <c>GET /__admin/mappings</c> converts every user mapping's provider to a <c>Response</c>.
/// </remarks>
internal sealed class BuiltInBehaviour(KnowlarityApi api)
{
    public const string Title = "Knowlarity built-in behaviour";

    /// <summary>The same guid in every run, so a user can find it in <c>/__admin/mappings</c> and <c>requests/find?mappingGuid=</c>.</summary>
    public static readonly Guid MappingGuid = new("6b6e6f77-6c61-7269-7479-000000000001");

    /// <summary><c>/{channel}/v1/account/...</c> and <c>/{channel}/account/...</c> (the plans header's form).</summary>
    private const string ApiPaths = "^/[^/]+/(v1/)?account(/.*)?$";

    /// <summary>Adds the mapping if it is missing (WireMock.Net's reset deletes every mapping that is not its admin API's).</summary>
    public static void EnsureMapped(WireMockServer server, BuiltInBehaviour behaviour)
    {
        foreach (var m in server.Mappings)
        {
            if (m.Guid == MappingGuid)
            {
                return;
            }
        }

        server.Given(Request.Create().WithPath(new RegexMatcher(ApiPaths)).UsingAnyMethod())
            .WithGuid(MappingGuid)
            .WithTitle(Title)
            .WithDescription("What answers when no user stub matches: the fake's routes, keys, state and call simulator (knowlarity.md).")
            .AtPriority(int.MaxValue)
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithCallback(behaviour.Respond));
    }

    private ResponseMessage Respond(IRequestMessage requestMessage)
    {
        var body = requestMessage.BodyAsBytes ?? (requestMessage.Body is { } text ? Encoding.UTF8.GetBytes(text) : []);
        var answer = api.Respond(ApiRequest.From(requestMessage), body, tooLarge: false, raiseAnswered: true);
        var response = new ResponseMessage
        {
            StatusCode = answer.Status,
            BodyData = new BodyData { BodyAsString = Encoding.UTF8.GetString(answer.Body), Encoding = new UTF8Encoding(false), DetectedBodyType = BodyType.String },
        };
        response.AddHeader("Content-Type", "application/json");
        if (answer.Allow is not null)
        {
            response.AddHeader("Allow", answer.Allow);
        }

        return response;
    }

    /// <summary>
    /// Journals what a user stub, or WireMock.Net's "no mapping found", answered (WireMock.Net adds it to its log;
    /// the built-in behaviour's answers are journaled where they are made).
    /// </summary>
    public static void JournalStubbed(KnowlarityApi api, NotifyCollectionChangedEventArgs e)
    {
        if (e.Action != NotifyCollectionChangedAction.Add || e.NewItems is null)
        {
            return;
        }

        foreach (var item in e.NewItems)
        {
            if (item is not ILogEntry { RequestMessage: { } request } entry || entry.MappingGuid == MappingGuid
                || request.Path.StartsWith("/__admin", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var response = entry.ResponseMessage;
            var fault = response?.FaultType is { } f && f != WireMock.ResponseBuilders.FaultType.NONE ? f.ToString() : null;
            var status = fault is not null ? 0 : StatusOf(response) ?? 200;
            var servedBy = entry.MappingGuid is { } guid
                ? $"by stub {guid}{(entry.MappingTitle is { Length: > 0 } t ? $" \"{t}\"" : "")}{(fault is null ? "" : " with fault " + fault)}"
                : "by WireMock.Net: no stub matched" + (entry.PartialMappingGuid is { } near ? $" (nearest: {near})" : "");
            var body = request.BodyAsBytes ?? (request.Body is { } text ? Encoding.UTF8.GetBytes(text) : []);
            api.JournalStubbed(ApiRequest.From(request), body, status, AnswerText(response?.BodyData), servedBy);
        }
    }

    /// <summary>A WireMock.Net answer's status code, which it keeps as an int, an <see cref="System.Net.HttpStatusCode"/> or a string.</summary>
    internal static int? StatusOf(IResponseMessage? response) => response?.StatusCode switch
    {
        int i => i,
        System.Net.HttpStatusCode h => (int)h,
        string s when int.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    private static string AnswerText(IBodyData? body) => body switch
    {
        null => "",
        { BodyAsString: { } s } => s,
        { BodyAsJson: { } json } => Newtonsoft.Json.JsonConvert.SerializeObject(json),
        { BodyAsBytes: { } bytes } => Convert.ToBase64String(bytes),
        { BodyAsFile: { } file } => "[body from file " + file + "]",
        _ => "",
    };
}
