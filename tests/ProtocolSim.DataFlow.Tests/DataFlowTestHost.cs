using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.DataFlow.Identity;
using ProtocolSim.DataFlow.Projects;
using ProtocolSim.DataFlow.Sessions;

namespace ProtocolSim.DataFlow.Tests;

/// <summary>The mock on 127.0.0.1 port 0 with one client, the given projects, and a token for that client.</summary>
internal sealed class DataFlowTestHost : IAsyncDisposable
{
    public const string Tenant = "5a0b2c3d-1111-4222-8333-944455566677";

    private DataFlowTestHost(DataFlowHost app, string token)
    {
        App = app;
        Token = token;
    }

    public DataFlowHost App { get; }

    public string Token { get; }

    /// <summary>ws:// URL of a project-runner path, e.g. <c>/project-runner/tts-echo</c>.</summary>
    public Uri WebSocket(string path) => new(App.BaseUrl.Replace("http://", "ws://", StringComparison.Ordinal) + path);

    public static async Task<DataFlowTestHost> StartAsync(IEnumerable<ProjectDefinition> projects, TimeSpan? startDelay = null, TimeSpan? finalizeDuration = null, Action<DataFlowOptions>? configure = null)
    {
        var client = new IdentityClient { ClientId = "c", ClientSecret = "secret-for-tests", Tenant = Tenant };
        var app = await DataFlowFake.StartAsync(IPAddress.Loopback, client, o =>
        {
            o.AddProjects(projects);
            o.StartDelay = startDelay ?? TimeSpan.FromMilliseconds(10);
            o.FinalizeDuration = finalizeDuration ?? TimeSpan.FromMilliseconds(10);
            configure?.Invoke(o);
        }, CancellationToken.None);
        return new DataFlowTestHost(app, app.Services.GetRequiredService<TokenService>().Issue(client).Token);
    }

    /// <summary>The shipped projects (fixtures/dataflow/projects), which must load without errors.</summary>
    public static IReadOnlyList<ProjectDefinition> ShippedProjects()
    {
        var (projects, errors) = ProjectLoader.LoadDirectory(FixturesDirectory());
        Assert.Empty(errors);
        return projects;
    }

    public static string FixturesDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ProtocolSim.sln")))
            {
                return Path.Combine(dir.FullName, "fixtures", "dataflow", "projects");
            }
        }

        throw new DirectoryNotFoundException("repository root (ProtocolSim.sln) not found above " + AppContext.BaseDirectory);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
