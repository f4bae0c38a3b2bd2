namespace ProtocolSim.Conformance.Suites;

/// <summary>
/// Finds the repository's folders: in <c>PROTOSIM_HOME</c> when it is set (a protosim built outside the checkout, as
/// <c>run-conformance.ps1</c> runs it), else from the current directory or the program's location.
/// </summary>
public static class RepositoryPaths
{
    /// <summary>The environment variable naming the ProtocolSim checkout whose features, fixtures and recordings to use.</summary>
    public const string HomeVariable = "PROTOSIM_HOME";

    public static string Features() => Find("features") ?? "features";

    public static string Fixtures() => Find("fixtures") ?? "fixtures";

    /// <summary>The caller recordings, <c>recordings/audio</c> in the nearest directory above a start that has one; null when none has.</summary>
    public static string? Recordings() => Starts().Select(Above).FirstOrDefault(found => found is not null);

    private static string? Above(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "recordings", "audio");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static IEnumerable<string> Starts() =>
        Environment.GetEnvironmentVariable(HomeVariable) is { Length: > 0 } home
            ? [home, Directory.GetCurrentDirectory(), AppContext.BaseDirectory]
            : [Directory.GetCurrentDirectory(), AppContext.BaseDirectory];

    private static string? Find(string name)
    {
        foreach (var start in Starts())
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, name);
                if (Directory.Exists(candidate) && File.Exists(Path.Combine(dir.FullName, "ProtocolSim.sln")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
