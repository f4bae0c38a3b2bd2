# Thin wrapper over `protosim run` for CI gates on Windows/pwsh hosts.
# Every argument is passed through unchanged; the exit code is protosim's
# (0 no MUST rule failed, 1 a MUST rule failed, 2 usage or configuration error).
# Example: ./run-conformance.ps1 features/knowlarity/voice-stream --target wss://127.0.0.1:8443/voice --report-dir reports
$ErrorActionPreference = 'Stop'
$project = Join-Path $PSScriptRoot 'src/ProtocolSim.Cli'
& dotnet run --project $project -c Release -- run @args
exit $LASTEXITCODE
