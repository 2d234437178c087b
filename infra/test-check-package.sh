#!/usr/bin/env bash
# Tests infra/check-package.py without building anything: lays out a package the way the Worker SDK publishes one
# (file names and JSON as `dotnet publish` of an isolated-worker app with HTTP, queue, timer and Durable functions
# writes them; the .dll files are placeholders), checks that it passes, then breaks one thing at a time and checks that
# each broken package fails with the message that names the problem.
# Usage: infra/test-check-package.sh            Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")"
check="$PWD/check-package.py"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

good="$work/good"
mkdir -p "$good/.azurefunctions/runtimes"
for f in Claims.Functions.dll Microsoft.Azure.Functions.Worker.dll DurableTask.Core.dll; do echo placeholder > "$good/$f"; done
for f in Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll Microsoft.Azure.WebJobs.Extensions.DurableTask.dll \
         Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll Microsoft.Azure.Functions.Worker.Extensions.dll; do
  echo placeholder > "$good/.azurefunctions/$f"
done
echo '{}' > "$good/.azurefunctions/function.deps.json"
echo '{}' > "$good/Claims.Functions.deps.json"
cat > "$good/Claims.Functions.runtimeconfig.json" <<'JSON'
{ "runtimeOptions": { "tfm": "net10.0", "framework": { "name": "Microsoft.NETCore.App", "version": "10.0.0" } } }
JSON
cat > "$good/host.json" <<'JSON'
{ "version": "2.0", "extensions": { "durableTask": { "hubName": "%TaskHubName%", "storageProvider": { "partitionCount": 4 } } } }
JSON
cat > "$good/worker.config.json" <<'JSON'
{ "description": { "language": "dotnet-isolated", "extensions": [ ".dll" ], "defaultExecutablePath": "dotnet",
  "defaultWorkerPath": "Claims.Functions.dll", "workerIndexing": "true", "canUsePlaceholder": true } }
JSON
cat > "$good/extensions.json" <<'JSON'
{ "extensions": [
  { "name": "AzureStorageQueues", "typeName": "Microsoft.Azure.WebJobs.Extensions.Storage.AzureStorageQueuesWebJobsStartup, Microsoft.Azure.WebJobs.Extensions.Storage.Queues", "hintPath": "./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.Storage.Queues.dll" },
  { "name": "DurableTask", "typeName": "Microsoft.Azure.WebJobs.Extensions.DurableTask.DurableTaskWebJobsStartup, Microsoft.Azure.WebJobs.Extensions.DurableTask", "hintPath": "./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.DurableTask.dll" },
  { "name": "Startup", "typeName": "Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.Startup, Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader", "hintPath": "./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll" } ] }
JSON
cat > "$good/functions.metadata" <<'JSON'
[
  { "name": "FhirClaim", "scriptFile": "Claims.Functions.dll", "entryPoint": "Claims.Functions.FhirClaim.Run", "language": "dotnet-isolated",
    "bindings": [ { "name": "request", "direction": "In", "type": "httpTrigger", "authLevel": "Anonymous", "methods": [ "post" ], "route": "fhir/Claim" },
                  { "name": "$return", "type": "http", "direction": "Out" } ] },
  { "name": "RulesEngine", "scriptFile": "Claims.Functions.dll", "entryPoint": "Claims.Functions.RulesEngine.Run", "language": "dotnet-isolated",
    "bindings": [ { "name": "message", "direction": "In", "type": "queueTrigger", "queueName": "claims-intake" },
                  { "name": "client", "direction": "In", "type": "durableClient" } ] },
  { "name": "AuthorizationSweep", "scriptFile": "Claims.Functions.dll", "entryPoint": "Claims.Functions.AuthorizationSweep.Run", "language": "dotnet-isolated",
    "bindings": [ { "name": "timer", "direction": "In", "type": "timerTrigger", "schedule": "%AuthorizationSweepSchedule%" } ] },
  { "name": "ClaimPipeline", "scriptFile": "Claims.Functions.dll", "entryPoint": "Claims.Functions.ClaimPipeline.Run", "language": "dotnet-isolated",
    "bindings": [ { "name": "context", "direction": "In", "type": "orchestrationTrigger" } ] },
  { "name": "SubmitClaim", "scriptFile": "Claims.Functions.dll", "entryPoint": "Claims.Functions.SubmitClaim.Run", "language": "dotnet-isolated",
    "bindings": [ { "name": "input", "direction": "In", "type": "activityTrigger" } ] }
]
JSON

passed=0; failed=0
zip_of() { rm -f "$2"; (cd "$1" && zip -qr -X "$2" .); }

expect_ok() {
  zip_of "$good" "$work/good.zip"
  if out=$(python3 "$check" "$work/good.zip" 2>&1); then
    passed=$((passed + 1)); echo "ok    a complete package passes"
  else
    failed=$((failed + 1)); echo "FAIL  a complete package was refused:"; echo "$out"
  fi
}

# expect_fail <description> <message substring> <shell commands run inside a copy of the good package>
expect_fail() {
  local description=$1 message=$2 mutation=$3 case="$work/case"
  rm -rf "$case" && cp -r "$good" "$case"
  (cd "$case" && eval "$mutation")
  zip_of "$case" "$work/case.zip"
  if out=$(python3 "$check" "$work/case.zip" 2>&1); then
    failed=$((failed + 1)); echo "FAIL  $description: passed the check"
  elif grep -qF -- "$message" <<<"$out"; then
    passed=$((passed + 1)); echo "ok    $description"
  else
    failed=$((failed + 1)); echo "FAIL  $description: refused, but without '$message':"; echo "$out"
  fi
}

json_edit() { # json_edit <file> <python expression over d that mutates it>
  python3 - "$1" "$2" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
d = json.load(open(path))
exec(code)
json.dump(d, open(path, "w"))
PY
}

expect_ok
expect_fail "no host.json" "host.json is missing" "rm host.json"
expect_fail "no functions.metadata" "functions.metadata is missing" "rm functions.metadata"
expect_fail "no worker.config.json" "worker.config.json is missing" "rm worker.config.json"
expect_fail "no extensions.json" "extensions.json is missing" "rm extensions.json"
expect_fail "no .azurefunctions/" ".azurefunctions/ is missing at the zip root" "rm -rf .azurefunctions"
expect_fail "zipped from the parent folder" "found at pkg/.azurefunctions" "mkdir pkg && mv .[!.]* * pkg/ 2>/dev/null; true"
expect_fail "no app dll" "Claims.Functions.dll is missing" "rm Claims.Functions.dll"
expect_fail "no runtimeconfig" "Claims.Functions.runtimeconfig.json is missing" "rm Claims.Functions.runtimeconfig.json"
expect_fail "extension dll missing" "not in the zip" "rm .azurefunctions/Microsoft.Azure.WebJobs.Extensions.DurableTask.dll"
expect_fail "Durable used but not in extensions.json" "does not list the DurableTask extension" \
  "json_edit extensions.json 'd[\"extensions\"] = [e for e in d[\"extensions\"] if e[\"name\"] != \"DurableTask\"]'"
expect_fail "FunctionMetadataLoader missing" "FunctionMetadataLoader" \
  "json_edit extensions.json 'd[\"extensions\"] = [e for e in d[\"extensions\"] if e[\"name\"] != \"Startup\"]'"
expect_fail "custom-handler leftover in host.json" "customHandler" \
  "json_edit host.json 'd[\"customHandler\"] = {\"description\": {\"defaultExecutablePath\": \"Claims.Functions\"}}'"
expect_fail "no task hub name" "hubName is not set" "json_edit host.json 'del d[\"extensions\"][\"durableTask\"][\"hubName\"]'"
expect_fail "partitionCount out of range" "outside 1..16" \
  "json_edit host.json 'd[\"extensions\"][\"durableTask\"][\"storageProvider\"][\"partitionCount\"] = 32'"
expect_fail "wrong worker language" "not 'dotnet-isolated'" "json_edit worker.config.json 'd[\"description\"][\"language\"] = \"dotnet\"'"
expect_fail "worker path is another assembly" "expected 'Claims.Functions.dll'" \
  "json_edit worker.config.json 'd[\"description\"][\"defaultWorkerPath\"] = \"Other.dll\"'"
expect_fail "empty functions.metadata" "lists no function" "echo '[]' > functions.metadata"
expect_fail "%Setting% the Bicep does not set" "sets no app setting 'NoSuchSchedule'" \
  "json_edit functions.metadata 'd[2][\"bindings\"][0][\"schedule\"] = \"%NoSuchSchedule%\"'"
expect_fail ".NET version differs from the Bicep's" "main.bicep deploys dotnet-isolated" \
  "json_edit Claims.Functions.runtimeconfig.json 'd[\"runtimeOptions\"][\"tfm\"] = \"net9.0\"'"
expect_fail "local.settings.json shipped" "local.settings.json is in the zip" "echo '{}' > local.settings.json"
echo garbage > "$work/garbage.zip"
if out=$(python3 "$check" "$work/garbage.zip" 2>&1) || ! grep -qF "not a readable zip" <<<"$out"; then
  failed=$((failed + 1)); echo "FAIL  not a zip at all: $out"
else
  passed=$((passed + 1)); echo "ok    not a zip at all"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
