using System.Collections.Concurrent;

namespace ProtocolSim.Conformance.Tests;

/// <summary>A suite directory in a temp folder: rules.yaml plus features; deleted on dispose.</summary>
public sealed class TempSuite : IDisposable
{
    public const string DefaultRules = """
        suite: test-suite
        title: Test suite
        reference: ../shared/protocols/test.md
        rules:
          - id: TST-001
            statement: "Send the greeting within 2 s of the metadata frame"
            strength: MUST
            source: "doc ch.1"
          - id: TST-002
            statement: "Answer pings"
            strength: MUST
            source: "doc ch.2"
          - id: TST-003
            statement: "Accept plain JSON metadata"
            strength: SHOULD
            source: "doc ch.3"
          - id: TST-004
            statement: "May send marks"
            strength: MAY
            source: "doc ch.4"
          - id: TST-005
            statement: "Close cleanly"
            strength: MUST
            source: "doc ch.5"
          - id: TST-009
            statement: "Log every call"
            strength: MUST
            source: "doc ch.9"
            observable: false
            reason: "needs the bot's own logs"
        """;

    private readonly string _temp;

    public TempSuite(string rules = DefaultRules, string suiteDirectory = "suite")
    {
        _temp = Path.Combine(Path.GetTempPath(), "protosim-conf-" + Guid.NewGuid().ToString("N"));
        Root = Path.Combine(_temp, "features", suiteDirectory);
        Directory.CreateDirectory(Root);
        if (rules.Length > 0)
        {
            File.WriteAllText(Path.Combine(Root, "rules.yaml"), rules);
        }
    }

    /// <summary>The suite directory (features/&lt;suite&gt;).</summary>
    public string Root { get; }

    public string ReportDirectory => Path.Combine(_temp, "report");

    public string Add(string name, string content)
    {
        var path = Path.Combine(Root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public LoadResult Load(params Type[] bindings) => ConformanceRunner.LoadTypes([Root], bindings);

    public async Task<RunResult> RunAsync(Type[] bindings, RunOptions? options = null, CancellationToken cancellationToken = default)
    {
        var load = Load(bindings);
        Assert.True(load.Success, string.Join("\n", load.Errors));
        return await new ConformanceRunner(load).RunAsync(options ?? new RunOptions(), cancellationToken);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Services for a run: returns the first object assignable to the requested type.</summary>
public sealed class TestServices(params object[] services) : IServiceProvider
{
    public object? GetService(Type serviceType) => services.FirstOrDefault(serviceType.IsInstanceOfType);
}

/// <summary>Shared by the test and its steps through the run's services (no static state).</summary>
public sealed class Probe
{
    public ConcurrentQueue<string> Events { get; } = new();

    public ConcurrentDictionary<string, ConcurrentQueue<string>> ByScenario { get; } = new();

    public ConcurrentDictionary<string, object?> Values { get; } = new();

    public void Record(string scenario, string what)
    {
        Events.Enqueue(what);
        ByScenario.GetOrAdd(scenario, _ => new ConcurrentQueue<string>()).Enqueue(what);
    }
}

/// <summary>Generic judging steps used by many tests.</summary>
[Binding]
public sealed class JudgeSteps(ConformanceContext context)
{
    [StepDefinition("rule {word} passes")]
    public void Passes(string id) => context.Rules.Pass(id, $"{id} seen ok");

    [StepDefinition("rule {word} fails")]
    public void Fails(string id) => context.Rules.Fail(id, "a greeting within 2 s", "no greeting after 5 s", "journal #3 at 5.00 s");

    [StepDefinition("rule {word} is noted")]
    public void Noted(string id) => context.Rules.Info(id, "observed something");

    [StepDefinition("rule {word} is checked as {word}")]
    public void Checked(string id, bool ok) => context.Rules.Check(id, ok, "ok", ok ? "ok" : "not ok");

    [StepDefinition("the precondition is not met")]
    public void NotMet() => throw new InconclusiveException("the bot never sent a greeting, see TST-001");

    [StepDefinition("the step crashes")]
    public void Crash() => throw new InvalidOperationException("boom");

    [StepDefinition("rule {word} is violated")]
    public void Violated(string id) => throw new RuleViolationException(id, "a pong", "nothing");

    [StepDefinition("nothing happens")]
    public void Nothing()
    {
    }
}
