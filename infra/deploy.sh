#!/usr/bin/env bash
# Zip deploy of artifacts/claims-functions.zip (infra/publish.sh) to the function app deployed by main.bicep.
# The storage account refuses shared keys, so the package goes to the deployments container with your Entra ID login
# (you need Storage Blob Data Contributor there: main.bicep's deployerPrincipalId) and the app runs it from that blob
# (WEBSITE_RUN_FROM_PACKAGE, fetched with the app's identity); then the app restarts and the triggers are synced.
# Usage: infra/deploy.sh <resource-group> [deployment-name]
set -euo pipefail
cd "$(dirname "$0")/.."
rg=${1:?usage: infra/deploy.sh <resource-group> [deployment-name]}
deployment=${2:-main}
zip=artifacts/claims-functions.zip
[ -f "$zip" ] || { echo "No $zip: run infra/publish.sh first." >&2; exit 1; }

out() { az deployment group show -g "$rg" -n "$deployment" --query "properties.outputs.$1.value" -o tsv; }
app=$(out functionAppName)
account=$(out storageAccountName)

az storage blob upload --auth-mode login --account-name "$account" --container-name deployments \
  --name claims-functions.zip --file "$zip" --overwrite --only-show-errors
az functionapp restart -g "$rg" -n "$app"
az rest --method post --url "$(az functionapp show -g "$rg" -n "$app" --query id -o tsv)/syncfunctiontriggers?api-version=2023-12-01"
echo "Deployed to https://$(az functionapp show -g "$rg" -n "$app" --query defaultHostName -o tsv)/api"
