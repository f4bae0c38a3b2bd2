using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Io.Cucumber.Messages.Types;
using ProtocolSim.Conformance;
using Reqnroll;
using Reqnroll.Analytics;
using Reqnroll.BoDi;
using Reqnroll.Bindings.Discovery;
using Reqnroll.Bindings.Provider;
using Reqnroll.Configuration;
using Reqnroll.Events;
using Reqnroll.Formatters.Configuration;
using Reqnroll.Formatters.RuntimeSupport;
using Reqnroll.Infrastructure;
using Reqnroll.Plugins;
using Reqnroll.Tracing;
using Reqnroll.UnitTestProvider;

[assembly: RuntimePlugin(typeof(ConformancePlugin))]

namespace ProtocolSim.Conformance;

/// <summary>
/// The runner's Reqnroll runtime plugin: registers the unit-test runtime provider (scenarios are driven by
/// <see cref="ConformanceRunner"/>, not by a unit-test framework), keeps Reqnroll quiet (no console trace, no telemetry
/// over the network), points Reqnroll's formatters at the run's report directory and limits binding discovery to the
/// run's binding assemblies or types.
/// </summary>
/// <remarks>Reqnroll creates it from the <c>[assembly: RuntimePlugin]</c> of this assembly; it is public for that only.</remarks>
public sealed class ConformancePlugin : IRuntimePlugin
{
    internal const string UnitTestProviderName = "protosim";

    /// <inheritdoc />
    public void Initialize(RuntimePluginEvents runtimePluginEvents, RuntimePluginParameters runtimePluginParameters, UnitTestProviderConfiguration unitTestProviderConfiguration)
    {
        ArgumentNullException.ThrowIfNull(runtimePluginEvents);
        ArgumentNullException.ThrowIfNull(unitTestProviderConfiguration);
        unitTestProviderConfiguration.UseUnitTestProvider(UnitTestProviderName);
        runtimePluginEvents.RegisterGlobalDependencies += (_, e) =>
            e.ObjectContainer.RegisterTypeAs<ConformanceRuntimeProvider, IUnitTestRuntimeProvider>(UnitTestProviderName);
        runtimePluginEvents.CustomizeGlobalDependencies += (_, e) =>
        {
            var container = e.ObjectContainer;
            container.RegisterTypeAs<NoTelemetry, IAnalyticsRuntimeTelemetryService>();
            container.RegisterTypeAs<NullListener, ITraceListener>();
            if (container.IsRegistered<ReqnrollSession>())
            {
                var session = container.Resolve<ReqnrollSession>();
                container.RegisterInstanceAs<IFormattersConfigurationProvider>(new FormatterOutputs(session));
                container.RegisterInstanceAs<IBindingAssemblyLoader>(new SessionAssemblyLoader(session));
                container.RegisterTypeAs<SessionBindingRegistryBuilder, IRuntimeBindingRegistryBuilder>();
            }
        };
        runtimePluginEvents.CustomizeTestThreadDependencies += (_, e) => e.ObjectContainer.RegisterTypeAs<NullListener, ITraceListener>();
    }
}

/// <summary>What one Reqnroll runtime (one global container) of a load or a run is made of.</summary>
internal sealed record ReqnrollSession
{
    public required IReadOnlyList<Assembly> BindingAssemblies { get; init; }

    /// <summary>When set, only these classes are bindings; otherwise every [Binding] class of the assemblies.</summary>
    public IReadOnlySet<Type>? BindingTypes { get; init; }

    /// <summary>Where Reqnroll's formatters write (Cucumber Messages NDJSON, HTML); null switches them off.</summary>
    public string? MessagesFile { get; init; }

    public string? HtmlFile { get; init; }

    /// <summary>
    /// Starts a Reqnroll runtime for this session: its own global container (nothing shared with other runs in the
    /// process), the defaults of Reqnroll's configuration (a reqnroll.json or REQNROLL_* variable of the working
    /// directory cannot change a verdict), and only this assembly's plugin.
    /// </summary>
    public ITestRunnerManager Start()
    {
        var testAssembly = typeof(ReqnrollSession).Assembly;
        var global = new SessionContainerBuilder(this).CreateGlobalContainer(testAssembly, new DefaultsOnly(this));
        var manager = global.Resolve<ITestRunnerManager>();
        manager.Initialize(testAssembly);
        return manager;
    }

    private sealed class SessionContainerBuilder(ReqnrollSession session) : ContainerBuilder
    {
        protected override void LoadPlugins(
            IRuntimeConfigurationProvider configurationProvider,
            ObjectContainer container,
            RuntimePluginEvents runtimePluginEvents,
            ReqnrollConfiguration reqnrollConfiguration,
            UnitTestProviderConfiguration unitTestProviderConfigration,
            Assembly testAssembly)
        {
            // Only our plugin: a *.ReqnrollPlugin.dll in the working directory (say, a partner's xunit bin folder) must
            // not replace the unit-test provider or add behaviour to a conformance run.
            container.RegisterInstanceAs(session);
            LoadPlugin(typeof(ConformancePlugin).Assembly.Location, container.Resolve<IRuntimePluginLoader>(), runtimePluginEvents, unitTestProviderConfigration, new NullListener(), traceMissingPluginAttribute: true);
        }
    }

    private sealed class DefaultsOnly(ReqnrollSession session) : IRuntimeConfigurationProvider
    {
        public ReqnrollConfiguration LoadConfiguration(ReqnrollConfiguration reqnrollConfiguration)
        {
            // Arguments convert the same on every machine, whatever its culture.
            reqnrollConfiguration.BindingCulture = CultureInfo.InvariantCulture;

            // Test assembly is this one; the suites' bindings come as additional step assemblies.
            foreach (var assembly in session.BindingAssemblies.Where(a => a != typeof(ReqnrollSession).Assembly).Distinct())
            {
                reqnrollConfiguration.AdditionalStepAssemblies.Add(assembly.FullName!);
            }

            return reqnrollConfiguration;
        }
    }
}

/// <summary>Scenario outcomes are read from Reqnroll's scenario context; these calls only end the collection.</summary>
internal sealed class ConformanceRuntimeProvider : IUnitTestRuntimeProvider
{
    public void TestPending(string message) => throw new ScenarioNotPassedException(message);

    public void TestInconclusive(string message) => throw new ScenarioNotPassedException(message);

    public void TestIgnore(string message) => throw new ScenarioNotPassedException(message);

    /// <summary>A step that cannot judge (the client made the rule vacuous) skips the rest like a pending step.</summary>
    public ScenarioExecutionStatus? DetectExecutionStatus(System.Exception exception) =>
        exception is InconclusiveException ? ScenarioExecutionStatus.Skipped : null;
}

/// <summary>Thrown by <see cref="ConformanceRuntimeProvider"/> when Reqnroll ends a scenario that did not pass.</summary>
internal sealed class ScenarioNotPassedException(string message) : System.Exception(message);

internal sealed class NoTelemetry : IAnalyticsRuntimeTelemetryService
{
    public void SendFeatureUseEvent(string featureName, Dictionary<string, string>? properties = null, Dictionary<string, double>? metrics = null)
    {
    }

    public void SendProjectRunningEvent()
    {
    }
}

/// <summary>Reqnroll's "message" (NDJSON) and "html" formatters, writing where the run says.</summary>
internal sealed class FormatterOutputs(ReqnrollSession session) : IFormattersConfigurationProvider
{
    public bool Enabled => session.MessagesFile is not null || session.HtmlFile is not null;

    public IDictionary<string, object>? GetFormatterConfigurationByName(string formatterName) => formatterName switch
    {
        "message" when session.MessagesFile is { } file => new Dictionary<string, object> { ["outputFilePath"] = file },
        "html" when session.HtmlFile is { } file => new Dictionary<string, object> { ["outputFilePath"] = file },
        _ => null,
    };

    public string ResolveTemplatePlaceholders(string template) => template;
}

/// <summary>Resolves the names of the configured step assemblies to the assemblies the run was given (a --bindings file included).</summary>
internal sealed class SessionAssemblyLoader(ReqnrollSession session) : IBindingAssemblyLoader
{
    public Assembly Load(string assemblyName) =>
        session.BindingAssemblies.FirstOrDefault(a => string.Equals(a.FullName, assemblyName, StringComparison.Ordinal)) ?? Assembly.Load(assemblyName);
}

/// <summary>Reqnroll's binding discovery, limited to the session's binding types when it names them.</summary>
internal sealed class SessionBindingRegistryBuilder(
    IRuntimeBindingSourceProcessor bindingSourceProcessor,
    IReqnrollAttributesFilter reqnrollAttributesFilter,
    IBindingAssemblyLoader bindingAssemblyLoader,
    ReqnrollConfiguration reqnrollConfiguration,
    IBindingProviderService bindingProviderService,
    ReqnrollSession session)
    : RuntimeBindingRegistryBuilder(bindingSourceProcessor, reqnrollAttributesFilter, bindingAssemblyLoader, reqnrollConfiguration, bindingProviderService)
{
    protected override Type[] GetAssemblyTypes(Assembly assembly, out string[] typeLoadErrors)
    {
        var types = base.GetAssemblyTypes(assembly, out typeLoadErrors);
        return session.BindingTypes is { } only ? [.. types.Where(only.Contains)] : types;
    }
}

/// <summary>A feature's Cucumber messages, parsed when the run loads it (a generated test class embeds the same at build time).</summary>
internal sealed class FeatureMessages(Source source, GherkinDocument document, IReadOnlyList<Pickle> pickles) : IFeatureLevelCucumberMessages
{
    public bool HasMessages => true;

    public GherkinDocument GherkinDocument => document;

    public IEnumerable<Pickle> Pickles => pickles;

    public Source Source => source;

    public IReadOnlyList<Pickle> PickleList => pickles;
}

/// <summary>What one runner did in the scenario it runs now: the binding of each step and each hook it ran, from Reqnroll's events.</summary>
internal sealed class RunnerTrace
{
    private readonly Lock _gate = new();
    private readonly List<HookRun> _hooks = [];

    public string? LastStepBinding { get; private set; }

    public static RunnerTrace For(ITestRunner runner, ConcurrentDictionary<ITestRunner, RunnerTrace> traces) =>
        traces.GetOrAdd(runner, r =>
        {
            var trace = new RunnerTrace();
            var publisher = r.TestThreadContext.TestThreadContainer.Resolve<ITestThreadExecutionEventPublisher>();
            publisher.AddHandler<StepFinishedEvent>(trace.OnStepFinished);
            publisher.AddHandler<HookBindingFinishedEvent>(trace.OnHookFinished);
            return trace;
        });

    public void BeginStep() => LastStepBinding = null;

    public List<HookRun> TakeHooks()
    {
        lock (_gate)
        {
            var hooks = _hooks.ToList();
            _hooks.Clear();
            return hooks;
        }
    }

    private void OnStepFinished(StepFinishedEvent e)
    {
        if (e.StepContext?.StepInfo?.BindingMatch?.StepBinding?.Method is { } method)
        {
            LastStepBinding = $"{method.Type.Name}.{method.Name}";
        }
    }

    private void OnHookFinished(HookBindingFinishedEvent e)
    {
        if (e.HookBinding.HookType is not (Reqnroll.Bindings.HookType.BeforeScenario or Reqnroll.Bindings.HookType.AfterScenario))
        {
            return;
        }

        lock (_gate)
        {
            _hooks.Add(new HookRun(e.HookBinding.HookType == Reqnroll.Bindings.HookType.BeforeScenario, $"{e.HookBinding.Method.Type.FullName}.{e.HookBinding.Method.Name}", $"{e.HookBinding.Method.Type.Name}.{e.HookBinding.Method.Name}", e.Duration, e.HookException));
        }
    }
}

/// <summary>One scenario hook Reqnroll ran.</summary>
internal sealed record HookRun(bool IsBefore, string Name, string Binding, TimeSpan Duration, System.Exception? Error);
