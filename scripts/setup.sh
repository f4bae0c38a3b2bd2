#!/usr/bin/env bash
# Installs everything ProtocolSim and its tests need on a fresh Debian machine with the .NET 10 SDK:
#   sox        cross-checks our G.711 and resampler bit for bit (tests) and converts espeak output (recordings)
#   espeak-ng  regenerates the caller recordings (recordings/generate.sh)
#   wrk, nghttp2-client (h2load)  independent HTTP load generators of the benchmark `knowlarity` (bench/) (wrk at full
#              speed, h2load at a fixed rate); small, so installed with the rest even where only tests run
#   chromium   Debian's browser, which the dashboard and report tests drive through Microsoft.Playwright
#              (ExecutablePath /usr/bin/chromium; Playwright never downloads a browser here)
#   a Java 17 runtime and Node.js/npm, only when missing: they run the test peers of tests/peers (WireMock 3.13
#              from the npm package "wiremock", which the admin-API parity test and the REST benchmark compare against;
#              @grpc/grpc-js with @grpc/proto-loader, the gRPC client of the Data Flow gRPC interop tests)
#   PowerShell 7.6.10 (pwsh), a dotnet global tool: run-conformance.ps1's tests run it
# Then installs the test peers from tests/peers/package-lock.json and restores the NuGet packages. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(sox espeak-ng chromium wrk nghttp2-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v npm >/dev/null || missing+=(nodejs npm)
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Test peers, exactly as locked; skipped when the installed tree already matches the lock.
if ! cmp -s tests/peers/package-lock.json tests/peers/node_modules/.protosim-installed-lock 2>/dev/null; then
  echo "setup: installing test peers (tests/peers)"
  npm ci --prefix tests/peers --no-audit --no-fund --loglevel=error >/dev/null
  cp tests/peers/package-lock.json tests/peers/node_modules/.protosim-installed-lock
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 2; }

# pwsh as a dotnet global tool, at the version the tests were written for (`update` installs it when absent).
pwsh_version=7.6.10
pwsh_path="${HOME}/.dotnet/tools/pwsh"
if [ "$("$pwsh_path" -NoLogo -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)" != "$pwsh_version" ]; then
  echo "setup: installing PowerShell $pwsh_version (dotnet tool)"
  dotnet tool update --global PowerShell --version "$pwsh_version" >/dev/null
fi
dotnet restore ProtocolSim.sln --nologo -v quiet
echo "setup: ok"
