#!/usr/bin/env bash
# Hostile input (docs/RELIABILITY.md): 500+ mutations of valid Claims and Bundles plus the HL7 validator's invalid
# inputs (../shared/data/fhir-invalid, when present) sent to a running app. Fails on any 5xx, crash, stuck claim or
# poison message. Starts its own Azurite (in memory) and the app on free loopback ports.
source "$(dirname "$0")/lib.sh"
REPORT=${REPORT:-$OUT/hostile.md}
build
start_azurite
start_app
corpus=()
[ -d ../shared/data/fhir-invalid ] && corpus=(--corpus ../shared/data/fhir-invalid)
status=0
load_tool hostile --wait 120 "${corpus[@]}" "$@" || status=$?
if ! app_alive; then echo "- the app process exited during the hostile run (see $OUT/app.log)" | tee -a "$REPORT"; status=1; fi
exit "$status"
