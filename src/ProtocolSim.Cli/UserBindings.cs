using System.Reflection;
using System.Runtime.Loader;

namespace ProtocolSim.Cli;

/// <summary>
/// Loads the assemblies of <c>--bindings</c> into the default load context, so their references to Reqnroll and
/// ProtocolSim.Conformance are the runner's own (one <c>[Binding]</c> attribute type, one context type); anything else
/// they reference is looked for beside them.
/// </summary>
internal static class UserBindings
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Directories = new(StringComparer.Ordinal);

    public static (List<Assembly> Assemblies, List<string> Errors) Load(IReadOnlyList<string> paths)
    {
        var assemblies = new List<Assembly>();
        var errors = new List<string>();
        foreach (var path in paths)
        {
            var full = Path.GetFullPath(path);
            if (!File.Exists(full))
            {
                errors.Add($"\"{path}\": no such file");
                continue;
            }

            lock (Gate)
            {
                if (Directories.Count == 0)
                {
                    AssemblyLoadContext.Default.Resolving += ResolveBeside;
                }

                Directories.Add(Path.GetDirectoryName(full)!);
            }

            try
            {
                assemblies.Add(AssemblyLoadContext.Default.LoadFromAssemblyPath(full));
            }
            catch (Exception ex) when (ex is BadImageFormatException or FileLoadException)
            {
                errors.Add($"\"{path}\": not a .NET assembly this runner can load ({ex.Message})");
            }
        }

        return (assemblies, errors);
    }

    private static Assembly? ResolveBeside(AssemblyLoadContext context, AssemblyName name)
    {
        string[] directories;
        lock (Gate)
        {
            directories = [.. Directories];
        }

        foreach (var directory in directories)
        {
            var candidate = Path.Combine(directory, name.Name + ".dll");
            if (File.Exists(candidate))
            {
                return context.LoadFromAssemblyPath(candidate);
            }
        }

        return null;
    }
}
