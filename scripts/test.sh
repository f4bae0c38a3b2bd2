#!/usr/bin/env bash
# The test command: set-up, warning-free build, every test project; ends with one "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet build ProtocolSim.sln --nologo -c Release -warnaserror -v quiet
results="artifacts/test-results"
rm -rf "$results"
status=0
# The voice self-tests judge real-time behaviour (barge-in, pacing, a bot's silences), so they run alone, after the
# other unit tests (beside them, a bot that sends its audio just in time once stalled past the 300 ms of quiet that
# ends its greeting, on 2 cores); what keeps both cores busy comes after them: the client suites' runs (first the Data Flow
# self-test, 62 clients, and the command-line runs that start a client process per scenario, run-conformance.ps1's among them; then the Knowlarity REST
# and CTI self-tests, whose judges have timing margins of a few hundred milliseconds that all of them at once on
# 2 cores can eat), then the Knowlarity REST fake's tests (they start a WireMock JVM and drive thousands of requests),
# and last the dashboard's tests, which run Chromium beside the fakes. Right after the voice self-tests, alone, the
# repeatability gate in its reduced form (docs/verdicts.md): the timing-sensitive bots twice each against two busy
# threads, which would load the other phases' judges as much as the bots it measures. Then the hostile-client corpus
# in its reduced form: a conforming client of every suite behind a proxy that closes, aborts, goes silent, garbles or
# doubles its writes, where every scenario must still end in a verdict with evidence.
dotnet test ProtocolSim.sln --nologo -c Release --no-build --logger "trx" --results-directory "$results" \
    --filter "FullyQualifiedName!~SuiteSelfTest&FullyQualifiedName!~RepeatabilityGate&FullyQualifiedName!~HostileCorpus&FullyQualifiedName!~DataFlowSelfTest&FullyQualifiedName!~DataFlowCliTests&FullyQualifiedName!~RunConformanceScriptTests&FullyQualifiedName!~KnowlaritySelfTest&FullyQualifiedName!~CtiSelfTest&FullyQualifiedName!~ProtocolSim.Knowlarity.Tests.Rest.&FullyQualifiedName!~ProtocolSim.Dashboard.Tests" || status=$?
dotnet test tests/ProtocolSim.Cli.Tests --nologo -c Release --no-build --logger "trx;LogFileName=voice-bots.trx" --results-directory "$results" \
    --filter "FullyQualifiedName~SuiteSelfTest" || status=$?
dotnet test tests/ProtocolSim.Cli.Tests --nologo -c Release --no-build --logger "trx;LogFileName=repeatability-gate.trx" --results-directory "$results" \
    --filter "FullyQualifiedName~RepeatabilityGate" || status=$?
dotnet test tests/ProtocolSim.Cli.Tests --nologo -c Release --no-build --logger "trx;LogFileName=hostile-corpus.trx" --results-directory "$results" \
    --filter "FullyQualifiedName~HostileCorpus" || status=$?
dotnet test tests/ProtocolSim.Cli.Tests --nologo -c Release --no-build --logger "trx;LogFileName=dataflow-clients.trx" --results-directory "$results" \
    --filter "FullyQualifiedName~DataFlowSelfTest|FullyQualifiedName~DataFlowCliTests|FullyQualifiedName~RunConformanceScriptTests" || status=$?
dotnet test tests/ProtocolSim.Cli.Tests --nologo -c Release --no-build --logger "trx;LogFileName=knowlarity-cti-clients.trx" --results-directory "$results" \
    --filter "FullyQualifiedName~KnowlaritySelfTest|FullyQualifiedName~CtiSelfTest" || status=$?
dotnet test tests/ProtocolSim.Knowlarity.Tests --nologo -c Release --no-build --logger "trx" --results-directory "$results" \
    --filter "FullyQualifiedName~ProtocolSim.Knowlarity.Tests.Rest." || status=$?
dotnet test tests/ProtocolSim.Dashboard.Tests --nologo -c Release --no-build --logger "trx;LogFileName=dashboard.trx" --results-directory "$results" || status=$?
# Sum the trx counters of every test assembly into the closing line CI reads.
python3 - "$results" <<'PY' || true
import sys, glob, re
p = f = s = 0
for path in glob.glob(sys.argv[1] + "/*.trx"):
    text = open(path, encoding="utf-8", errors="replace").read()
    m = re.search(r'<Counters [^>]*total="(\d+)"[^>]*executed="(\d+)"[^>]*passed="(\d+)"[^>]*failed="(\d+)"', text)
    if m:
        p += int(m.group(3)); f += int(m.group(4)); s += int(m.group(1)) - int(m.group(2))
print(f"{p} passed, {f} failed, {s} skipped")
PY
exit $status
