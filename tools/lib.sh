#!/usr/bin/env bash
# Shared by tools/load.sh, tools/faults.sh and tools/hostile.sh: builds the app and the load tool (Release), starts
# Azurite and the app on free loopback ports, and stops both on exit. Source it; do not run it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

OUT=${CLAIMS_LOAD_OUT:-$ROOT/tools/out}
mkdir -p "$OUT"
ART=${CLAIMS_ARTIFACTS:-}
TENANT=load-clinic
INGEST_KEY=load-ingest-key-$RANDOM$RANDOM
ADMIN_KEY=load-admin-key-$RANDOM$RANDOM
AZURITE_JS=infra/local/node_modules/azurite/dist/src/azurite.js
AZ_PID=""
APP_PID=""
AZ_LOCATION=""
APP_ENV=()
# DURABLE="name=value ..." overrides host.json extensions.durableTask for this run (':' nests, as in host.json), e.g.
#   DURABLE="storageProvider:partitionCount=1 extendedSessionsEnabled=true" tools/load.sh 30
for setting in ${DURABLE:-}; do
  name=${setting%%=*}
  APP_ENV+=("AzureFunctionsJobHost__extensions__durableTask__${name//:/__}=${setting#*=}")
done

if [ -n "$ART" ]; then
  APP_DLL=$ART/bin/Claims.LocalHost/release/Claims.LocalHost.dll
  LOAD_DLL=$ART/bin/Claims.Load/release/Claims.Load.dll
else
  APP_DLL=functions/Claims.LocalHost/bin/Release/net10.0/Claims.LocalHost.dll
  LOAD_DLL=tools/Claims.Load/bin/Release/net10.0/Claims.Load.dll
fi

build() {
  if [ ! -f infra/local/node_modules/azurite/package.json ]; then
    (cd infra/local && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ -n "${SKIP_BUILD:-}" ] && [ -f "$APP_DLL" ] && [ -f "$LOAD_DLL" ]; then return; fi
  local extra=()
  [ -n "$ART" ] && extra=(--artifacts-path "$ART")
  dotnet build functions/Claims.LocalHost -c Release -nologo --verbosity quiet "${extra[@]}"
  dotnet build tools/Claims.Load -c Release -nologo --verbosity quiet "${extra[@]}"
}

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

BLOB_PORT=$(free_port); QUEUE_PORT=$(free_port); TABLE_PORT=$(free_port); APP_PORT=$(free_port)
KEY="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
STORAGE="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$KEY;BlobEndpoint=http://127.0.0.1:$BLOB_PORT/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$QUEUE_PORT/devstoreaccount1;TableEndpoint=http://127.0.0.1:$TABLE_PORT/devstoreaccount1;"
APP_URL=http://127.0.0.1:$APP_PORT/

# start_azurite [location]: on disk in <location> (data survives a restart), in memory without one.
start_azurite() {
  local persistence=(--inMemoryPersistence)
  if [ -n "${1:-}" ]; then AZ_LOCATION=$1; mkdir -p "$AZ_LOCATION"; persistence=(--location "$AZ_LOCATION"); fi
  node "$AZURITE_JS" "${persistence[@]}" --silent --disableTelemetry --skipApiVersionCheck \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$BLOB_PORT" --queuePort "$QUEUE_PORT" --tablePort "$TABLE_PORT" >>"$OUT/azurite.log" 2>&1 &
  AZ_PID=$!
  for _ in $(seq 1 150); do
    if port_open "$BLOB_PORT" && port_open "$QUEUE_PORT" && port_open "$TABLE_PORT"; then return 0; fi
    sleep 0.2
  done
  echo "Azurite did not start (see $OUT/azurite.log)" >&2; return 1
}

# stop_azurite [signal]: TERM lets Azurite flush its on-disk store.
stop_azurite() {
  [ -n "$AZ_PID" ] || return 0
  kill -"${1:-TERM}" "$AZ_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$AZ_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$AZ_PID" 2>/dev/null || true
  wait "$AZ_PID" 2>/dev/null || true
  AZ_PID=""
}

start_app() {
  env AzureWebJobsStorage="$STORAGE" urls="http://127.0.0.1:$APP_PORT" \
    Dev__TenantId="$TENANT" Dev__IngestApiKey="$INGEST_KEY" Dev__AdminApiKey="$ADMIN_KEY" \
    AuthorizationSweepSchedule="0 0 6 * * *" StuckClaimSweepSchedule="0 */5 * * * *" SignatureReplayPurgeSchedule="0 17 * * * *" AcknowledgmentPollSchedule="0 */1 * * * *" NotificationSweepSchedule="0 */5 * * * *" NotificationLogPurgeSchedule="0 41 3 * * *" TaskHubName="${TASK_HUB:-ToolsHub}" \
    Logging__LogLevel__Default=Warning RateLimit__PermitsPerSecond=100000 RateLimit__Burst=1000000 "${APP_ENV[@]}" \
    dotnet "$APP_DLL" >>"$OUT/app.log" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 300); do
    if curl -fs -o /dev/null "http://127.0.0.1:$APP_PORT/api/health"; then return 0; fi
    kill -0 "$APP_PID" 2>/dev/null || { echo "The app exited (see $OUT/app.log)" >&2; return 1; }
    sleep 0.2
  done
  echo "The app did not become healthy (see $OUT/app.log)" >&2; return 1
}

stop_app() {
  [ -n "$APP_PID" ] || return 0
  kill -"${1:-TERM}" "$APP_PID" 2>/dev/null || true
  for _ in $(seq 1 250); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$APP_PID" 2>/dev/null || true
  wait "$APP_PID" 2>/dev/null || true
  APP_PID=""
}

app_alive() { [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; }

cleanup() {
  stop_app TERM
  stop_azurite TERM
  if [ -n "$AZ_LOCATION" ]; then rm -rf "$AZ_LOCATION"; fi
}
trap cleanup EXIT INT TERM

# load_tool <command> [args...]: runs the load tool against this app and storage; lines also go to $REPORT.
load_tool() {
  local cmd=$1; shift
  CLAIMS_LOAD_REPORT=${REPORT:-} dotnet "$LOAD_DLL" "$cmd" --url "$APP_URL" --ingest-key "$INGEST_KEY" --admin-key "$ADMIN_KEY" \
    --tenant "$TENANT" --storage "$STORAGE" "$@"
}
