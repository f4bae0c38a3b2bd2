using System.Reflection;

namespace ProtocolSim.Core.Hosting;

/// <summary>
/// The protocol assemblies beside the running program (<c>ProtocolSim.*.dll</c>, test assemblies left out) and what
/// they name with assembly attributes: the CLI finds every fake and suite this way without naming one.
/// </summary>
public static class ProtocolAssemblies
{
    /// <summary>
    /// One instance of every type that an attribute <typeparamref name="TAttribute"/> of a protocol assembly names
    /// (a public class with a parameterless constructor), in the order of the assemblies' names and then of the attributes.
    /// </summary>
    public static IReadOnlyList<T> Instances<TAttribute, T>(Func<TAttribute, Type> type, string? directory = null)
        where TAttribute : Attribute
    {
        var found = new List<T>();
        foreach (var assembly in Find(directory ?? AppContext.BaseDirectory))
        {
            foreach (var attribute in assembly.GetCustomAttributes<TAttribute>())
            {
                var named = type(attribute);
                found.Add((T)(Activator.CreateInstance(named) ?? throw new InvalidOperationException($"{named} could not be made")));
            }
        }

        return found;
    }

    /// <summary>The loaded assembly of each <c>ProtocolSim.*.dll</c> in <paramref name="directory"/>, loaded once into the default context.</summary>
    public static IEnumerable<Assembly> Find(string directory)
    {
        // A name may be loaded twice (a test runner loads its adapters into contexts of their own): the first is taken.
        var loaded = new Dictionary<string, Assembly>(StringComparer.Ordinal);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies().Where(a => !a.IsDynamic))
        {
            loaded.TryAdd(assembly.GetName().Name ?? "", assembly);
        }

        foreach (var file in Directory.EnumerateFiles(directory, "ProtocolSim.*.dll").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.EndsWith(".Tests", StringComparison.Ordinal))
            {
                continue;
            }

            yield return loaded.TryGetValue(name, out var assembly) ? assembly : Assembly.Load(new AssemblyName(name));
        }
    }
}
