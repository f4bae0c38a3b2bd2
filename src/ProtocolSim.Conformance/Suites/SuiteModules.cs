using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Conformance.Suites;

/// <summary>The suite modules of the protocol assemblies beside the running program, and what the CLI does with all of them at once.</summary>
public static class SuiteModules
{
    private static readonly Lazy<IReadOnlyList<ISuiteModule>> Beside = new(() => Discover());

    /// <summary>The modules beside the running program, found once.</summary>
    public static IReadOnlyList<ISuiteModule> All => Beside.Value;

    /// <summary>Every module named by a <see cref="SuiteModuleAttribute"/> of a protocol assembly in <paramref name="directory"/>, ordered by folder.</summary>
    public static IReadOnlyList<ISuiteModule> Discover(string? directory = null) =>
        ProtocolAssemblies.Instances<SuiteModuleAttribute, ISuiteModule>(a => a.Module, directory)
            .OrderBy(m => m.Folder, StringComparer.Ordinal).ToList();

    /// <summary>Every option the modules add to <c>protosim run</c>, each name once.</summary>
    public static IReadOnlyList<ProgramOption> Options(IEnumerable<ISuiteModule> modules) =>
        modules.SelectMany(m => m.Options).DistinctBy(o => o.Name, StringComparer.Ordinal).ToList();

    /// <summary>Every setting <c>--set</c> may change, each set once (suites may share one).</summary>
    public static IReadOnlyList<SuiteSetting> KnownSettings(IEnumerable<ISuiteModule> modules) =>
        SettingSets(modules).SelectMany(s => s.Known).ToList();

    /// <summary>
    /// Every problem with the <c>--set</c> overrides, all at once: a name no suite knows, or a value its suite
    /// refuses. Every override is checked whichever suites run, so a misspelt setting never passes silently.
    /// </summary>
    public static IReadOnlyList<string> ValidateOverrides(IEnumerable<ISuiteModule> modules, IReadOnlyDictionary<string, string> overrides)
    {
        var sets = SettingSets(modules);
        var errors = new List<string>();
        foreach (var (name, value) in overrides)
        {
            var checks = sets.Select(s => s.Check(name, value)).Where(c => c.Known).ToList();
            if (checks.Count == 0)
            {
                errors.Add($"--set {name}: unknown setting; known: {string.Join(", ", sets.SelectMany(s => s.Known).Select(s => s.Name))}");
                continue;
            }

            errors.AddRange(checks.Where(c => c.Error is not null).Select(c => c.Error!).Distinct(StringComparer.Ordinal));
        }

        return errors;
    }

    private static List<ISuiteSettings> SettingSets(IEnumerable<ISuiteModule> modules) =>
        modules.Select(m => m.Settings).OfType<ISuiteSettings>().Distinct().ToList();
}
