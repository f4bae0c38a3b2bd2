using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Knowlarity.Rest;
using ProtocolSim.Knowlarity.Steps;
using ProtocolSim.ReferenceClients.Knowlarity;

[assembly: SuiteModule(typeof(KnowlarityRestSuite))]

namespace ProtocolSim.Knowlarity.Steps;

/// <summary>The Knowlarity REST API and notifications stream suite: the client under test calls the fake, once per scenario.</summary>
public sealed class KnowlarityRestSuite : ISuiteModule
{
    public string Suite => "knowlarity-rest";

    public string Folder => "knowlarity/rest";

    public SuiteClientRole Role => SuiteClientRole.Client;

    public Assembly StepAssembly => typeof(KnowlarityRestSteps).Assembly;

    public int SelfTestParallel => 12;

    public IReadOnlyList<ReferenceClient> ReferenceClients { get; } = [.. KnowlarityReferenceClients.All.Select(c => new ReferenceClient
    {
        Name = c.Name,
        Conforming = c.Conforming,
        Breaks = c.BreaksRules,
        Description = c.Description,
        InDemo = c.Conforming,
        RunTask = (environment, log, ct) => KnowlarityReferenceClients.RunAsync(c.Name, environment, log, ct),
    })];

    public IReadOnlyList<string> Configure(SuiteRunContext context, IServiceCollection services)
    {
        services.AddSingleton(new KnowlaritySuiteSettings
        {
            Launcher = context.Launcher!,
            AccountFixture = AccountFixture.DefaultPath(context.Fixtures),
        });
        return [];
    }
}
