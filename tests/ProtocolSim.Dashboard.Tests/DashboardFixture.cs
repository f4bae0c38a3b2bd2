using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ProtocolSim.Cli;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Dashboard.Tests;

/// <summary>
/// <c>protosim serve</c>'s fakes and dashboard on loopback (as <see cref="ServeHost"/> starts them for the command),
/// a reports directory of its own, and Debian's Chromium driven by Playwright (no browser download).
/// </summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium package; scripts/setup.sh installs it.</summary>
    public const string Chromium = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public ServeHost Host { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public string ReportsRoot { get; } = Directory.CreateTempSubdirectory("protosim-dashboard-reports-").FullName;

    public string Url => Host.Endpoints["dashboard"]!.ToString();

    public JsonObject Endpoints => Host.Endpoints;

    /// <summary>Where screenshots are kept as test artifacts: artifacts/screenshots at the repository root.</summary>
    public static string Screenshots { get; } = Path.Combine(Path.GetDirectoryName(RepositoryPaths.Features())!, "artifacts", "screenshots");

    public async Task InitializeAsync()
    {
        var (host, errors) = await ServeHost.StartAsync(IPAddress.Loopback, null, ReportsRoot, CancellationToken.None);
        Host = host ?? throw new InvalidOperationException("serve did not start: " + string.Join("; ", errors));
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // Root in a container has no user namespace for Chromium's sandbox.
            Args = ["--no-sandbox"],
        });
        Directory.CreateDirectory(Screenshots);

        // A live page may take a moment on a busy 2-core machine; a failure still names what was awaited.
        Assertions.SetDefaultExpectTimeout(20_000);
    }

    /// <summary>A page at 1280x720 (the size the screenshots are kept at), with console errors collected.</summary>
    public async Task<(IPage Page, List<string> Errors)> NewPageAsync()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 720 } });
        context.SetDefaultTimeout(30_000);
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (errors)
                {
                    errors.Add(message.Text);
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (errors)
            {
                errors.Add(error);
            }
        };
        return (page, errors);
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Screenshots, name + ".png") });

    /// <summary>The PROTOSIM_* environment a Data Flow client gets from the served endpoints (ARCHITECTURE.md).</summary>
    public Dictionary<string, string> DataFlowEnvironment(string task)
    {
        var endpoints = Endpoints;
        var credentials = endpoints["credentials"]!["dataflow"]!;
        var ca = Path.Combine(ReportsRoot, "dataflow-grpc-ca.pem");
        File.WriteAllText(ca, endpoints["dataflowGrpcCaPem"]!.ToString());
        var audio = Path.Combine(Path.GetDirectoryName(RepositoryPaths.Features())!, "recordings", "audio", "question-16k.wav");
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PROTOSIM_TASK"] = task,
            ["PROTOSIM_AUDIO"] = audio,
            ["PROTOSIM_DATAFLOW_WS_URL"] = endpoints["dataflowWebSocket"]!.ToString(),
            ["PROTOSIM_DATAFLOW_GRPC_URL"] = endpoints["dataflowGrpc"]!.ToString(),
            ["PROTOSIM_DATAFLOW_GRPC_CLEARTEXT_URL"] = endpoints["dataflowGrpcCleartext"]!.ToString(),
            ["PROTOSIM_DATAFLOW_GRPC_CA"] = ca,
            ["PROTOSIM_DATAFLOW_HTTP_URL"] = endpoints["dataflowHttp"]!.ToString(),
            ["PROTOSIM_IDENTITY_URL"] = endpoints["identity"]!.ToString(),
            ["PROTOSIM_CLIENT_ID"] = credentials["clientId"]!.ToString(),
            ["PROTOSIM_CLIENT_SECRET"] = credentials["clientSecret"]!.ToString(),
            ["PROTOSIM_TENANT"] = credentials["tenant"]!.ToString(),
            ["PROTOSIM_PROJECT"] = credentials["project"]!.ToString(),
        };
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        Directory.Delete(ReportsRoot, recursive: true);
    }
}
