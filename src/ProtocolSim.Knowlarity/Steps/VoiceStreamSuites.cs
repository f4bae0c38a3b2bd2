using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Core.Hosting;
using ProtocolSim.Knowlarity.Steps;
using ProtocolSim.Knowlarity.VoiceStream;
using ProtocolSim.ReferenceClients;

[assembly: SuiteModule(typeof(StreamNodeSuite))]
[assembly: SuiteModule(typeof(VerloopSuite))]

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>
/// The voice-stream suites (Stream-Node and Verloop dialects): our peer dials the bot at <c>--target</c>. Both read
/// one <see cref="VoiceSuiteSettings"/> and the simulator defaults of knowlarity.md §5 (<c>--set</c>).
/// </summary>
public abstract class VoiceStreamSuite : ISuiteModule
{
    /// <summary>The setting of <c>--greeting-timeout</c> (seconds; Stream-Node calls).</summary>
    public const string GreetingTimeoutSetting = "knowlarity.greeting-timeout";

    private protected VoiceStreamSuite(string suite, string folder, BotDialect dialect, string configuredPath, string demoBot)
    {
        Suite = suite;
        Folder = folder;
        ReferenceClients = [.. ReferenceBots.All.Where(b => b.Dialect == dialect).Select(b => new ReferenceClient
        {
            Name = b.Name,
            Conforming = b.Conforming,
            Breaks = b.BreaksRules,
            Description = b.Description,
            InDemo = b.Name == demoBot,
            StartServer = async (port, cancellationToken) =>
                new BotServer(await ReferenceBotServer.StartAsync(b.Name, new ReferenceBotOptions { Port = port }, cancellationToken), configuredPath),
        })];
    }

    public string Suite { get; }

    public string Folder { get; }

    public SuiteClientRole Role => SuiteClientRole.Server;

    public Assembly StepAssembly => typeof(VoiceStreamSteps).Assembly;

    public ISuiteSettings Settings => VoicePeerOverrides.Catalog;

    public IReadOnlyList<ProgramOption> Options { get; } =
        [new("--greeting-timeout", "Stream-Node greeting timeout in seconds (knowlarity.md §5; default 3).", GreetingTimeoutSetting)];

    public int SelfTestParallel => 8;

    public IReadOnlyList<ReferenceClient> ReferenceClients { get; }

    public IReadOnlyList<string> Configure(SuiteRunContext context, IServiceCollection services)
    {
        var errors = new List<string>();
        if (context.Target is null)
        {
            errors.Add("the voice-stream suites dial your bot: give its URL with --target wss://host:port/path");
        }

        if (context.Recordings is null)
        {
            errors.Add("recordings/audio not found above the current directory or the program; run from the repository");
        }

        var greeting = TimeSpan.FromSeconds(3);
        if (context.Settings.TryGetValue(GreetingTimeoutSetting, out var text))
        {
            if (!VoicePeerOverrides.TryParseSeconds(text, allowZero: false, out greeting))
            {
                errors.Add($"--greeting-timeout \"{text}\": give a number of seconds above 0");
            }
        }

        if (errors.Count == 0)
        {
            // Both dialects' modules register the same settings; the first registration stands.
            services.TryAddSingleton(new VoiceSuiteSettings
            {
                Target = context.Target,
                Insecure = context.Insecure,
                AllowPlainWs = context.AllowPlainWs,
                GreetingTimeout = greeting,
                Recordings = new Recordings(context.Recordings!),
                Overrides = context.Overrides,
            });
        }

        return errors;
    }

    /// <summary>A reference bot on loopback, dialled at the path its dialect's configuration gives.</summary>
    private sealed class BotServer(ReferenceBotServer bot, string path) : IReferenceServer
    {
        public Uri Url { get; } = new UriBuilder(bot.Url) { Path = path }.Uri;

        public bool Tls => bot.Info.Tls;

        public ValueTask DisposeAsync() => bot.DisposeAsync();
    }
}

/// <summary>Knowlarity voice streaming, IVR Stream-Node dialect (rules KVS): the Stream Node dials <c>wss-url</c>.</summary>
public sealed class StreamNodeSuite() : VoiceStreamSuite("knowlarity-voice-stream", "knowlarity/voice-stream", BotDialect.StreamNode, "/voice", demoBot: "conforming");

/// <summary>Knowlarity voice streaming, Verloop dialect (rules KVV): the peer dials the registered setup-call-streams URL.</summary>
public sealed class VerloopSuite() : VoiceStreamSuite("knowlarity-verloop", "knowlarity/verloop", BotDialect.Verloop, "/vaani/knowlarity/setup-call-streams", demoBot: "verloop-conforming");
