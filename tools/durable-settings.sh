#!/usr/bin/env bash
# Durable settings compared in one session (docs/PERFORMANCE.md, "Durable settings"): each configuration in turn,
# ROUNDS times, alternating, so a noisy shared machine hits them alike. Per run: tools/cost.sh (operations per clean
# claim through the counting proxy, 202 → Submitted latency at RATE/s) and tools/load.sh (processed ÷ storage limit,
# clean claims only). Prints one summary line per run and appends it to $OUT/durable-settings.md.
#   tools/durable-settings.sh "" "extendedSessionsEnabled=true" "storageProvider:partitionCount=1"
#   ROUNDS=2 COST_CLAIMS=20 RATE=1 LOAD_SECONDS=20 tools/durable-settings.sh CONFIG...   (a CONFIG is a DURABLE value)
set -uo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}; COST_CLAIMS=${COST_CLAIMS:-20}; RATE=${RATE:-1}; LOAD_SECONDS=${LOAD_SECONDS:-20}; IDLE=${IDLE:-20}
OUT=${CLAIMS_LOAD_OUT:-tools/out}; mkdir -p "$OUT"
SUMMARY=$OUT/durable-settings.md
[ -n "${SKIP_BUILD:-}" ] || { dotnet build functions/Claims.LocalHost -c Release -nologo --verbosity quiet && dotnet build tools/Claims.Load -c Release -nologo --verbosity quiet; }
echo "| round | DURABLE | ops/claim net / gross | idle ops/s | 202→Submitted p50 / p95 ms | processed claims/s | limit claims/s | ratio | load avg |" >>"$SUMMARY"
echo "|---|---|---|---:|---|---:|---:|---:|---|" >>"$SUMMARY"
for round in $(seq 1 "$ROUNDS"); do
  for config in "$@"; do
    cost=$(DURABLE="$config" SKIP_BUILD=1 REPORT=/dev/null tools/cost.sh "$COST_CLAIMS" "$RATE" "$IDLE" 2>&1)
    load=$(DURABLE="$config" SKIP_BUILD=1 REPORT=/dev/null tools/load.sh "$LOAD_SECONDS" 8 --aba-share 0 2>&1)
    ops=$(grep -o 'net [0-9.]* operations per claim' <<<"$cost" | grep -o '[0-9.]*')
    gross=$(grep -o '(gross [0-9.]*)' <<<"$cost" | grep -o '[0-9.]*')
    idle=$(grep -o 'no claims): \*\*[0-9.]*' <<<"$cost" | grep -o '[0-9.]*$')
    lat=$(grep -o 'updatedAt) p50 / p95 / p99: [0-9.]* / [0-9.]*' <<<"$cost" | sed 's/.*: //')
    processed=$(grep -o 'processed: .* = [0-9.]* claims/s' <<<"$load" | grep -o '= [0-9.]*' | tr -d '= ')
    limit=$(grep -o '\*\*[0-9.]* claims/s\*\*' <<<"$load" | tr -d '*' | awk '{print $1}' | sort -n | tail -1)
    ratio=$(grep -o 'processed [0-9]* %' <<<"$load" | grep -o '[0-9]*')
    line="| $round | ${config:-host.json} | ${ops:-?} / ${gross:-?} | ${idle:-?} | ${lat:-?} | ${processed:-?} | ${limit:-?} | ${ratio:-?} % | $(cut -d' ' -f1 /proc/loadavg) |"
    echo "$line" | tee -a "$SUMMARY"
    { echo "### $(date -u +%H:%M) round $round DURABLE=\"$config\""; echo "$cost"; echo "$load"; } >>"$OUT/durable-settings-runs.md"
  done
done
