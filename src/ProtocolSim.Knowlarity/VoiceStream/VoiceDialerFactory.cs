using ProtocolSim.Core.Hosting;
using ProtocolSim.Knowlarity.VoiceStream;

[assembly: FakeHostFactory(typeof(VoiceDialerFactory))]

namespace ProtocolSim.Knowlarity.VoiceStream;

/// <summary>The voice stream's side of <c>protosim serve</c>: the dialer, with the caller recordings when they are here.</summary>
public sealed class VoiceDialerFactory : IFakeHostFactory
{
    public string Name => "voice";

    public FakeHostPlan Prepare(FakeHostContext context) =>
        FakeHostPlan.Ready(_ => Task.FromResult<IFakeHost>(new VoiceDialer(context.Recordings is null ? null : new Recordings(context.Recordings))));
}
