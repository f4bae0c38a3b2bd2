using System.Reflection;
using System.Runtime.ExceptionServices;

namespace ProtocolSim.Conformance;

/// <summary>
/// Per-scenario context injection (as Reqnroll's): the run's services first, otherwise one instance per concrete class
/// per scenario, constructor-injected, disposed in reverse creation order when the scenario ends.
/// </summary>
internal sealed class ScenarioContainer(ScenarioContext context, IServiceProvider services, TimeProvider time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Type, object> _instances = [];
    private readonly List<object> _created = [];

    public object Resolve(Type type, CancellationToken token)
    {
        lock (_gate)
        {
            return Resolve(type, [], token);
        }
    }

    /// <summary>Disposes what the container created, newest first; returns the errors.</summary>
    public async Task<List<string>> DisposeAsync()
    {
        List<object> created;
        lock (_gate)
        {
            created = [.. _created];
            _created.Clear();
            _instances.Clear();
        }

        var errors = new List<string>();
        for (var i = created.Count - 1; i >= 0; i--)
        {
            try
            {
                switch (created[i])
                {
                    case IAsyncDisposable asyncDisposable:
                        await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                        break;
                    case IDisposable disposable:
                        disposable.Dispose();
                        break;
                }
            }
#pragma warning disable CA1031 // A failing Dispose is reported with the scenario, never thrown out of the run.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                errors.Add($"disposing {created[i].GetType().Name} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        return errors;
    }

    private object Resolve(Type type, List<Type> chain, CancellationToken token)
    {
        if (type == typeof(ScenarioContext))
        {
            return context;
        }

        if (type == typeof(RuleRecorder))
        {
            return context.Rules;
        }

        if (type == typeof(CancellationToken))
        {
            return token;
        }

        if (type == typeof(IServiceProvider))
        {
            return services;
        }

        if (_instances.TryGetValue(type, out var existing))
        {
            return existing;
        }

        var service = services.GetService(type);
        if (service is not null)
        {
            _instances[type] = service;
            return service;
        }

        if (type == typeof(TimeProvider))
        {
            return time;
        }

        var path = string.Join(" -> ", chain.Append(type).Select(t => t.Name));
        if (!type.IsClass || type.IsAbstract || type == typeof(string) || type.ContainsGenericParameters || type.IsArray)
        {
            throw new InvalidOperationException($"cannot inject {type.FullName} ({path}): it is not a concrete class and the run's services do not provide it");
        }

        if (chain.Contains(type))
        {
            throw new InvalidOperationException($"circular constructor dependency: {path}");
        }

        var constructors = type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .OrderByDescending(c => c.GetParameters().Length)
            .ToList();
        if (constructors.Count == 0)
        {
            throw new InvalidOperationException($"cannot inject {type.FullName} ({path}): it has no public constructor");
        }

        if (constructors.Count > 1 && constructors[0].GetParameters().Length == constructors[1].GetParameters().Length)
        {
            throw new InvalidOperationException($"cannot inject {type.FullName} ({path}): it has several public constructors with {constructors[0].GetParameters().Length} parameters");
        }

        chain.Add(type);
        var arguments = constructors[0].GetParameters().Select(p => Resolve(p.ParameterType, chain, token)).ToArray();
        chain.RemoveAt(chain.Count - 1);
        object instance;
        try
        {
            instance = constructors[0].Invoke(arguments);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            throw;
        }

        _instances[type] = instance;
        _created.Add(instance);
        return instance;
    }
}

/// <summary>An empty service provider, for runs without services.</summary>
internal sealed class EmptyServiceProvider : IServiceProvider
{
    public static EmptyServiceProvider Instance { get; } = new();

    public object? GetService(Type serviceType) => null;
}
