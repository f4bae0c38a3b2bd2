using System.CommandLine;
using System.Text.Json;
using ProtocolSim.Conformance;
using ProtocolSim.Conformance.Suites;
using ProtocolSim.Core;
using ProtocolSim.Core.Hosting;
using ProtocolSim.ReferenceClients.Hostile;

namespace ProtocolSim.Cli;

/// <summary>The <c>protosim</c> command line (ARCHITECTURE.md: CLI contract).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Maintainability", "CA1515:Consider making public types internal", Justification = "Public: the benchmarks run protosim in a child process through it, and the dashboard tests drive its command line.")]
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        HarnessThreadPool.Reserve();
        using var shutdown = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            shutdown.Cancel();
        };
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            shutdown.Cancel();
        });

        var parse = Parse(Build(Console.Out, Console.Error), args);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors)
            {
                await Console.Error.WriteLineAsync("error: " + e.Message);
            }

            await Console.Error.WriteLineAsync("see: protosim --help");
            return ConformanceHost.UsageError;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration(), shutdown.Token);
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return 130;
        }
    }

    /// <summary>Parses with response files off: tags such as <c>@KVS-008</c> are arguments, not files to read.</summary>
    public static ParseResult Parse(RootCommand root, string[] args) =>
        root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

    /// <summary>The <c>protosim</c> command line, writing to <paramref name="output"/> and <paramref name="error"/> (a host of its own runs it with <see cref="Parse"/>).</summary>
    public static RootCommand Build(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("ProtocolSim: faithful fakes of Knowlarity, Knovvu Data Flow and CTI, and conformance suites that judge your client rule by rule.");
        root.Subcommands.Add(RunCommand(output, error));
        root.Subcommands.Add(DemoCommand(output, error));
        root.Subcommands.Add(SelfTestCommand(output, error));
        root.Subcommands.Add(RulesCommand(output, error));
        root.Subcommands.Add(ServeCommand(output, error));
        root.Subcommands.Add(ReferenceBotCommand(output, error));
        root.Subcommands.Add(ReferenceClientCommand(output, error));
        return root;
    }

    private static Command RunCommand(TextWriter output, TextWriter error)
    {
        var paths = new Argument<string[]>("path") { Description = "Feature files or directories (default: features).", Arity = ArgumentArity.ZeroOrMore };
        var target = new Option<string?>("--target") { Description = "The bot's WebSocket URL, e.g. wss://127.0.0.1:8443/voice ({rate} is replaced by the call's sampling rate)." };
        var clientCommand = new Option<string?>("--client-command") { Description = "Shell command of the client under test: for the voice suites it starts the bot once (the run waits until --target accepts connections); for the Data Flow suite it runs once per scenario with the PROTOSIM_* task environment (README)." };
        var tags = new Option<string?>("--tags") { Description = "Tag expression, e.g. \"@KVS-008 and not @slow\"." };
        var reportDir = new Option<string?>("--report-dir") { Description = "Write junit.xml, results.json, report.html and captured audio here." };
        var seed = new Option<int>("--seed") { Description = "Seed of every random choice (call ids, numbers, line noise).", DefaultValueFactory = _ => 1 };
        var insecure = new Option<bool>("--insecure") { Description = "Accept self-signed TLS certificates." };
        var allowPlain = new Option<bool>("--allow-plain-ws") { Description = "Dial ws:// targets (the real peer refuses them; KVS-002 still fails)." };
        var parallel = new Option<int>("--parallel") { Description = "Scenarios run at once (they are real-time bound).", DefaultValueFactory = _ => 8 };
        var set = new Option<string[]>("--set") { Description = "Change a simulator default of knowlarity.md §5, e.g. --set BargeInWarn=400 (repeatable; `protosim rules --settings` lists them)." };
        var dashboard = new Option<bool>("--dashboard") { Description = "Show the run's sessions live in the dashboard (a loopback URL printed at the start); after the run it stays up until Ctrl-C." };
        var bindings = new Option<string[]>("--bindings") { Description = "An assembly (.dll) of your own Reqnroll step bindings, used beside the suites' (repeatable)." };
        var command = new Command("run", "Run conformance suites against a client under test.") { paths, target, clientCommand, tags, reportDir, seed, insecure, allowPlain, parallel, set, bindings, dashboard };
        var suiteOptions = AddOptions(command, SuiteModules.Options(SuiteModules.All));
        command.SetAction(async (parse, ct) =>
        {
            var targetText = parse.GetValue(target);
            Uri? targetUri = null;
            if (targetText is not null && (!Uri.TryCreate(targetText.Replace("{rate}", "16000", StringComparison.Ordinal), UriKind.Absolute, out _)
                || !Uri.TryCreate(targetText, UriKind.Absolute, out targetUri) || targetUri.Scheme is not ("ws" or "wss")))
            {
                await error.WriteLineAsync($"error: --target \"{targetText}\" is not a ws:// or wss:// URL");
                return ConformanceHost.UsageError;
            }

            if (parse.GetValue(parallel) < 1)
            {
                await error.WriteLineAsync("error: --parallel must be at least 1");
                return ConformanceHost.UsageError;
            }

            var overrides = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var pair in parse.GetValue(set) ?? [])
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    await error.WriteLineAsync($"error: --set \"{pair}\": write Name=Value");
                    return ConformanceHost.UsageError;
                }

                overrides[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
            }

            var request = new RunRequest
            {
                Overrides = overrides,
                Paths = parse.GetValue(paths) ?? [],
                Target = targetUri,
                ClientCommand = parse.GetValue(clientCommand),
                Tags = parse.GetValue(tags),
                ReportDirectory = parse.GetValue(reportDir),
                Seed = parse.GetValue(seed),
                Insecure = parse.GetValue(insecure),
                AllowPlainWs = parse.GetValue(allowPlain),
                Parallel = parse.GetValue(parallel),
                Settings = Values(parse, suiteOptions),
                BindingAssemblies = parse.GetValue(bindings) ?? [],
            };
            return parse.GetValue(dashboard)
                ? await RunDashboard.RunAsync(request, output, error, ct)
                : (await ConformanceHost.RunAsync(request, output, error, ct)).ExitCode;
        });
        return command;
    }

    private static Command DemoCommand(TextWriter output, TextWriter error)
    {
        var reportDir = new Option<string>("--report-dir") { Description = "Where the reports go.", DefaultValueFactory = _ => Path.Combine("reports", "demo") };
        var command = new Command("demo", "Run every suite against the bundled conforming reference clients and write the reports.") { reportDir };
        command.SetAction((parse, ct) => Demo.RunAsync(parse.GetValue(reportDir)!, output, error, ct));
        return command;
    }

    private static Command SelfTestCommand(TextWriter output, TextWriter error)
    {
        var suites = new Option<string[]>("--suite") { Description = $"Suites to run (default: all): {string.Join(", ", SelfTestCatalog.Suites)}.", AllowMultipleArgumentsPerToken = true };
        var clients = new Option<string[]>("--client") { Description = "Reference clients or bots to run (default: every one of the suites).", AllowMultipleArgumentsPerToken = true };
        var repeat = new Option<int>("--repeat") { Description = "Runs of every client.", DefaultValueFactory = _ => 5 };
        var cpuLoad = new Option<int>("--cpu-load") { Description = "Busy threads (normal priority) competing for the cores during the runs.", DefaultValueFactory = _ => 0 };
        var concurrency = new Option<int>("--concurrency") { Description = "Clients judged at the same time.", DefaultValueFactory = _ => 4 };
        var reportDir = new Option<string>("--report-dir") { Description = "Where each run's reports and the table (selftest.md, selftest.json) go.", DefaultValueFactory = _ => Path.Combine("reports", "selftest") };
        var hostile = new Option<bool>("--hostile") { Description = "Run the hostile-client corpus instead: each suite's conforming clients reach the fakes through a proxy that closes, aborts, goes silent, garbles or doubles their writes; every scenario must end in a verdict with evidence, never a harness error." };
        var modes = new Option<string[]>("--mode") { Description = $"Hostile modes to run (default: the whole corpus): {string.Join(", ", HostileMode.Corpus.Select(m => m.Name))}.", AllowMultipleArgumentsPerToken = true };
        var command = new Command("selftest", "The repeatability gate: judge the bundled reference clients N times under CPU load and count, per client, the runs with the expected verdicts.")
        {
            suites, clients, repeat, cpuLoad, concurrency, reportDir, hostile, modes,
        };
        command.SetAction((parse, ct) => SelfTestGate.RunAsync(new SelfTestRequest
        {
            Hostile = parse.GetValue(hostile) || parse.GetValue(modes) is { Length: > 0 },
            Modes = parse.GetValue(modes) ?? [],
            Suites = parse.GetValue(suites) ?? [],
            Clients = parse.GetValue(clients) ?? [],
            Repeat = parse.GetValue(repeat),
            CpuLoad = parse.GetValue(cpuLoad),
            Concurrency = parse.GetValue(concurrency),
            ReportDirectory = parse.GetValue(reportDir)!,
        }, output, error, ct));
        return command;
    }

    private static Command RulesCommand(TextWriter output, TextWriter error)
    {
        var paths = new Argument<string[]>("path") { Description = "Suites to list (default: features).", Arity = ArgumentArity.ZeroOrMore };
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var settings = new Option<bool>("--settings") { Description = "List the simulator defaults that --set changes instead of the rules." };
        var command = new Command("rules", "List the rule catalogue.") { paths, format, settings };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(settings))
            {
                foreach (var setting in SuiteModules.KnownSettings(SuiteModules.All))
                {
                    await output.WriteLineAsync($"  {setting.Name,-32} default {setting.Default,-20} {setting.Meaning}");
                }

                return 0;
            }

            var selected = parse.GetValue(paths) is { Length: > 0 } p ? p : [RepositoryPaths.Features()];
            var load = ConformanceRunner.LoadCatalogues(selected);
            if (!load.Success)
            {
                foreach (var e in load.Errors)
                {
                    await error.WriteLineAsync("error: " + e);
                }

                return ConformanceHost.UsageError;
            }

            var rules = load.Catalogues.SelectMany(c => c.Rules).ToList();
            if (parse.GetValue(format) == "json")
            {
                var json = JsonSerializer.Serialize(rules.Select(r => new
                {
                    id = r.Id,
                    suite = r.Suite,
                    strength = r.Strength.ToString().ToUpperInvariant(),
                    statement = r.Statement,
                    source = r.Source,
                    observable = r.Observable,
                    reason = r.Reason,
                }), JsonDefaults.IndentedRelaxed);
                await output.WriteLineAsync(json);
                return 0;
            }

            foreach (var catalogue in load.Catalogues)
            {
                await output.WriteLineAsync($"{catalogue.Title} ({catalogue.Suite}, {catalogue.Rules.Count} rules)");
                foreach (var r in catalogue.Rules)
                {
                    var note = r.Observable ? string.Empty : "  [not observable on the wire]";
                    await output.WriteLineAsync($"  {r.Id}  {r.Strength.ToString().ToUpperInvariant(),-6}  {r.Statement}  ({r.Source}){note}");
                }
            }

            return 0;
        });
        return command;
    }

    private static Command ServeCommand(TextWriter output, TextWriter error)
    {
        var endpointsFile = new Option<string?>("--endpoints-file") { Description = "Write the endpoints file (URLs and credentials of every running fake) here." };
        var bind = new Option<string>("--bind") { Description = "Address to bind (loopback by default).", DefaultValueFactory = _ => "127.0.0.1" };
        var reports = new Option<string>("--reports") { Description = "The dashboard's Reports page lists the runs under this directory (each with a results.json).", DefaultValueFactory = _ => "reports" };
        var command = new Command("serve", "Run every fake and the dashboard until Ctrl-C or SIGTERM.") { endpointsFile, bind, reports };
        var fakeOptions = AddOptions(command, FakeHostFactories.All.SelectMany(f => f.Options).DistinctBy(o => o.Name, StringComparer.Ordinal));
        command.SetAction((parse, ct) => Serve.RunAsync(parse.GetValue(endpointsFile), parse.GetValue(bind)!, output, error, ct, Values(parse, fakeOptions), parse.GetValue(reports)!));
        return command;
    }

    private static Command ReferenceClientCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string?>("name") { Description = "Reference client to run (see --list).", Arity = ArgumentArity.ZeroOrOne };
        var list = new Option<bool>("--list") { Description = "List the reference clients." };
        var command = new Command("reference-client", "Run one task of a bundled reference client (conforming or deliberately broken) with the PROTOSIM_* environment, as --client-command does.") { name, list };
        command.SetAction(async (parse, ct) =>
        {
            var tasks = SuiteModules.All.SelectMany(m => m.ReferenceClients).Where(c => c.RunTask is not null).ToList();
            if (parse.GetValue(list) || parse.GetValue(name) is null)
            {
                foreach (var client in tasks)
                {
                    var breaks = client.Conforming ? "conforming" : "breaks " + string.Join(", ", client.Breaks.Order(StringComparer.Ordinal));
                    await output.WriteLineAsync($"{client.Name,-38} {breaks}: {client.Description}");
                }

                return 0;
            }

            var requested = parse.GetValue(name)!;
            var environment = System.Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
                .Where(e => e.Key is string k && k.StartsWith("PROTOSIM_", StringComparison.Ordinal))
                .ToDictionary(e => (string)e.Key, e => e.Value?.ToString() ?? string.Empty, StringComparer.Ordinal);
            if (tasks.FirstOrDefault(c => c.Name.Equals(requested, StringComparison.OrdinalIgnoreCase)) is { RunTask: { } run })
            {
                return await run(environment, output, ct);
            }

            await error.WriteLineAsync($"error: no reference client \"{requested}\"; see protosim reference-client --list");
            return ConformanceHost.UsageError;
        });
        return command;
    }

    /// <summary>Adds the options that protocol projects contribute (one string option each) and returns them with their setting keys.</summary>
    private static List<(Option<string?> Option, string Key)> AddOptions(Command command, IEnumerable<ProgramOption> options)
    {
        var added = new List<(Option<string?>, string)>();
        foreach (var o in options)
        {
            var option = new Option<string?>(o.Name) { Description = o.Description };
            command.Options.Add(option);
            added.Add((option, o.Key));
        }

        return added;
    }

    /// <summary>The values given for contributed options, keyed by setting.</summary>
    private static Dictionary<string, string> Values(ParseResult parse, List<(Option<string?> Option, string Key)> options)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (option, key) in options)
        {
            if (parse.GetValue(option) is { } value)
            {
                values[key] = value;
            }
        }

        return values;
    }

    private static Command ReferenceBotCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string?>("name") { Description = "Reference bot to start (see --list).", Arity = ArgumentArity.ZeroOrOne };
        var list = new Option<bool>("--list") { Description = "List the reference bots." };
        var port = new Option<int>("--port") { Description = "Port (0 = any free port).", DefaultValueFactory = _ => 0 };
        var command = new Command("reference-bot", "Start a bundled reference bot (conforming or deliberately broken) until Ctrl-C.") { name, list, port };
        command.SetAction(async (parse, ct) =>
        {
            var servers = SuiteModules.All.SelectMany(m => m.ReferenceClients.Where(c => c.StartServer is not null).Select(c => (Module: m, Client: c))).ToList();
            if (parse.GetValue(list) || parse.GetValue(name) is null)
            {
                foreach (var (module, bot) in servers)
                {
                    var breaks = bot.Conforming ? "conforming" : "breaks " + string.Join(", ", bot.Breaks.Order(StringComparer.Ordinal));
                    await output.WriteLineAsync($"{bot.Name,-28} {module.Folder,-24} {breaks}: {bot.Description}");
                }

                return 0;
            }

            var requested = parse.GetValue(name)!;
            if (servers.FirstOrDefault(s => s.Client.Name.Equals(requested, StringComparison.OrdinalIgnoreCase)).Client is not { StartServer: { } start } found)
            {
                await error.WriteLineAsync($"error: no reference bot \"{requested}\"; see protosim reference-bot --list");
                return ConformanceHost.UsageError;
            }

            await using var server = await start(parse.GetValue(port), ct);
            await output.WriteLineAsync($"{found.Name} listening at {server.Url}");
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }
}
