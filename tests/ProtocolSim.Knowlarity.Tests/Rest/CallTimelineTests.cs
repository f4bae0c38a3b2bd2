using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using ProtocolSim.Knowlarity.Rest;
using ProtocolSim.TestSupport;

namespace ProtocolSim.Knowlarity.Tests.Rest;

/// <summary>
/// The call simulator on a fake clock, with the default timings of knowlarity.md §5 (2 s ring, 8 s talk, 200 ms
/// between the hangups, the CDR 1 s after the last): every event at its exact time and with the times it carries, in
/// no real time at all. The test moves the clock only once the script waits on it, so nothing races the clock.
/// </summary>
public sealed class CallTimelineTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.Parse("2026-11-21T10:00:00Z", CultureInfo.InvariantCulture);

    [Fact]
    public async Task ClickToCall_Answered_EveryEventAtItsTime()
    {
        var time = new SteppedTime(Start);
        await using var host = await KnowlarityTestHost.StartAsync(o => o.Timing = new CallTiming(), time);
        var events = Watch(host, time);
        var call = host.Api.Calls.Start(CallKind.ClickToCall, host.Account.SrNumber, host.Account.AgentNumber, "+919900000001");

        var seen = await PlayAsync(time, events,
            ("AGENT_CALL", 0), ("AGENT_ANSWER", 2_000), ("CUSTOMER_CALL", 0), ("CUSTOMER_ANSWER", 2_000), ("BRIDGE", 0),
            ("HANGUP", 8_000), ("HANGUP", 200), ("CDR", 1_000));

        Assert.Equal([0, 2_000, 2_000, 4_000, 4_000, 12_000, 12_200, 13_200], seen.Select(e => (e.At - Start).TotalMilliseconds));
        foreach (var (_, at, e) in seen.SkipLast(1))
        {
            Assert.Equal(at.ToOffset(KnowlarityAccount.Ist).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), e["event_date_local"]!.GetValue<string>());
        }

        var cdr = seen[^1].Event;
        Assert.Equal(call.Uuid, cdr["uuid"]!.GetValue<string>());
        Assert.Equal("2026-11-21 15:30:12.200000+05:30", cdr["end_time"]!.GetValue<string>()); // the last hangup, not the CDR's own time
        Assert.Equal(12, cdr["call_duration"]!.GetValue<int>());
        Assert.Equal(["agent", "customer"], seen.Where(e => e.Name == "HANGUP").Select(e => e.Event["leg_identifier"]!.GetValue<string>()));
        await host.Api.Calls.WhenIdleAsync();
    }

    [Fact]
    public async Task ClickToCall_AgentDoesNotAnswer_GivenUpAfterTheNoAnswerTime_CustomerNeverCalled()
    {
        var time = new SteppedTime(Start);
        await using var host = await KnowlarityTestHost.StartAsync(o => o.Timing = new CallTiming(), time);
        var events = Watch(host, time);
        host.Api.Calls.Start(CallKind.ClickToCall, host.Account.SrNumber, "+919845000003", "+919900000001");

        var seen = await PlayAsync(time, events, ("AGENT_CALL", 0), ("HANGUP", 6_000), ("CDR", 1_000));

        Assert.Equal([0, 6_000, 7_000], seen.Select(e => (e.At - Start).TotalMilliseconds));
        Assert.Equal("Unanswered", seen[^1].Event["business_call_type"]!.GetValue<string>());
        Assert.Equal(6, seen[^1].Event["call_duration"]!.GetValue<int>());
        await host.Api.Calls.WhenIdleAsync();
    }

    private static ChannelReader<(string Name, DateTimeOffset At, JsonObject Event)> Watch(KnowlarityTestHost host, TimeProvider time)
    {
        var events = Channel.CreateUnbounded<(string, DateTimeOffset, JsonObject)>();
        host.Api.Calls.EventPublished += (_, e) => events.Writer.TryWrite((SseReader.Name(e), time.GetUtcNow(), e));
        return events.Reader;
    }

    /// <summary>For each expected event: waits until the script waits on the clock for <c>afterMs</c>, moves it that far, reads the event.</summary>
    private static async Task<List<(string Name, DateTimeOffset At, JsonObject Event)>> PlayAsync(
        SteppedTime time, ChannelReader<(string Name, DateTimeOffset At, JsonObject Event)> events, params (string Name, int AfterMs)[] script)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20)); // a hang fails; nothing waits on it
        var seen = new List<(string, DateTimeOffset, JsonObject)>();
        foreach (var (name, afterMs) in script)
        {
            if (afterMs > 0)
            {
                var step = TimeSpan.FromMilliseconds(afterMs);
                await time.WaitForTimerAsync(step, patience.Token);
                time.Advance(step);
            }

            var next = await events.ReadAsync(patience.Token);
            Assert.Equal(name, next.Name);
            seen.Add(next);
        }

        Assert.False(events.TryRead(out var extra), $"an event after the script: {extra.Name}");
        return seen;
    }
}
