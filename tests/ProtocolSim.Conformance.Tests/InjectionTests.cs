namespace ProtocolSim.Conformance.Tests;

public class InjectionTests
{
    /// <summary>A context object shared by the bindings of one scenario.</summary>
    public sealed class CallState(Probe probe, ConformanceContext context) : IAsyncDisposable
    {
        public Guid Id { get; } = Guid.NewGuid();

        public string? Greeting { get; set; }

        public ValueTask DisposeAsync()
        {
            probe.Record(context.ScenarioName, "dispose CallState");
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Created after CallState (it depends on it), so disposed before it.</summary>
    public sealed class Driver(CallState state, Probe probe, ConformanceContext context) : IDisposable
    {
        public CallState State { get; } = state;

        public void Dispose() => probe.Record(context.ScenarioName, "dispose Driver");
    }

    [Binding]
    public sealed class FirstSteps(Driver driver, CallState state, Probe probe, ConformanceContext context)
    {
        [Given("the bot greets with {string}")]
        public void Greets(string greeting)
        {
            state.Greeting = greeting;
            Assert.Same(state, driver.State);
            probe.Record(context.ScenarioName, $"state {state.Id}");
        }

        [AfterScenario(Order = 2)]
        public void AfterLate() => probe.Record(context.ScenarioName, "after order 2");

        [AfterScenario(Order = 1)]
        public void AfterEarly() => probe.Record(context.ScenarioName, "after order 1");

        [BeforeScenario("@tagged")]
        public Task BeforeTagged()
        {
            probe.Record(context.ScenarioName, "before @tagged");
            return Task.CompletedTask;
        }
    }

    [Binding]
    public sealed class SecondSteps(CallState state, ConformanceContext context)
    {
        [Then("the greeting {string} is judged for {word}")]
        public async ValueTask Judged(string expected, string rule)
        {
            await Task.Yield();
            Assert.False(context.CancellationToken.IsCancellationRequested);
            context.Rules.Check(rule, state.Greeting == expected, expected, state.Greeting ?? "none");
        }
    }

    [Binding]
    public sealed class StaticSteps
    {
        [When("a static step runs")]
        public static void Static()
        {
        }
    }

    private const string Feature = """
        Feature: Injection
          @TST-001 @tagged
          Scenario: One
            Given the bot greets with "hello"
            When a static step runs
            Then the greeting "hello" is judged for TST-001

          @TST-002
          Scenario: Two
            Given the bot greets with "namaste"
            Then the greeting "namaste" is judged for TST-002
        """;

    [Fact]
    public async Task Run_TwoBindingsShareContextObject_OneInstancePerScenario()
    {
        using var suite = new TempSuite();
        suite.Add("inject.feature", Feature);
        var probe = new Probe();

        var result = await suite.RunAsync([typeof(FirstSteps), typeof(SecondSteps), typeof(StaticSteps)], new RunOptions { Services = new TestServices(probe) });

        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
        var one = probe.ByScenario["One"].First(e => e.StartsWith("state ", StringComparison.Ordinal));
        var two = probe.ByScenario["Two"].First(e => e.StartsWith("state ", StringComparison.Ordinal));
        Assert.NotEqual(one, two);
        Assert.Equal(RuleVerdict.Pass, result.Rules.Single(r => r.Rule.Id == "TST-001").Verdict);
        Assert.Equal(RuleVerdict.Pass, result.Rules.Single(r => r.Rule.Id == "TST-002").Verdict);
    }

    [Fact]
    public async Task Run_DisposableContextObjects_DisposedAfterHooksInReverseCreationOrder()
    {
        using var suite = new TempSuite();
        suite.Add("inject.feature", Feature);
        var probe = new Probe();

        await suite.RunAsync([typeof(FirstSteps), typeof(SecondSteps), typeof(StaticSteps)], new RunOptions { Services = new TestServices(probe) });

        var events = probe.ByScenario["One"].Where(e => !e.StartsWith("state ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["before @tagged", "after order 1", "after order 2", "dispose Driver", "dispose CallState"], events);
        Assert.DoesNotContain("before @tagged", probe.ByScenario["Two"]);
    }

    [Fact]
    public async Task Run_ServiceProvided_UsedInsteadOfCreatedAndNotDisposed()
    {
        using var suite = new TempSuite();
        suite.Add("inject.feature", Feature);
        var probe = new Probe();
        var shared = new CallState(probe, null!);

        var result = await suite.RunAsync([typeof(FirstSteps), typeof(SecondSteps), typeof(StaticSteps)], new RunOptions { Services = new TestServices(probe, shared), MaxParallelScenarios = 1 });

        Assert.All(result.Scenarios, s => Assert.Equal(ScenarioStatus.Passed, s.Status));
        Assert.Equal($"state {shared.Id}", probe.ByScenario["One"].First(e => e.StartsWith("state ", StringComparison.Ordinal)));
        Assert.Equal($"state {shared.Id}", probe.ByScenario["Two"].First(e => e.StartsWith("state ", StringComparison.Ordinal)));
        Assert.DoesNotContain(probe.Events, e => e == "dispose CallState");
    }

    [Fact]
    public async Task Run_Seed_DerivedPerScenarioAndStable()
    {
        using var suite = new TempSuite();
        suite.Add("inject.feature", Feature);
        Type[] bindings = [typeof(FirstSteps), typeof(SecondSteps), typeof(StaticSteps)];

        var a = await suite.RunAsync(bindings, new RunOptions { Services = new TestServices(new Probe()), Seed = 7 });
        var b = await suite.RunAsync(bindings, new RunOptions { Services = new TestServices(new Probe()), Seed = 7 });
        var c = await suite.RunAsync(bindings, new RunOptions { Services = new TestServices(new Probe()), Seed = 8 });

        Assert.Equal(a.Scenarios.Select(s => s.Seed), b.Scenarios.Select(s => s.Seed));
        Assert.NotEqual(a.Scenarios[0].Seed, a.Scenarios[1].Seed);
        Assert.NotEqual(a.Scenarios[0].Seed, c.Scenarios[0].Seed);
        Assert.Equal(ConformanceRunner.DeriveSeed(7, "suite/inject.feature:3"), a.Scenarios[0].Seed);
    }

    public sealed class NeedsInterface(IComparable comparable)
    {
        public IComparable Comparable { get; } = comparable;
    }

    [Binding]
    public sealed class UnresolvableSteps(NeedsInterface needs)
    {
        [Given("the bot greets with {string}")]
        public void Greets(string greeting) => _ = (needs, greeting);

        [Then("the greeting {string} is judged for {word}")]
        public void Judged(string expected, string rule) => _ = (expected, rule);
    }

    [Fact]
    public async Task Run_ConstructorParameterCannotBeResolved_FailsNamingTheChain()
    {
        using var suite = new TempSuite();
        suite.Add("inject.feature", Feature);

        var result = await suite.RunAsync([typeof(UnresolvableSteps), typeof(StaticSteps)]);

        var scenario = result.Scenarios[0];
        Assert.Equal(ScenarioStatus.Error, scenario.Status);
        // Reqnroll's container names what it could not resolve and the path to it.
        Assert.Contains("System.IComparable", scenario.Error, StringComparison.Ordinal);
        Assert.Contains("NeedsInterface", scenario.Error, StringComparison.Ordinal);
    }
}
