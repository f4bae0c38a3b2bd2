using System.Globalization;
using ProtocolSim.Conformance;
using Reqnroll;
using ProtocolSim.Cti.World;

namespace ProtocolSim.Cti.Steps;

/// <summary>
/// Step definitions of the CTI suite (features/cti). Given steps shape the scenario's processor and agent world, the
/// When step runs one task in the desktop client under test, and the Then step judges every rule the scenario tags
/// from the processor's journals: the findings it recorded as messages arrived, and what the client did after each
/// answer and event.
/// </summary>
[Binding]
public sealed class CtiSteps(CtiDriver cti, ConformanceContext scenario)
{
    // ---------------------------------------------------------------- Given

    [Given("the agent is {string}")]
    public void GivenAgent(string agent) => cti.AgentId = agent;

    [Given("the agent is logged in on another desktop and the user answers {string} to the takeover")]
    public void GivenTakeover(string answer)
    {
        cti.AgentId = "agent1002";
        cti.TaskEnvironment["PROTOSIM_CONFIRM_OVERRIDE"] = answer;
    }

    [Given("the desktop is called {string}")]
    public void GivenName(string name) => cti.TaskEnvironment["PROTOSIM_CLIENT_NAME"] = name;

    [Given("the processor fronts an Avaya switch")]
    public void GivenAvaya() => cti.ChangeWorld(w => w with { CtiVendor = "Avaya" });

    [Given("the processor breaks the socket boundary after {string}")]
    public void GivenBrokenBoundary(string name) => cti.Configure(o => o.BreakBoundaryAfter = name);

    [Given("the processor takes {int} ms to answer bindings and prepareSession")]
    public void GivenSetupDelay(int ms) => cti.Configure(o => o.SetupDelay = TimeSpan.FromMilliseconds(ms));

    [Given("the HTTP session timeout is {int} seconds")]
    public void GivenSessionTimeout(int seconds) => cti.Configure(o => o.SessionTimeout = TimeSpan.FromSeconds(seconds));

    [Given("the desktop pauses {int} seconds after log-in")]
    public void GivenIdle(int seconds) => cti.TaskEnvironment["PROTOSIM_IDLE_SECONDS"] = seconds.ToString(CultureInfo.InvariantCulture);

    [Given("the processor ends the HTTP client when its session logs out")]
    public void GivenEndAtLogout() => cti.EndHttpClientAtLogout = true;

    [Given("events are {int} ms apart")]
    public void GivenEventDelay(int ms) => cti.Configure(o => o.EventDelay = TimeSpan.FromMilliseconds(ms));

    [Given("responses take {int} ms")]
    public void GivenResponseDelay(int ms) => cti.Configure(o => o.ResponseDelay = TimeSpan.FromMilliseconds(ms));

    [Given("secondary events come before their response")]
    public void GivenEventsFirst() => cti.Configure(o => o.EventsBeforeResponse = true);

    [Given("messages carry a debugging context and undocumented members")]
    public void GivenDebugContext() => cti.Configure(o => o.DebugContext = true);

    [Given("the processor sends events no document lists")]
    public void GivenUnknownEvents() => cti.Configure(o => o.UnknownEvents = true);

    [Given("logout takes {int} ms")]
    public void GivenLogoutDelay(int ms) => cti.Configure(o => o.LogoutDelay = TimeSpan.FromMilliseconds(ms));

    [Given("the platform has no reason lists")]
    public void GivenNoReasons() => cti.ChangeWorld(w => w with { ReasonsSupported = false });

    [Given("the processor takes only the {string} command names")]
    public void GivenCommandSet(string set)
    {
        var commandSet = set switch
        {
            "seed" => CommandSet.Seed,
            "current" => CommandSet.Current,
            _ => throw new InvalidOperationException($"no command set \"{set}\": write seed or current"),
        };
        cti.Configure(o => o.CommandSet = commandSet);
        cti.TaskEnvironment["PROTOSIM_CTI_COMMANDS"] = set;
    }

    [Given("the desktop adds the {string} channel {string}")]
    public void GivenChannel(string type, string endpoint)
    {
        cti.TaskEnvironment["PROTOSIM_CHANNEL_TYPE"] = type;
        cti.TaskEnvironment["PROTOSIM_CHANNEL_ENDPOINT"] = endpoint;
    }

    [Given("the desktop adds the channel group {string}")]
    public void GivenGroup(string name)
    {
        cti.TaskEnvironment["PROTOSIM_CHANNEL_GROUP"] = name;
        cti.TaskEnvironment["PROTOSIM_GROUP_CHAT"] = "true";
        cti.TaskEnvironment["PROTOSIM_GROUP_EMAIL"] = "true";
        cti.TaskEnvironment["PROTOSIM_GROUP_CALLBACK"] = "false";
    }

    [Given("the user keeps the channel {int} second(s) before removing it")]
    public void GivenHold(int seconds) => cti.TaskEnvironment["PROTOSIM_HOLD_SECONDS"] = seconds.ToString(CultureInfo.InvariantCulture);

    [Given("a call rings on {string} {int} ms after the channel is ready, for {int} ms")]
    public void GivenCall(string endpoint, int after, int ring) => cti.ChangeWorld(w => w with
    {
        Inbound = [.. w.Inbound, new InboundCall { Agent = cti.AgentId, Endpoint = endpoint, Ani = "+15550123", After = TimeSpan.FromMilliseconds(after), Ring = TimeSpan.FromMilliseconds(ring), Talk = TimeSpan.FromSeconds(1) }],
    });

    [Given("a call reaches a member of the group as the group is removed")]
    public void GivenRingOnRemoval() => cti.Configure(o => o.RingOnGroupRemoval = true);

    [Given("the processor has no telephony control")]
    public void GivenNoTelephony() => cti.ChangeWorld(w => w with { Capabilities = new HashSet<string>(StringComparer.Ordinal) });

    [Given("the desktop dials {string}")]
    public void GivenDial(string destination) => cti.TaskEnvironment["PROTOSIM_DIAL_DESTINATION"] = destination;

    [Given("the desktop has {int} seconds")]
    public void GivenDeadline(int seconds) => cti.ClientDeadline = TimeSpan.FromSeconds(seconds);

    // ---------------------------------------------------------------- When

    [When("the client runs the CTI task {string}")]
    public Task WhenTheClientRuns(string task) => cti.RunTaskAsync(task);

    // ---------------------------------------------------------------- Then

    [Then("the desktop followed the CTI documents")]
    public void ThenJudge() =>
        new CtiJudge(cti.Evidence, cti.Run, scenario.Rules).Judge([.. scenario.RuleIds.Where(r => r.StartsWith("CTI-", StringComparison.Ordinal))]);
}
