using System.Diagnostics;
using System.Text.Json.Nodes;
using ProtocolSim.Conformance.Suites;

namespace ProtocolSim.Cli.Tests;

/// <summary>
/// <c>run-conformance.ps1</c> run by pwsh 7.6 (installed by scripts/setup.sh as a dotnet tool) as a CI gate runs it:
/// its help, the exit codes it passes through, and the protosim it builds once outside the sources.
/// </summary>
public sealed class RunConformanceScriptTests
{
    private static readonly string Root = Path.GetDirectoryName(RepositoryPaths.Features())!;

    private static string Script => Path.Combine(Root, "run-conformance.ps1");

    /// <summary>This build's protosim (what <c>-Protosim</c> names), also the reference client's command.</summary>
    private static string BuiltProtosim => Path.Combine(AppContext.BaseDirectory, "protosim.dll");

    private static string ReferenceClientCommand(string client) => $"dotnet '{BuiltProtosim}' reference-client {client}";

    private static string Pwsh()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("PROTOSIM_PWSH") }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "pwsh")))
            .Append(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "pwsh"));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("pwsh not found on PATH nor in ~/.dotnet/tools: run scripts/setup.sh (it installs PowerShell 7.6.10 as a dotnet tool)");
    }

    private static async Task<(int Code, string Out, string Err)> RunAsync(IReadOnlyList<string> arguments, string? buildDir = null, bool command = false)
    {
        var start = new ProcessStartInfo(Pwsh())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = Root,
        };
        start.ArgumentList.Add("-NoLogo");
        start.ArgumentList.Add("-NoProfile");
        start.ArgumentList.Add("-NonInteractive");
        start.ArgumentList.Add(command ? "-Command" : "-File");
        if (!command)
        {
            start.ArgumentList.Add(Script);
        }

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PROTOSIM_BUILD_DIR"] = buildDir ?? Directory.CreateTempSubdirectory("protosim-ps-build-").FullName;
        start.Environment.Remove("PROTOSIM");
        start.Environment["POWERSHELL_TELEMETRY_OPTOUT"] = "1";
        start.Environment["POWERSHELL_UPDATECHECK"] = "Off";
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"pwsh {string.Join(' ', arguments)} ran past 5 minutes; so far: {await output}{await error}");
        }

        return (process.ExitCode, await output, await error);
    }

    private static readonly string[] Parameters = ["-Path", "-Target", "-ClientCommand", "-Tags", "-ReportDir", "-Set", "-Parallel", "-Insecure", "-Bindings", "-Protosim", "-PassThru"];

    [Fact]
    public async Task QuestionMark_PrintsHelp_AndRunsNothing()
    {
        var buildDir = Directory.CreateTempSubdirectory("protosim-ps-help-").FullName;
        var (code, output, error) = await RunAsync(["-?"], buildDir);
        Assert.True(code == 0, output + error);
        Assert.Contains("SYNOPSIS", output, StringComparison.Ordinal);
        Assert.Contains("CI gate", output, StringComparison.Ordinal);
        var syntax = output.Replace("\n    ", "", StringComparison.Ordinal); // pwsh wraps the syntax line at 80 columns
        Assert.All(Parameters, p => Assert.Matches($@"\[\[?{p}[\] ]", syntax));
        Assert.Empty(Directory.EnumerateFileSystemEntries(buildDir)); // nothing was built, nothing was run
    }

    [Fact]
    public async Task GetHelpFull_DescribesEveryParameter_AndGivesExamples()
    {
        var (code, output, error) = await RunAsync([$"Get-Help '{Script}' -Full | Out-String -Width 200"], command: true);
        Assert.True(code == 0, output + error);
        foreach (var parameter in Parameters)
        {
            // Each parameter has its own paragraph of help (not only the syntax line).
            Assert.True(output.Contains("    " + parameter + " ", StringComparison.Ordinal), $"Get-Help -Full shows no entry for {parameter}:\n{output}");
        }

        Assert.Contains("EXAMPLE 1", output, StringComparison.Ordinal);
        Assert.Contains("EXAMPLE 2", output, StringComparison.Ordinal);
        Assert.Contains("2  usage or configuration error", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConformingClient_ExitsZero_WithTheReports()
    {
        var reports = Directory.CreateTempSubdirectory("protosim-ps-pass-");
        var (code, output, error) = await RunAsync(["-Path", "features/dataflow", "-ClientCommand", ReferenceClientCommand("dataflow-conforming"),
            "-Tags", "@DFW-007 and not @DFW-008", "-ReportDir", reports.FullName, "-Parallel", "2", "-Protosim", BuiltProtosim, "--seed", "3"]);
        Assert.True(code == 0, output + error);
        var results = JsonNode.Parse(File.ReadAllText(Path.Combine(reports.FullName, "results.json")))!;
        Assert.Equal("PASS", results["rules"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == "DFW-007")!["verdict"]!.GetValue<string>());
        Assert.Equal(3, results["seed"]!.GetValue<int>()); // the pass-through reached protosim
    }

    [Fact]
    public async Task BrokenClient_ExitsOne_NamingTheRule()
    {
        var (code, output, error) = await RunAsync(["features/dataflow", "-ClientCommand", ReferenceClientCommand("dataflow-wav-header"),
            "-Tags", "@DFW-007 and not @DFW-008", "-Protosim", BuiltProtosim]);
        Assert.True(code == 1, $"exit {code}\n{output}{error}");
        Assert.Contains("FAIL DFW-007", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-Path", "features/no-such-suite", "-Path 'features/no-such-suite' does not exist")]
    [InlineData("-Set", "NoSuchSetting=1", "NoSuchSetting")]
    public async Task UsageError_ExitsTwo_WithTheReason(string parameter, string value, string reason)
    {
        string[] arguments = parameter == "-Path"
            ? ["-Path", value, "-Protosim", BuiltProtosim]
            : ["-Path", "features/dataflow", parameter, value, "-ClientCommand", "true", "-Protosim", BuiltProtosim];
        var (code, output, error) = await RunAsync(arguments);
        Assert.True(code == 2, $"exit {code}\n{output}{error}");
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ArgumentTheParamBlockRefuses_NeverExitsZero_AndNamesTheParameter()
    {
        var (code, output, error) = await RunAsync(["-Parallel", "0", "-Protosim", BuiltProtosim]);
        Assert.NotEqual(0, code);
        Assert.Contains("Parallel", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutProtosim_BuildsItOnceOutsideTheSources_ThenRunsThatBuild()
    {
        var buildDir = Directory.CreateTempSubdirectory("protosim-ps-once-").FullName;
        string[] arguments = ["-Path", "features/dataflow", "-ClientCommand", ReferenceClientCommand("dataflow-wav-header"), "-Tags", "@DFW-007 and not @DFW-008"];
        var first = await RunAsync(arguments, buildDir);
        Assert.True(first.Code == 1, $"exit {first.Code}\n{first.Out}{first.Err}");
        Assert.Contains("building protosim into", first.Err, StringComparison.Ordinal);
        var build = Assert.Single(Directory.GetDirectories(buildDir));
        Assert.True(File.Exists(Path.Combine(build, "protosim.dll")), build);
        Assert.False(build.StartsWith(Root, StringComparison.Ordinal));

        var second = await RunAsync(arguments, buildDir);
        Assert.True(second.Code == 1, $"exit {second.Code}\n{second.Out}{second.Err}");
        Assert.DoesNotContain("building protosim", second.Err, StringComparison.Ordinal);
        Assert.Contains("FAIL DFW-007", second.Out, StringComparison.Ordinal);
    }
}
