using ProtocolSim.Core.Hosting;
using ProtocolSim.Cti;
using ProtocolSim.Cti.World;

[assembly: FakeHostFactory(typeof(CtiHostFactory))]

namespace ProtocolSim.Cti;

/// <summary>The CTI mock in <c>protosim serve</c>: the agent world of <c>fixtures/cti/default.yaml</c>.</summary>
public sealed class CtiHostFactory : IFakeHostFactory
{
    public string Name => "cti";

    public FakeHostPlan Prepare(FakeHostContext context)
    {
        var (world, errors) = AgentWorldLoader.Load(AgentWorld.DefaultPath(context.Fixtures));
        return FakeHostPlan.For(world, errors, async (w, cancellationToken) => await CtiFake.StartAsync(context.Address, o => o.World = w, cancellationToken));
    }
}
