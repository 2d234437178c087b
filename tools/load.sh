#!/usr/bin/env bash
# Throughput and latency against Azurite, with the storage-bound baseline in the same run (docs/PERFORMANCE.md).
#   tools/load.sh [duration seconds, default 60] [concurrency, default 8] [extra Claims.Load flags, e.g. --rate 40]
# Starts its own Azurite (in memory) and the app on free loopback ports, posts generated claims (10 % as 5-claim
# transaction Bundles; the Synthea Bundles of ../shared/data/synthea once, when present), waits until every
# accepted claim is Submitted/Held/Failed, checks the outbound container, then runs the storage baseline.
source "$(dirname "$0")/lib.sh"
DURATION=${1:-60}; CONCURRENCY=${2:-8}; shift $(( $# > 2 ? 2 : $# ))
REPORT=${REPORT:-$OUT/load.md}
build
start_azurite
start_app
synthea=()
[ -d ../shared/data/synthea ] && synthea=(--synthea ../shared/data/synthea)
load_tool load --label "load ${CONCURRENCY} concurrent" --duration "$DURATION" --concurrency "$CONCURRENCY" \
  --bundle-share 0.1 --wait 300 --baseline "${synthea[@]}" "$@"
