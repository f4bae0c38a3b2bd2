using System.Text.Json.Nodes;
using Microsoft.Playwright;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.ReferenceClients;
using ProtocolSim.ReferenceClients.DataFlow;
using static Microsoft.Playwright.Assertions;

namespace ProtocolSim.Dashboard.Tests;

/// <summary>
/// The dashboard and the report end to end in Chromium: what a developer sees while a client runs, what an admin
/// button does, and what a partner reads. Screenshots (1280x720) go to artifacts/screenshots.
/// </summary>
public sealed class DashboardBrowserTests(DashboardFixture fixture) : IClassFixture<DashboardFixture>
{
    [Fact]
    public async Task ACallToTheReferenceBotAppearsLive_ItsTimelineFillsWhileItRuns_AndItsAudioPlaysWithAWaveform()
    {
        // The voice stream's client under test is the bot: the reference bot answers, our peer dials it from the
        // dashboard's action and speaks in real time, so the session stays open for seconds.
        await using var bot = await ReferenceBotServer.StartAsync("conforming");
        var (page, errors) = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Url + "#/actions");
        var form = page.Locator("form[data-action='voice-dial']");
        await form.GetByLabel("Bot URL").FillAsync(bot.Url.ToString());
        await form.GetByLabel("Listen for (s)").FillAsync("4");
        await form.GetByLabel("Accept a self-signed bot certificate").CheckAsync();
        await form.Locator("button[type=submit]").ClickAsync();
        var result = form.Locator("pre.result");
        await Expect(result).ToContainTextAsync("HTTP 202");
        var key = JsonNode.Parse((await result.TextContentAsync())!.Split('\n', 2)[1])!["session"]!.ToString();

        await page.GotoAsync(fixture.Url + "#/");
        var row = page.Locator($"a.row[data-key='{key}']");
        await Expect(row.Locator(".c-state")).ToHaveTextAsync("open");
        await Expect(row.Locator(".c-proto")).ToHaveTextAsync("knowlarity-voice-stream");
        await row.ClickAsync();
        var entries = page.Locator("#timeline li.entry");
        await Expect(entries.First).ToBeVisibleAsync();
        var early = await entries.CountAsync();
        await page.WaitForFunctionAsync("n => document.querySelectorAll('#timeline li.entry').length > n + 10 && document.getElementById('session-state').textContent === 'open'", early);
        await DashboardFixture.ScreenshotAsync(page, "session-live");

        await Expect(page.Locator("#session-state")).ToHaveTextAsync("ended", new LocatorAssertionsToHaveTextOptions { Timeout = 60_000 });
        await Expect(row.Locator(".c-state")).ToHaveTextAsync("ended");
        foreach (var track in new[] { "caller", "bot" })
        {
            var figure = page.Locator("#audio-" + track);
            await Expect(figure.Locator("canvas[data-drawn]")).ToHaveCountAsync(1);
            var audio = figure.Locator("audio");
            Assert.EndsWith(".wav", new Uri(new Uri(fixture.Url), await audio.GetAttributeAsync("src")).AbsolutePath, StringComparison.Ordinal);
            Assert.NotEqual("", await audio.EvaluateAsync<string>("a => a.canPlayType('audio/wav')"));
            await page.WaitForFunctionAsync("a => a.readyState >= 1 && a.duration > 0.2", await audio.ElementHandleAsync());
            Assert.True(await audio.EvaluateAsync<bool>("a => a.play().then(() => { a.pause(); return true; }, () => false)"));
        }

        await DashboardFixture.ScreenshotAsync(page, "voice-call-audio");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task ADataFlowClientsEntries_ExpandToJsonAndHex_WithItsSecretsMasked()
    {
        var (page, errors) = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Url);
        await Expect(page.Locator("#live")).ToHaveTextAsync("live");

        // A broken client that puts its client secret into Start (DFA-007): the fake records the finding, and the
        // secret shows nowhere, neither in the JSON (read from the redacted text, not the parsed message) nor in hex.
        var log = new StringWriter();
        await DataFlowReferenceClients.RunAsync("dataflow-secret-to-dataflow", fixture.DataFlowEnvironment("stream-audio"), log, CancellationToken.None);

        // The session appears without a reload; the page is pushed the list.
        var row = page.Locator("a.row", new PageLocatorOptions { HasText = "dataflow-ws" }).First;
        await Expect(row.Locator(".c-state")).ToHaveTextAsync("ended");
        await Expect(row.Locator(".c-find")).Not.ToHaveTextAsync("0");
        await row.ClickAsync();
        await Expect(page.Locator("#timeline li.entry.dir-to-client", new PageLocatorOptions { HasText = "FinalResult" }).First).ToBeVisibleAsync();

        // The audio the client streamed (a mono WAV) plays as the session's input track, and its frames are audio frames.
        await Expect(page.Locator("#audio-input canvas[data-drawn]")).ToHaveCountAsync(1);
        await page.WaitForFunctionAsync("a => a.readyState >= 1 && a.duration > 0.5", await page.Locator("#audio-input audio").ElementHandleAsync());
        await Expect(page.Locator("#timeline li.entry.kind-binary.audio-frame").First).ToBeVisibleAsync();

        // The client's Start expands to pretty JSON (its token's signature masked) and to the bytes in hex.
        var start = page.Locator("#timeline li.entry.dir-from-client", new PageLocatorOptions { HasText = "Start" }).First;
        await start.Locator(".entry-head").ClickAsync();
        await Expect(start.Locator(".entry-head")).ToHaveAttributeAsync("aria-expanded", "true");
        var json = start.Locator("pre.json");
        await Expect(json).ToContainTextAsync("\"MessageName\": \"Start\"");
        await Expect(json).ToContainTextAsync(".***\"");
        await Expect(json).ToContainTextAsync("\"ClientSecret\": \"***\"");
        await Expect(start.Locator(".entry-head .rule")).ToHaveTextAsync("DFA-007");
        await Expect(start.Locator("p.error")).ToContainTextAsync("DFA-007");
        await Expect(start.Locator("pre.hex")).ToContainTextAsync("0000  7b 22");

        // An audio frame expands to hex only.
        var frame = page.Locator("#timeline li.entry.kind-binary").First;
        await frame.Locator(".entry-head").ClickAsync();
        await Expect(frame.Locator("pre.hex")).ToContainTextAsync("0000  ");
        await Expect(frame.Locator("pre.json")).ToHaveCountAsync(0);
        await DashboardFixture.ScreenshotAsync(page, "entry-expanded");

        var secret = fixture.Endpoints["credentials"]!["dataflow"]!["clientSecret"]!.ToString();
        Assert.DoesNotContain(secret, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task TheInboundCallAction_RingsACall_WhoseEventsReachTheReferenceClientsStream()
    {
        // The conforming Knowlarity client registers for notifications, opens the stream, and waits for a call.
        var knowlarity = fixture.Endpoints["credentials"]!["knowlarity"]!;
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PROTOSIM_TASK"] = "watch-notifications",
            ["PROTOSIM_KNOWLARITY_API_URL"] = fixture.Endpoints["knowlarityApi"]!.ToString(),
            ["PROTOSIM_KNOWLARITY_NOTIFICATIONS_URL"] = fixture.Endpoints["knowlarityNotifications"]!.ToString(),
            ["PROTOSIM_X_API_KEY"] = knowlarity["xApiKey"]!.ToString(),
            ["PROTOSIM_SR_API_KEY"] = knowlarity["srApiKey"]!.ToString(),
            ["PROTOSIM_CHANNEL"] = knowlarity["channel"]!.ToString(),
            ["PROTOSIM_SR_NUMBER"] = knowlarity["srNumber"]!.ToString(),
            ["PROTOSIM_AGENT_NUMBER"] = knowlarity["agentNumber"]!.ToString(),
        };
        var (page, errors) = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Url + "#/");
        await page.Locator("#f-state").SelectOptionAsync("open");
        await Expect(page.Locator("#list")).ToHaveAttributeAsync("data-query", "state=open");
        var log = new StringWriter();
        var client = Task.Run(() => ReferenceClients.Knowlarity.KnowlarityReferenceClients.RunAsync("knowlarity-conforming", environment, log, CancellationToken.None));
        await Expect(page.Locator("a.row", new PageLocatorOptions { HasText = "knowlarity-notifications" })).ToHaveCountAsync(1);

        await page.GotoAsync(fixture.Url + "#/actions");
        var form = page.Locator("form[data-action='knowlarity-inbound-call']");
        await form.Locator("button[type=submit]").ClickAsync();
        var result = form.Locator("pre.result");
        await Expect(result).ToContainTextAsync("HTTP 201");
        var uuid = JsonNode.Parse((await result.TextContentAsync())!.Split('\n', 2)[1])!["uuid"]!.ToString();
        await DashboardFixture.ScreenshotAsync(page, "admin-action");

        // The client follows the call to its CDR and exits; the call's session shows each event going to its stream.
        Assert.True(await client == 0, log.ToString());
        await page.GotoAsync(fixture.Url + "#/");
        await page.Locator("#f-state").SelectOptionAsync("");
        await page.Locator("#f-q").FillAsync(uuid);
        await Expect(page.Locator("#list")).ToHaveAttributeAsync("data-query", "q=" + uuid);
        var row = page.Locator("a.row", new PageLocatorOptions { HasText = "knowlarity-call" });
        await Expect(row).ToHaveCountAsync(1);
        await row.ClickAsync();
        await Expect(page.Locator("#timeline li.entry", new PageLocatorOptions { HasText = "CDR" }).Filter(new LocatorFilterOptions { HasText = "to 1 stream(s)" })).ToHaveCountAsync(1);
        await Expect(page.Locator("#session-state")).ToHaveTextAsync("ended");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task TheReportOfARunWithABrokenClient_ShowsItsVerdictCounts_AndPrints()
    {
        var directory = Path.Combine(fixture.ReportsRoot, "broken-wav-header");
        var protosim = Path.Combine(AppContext.BaseDirectory, "protosim.dll");
        var parse = ProtocolSim.Cli.Program.Parse(ProtocolSim.Cli.Program.Build(new StringWriter(), new StringWriter()),
            ["run", Path.Combine(RepositoryPaths.Features(), "dataflow"), "--tags", "@DFW-007 or @DFA-001", "--client-command", $"dotnet '{protosim}' reference-client dataflow-wav-header", "--report-dir", directory]);
        Assert.Equal(1, await parse.InvokeAsync(new System.CommandLine.InvocationConfiguration(), CancellationToken.None));
        var results = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(directory, "results.json")))!;
        var counts = results["rules"]!.AsArray().GroupBy(r => r!["verdict"]!.ToString()).ToDictionary(g => g.Key, g => g.Count());
        Assert.True(counts.GetValueOrDefault("FAIL") > 0);

        var (page, errors) = await fixture.NewPageAsync();
        await page.GotoAsync(fixture.Url + "#/reports");
        var run = page.Locator("#reports tr", new PageLocatorOptions { HasText = "broken-wav-header" });
        await Expect(run).ToContainTextAsync($"{counts.GetValueOrDefault("FAIL")} fail");
        await DashboardFixture.ScreenshotAsync(page, "reports");
        await run.GetByRole(AriaRole.Link, new LocatorGetByRoleOptions { Name = "Open report" }).ClickAsync();

        // The report: one filter button per verdict with its count, and the filter shows exactly those rules.
        await Expect(page.Locator("#rule-table")).ToBeVisibleAsync();
        foreach (var (verdict, count) in counts)
        {
            await Expect(page.Locator($".filters[data-target='rule-table'] button[data-filter='{verdict}']")).ToHaveTextAsync($"{verdict} ({count})");
        }

        await page.Locator(".filters[data-target='rule-table'] button[data-filter='FAIL']").ClickAsync();
        await Expect(page.Locator("#rule-table tbody tr:visible")).ToHaveCountAsync(counts["FAIL"]);
        await Expect(page.Locator("#rule-table tbody tr:visible").First).ToContainTextAsync("DFW-007");
        await DashboardFixture.ScreenshotAsync(page, "report-failures");

        // Tab reaches every control of the report too: the filters, the links, each scenario's and entry's summary, the players.
        await page.Locator(".filters[data-target='rule-table'] button[data-filter='all']").ClickAsync();
        await AssertTabReachesEveryControlAsync(page, "report.html");

        // Printed: the filters go, every row and collapsed section shows, and the PDF is written.
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        await Expect(page.Locator(".filters").First).ToBeHiddenAsync();
        await Expect(page.Locator("#rule-table tbody tr:visible")).ToHaveCountAsync(results["rules"]!.AsArray().Count);
        var pdf = await page.PdfAsync(new PagePdfOptions { Path = Path.Combine(DashboardFixture.Screenshots, "report.pdf"), Format = "A4" });
        Assert.Equal("%PDF"u8.ToArray(), pdf[..4]);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task KeyboardNavigation_ReachesEveryControl_OfEveryView()
    {
        // A session with a few entries of its own: an inbound call rung through the Knowlarity admin API.
        using var http = new HttpClient();
        using var rung = await http.PostAsync(fixture.Endpoints["admin"] + "/knowlarity/inbound-call", new StringContent("""{"customer_number":"+919900000002"}""", System.Text.Encoding.UTF8, "application/json"));
        var uuid = JsonNode.Parse(await rung.Content.ReadAsStringAsync())!["uuid"]!.ToString();

        var (page, errors) = await fixture.NewPageAsync();
        foreach (var view in new[] { "#/", "#/actions", "#/reports" })
        {
            await page.GotoAsync(fixture.Url + view);
            await Expect(page.Locator("#live")).ToHaveTextAsync("live");
            if (view == "#/actions")
            {
                await Expect(page.Locator("form.action").First).ToBeVisibleAsync();
            }
            else if (view == "#/")
            {
                await Expect(page.Locator("a.row").First).ToBeVisibleAsync();
            }

            await AssertTabReachesEveryControlAsync(page, view);
        }

        // A session's page: its timeline entries are buttons too.
        await page.GotoAsync(fixture.Url + "#/");
        await page.Locator("#f-q").FillAsync(uuid);
        await Expect(page.Locator("#list")).ToHaveAttributeAsync("data-query", "q=" + uuid);
        await Expect(page.Locator("a.row")).ToHaveCountAsync(1);
        await page.Locator("a.row").ClickAsync();
        await Expect(page.Locator("#timeline li.entry").First).ToBeVisibleAsync();
        await AssertTabReachesEveryControlAsync(page, "a session");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task RunWithDashboard_ShowsTheScenariosSessionsLive_ThenItsReport_UntilCtrlC()
    {
        var reports = Path.Combine(fixture.ReportsRoot, "run-with-dashboard");
        var protosim = Path.Combine(AppContext.BaseDirectory, "protosim.dll");
        var output = new LineWatcher();
        using var stop = new CancellationTokenSource();
        var parse = ProtocolSim.Cli.Program.Parse(ProtocolSim.Cli.Program.Build(output, new StringWriter()),
            ["run", Path.Combine(RepositoryPaths.Features(), "cti"), "--tags", "@CTI-002", "--client-command", $"dotnet '{protosim}' reference-client cti-socket-conforming", "--report-dir", reports, "--dashboard"]);
        var run = parse.InvokeAsync(new System.CommandLine.InvocationConfiguration(), stop.Token);
        var url = (await output.WaitForAsync("dashboard: http")).Split(' ', 2)[1];

        // The scenario's CTI connection shows in the list with its scenario while the run goes on.
        var (page, errors) = await fixture.NewPageAsync();
        await page.GotoAsync(url);
        var row = page.Locator("a.row", new PageLocatorOptions { HasText = "cti" }).First;
        await Expect(row).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("^cti/transports\\.feature:\\d+ "));
        await row.ClickAsync();
        await Expect(page.Locator("#session-group")).ToContainTextAsync("Scenario cti/transports.feature:");
        await Expect(page.Locator("#timeline li.entry").First).ToBeVisibleAsync();

        // Once the run is over, its report is on the Reports page, and the dashboard waits for Ctrl-C.
        await output.WaitForAsync("dashboard: the run is over (exit code 0)");
        Assert.False(run.IsCompleted);
        await page.GotoAsync(url + "#/reports");
        await Expect(page.Locator("#reports tr").First).ToContainTextAsync("0 fail");
        await DashboardFixture.ScreenshotAsync(page, "run-dashboard-reports");

        // The page goes before the dashboard does: Ctrl-C aborts the page's open event stream, which Chromium logs
        // as a console error (net::ERR_CONNECTION_RESET) that says nothing about the page.
        await page.Context.CloseAsync();
        Assert.Empty(errors);
        await stop.CancelAsync();
        Assert.Equal(0, await run);
    }

    /// <summary>A thread-safe writer that tells when a line holding some text has been written.</summary>
    private sealed class LineWatcher : TextWriter
    {
        private readonly Lock _gate = new();
        private readonly List<string> _lines = [];
        private readonly System.Text.StringBuilder _partial = new();
        private readonly List<(string Marker, TaskCompletionSource<string> Seen)> _waits = [];

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_gate)
            {
                if (value != '\n')
                {
                    _partial.Append(value);
                    return;
                }

                var line = _partial.ToString().TrimEnd('\r');
                _partial.Clear();
                _lines.Add(line);
                foreach (var (marker, seen) in _waits)
                {
                    if (line.Contains(marker, StringComparison.Ordinal))
                    {
                        seen.TrySetResult(line);
                    }
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }

        public override void WriteLine(string? value) => Write((value ?? "") + "\n");

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public Task<string> WaitForAsync(string marker)
        {
            var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if (_lines.FirstOrDefault(l => l.Contains(marker, StringComparison.Ordinal)) is { } line)
                {
                    return Task.FromResult(line);
                }

                _waits.Add((marker, seen));
            }

            return seen.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    /// <summary>Presses Tab through the page: every visible, enabled control must take the focus at some point.</summary>
    private static async Task AssertTabReachesEveryControlAsync(IPage page, string view)
    {
        var count = await page.EvaluateAsync<int>("""
            () => {
              document.querySelectorAll('[data-kbd]').forEach(e => delete e.dataset.kbd);
              // Inside a closed <details> only its summary shows (Chromium still lays the rest out, hidden).
              const folded = e => {
                for (let d = e.parentElement && e.parentElement.closest('details:not([open])'); d; d = d.parentElement && d.parentElement.closest('details:not([open])')) {
                  const summary = d.querySelector(':scope > summary');
                  if (!summary || !summary.contains(e)) return true;
                }
                return false;
              };
              const controls = Array.from(document.querySelectorAll('a[href], button, input, select, textarea, summary, audio[controls], [tabindex]:not([tabindex="-1"])'))
                .filter(e => !e.disabled && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && !folded(e));
              controls.forEach((e, i) => e.dataset.kbd = String(i));
              return controls.length;
            }
            """);
        Assert.True(count > 0, $"{view}: no control");
        await page.EvaluateAsync("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }");
        var reached = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < (count * 2) + 10 && reached.Count < count; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<string?>("() => document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.kbd || null : null") is { } index)
            {
                reached.Add(index);
            }
        }

        var missed = await page.EvaluateAsync<string[]>("reached => Array.from(document.querySelectorAll('[data-kbd]')).filter(e => !reached.includes(e.dataset.kbd)).map(e => e.outerHTML.slice(0, 120))", reached.ToArray());
        Assert.True(missed.Length == 0, $"{view}: Tab never reached {missed.Length} of {count} controls: {string.Join(" | ", missed)}");
    }
}
