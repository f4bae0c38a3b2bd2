using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Conformance.Tests;

public sealed class SuiteModulesTests
{
    private static readonly ISuiteSettings Shared = new Settings();

    [Fact]
    public void Overrides_EveryProblemAtOnce_ASharedSetCheckedOnce()
    {
        // Two suites share one set (as the voice-stream dialects do): a bad value is reported once, an unknown name with every known one.
        ISuiteModule[] modules = [new Module("a", Shared), new Module("b", Shared), new Module("c", null)];
        var errors = SuiteModules.ValidateOverrides(modules, new Dictionary<string, string> { ["Bogus"] = "1", ["Speed"] = "fast", ["Colour"] = "red" });
        Assert.Equal(["--set Bogus: unknown setting; known: Speed, Colour", "--set Speed=fast: not a number"], errors);
        Assert.Equal(["Speed", "Colour"], SuiteModules.KnownSettings(modules).Select(s => s.Name));
    }

    [Fact]
    public void Overrides_NoSuiteWithSettings_EveryNameIsUnknown()
    {
        var errors = SuiteModules.ValidateOverrides([new Module("c", null)], new Dictionary<string, string> { ["Speed"] = "1" });
        Assert.Equal(["--set Speed: unknown setting; known: "], errors);
    }

    [Fact]
    public void Options_EachNameOnce()
    {
        var option = new Core.Hosting.ProgramOption("--proto", "a proto file", "x.proto");
        ISuiteModule[] modules = [new Module("a", null) { Extra = [option] }, new Module("b", null) { Extra = [option with { Description = "the same option, said again" }] }];
        Assert.Equal(["--proto"], SuiteModules.Options(modules).Select(o => o.Name));
    }

    [Fact]
    public void Discover_FindsNoModule_WhereNoProtocolAssemblyNamesOne() =>
        Assert.Empty(SuiteModules.Discover(AppContext.BaseDirectory));

    private sealed class Settings : ISuiteSettings
    {
        public IReadOnlyList<SuiteSetting> Known { get; } = [new("Speed", "a number", "1"), new("Colour", "any word", "blue")];

        public SettingCheck Check(string name, string value) => name switch
        {
            "Speed" => int.TryParse(value, out _) ? SettingCheck.Valid : SettingCheck.Invalid($"--set {name}={value}: not a number"),
            "Colour" => SettingCheck.Valid,
            _ => SettingCheck.Unknown,
        };
    }

    private sealed class Module(string folder, ISuiteSettings? settings) : ISuiteModule
    {
        public IReadOnlyList<Core.Hosting.ProgramOption> Extra { get; init; } = [];

        public string Suite => folder;

        public string Folder => folder;

        public SuiteClientRole Role => SuiteClientRole.Client;

        public Assembly StepAssembly => typeof(SuiteModulesTests).Assembly;

        public ISuiteSettings? Settings => settings;

        public IReadOnlyList<Core.Hosting.ProgramOption> Options => Extra;

        public int SelfTestParallel => 1;

        public IReadOnlyList<ReferenceClient> ReferenceClients => [];

        public IReadOnlyList<string> Configure(SuiteRunContext context, IServiceCollection services) => [];
    }
}
