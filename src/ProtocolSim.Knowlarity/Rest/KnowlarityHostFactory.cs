using ProtocolSim.Core.Hosting;
using ProtocolSim.Knowlarity.Rest;

[assembly: FakeHostFactory(typeof(KnowlarityHostFactory))]

namespace ProtocolSim.Knowlarity.Rest;

/// <summary>The Knowlarity fake in <c>protosim serve</c>: the account fixture of <c>fixtures/knowlarity</c>.</summary>
public sealed class KnowlarityHostFactory : IFakeHostFactory
{
    public string Name => "knowlarity";

    public FakeHostPlan Prepare(FakeHostContext context)
    {
        var (account, errors) = AccountFixture.Load(AccountFixture.DefaultPath(context.Fixtures));
        return FakeHostPlan.For(account, errors, async (a, cancellationToken) => await KnowlarityFake.StartAsync(context.Address, o => o.Account = a, cancellationToken));
    }
}
