using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Cli.Tests;

/// <summary>The suites the CLI finds beside it, none named by it (issue 18, item 2).</summary>
public sealed class SuiteModuleTests
{
    [Fact]
    public void EverySuiteOfFeatures_HasAModule_ThatNamesItsCatalogue()
    {
        var folders = Directory.GetFiles(RepositoryPaths.Features(), "rules.yaml", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepositoryPaths.Features(), Path.GetDirectoryName(f)!).Replace('\\', '/'))
            .Order(StringComparer.Ordinal).ToList();
        Assert.Equal(folders, SuiteModules.All.Select(m => m.Folder));
        foreach (var module in SuiteModules.All)
        {
            var load = ConformanceRunner.LoadCatalogues([Path.Combine(RepositoryPaths.Features(), module.Folder)]);
            Assert.True(load.Success, string.Join("; ", load.Errors));
            Assert.Equal(module.Suite, Assert.Single(load.Catalogues).Suite);
        }
    }

    [Fact]
    public void EveryReferenceClient_RunsOneWay_AndEverySuiteHasAConformingOneAndABrokenOne()
    {
        foreach (var module in SuiteModules.All)
        {
            foreach (var client in module.ReferenceClients)
            {
                var ways = (client.RunTask is null ? 0 : 1) + (client.StartServer is null ? 0 : 1) + (client.DemoCommand is null ? 0 : 1);
                Assert.True(ways == 1, $"{client.Name} must run one way, as a task, a server or a demo command; it has {ways}");
                Assert.True(module.Role == SuiteClientRole.Server == (client.StartServer is not null) || client.DemoCommand is not null, $"{client.Name} does not fit the role of {module.Folder}");
                Assert.True(client.Conforming == (client.Breaks.Count == 0), $"{client.Name}: conforming means it breaks no rule");
            }

            Assert.Contains(module.ReferenceClients, c => c.Conforming && c.InDemo);
            Assert.Contains(module.ReferenceClients, c => !c.Conforming && c.InSelfTest);
        }

        var names = SuiteModules.All.SelectMany(m => m.ReferenceClients).Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.OrdinalIgnoreCase).Count());
        Assert.Equal(SelfTestCatalog.All.Count, SuiteModules.All.Sum(m => m.ReferenceClients.Count(c => c.InSelfTest)));
    }

    [Fact]
    public void TheDemo_RunsOneConformingClientPerIntegrationOrTransport()
    {
        Assert.Equal(
            ["cti-socket-conforming", "cti-http-conforming", "dataflow-conforming", "dataflow-grpc-conforming", "dataflow-http-conforming", "dataflow-grpc-node", "knowlarity-conforming", "verloop-conforming", "conforming"],
            Demo.Runs.Select(r => r.Client.Name));
    }

    [Fact]
    public void EveryBrokenClient_BreaksOnlyRulesOfItsOwnSuite()
    {
        foreach (var module in SuiteModules.All)
        {
            var ids = ConformanceRunner.LoadCatalogues([Path.Combine(RepositoryPaths.Features(), module.Folder)]).Catalogues.SelectMany(c => c.Rules).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var client in module.ReferenceClients)
            {
                Assert.All(client.Breaks.Concat(client.NotApplicable), id => Assert.True(ids.Contains(id), $"{client.Name} names {id}, not a rule of {module.Suite}"));
            }
        }
    }
}
