namespace ProtocolSim.Conformance.Tests;

public class ExecutionTests
{
    /// <summary>Completes only when the expected number of scenarios have all arrived.</summary>
    public sealed class Rendezvous(int expected)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;
        private int _inFlight;
        private int _maxInFlight;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public int InFlight => Volatile.Read(ref _inFlight);

        public Task ArriveAndWaitAsync(CancellationToken token)
        {
            if (Interlocked.Increment(ref _arrived) == expected)
            {
                _all.TrySetResult();
            }

            return _all.Task.WaitAsync(token);
        }

        public void Enter()
        {
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }
        }

        public void Leave() => Interlocked.Decrement(ref _inFlight);
    }

    [Binding]
    public sealed class ConcurrencySteps(Rendezvous rendezvous, ConformanceContext context, Probe probe)
    {
        [BeforeScenario]
        public void Enter() => rendezvous.Enter();

        [AfterScenario]
        public void Leave() => rendezvous.Leave();

        [When("every scenario has started")]
        public Task AllStarted() => rendezvous.ArriveAndWaitAsync(context.CancellationToken);

        [When("the scenario is alone")]
        public void Alone() => probe.Values[context.ScenarioName] = rendezvous.InFlight;

        [Then("rule {word} is judged")]
        public void Judged(string id) => context.Rules.Pass(id, "ok");
    }

    [Binding]
    public sealed class SlowSteps(ConformanceContext context)
    {
        [When("the bot never answers")]
        public Task NeverAnswers() => Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);

        [When("the step blocks on {string}")]
        public void Blocks(string name)
        {
            var gate = (ManualResetEventSlim)context.Services.GetService(typeof(ManualResetEventSlim))!;
            _ = name;
            gate.Wait();
        }

        [Then("rule {word} is judged")]
        public void Judged(string id) => context.Rules.Pass(id, "ok");
    }

    [Fact]
    public async Task Run_TwoScenarios_RunConcurrently()
    {
        using var suite = new TempSuite();
        suite.Add("parallel.feature", """
            Feature: Parallel
              @TST-001
              Scenario: A
                When every scenario has started
                Then rule TST-001 is judged
              @TST-002
              Scenario: B
                When every scenario has started
                Then rule TST-002 is judged
            """);
        var rendezvous = new Rendezvous(2);

        // Run one at a time, A would wait for B forever (until the time-out); concurrently both get through.
        var result = await suite.RunAsync([typeof(ConcurrencySteps)], new RunOptions { Services = new TestServices(rendezvous, new Probe()), MaxParallelScenarios = 2, ScenarioTimeout = TimeSpan.FromSeconds(30) });

        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
        Assert.Equal(2, rendezvous.MaxInFlight);
    }

    [Fact]
    public async Task Run_SerialScenario_RunsAlone()
    {
        using var suite = new TempSuite();
        suite.Add("serial.feature", """
            Feature: Serial
              @TST-001
              Scenario: A
                When every scenario has started
                Then rule TST-001 is judged
              @TST-002
              Scenario: B
                When every scenario has started
                Then rule TST-002 is judged
              @TST-003 @serial
              Scenario: S
                When the scenario is alone
                Then rule TST-003 is judged
            """);
        var rendezvous = new Rendezvous(2);
        var probe = new Probe();

        var result = await suite.RunAsync([typeof(ConcurrencySteps)], new RunOptions { Services = new TestServices(rendezvous, probe), ScenarioTimeout = TimeSpan.FromSeconds(30) });

        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
        Assert.Equal(1, probe.Values["S"]);
    }

    [Fact]
    public async Task Run_MaxParallelOne_NeverOverlaps()
    {
        using var suite = new TempSuite();
        suite.Add("one.feature", string.Join('\n', new[] { "Feature: One" }.Concat(Enumerable.Range(1, 4).Select(i => $"  @TST-001\n  Scenario: S{i}\n    Then rule TST-001 is judged"))));
        var rendezvous = new Rendezvous(99);

        var result = await suite.RunAsync([typeof(ConcurrencySteps)], new RunOptions { Services = new TestServices(rendezvous, new Probe()), MaxParallelScenarios = 1 });

        Assert.Equal(4, result.Passed);
        Assert.Equal(1, rendezvous.MaxInFlight);
    }

    [Fact]
    public async Task Run_StepExceedsTimeout_FailsNamingTheStep()
    {
        using var suite = new TempSuite();
        suite.Add("timeout.feature", "Feature: T\n  @TST-001\n  Scenario: Slow\n    When the bot never answers\n    Then rule TST-001 is judged\n");

        var result = await suite.RunAsync([typeof(SlowSteps)], new RunOptions { ScenarioTimeout = TimeSpan.FromMilliseconds(200) });

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Error, scenario.Status);
        Assert.Equal(ScenarioErrorKind.Timeout, scenario.ErrorKind);
        Assert.Equal("timed out after 0.2 s in step 'When the bot never answers' (line 4)", scenario.Error);
        Assert.Equal(StepStatus.Error, scenario.Steps.Single(s => s.Line == 4).Status);
        Assert.Equal(RuleVerdict.Error, result.Rules.Single(r => r.Rule.Id == "TST-001").Verdict);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Run_BlockingSyncStepExceedsTimeout_StillTimesOut()
    {
        using var suite = new TempSuite();
        suite.Add("timeout.feature", "Feature: T\n  @TST-001\n  Scenario: Blocked\n    When the step blocks on \"gate\"\n    Then rule TST-001 is judged\n");
        using var gate = new ManualResetEventSlim();
        try
        {
            var result = await suite.RunAsync([typeof(SlowSteps)], new RunOptions { Services = new TestServices(gate), ScenarioTimeout = TimeSpan.FromMilliseconds(200) });

            Assert.Equal(ScenarioErrorKind.Timeout, result.Scenarios[0].ErrorKind);
            Assert.Contains("in step 'When the step blocks on \"gate\"' (line 4)", result.Scenarios[0].Error, StringComparison.Ordinal);
        }
        finally
        {
            gate.Set();
        }
    }

    [Fact]
    public async Task Run_CancelledBeforeStart_ScenariosSkippedAsCancelled()
    {
        using var suite = new TempSuite();
        suite.Add("c.feature", "Feature: C\n  @TST-001\n  Scenario: S\n    Then rule TST-001 is judged\n");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var result = await suite.RunAsync([typeof(SlowSteps)], new RunOptions(), cts.Token);

        Assert.True(result.Cancelled);
        Assert.Equal(ScenarioStatus.Skipped, result.Scenarios[0].Status);
        Assert.Equal("run cancelled before the scenario started", result.Scenarios[0].SkipReason);
    }

    [Fact]
    public async Task Run_CancelledWhileRunning_ScenarioFailsAsCancelled()
    {
        using var suite = new TempSuite();
        suite.Add("c.feature", "Feature: C\n  @TST-001\n  Scenario: S\n    When the run is cancelled while this step waits\n    Then rule TST-001 is judged\n");
        using var cts = new CancellationTokenSource();

        // The step itself cancels the run once it is under way, so the cancellation lands in that step every time;
        // it must end as cancelled, not timed out.
        var result = await suite.RunAsync([typeof(SlowSteps), typeof(CancelWhileWaiting)], new RunOptions { ScenarioTimeout = TimeSpan.FromMinutes(5), Services = new TestServices(cts) }, cts.Token);

        Assert.Equal(ScenarioErrorKind.Cancelled, result.Scenarios[0].ErrorKind);
        Assert.Equal("run cancelled during step 'When the run is cancelled while this step waits' (line 4)", result.Scenarios[0].Error);
    }

    [Binding]
    public sealed class CancelWhileWaiting(CancellationTokenSource cts, ConformanceContext context)
    {
        [When("the run is cancelled while this step waits")]
        public async Task CancelAndWait()
        {
            await cts.CancelAsync();
            await Task.Delay(Timeout.InfiniteTimeSpan, context.CancellationToken);
        }
    }

    [Binding]
    public sealed class FailingHooks(ConformanceContext context)
    {
        [BeforeScenario("@inconclusive-hook")]
        public void NotReady() => throw new InconclusiveException("the fake could not start");

        [AfterScenario("@failing-after")]
        public void Broken() => throw new InvalidOperationException("cleanup broke");

        [Then("rule {word} is judged")]
        public void Judged(string id) => context.Rules.Pass(id, "ok");
    }

    [Fact]
    public async Task Run_BeforeHookInconclusive_ScenarioSkippedAndStepsNotRun()
    {
        using var suite = new TempSuite();
        suite.Add("h.feature", "Feature: H\n  @TST-001 @inconclusive-hook\n  Scenario: S\n    Then rule TST-001 is judged\n");

        var result = await suite.RunAsync([typeof(FailingHooks)]);

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Skipped, scenario.Status);
        Assert.Equal("the fake could not start", scenario.SkipReason);
        Assert.Equal(StepStatus.NotRun, scenario.Steps.Single(s => !s.IsHook).Status);
    }

    [Fact]
    public async Task Run_AfterHookThrows_ScenarioIsAHarnessError()
    {
        using var suite = new TempSuite();
        suite.Add("h.feature", "Feature: H\n  @TST-001 @failing-after\n  Scenario: S\n    Then rule TST-001 is judged\n");

        var result = await suite.RunAsync([typeof(FailingHooks)]);

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Error, scenario.Status);
        Assert.Contains("cleanup broke", scenario.Error, StringComparison.Ordinal);
        Assert.Contains("cleanup broke", scenario.Steps.Single(s => s.IsHook && s.Status == StepStatus.Error).StackTrace, StringComparison.Ordinal);
        Assert.Equal(1, result.ExitCode);
    }
}
