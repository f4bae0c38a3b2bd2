using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ProtocolSim.Core.Hosting;

/// <summary>A fake's options: one class per fake (STYLE.md), validated before anything listens.</summary>
public interface IFakeOptions
{
    /// <summary>Every configuration error at once (empty when valid).</summary>
    IReadOnlyList<string> Validate();
}

public static class FakeOptionsExtensions
{
    /// <summary>
    /// Creates the options, lets <paramref name="configure"/> change them, validates them (throwing with every error
    /// when invalid, under <paramref name="what"/>), and registers them with the clock the fakes share.
    /// </summary>
    public static TOptions AddFakeOptions<TOptions>(this IServiceCollection services, Action<TOptions>? configure, string what)
        where TOptions : class, IFakeOptions, new()
    {
        var options = new TOptions();
        configure?.Invoke(options);
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"Invalid {what} configuration:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(options);
        return options;
    }
}
