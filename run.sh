#!/usr/bin/env bash
# Runs Claims Functions locally: installs and starts Azurite (storage emulator), starts the function app on
# http://localhost:7071/api with local.settings.json (created from the sample on first run), seeds the dev tenant,
# and prints the URL and keys. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")"

AZURITE_DIR=infra/local
BLOB_PORT=${AZURITE_BLOB_PORT:-10000}
QUEUE_PORT=${AZURITE_QUEUE_PORT:-10001}
TABLE_PORT=${AZURITE_TABLE_PORT:-10002}

if [ ! -f "$AZURITE_DIR/node_modules/azurite/package.json" ]; then
  echo "Installing Azurite (npm ci in $AZURITE_DIR)..."
  (cd "$AZURITE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ ! -f local.settings.json ]; then
  cp local.settings.sample.json local.settings.json
  echo "Created local.settings.json from local.settings.sample.json."
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

if port_open "$BLOB_PORT" && port_open "$QUEUE_PORT" && port_open "$TABLE_PORT"; then
  echo "Azurite already listening on $BLOB_PORT/$QUEUE_PORT/$TABLE_PORT; using it."
else
  mkdir -p .azurite
  node "$AZURITE_DIR/node_modules/azurite/dist/src/azurite.js" --silent --disableTelemetry --skipApiVersionCheck --location .azurite \
    --blobPort "$BLOB_PORT" --queuePort "$QUEUE_PORT" --tablePort "$TABLE_PORT" &
  pids+=("$!")
  for _ in $(seq 1 100); do
    if port_open "$BLOB_PORT" && port_open "$QUEUE_PORT" && port_open "$TABLE_PORT"; then break; fi
    sleep 0.2
  done
  port_open "$TABLE_PORT" || { echo "Azurite did not start." >&2; exit 1; }
  echo "Azurite listening on 127.0.0.1:$BLOB_PORT (blob), $QUEUE_PORT (queue), $TABLE_PORT (table); data in .azurite/"
fi

setting() { node -e 'const s=require("./local.settings.json").Values||{};process.stdout.write(String(s[process.argv[1]]??""))' "$1"; }
INGEST_KEY=$(setting Dev__IngestApiKey)
ADMIN_KEY=$(setting Dev__AdminApiKey)

dotnet run --project functions/Claims.LocalHost -c Release &
app_pid=$!
pids+=("$app_pid")

echo "Starting the app (first build takes a minute)..."
for _ in $(seq 1 600); do
  curl -fs http://localhost:7071/api/health >/dev/null 2>&1 && break
  kill -0 "$app_pid" 2>/dev/null || { echo "The app stopped; see the output above." >&2; exit 1; }
  sleep 0.5
done

# The demo tenant's prior authorization for the sample claim (the starter rule set holds ABA claims without one).
# 201 the first time, 409 when a previous run created it already.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://localhost:7071/api/authorizations \
  -H "x-api-key: $ADMIN_KEY" -H "Content-Type: application/json" --data-binary @samples/aba-authorization.json || true)
case "$code" in
  201) echo "Seeded authorization AUTH-1001 (samples/aba-authorization.json)." ;;
  409) echo "Authorization AUTH-1001 already on file." ;;
  *) echo "Could not seed authorization AUTH-1001 (HTTP $code)." >&2 ;;
esac

cat <<INFO

Claims Functions: http://localhost:7071/api   (health: http://localhost:7071/api/health)
  tenant:     $(setting Dev__TenantId)
  ingest key: $INGEST_KEY
  admin key:  $ADMIN_KEY
Post the sample claim:
  curl -i -X POST http://localhost:7071/api/fhir/Claim -H "x-api-key: $INGEST_KEY" \\
       -H "Content-Type: application/fhir+json" --data-binary @samples/aba-therapy-claim.json
Ctrl-C stops the app and Azurite.

INFO

# Runs until the app stops or Ctrl-C. Azurite may be stopped on its own meanwhile: the webhook then answers 503.
wait "$app_pid"
