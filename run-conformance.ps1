<#
.SYNOPSIS
    Runs ProtocolSim conformance suites against a client under test, as a
    CI gate.

.DESCRIPTION
    run-conformance.ps1 is `protosim run` for pwsh CI hosts (GitHub
    Actions, Azure Pipelines, Jenkins on any OS). It runs a built
    protosim: the one named by -Protosim or $env:PROTOSIM, else a build of
    this checkout kept in a folder outside the sources
    ($env:PROTOSIM_BUILD_DIR, default
    <LocalApplicationData>/protosim/build/<hash of the sources>), made
    once with `dotnet publish` when it is missing. The suites, fixtures
    and recordings are this checkout's (the script sets PROTOSIM_HOME to
    its folder).

    The exit code is protosim's:
      0  no MUST rule failed
      1  a MUST rule failed
      2  usage or configuration error (no such path, invalid rules.yaml,
         undefined step, a bad -Set, a -Target where nothing accepts
         connections, or the build of protosim failed)
    An argument that the parameter block itself refuses (e.g. -Parallel 0)
    is reported by PowerShell before the script runs, and pwsh exits 1
    with a message naming the parameter: a gate never goes green on it.

    Relative paths (-Path, -ReportDir) are taken from the current
    directory, as protosim takes them; several paths are given as a list
    (-Path features/dataflow, features/cti).

.PARAMETER Path
    Feature files or directories to run (default: this checkout's
    features/, every suite).

.PARAMETER Target
    The bot's WebSocket URL for the voice suites, e.g.
    wss://127.0.0.1:8443/voice ({rate} is replaced by each call's sampling
    rate).

.PARAMETER ClientCommand
    Shell command of the client under test. For the voice suites it starts
    the bot once (the run waits until -Target accepts connections); for
    the Data Flow, Knowlarity REST and CTI suites it runs once per
    scenario with the PROTOSIM_* task environment (README,
    "Client-under-test contract").

.PARAMETER Tags
    Tag expression choosing scenarios, e.g. "@KVS-008 and not
    @rate-48000".

.PARAMETER ReportDir
    Where junit.xml, results.json, report.html and the captured audio go,
    with Reqnroll's cucumber-messages.ndjson and reqnroll-report.html.

.PARAMETER Set
    Simulator defaults to change, each NAME=VALUE (e.g. BargeInWarn=400);
    `protosim rules --settings` lists them.

.PARAMETER Parallel
    Scenarios run at once (1 to 64; protosim's default is 8).

.PARAMETER Insecure
    Accept a bot's self-signed TLS certificate.
.PARAMETER Bindings
    Assemblies (.dll) of your own Reqnroll step bindings, used beside the
    suites' (README, "Suites on Reqnroll, and your own steps").

.PARAMETER Protosim
    A built protosim to run (its apphost or protosim.dll) instead of
    building this checkout.

.PARAMETER PassThru
    Any other `protosim run` option, given after the named parameters,
    e.g. --seed 7 --allow-plain-ws.

.EXAMPLE
    ./run-conformance.ps1 -Path features/knowlarity/voice-stream `
        -Target wss://127.0.0.1:8443/voice -Insecure -ReportDir reports/bot

    Judges a voice bot that is already listening.

.EXAMPLE
    ./run-conformance.ps1 -Path features/dataflow `
        -ClientCommand 'python3 my_adapter.py' -Tags '@DFW-007' `
        -ReportDir reports/df -Set StrictAudio=true --seed 3

    Judges a Data Flow client on one rule; --seed is passed through to
    protosim.

.LINK
    README.md, "Command line" and "Client-under-test contract"
#>
[CmdletBinding(PositionalBinding = $false)]
param(
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty()]
    [string[]] $Path,

    [ValidatePattern('^wss?://\S+$')]
    [string] $Target,

    [ValidateNotNullOrEmpty()]
    [string] $ClientCommand,

    [ValidateNotNullOrEmpty()]
    [string] $Tags,

    [ValidateNotNullOrEmpty()]
    [string] $ReportDir,

    [ValidatePattern('^[A-Za-z][A-Za-z0-9]*=.*$')]
    [string[]] $Set,

    [ValidateRange(1, 64)]
    [int] $Parallel,

    [switch] $Insecure,

    [ValidateNotNullOrEmpty()]
    [string[]] $Bindings,

    [ValidateNotNullOrEmpty()]
    [string] $Protosim = $env:PROTOSIM,

    [Parameter(ValueFromRemainingArguments = $true)]
    [string[]] $PassThru
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'
$UsageError = 2

function Write-Failure([string] $Message) {
    [Console]::Error.WriteLine("run-conformance: $Message")
}

# The sources a build is made from; their hash names the build folder, so a changed checkout gets a new build.
function Get-SourceHash {
    $root = $PSScriptRoot
    $files = @(Get-ChildItem -Path (Join-Path $root 'src') -Recurse -File |
            Where-Object { $_.FullName -notmatch '[\\/](bin|obj)[\\/]' -and $_.Extension -in '.cs', '.csproj', '.proto', '.json', '.js', '.css', '.html' }) +
        @(Get-ChildItem -Path $root -File | Where-Object { $_.Name -in 'Directory.Build.props', 'Directory.Packages.props', 'global.json' }) +
        @(Get-ChildItem -Path (Join-Path $root 'fixtures') -Recurse -File -Filter '*.proto')
    $sha = [System.Security.Cryptography.SHA256]::Create()
    try {
        foreach ($file in $files | Sort-Object { $_.FullName.Substring($root.Length).Replace('\', '/') } -CaseSensitive) {
            $name = [System.Text.Encoding]::UTF8.GetBytes($file.FullName.Substring($root.Length).Replace('\', '/') + "`n")
            [void] $sha.TransformBlock($name, 0, $name.Length, $null, 0)
            $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
            [void] $sha.TransformBlock($bytes, 0, $bytes.Length, $null, 0)
        }
        [void] $sha.TransformFinalBlock([byte[]]::new(0), 0, 0)
        return [System.Convert]::ToHexString($sha.Hash).Substring(0, 16).ToLowerInvariant()
    }
    finally {
        $sha.Dispose()
    }
}

# The protosim to run, as the command and the arguments before `run`.
function Resolve-Protosim {
    if ($Protosim) {
        $given = Resolve-Path -LiteralPath $Protosim -ErrorAction SilentlyContinue
        if (-not $given) {
            Write-Failure "-Protosim '$Protosim' does not exist"
            exit $UsageError
        }
        $given = $given.ProviderPath
        if ($given.EndsWith('.dll', [System.StringComparison]::OrdinalIgnoreCase)) { return @('dotnet', $given) }
        return @($given)
    }

    $buildRoot = if ($env:PROTOSIM_BUILD_DIR) { $env:PROTOSIM_BUILD_DIR }
    else { Join-Path ([Environment]::GetFolderPath('LocalApplicationData')) 'protosim/build' }
    $folder = Join-Path $buildRoot (Get-SourceHash)
    $dll = Join-Path $folder 'protosim.dll'
    if (-not (Test-Path -LiteralPath $dll)) {
        if (-not (Get-Command dotnet -ErrorAction SilentlyContinue)) {
            Write-Failure 'no protosim build and no dotnet to make one: install the .NET 10 SDK or give -Protosim'
            exit $UsageError
        }
        [Console]::Error.WriteLine("run-conformance: building protosim into $folder (once for these sources)")
        $staging = "$folder.partial-$PID"
        & dotnet publish (Join-Path $PSScriptRoot 'src/ProtocolSim.Cli/ProtocolSim.Cli.csproj') -c Release -o $staging --nologo -v quiet | Out-Host
        if ($LASTEXITCODE -ne 0) {
            Write-Failure "dotnet publish failed with exit code $LASTEXITCODE"
            Remove-Item -LiteralPath $staging -Recurse -Force -ErrorAction SilentlyContinue
            exit $UsageError
        }
        # Another run may have finished the same build meanwhile: keep the first, drop ours.
        try { Move-Item -LiteralPath $staging -Destination $folder -ErrorAction Stop }
        catch { Remove-Item -LiteralPath $staging -Recurse -Force -ErrorAction SilentlyContinue }
    }
    return @('dotnet', $dll)
}

function Resolve-FromHere([string] $Value) {
    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Value)
}

$arguments = [System.Collections.Generic.List[string]]::new()
$arguments.Add('run')
$paths = if ($Path) { $Path } else { @(Join-Path $PSScriptRoot 'features') }
foreach ($p in $paths) {
    $full = Resolve-FromHere $p
    if (-not (Test-Path -LiteralPath $full)) {
        Write-Failure "-Path '$p' does not exist"
        exit $UsageError
    }
    $arguments.Add($full)
}
if ($Target) { $arguments.Add('--target'); $arguments.Add($Target) }
if ($ClientCommand) { $arguments.Add('--client-command'); $arguments.Add($ClientCommand) }
if ($Tags) { $arguments.Add('--tags'); $arguments.Add($Tags) }
if ($ReportDir) { $arguments.Add('--report-dir'); $arguments.Add((Resolve-FromHere $ReportDir)) }
foreach ($pair in @($Set | Where-Object { $_ })) { $arguments.Add('--set'); $arguments.Add($pair) }
if ($PSBoundParameters.ContainsKey('Parallel')) { $arguments.Add('--parallel'); $arguments.Add([string] $Parallel) }
if ($Insecure) { $arguments.Add('--insecure') }
foreach ($b in @($Bindings | Where-Object { $_ })) {
    $full = Resolve-FromHere $b
    if (-not (Test-Path -LiteralPath $full -PathType Leaf)) {
        Write-Failure "-Bindings '$b' does not exist"
        exit $UsageError
    }
    $arguments.Add('--bindings'); $arguments.Add($full)
}
foreach ($extra in @($PassThru | Where-Object { $null -ne $_ })) { $arguments.Add($extra) }

$command = @(Resolve-Protosim)
$env:PROTOSIM_HOME = $PSScriptRoot
$executable = $command[0]
$prefix = @($command | Select-Object -Skip 1)
& $executable @prefix @arguments
exit $LASTEXITCODE
