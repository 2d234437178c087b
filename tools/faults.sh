#!/usr/bin/env bash
# Fault scenarios (docs/RELIABILITY.md), each under load, each reporting accepted / lost / submitted twice:
#   kill        SIGKILL the app mid-load, start it again
#   azurite     stop Azurite mid-load (on-disk store, so data survives), start it again; the webhook answers 503 meanwhile
#   duplicates  every post sent twice, then every claim's intake message delivered again (its orchestration starts once)
#   poison      garbage on claims-intake while claims flow; it must end in the -poison queue
#   tools/faults.sh [scenario ...]     (default: all four; DURATION=40 CONCURRENCY=4 override the load)
# The app runs with a 30 s message lease, a stuck-claim sweep every 10 s (claims stuck for 30 s) and a 1 s
# visibility timeout, and the task hub's queues a 5 s visibility timeout, so a killed instance's work is picked up within
# the run instead of after 5-10 minutes.
source "$(dirname "$0")/lib.sh"
REPORT=${REPORT:-$OUT/faults.md}
DURATION=${DURATION:-40}
CONCURRENCY=${CONCURRENCY:-4}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(kill azurite duplicates poison)
APP_ENV=(
  AzureFunctionsJobHost__extensions__queues__messageLease=00:00:30
  AzureFunctionsJobHost__extensions__queues__visibilityTimeout=00:00:01
  "StuckClaimSweepSchedule=*/10 * * * * *"
  Pipeline__StuckAfter=00:00:30
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout=00:00:05
  AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout=00:00:05
)
build
failed=()
TMP=$(mktemp -d)

run_kill() {
  start_azurite; start_app
  load_tool load --label "fault: SIGKILL the app under load" --duration "$DURATION" --concurrency "$CONCURRENCY" --wait 300 &
  local tool=$!
  sleep $((DURATION / 3))
  echo "- $(date -u +%T) SIGKILL app pid $APP_PID" | tee -a "$REPORT"
  kill -KILL "$APP_PID"; wait "$APP_PID" 2>/dev/null || true; APP_PID=""
  sleep 2
  start_app
  echo "- $(date -u +%T) app restarted" | tee -a "$REPORT"
  wait "$tool"
}

run_azurite() {
  start_azurite "$TMP/azurite"; start_app
  load_tool load --label "fault: Azurite stopped and restarted under load" --duration "$DURATION" --concurrency "$CONCURRENCY" --wait 300 &
  local tool=$!
  sleep $((DURATION / 3))
  echo "- $(date -u +%T) Azurite stopped (SIGTERM)" | tee -a "$REPORT"
  local keep=$AZ_LOCATION; AZ_LOCATION=""
  stop_azurite TERM
  sleep 8
  start_azurite "$keep"
  echo "- $(date -u +%T) Azurite restarted on the same ports and store" | tee -a "$REPORT"
  wait "$tool"
}

run_duplicates() {
  start_azurite; start_app
  load_tool load --label "fault: duplicate deliveries" --duration "$DURATION" --concurrency "$CONCURRENCY" --wait 300 \
    --post-twice --bundle-share 0.1 --reenqueue
}

run_poison() {
  start_azurite; start_app
  load_tool load --label "fault: poison messages" --duration "$DURATION" --concurrency "$CONCURRENCY" --wait 300 --poison 20
}

for scenario in "${SCENARIOS[@]}"; do
  if "run_$scenario"; then :; else failed+=("$scenario"); fi
  if ! app_alive; then echo "- the app was not running at the end of $scenario" | tee -a "$REPORT"; fi
  stop_app; stop_azurite
  rm -rf "$TMP/azurite"
done
rm -rf "$TMP"
if [ ${#failed[@]} -gt 0 ]; then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "All fault scenarios: nothing lost, nothing submitted twice."
