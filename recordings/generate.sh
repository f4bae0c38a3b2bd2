#!/usr/bin/env bash
# Regenerates the caller recordings in recordings/audio/ from text with espeak-ng and sox.
#
# Output: <name>-<rate>k.wav for rates 8, 16, 24, 32 and 48 kHz; 16-bit mono PCM, 100 ms of digital silence before
# the speech and 200 ms after it. Deterministic: espeak-ng synthesis is, sox runs without dither (-D) and with a
# fixed random seed (-R). Idempotent: every output is rewritten.
#
# After regenerating, check the durations and update utterances.json and README.md from the test output:
#   dotnet test tests/ProtocolSim.Audio.Tests --filter "FullyQualifiedName~Recordings" --logger "console;verbosity=detailed"
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/audio"
rates=(8 16 24 32 48)
voice="en-us"

for tool in espeak-ng sox; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "generate.sh: $tool not found; run scripts/setup.sh (installs the Debian packages sox and espeak-ng)" >&2
        exit 1
    fi
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# name|words per minute|text. No commas or sentence breaks: each recording must be ONE speech segment (no pause
# longer than the detector's 350 ms hangover). Speeds are tuned so SpeechActivityDetector's measured durations meet
# the constraints asserted by Recordings_AllUtterances_MeetDurationConstraints.
utterances=(
    "question|250|What are your opening hours today"
    "transfer|235|I would like to speak to a human agent please transfer me now"
    "goodbye|180|Thank you very much that is everything I needed today goodbye and have a nice evening"
    "bargein|195|Wait wait hold on I have a different question about my booking"
)

for entry in "${utterances[@]}"; do
    IFS='|' read -r name speed text <<<"$entry"
    espeak-ng -v "$voice" -s "$speed" -g 0 -w "$work/$name-raw.wav" "$text"
    # Trim espeak's own leading and trailing silence (below -60 dBFS) so the padding below is exact.
    sox -D -R "$work/$name-raw.wav" "$work/$name.wav" \
        silence 1 0.005 -60d reverse silence 1 0.005 -60d reverse
    for rate in "${rates[@]}"; do
        sox -D -R "$work/$name.wav" -b 16 -c 1 -e signed-integer "$out/$name-${rate}k.wav" \
            rate -h "${rate}000" gain -n -3 pad 0.1 0.2
    done
done

# Two seconds of line noise: uniform pseudo-random integers in -3..+3 LSB (2 LSB RMS, about -84 dBFS) from a
# Park-Miller generator with a fixed seed (exact in awk's doubles), written as sox's text .dat format.
for rate in "${rates[@]}"; do
    awk -v rate="${rate}000" -v seconds=2 'BEGIN {
        x = 20240607
        printf "; Sample Rate %d\n; Channels 1\n", rate
        for (i = 0; i < rate * seconds; i++) {
            x = (x * 16807) % 2147483647
            printf "%.8f %.10f\n", i / rate, (x % 7 - 3) / 32768
        }
    }' >"$work/silence.dat"
    sox -D -R "$work/silence.dat" -b 16 -c 1 -e signed-integer "$out/silence-${rate}k.wav"
done

echo "generate.sh: wrote $(ls "$out"/*.wav | wc -l) recordings to $out"
