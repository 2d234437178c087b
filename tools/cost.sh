#!/usr/bin/env bash
# Storage operations per clean claim, Durable's own included, and the latency of a clean claim at low load
# (docs/PERFORMANCE.md, "Cost per claim").
#   tools/cost.sh [claims, default 40] [rate per second, default 1] [idle seconds, default 30]
#   DURABLE="storageProvider:partitionCount=1 ..." tools/cost.sh     # host.json durableTask overrides for the run
#   WARMUP=1 SETTLE=15 tools/cost.sh 5 0.05 10                          # sparse claims: one every 20 s
# Starts its own Azurite (in memory), the counting proxy in front of it (tools/count-proxy.js: one port per
# service) and the app through the local host pointed at the proxy's ports (AzureWebJobsStorage with explicit
# endpoints). After the app is up and has settled it measures the idle rate, posts warm-up claims, then the measured
# clean claims at the given rate, waits until every claim is Submitted and its orchestration settled (every activity
# it scheduled has its result in the history; a submitted claim's orchestration then waits for the acknowledgment),
# reading storage directly, not through the proxy, and prints operations per claim by step, idle rate subtracted.
source "$(dirname "$0")/lib.sh"
CLAIMS=${1:-40}; RATE=${2:-1}; IDLE=${3:-30}; SETTLE=${SETTLE:-15}
TASK_HUB=${TASK_HUB:-CostHub}
REPORT=${REPORT:-$OUT/cost.md}
RUN=$OUT/cost-$(date -u +%Y%m%d-%H%M%S)
build
start_azurite

P_BLOB=$(free_port); P_QUEUE=$(free_port); P_TABLE=$(free_port); P_CONTROL=$(free_port)
node tools/count-proxy.js --hub "$TASK_HUB" --control "$P_CONTROL" \
  --blob "$P_BLOB:$BLOB_PORT" --queue "$P_QUEUE:$QUEUE_PORT" --table "$P_TABLE:$TABLE_PORT" >"$RUN-proxy-exit.json" 2>>"$OUT/count-proxy.log" &
PROXY_PID=$!
stop_proxy() { kill -TERM "$PROXY_PID" 2>/dev/null || true; wait "$PROXY_PID" 2>/dev/null || true; }
trap 'stop_app TERM; stop_proxy; stop_azurite TERM' EXIT INT TERM
for _ in $(seq 1 50); do port_open "$P_CONTROL" && break; sleep 0.1; done
COUNTS=http://127.0.0.1:$P_CONTROL/counts

DIRECT=$STORAGE
STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$P_BLOB/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$P_QUEUE/devstoreaccount1;TableEndpoint=http://127.0.0.1:$P_TABLE/devstoreaccount1;"
APP_ENV+=("TaskHubName=$TASK_HUB")
start_app
sleep "$SETTLE"
curl -fs "$COUNTS" >"$RUN-idle-before.json"
sleep "$IDLE"
curl -fs "$COUNTS" >"$RUN-idle-after.json"

# The tool reads storage directly (Azurite's own ports), so its polling is not counted.
STORAGE=$DIRECT
set +e
load_tool clean --label "clean claims, $CLAIMS at $RATE/s${DURABLE:+, DURABLE=\"$DURABLE\"}" --claims "$CLAIMS" --rate "$RATE" \
  --hub "$TASK_HUB" --warmup "${WARMUP:-3}" --counts-url "$COUNTS" --counts-out "$RUN"
status=$?
set -e
{
  echo "- durable settings: ${DURABLE:-host.json as built}; snapshots: $RUN-*.json"
  echo
  node tools/cost-report.js "$RUN-idle-before.json" "$RUN-idle-after.json" "$RUN-before.json" "$RUN-after.json" "$RUN-run.json"
  echo
} | tee -a "$REPORT"
exit $status
