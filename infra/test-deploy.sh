#!/usr/bin/env bash
# Tests infra/deploy.sh without Azure: a stub `az` on PATH answers the deployment outputs and records every call, and
# the test checks which commands each hosting plan leads to (Flex: the one-deploy zip push only; Elastic Premium: the
# blob upload with Entra ID, a restart and a trigger sync; anything else: refused before deploying). The package is a
# copy of artifacts/claims-functions.zip when one exists, else a minimal one that check-package.py accepts.
# Usage: infra/test-deploy.sh        Ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A repository-shaped folder: infra/ from here, a package in artifacts/.
mkdir -p "$work/repo/artifacts" "$work/bin"
cp -r "$here" "$work/repo/infra"
if [ -f "$here/../artifacts/claims-functions.zip" ]; then
  cp "$here/../artifacts/claims-functions.zip" "$work/repo/artifacts/"
else
  pkg="$work/pkg"; mkdir -p "$pkg/.azurefunctions"
  echo x > "$pkg/Claims.Functions.dll"; echo '{}' > "$pkg/Claims.Functions.deps.json"; echo '{}' > "$pkg/.azurefunctions/function.deps.json"
  echo x > "$pkg/.azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll"
  echo '{"runtimeOptions":{"tfm":"net10.0"}}' > "$pkg/Claims.Functions.runtimeconfig.json"
  echo '{"version":"2.0"}' > "$pkg/host.json"
  echo '{"description":{"language":"dotnet-isolated","defaultWorkerPath":"Claims.Functions.dll"}}' > "$pkg/worker.config.json"
  echo '{"extensions":[{"name":"Startup","typeName":"Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.Startup, Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader","hintPath":"./.azurefunctions/Microsoft.Azure.WebJobs.Extensions.FunctionMetadataLoader.dll"}]}' > "$pkg/extensions.json"
  echo '[{"name":"Health","scriptFile":"Claims.Functions.dll","language":"dotnet-isolated","bindings":[{"type":"httpTrigger","direction":"In"},{"type":"http","direction":"Out"}]}]' > "$pkg/functions.metadata"
  (cd "$pkg" && zip -qr -X "$work/repo/artifacts/claims-functions.zip" .)
fi

cat > "$work/bin/az" <<'STUB'
#!/usr/bin/env bash
echo "az $*" >> "$AZ_LOG"
case "$*" in
  *"properties.outputs.functionAppName.value"*) echo func-claims-x ;;
  *"properties.outputs.hostingPlan.value"*) echo "$AZ_PLAN" ;;
  *"properties.outputs.storageAccountName.value"*) echo stclaimsx ;;
  *"--query id"*) echo /subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/func-claims-x ;;
  *"--query defaultHostName"*) echo func-claims-x.azurewebsites.net ;;
esac
STUB
chmod +x "$work/bin/az"

passed=0; failed=0
run() { # run <plan> -> sets rc and log
  : > "$work/az.log"
  out=$(PATH="$work/bin:$PATH" AZ_LOG="$work/az.log" AZ_PLAN="$1" bash "$work/repo/infra/deploy.sh" rg 2>&1); rc=$?
  log=$(cat "$work/az.log")
}
check() { # check <description> <condition>
  if eval "$2"; then passed=$((passed + 1)); echo "ok    $1"; else failed=$((failed + 1)); echo "FAIL  $1"; echo "$out"; echo "$log"; fi
}

run FlexConsumption
check "Flex: deploys" '[ $rc -eq 0 ]'
check "Flex: one-deploy zip push of the package" 'grep -q "az functionapp deployment source config-zip -g rg -n func-claims-x --src artifacts/claims-functions.zip" <<<"$log"'
check "Flex: no blob upload, no restart" '! grep -qE "storage blob upload|functionapp restart" <<<"$log"'

run ElasticPremium
check "EP: deploys" '[ $rc -eq 0 ]'
check "EP: uploads the package blob with Entra ID" 'grep -q "az storage blob upload --auth-mode login --account-name stclaimsx --container-name deployments --name claims-functions.zip" <<<"$log"'
check "EP: restarts and syncs triggers" 'grep -q "az functionapp restart -g rg -n func-claims-x" <<<"$log" && grep -q "syncfunctiontriggers" <<<"$log"'
check "EP: no one-deploy push" '! grep -q "config-zip" <<<"$log"'

run Consumption
check "unknown plan: refused" '[ $rc -ne 0 ] && grep -q "expected FlexConsumption or ElasticPremium" <<<"$out"'
check "unknown plan: nothing deployed" '! grep -qE "config-zip|blob upload" <<<"$log"'

rm "$work/repo/artifacts/claims-functions.zip"
run FlexConsumption
check "no package: refused before calling az" '[ $rc -ne 0 ] && [ -z "$log" ] && grep -q "run infra/publish.sh first" <<<"$out"'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
