using ProtocolSim.Conformance;
using Reqnroll;

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>
/// Step definitions of the Knowlarity REST API and notifications suite (features/knowlarity/rest). Given steps set
/// up the scenario's fake, the When step runs one task in the client under test, and the Then step judges every rule
/// the scenario tags from the journals: the fake's findings, and what the client did after each answer and event.
/// </summary>
[Binding]
public sealed class KnowlarityRestSteps(KnowlarityRestDriver k, ConformanceContext scenario)
{
    // ---------------------------------------------------------------- Given

    [Given("the SR number is registered for notifications")]
    public void GivenRegistered() => k.RegisteredEnabled = true;

    [Given("the SR number is registered for notifications but disabled")]
    public void GivenRegisteredDisabled() => k.RegisteredEnabled = false;

    [Given("the customer is {string}")]
    public void GivenTheCustomer(string number) => k.CustomerNumber = number;

    [Given("the call goes over WhatsApp")]
    public void GivenWhatsapp() => k.TaskEnvironment["PROTOSIM_CALL_CHANNEL"] = "Whatsapp";

    [Given("makecall errors come with status {int}")]
    public void GivenMakecallErrorStatus(int status) => k.Configure(o => o.MakecallErrorStatus = status);

    [Given("the customer grants call permission {int} seconds after a request")]
    public void GivenPermissionGrant(int seconds) => k.Configure(o => o.PermissionGrantAfter = TimeSpan.FromSeconds(seconds));

    [Given("the API answers makecall with status {int} and the body:")]
    public void GivenMakecallStub(int status, string body) => k.AddStub(server => server
        .Given(WireMock.RequestBuilders.Request.Create().UsingPost().WithPath(new WireMock.Matchers.RegexMatcher("^/[^/]+/v1/account/call/makecall/?$")))
        .AtPriority(1)
        .WithTitle("makecall answers " + status)
        .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(status).WithBody(body.Trim()).WithHeader("Content-Type", "application/json")));

    [Given("another call to the SR number is missed while the client's call rings")]
    public void GivenConcurrentMissed() => k.ConcurrentCall = "missed";

    [Given("another caller's call is still going on when the client's call ends")]
    public void GivenConcurrentAnswered() => k.ConcurrentCall = "answered";

    [Given("list pages hold {int} item(s)")]
    public void GivenPageSize(int size) => k.Configure(o => o.PageSize = size);

    [Given("the call logs are synced from {string} to {string}")]
    public void GivenSyncRange(string from, string to)
    {
        k.TaskEnvironment["PROTOSIM_FROM"] = from;
        k.TaskEnvironment["PROTOSIM_TO"] = to;
    }

    [Given("the numbers are {string}")]
    public void GivenNumbers(string numbers) => k.TaskEnvironment["PROTOSIM_NUMBERS"] = numbers;

    [Given("the campaign starts at {string}")]
    public void GivenStart(string start) => k.TaskEnvironment["PROTOSIM_START_TIME"] = start;

    [Given("the order is {string}")]
    public void GivenOrder(string order) => k.TaskEnvironment["PROTOSIM_ORDER_ID"] = order;

    [Given("the number is bought in the circle {string}")]
    public void GivenCircle(string circle) => k.TaskEnvironment["PROTOSIM_CIRCLE"] = circle;

    [Given("the IVR is {string}")]
    public void GivenIvr(string ivr) => k.TaskEnvironment["PROTOSIM_IVR_ID"] = ivr;

    [Given("the client has {int} seconds")]
    public void GivenDeadline(int seconds) => k.ClientDeadline = TimeSpan.FromSeconds(seconds);

    [Given("the SR number gets {string}")]
    public void GivenCall(string call) => k.Calls.Add(Planned(call));

    [Given("the SR number gets {string}, then {string}")]
    public void GivenCalls(string first, string second)
    {
        k.Calls.Add(Planned(first));
        k.Calls.Add(Planned(second));
    }

    [Given("the stream drops after the first call and the next {int} connections are refused")]
    public void GivenDrop(int refused) => k.DropAfterFirstCallRefusing = refused;

    [Given("the stream ends {int} seconds after the last call")]
    public void GivenStreamEnds(int seconds) => k.EndStreamAfterLastCall = TimeSpan.FromSeconds(seconds);

    private static PlannedCall Planned(string text) => text switch
    {
        "an answered outbound call" => PlannedCall.OutboundAnswered,
        "a missed inbound call" => PlannedCall.InboundMissed,
        "an answered inbound call" => PlannedCall.InboundAnswered,
        "two overlapping calls" => PlannedCall.Overlapping,
        "a call with unlisted event types" => PlannedCall.UnknownTypes,
        "a call with undocumented fields" => PlannedCall.ExtraFields,
        "a call framed with comments and ids" => PlannedCall.CommentsAndIds,
        _ => throw new InvalidOperationException($"no call \"{text}\": write an answered outbound call, a missed inbound call, an answered inbound call, two overlapping calls, a call with unlisted event types, a call with undocumented fields, or a call framed with comments and ids"),
    };

    // ---------------------------------------------------------------- When

    [When("the client runs the Knowlarity task {string}")]
    public Task WhenTheClientRuns(string task) => k.RunTaskAsync(task);

    // ---------------------------------------------------------------- Then

    [Then("every request followed the documented form")]
    public void ThenRequests() => JudgeTagged();

    [Then("the client handled the answers as documented")]
    public void ThenAnswers() => JudgeTagged();

    [Then("the client consumed the stream as documented")]
    public void ThenStream() => JudgeTagged();

    private void JudgeTagged() =>
        new KnowlarityRestJudge(k.Evidence, k.Run, scenario.Rules).Judge([.. scenario.RuleIds.Where(r => r.StartsWith("KRS-", StringComparison.Ordinal) || r.StartsWith("KNS-", StringComparison.Ordinal))]);
}
