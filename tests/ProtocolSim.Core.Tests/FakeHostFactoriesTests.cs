using System.Net;
using ProtocolSim.Core.Hosting;

namespace ProtocolSim.Core.Tests;

public sealed class FakeHostFactoriesTests
{
    [Fact]
    public void Discover_FindsNoFactory_WhereNoProtocolAssemblyNamesOne()
    {
        // This test project's directory holds ProtocolSim.Core (no factory) and the test assembly (skipped).
        Assert.Empty(FakeHostFactories.Discover(AppContext.BaseDirectory));
        Assert.DoesNotContain(ProtocolAssemblies.Find(AppContext.BaseDirectory), a => a.GetName().Name!.EndsWith(".Tests", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APlanWithErrors_KeepsThem_AndDoesNotStart()
    {
        var plan = FakeHostPlan.Failed(["fixture.yaml:3: agents: at least one agent", "fixture.yaml:9: model: unknown"]);
        Assert.Equal(2, plan.Errors.Count);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => plan.StartAsync(CancellationToken.None));
        Assert.Contains("agents: at least one agent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheContext_CarriesSettings_KeyedBySystem()
    {
        var context = new FakeHostContext(IPAddress.Loopback, "/fixtures", null) { Settings = new Dictionary<string, string> { ["dataflow.proto"] = "x.proto" } };
        Assert.Equal("x.proto", context.Settings["dataflow.proto"]);
        Assert.Empty(new FakeHostContext(IPAddress.Loopback, "/fixtures", null).Settings);
    }
}
