#!/usr/bin/env bash
# Deploys artifacts/claims-functions.zip (infra/publish.sh) to the function app deployed by main.bicep, by the path the
# deployment's hosting plan needs (docs/DEPLOY.md, "Publish and deploy"):
# - FlexConsumption: `az functionapp deployment source config-zip`, which on a Flex app uses the platform's one-deploy
#   endpoint (/api/publish) with your Entra ID token: the platform stores the package in the deployment container with
#   the app identity and restarts the app. You need Website Contributor (or Contributor) on the app: main.bicep's
#   deployerPrincipalId.
# - ElasticPremium: the storage account refuses shared keys, so the package goes to the deployments container with your
#   Entra ID login (Storage Blob Data Contributor there: deployerPrincipalId), the app runs it from that blob
#   (WEBSITE_RUN_FROM_PACKAGE, fetched with the app identity); then the app restarts and the triggers are synced.
# The package is checked again (infra/check-package.py) before anything is sent.
# Usage: infra/deploy.sh <resource-group> [deployment-name]
set -euo pipefail
cd "$(dirname "$0")/.."
rg=${1:?usage: infra/deploy.sh <resource-group> [deployment-name]}
deployment=${2:-main}
zip=artifacts/claims-functions.zip
[ -f "$zip" ] || { echo "No $zip: run infra/publish.sh first." >&2; exit 1; }
python3 infra/check-package.py "$zip" --bicep-dir infra

out() { az deployment group show -g "$rg" -n "$deployment" --query "properties.outputs.$1.value" -o tsv; }
app=$(out functionAppName)
plan=$(out hostingPlan)

case "$plan" in
  FlexConsumption)
    az functionapp deployment source config-zip -g "$rg" -n "$app" --src "$zip" --only-show-errors
    ;;
  ElasticPremium)
    account=$(out storageAccountName)
    az storage blob upload --auth-mode login --account-name "$account" --container-name deployments \
      --name claims-functions.zip --file "$zip" --overwrite --only-show-errors
    az functionapp restart -g "$rg" -n "$app"
    az rest --method post --url "$(az functionapp show -g "$rg" -n "$app" --query id -o tsv)/syncfunctiontriggers?api-version=2024-04-01"
    ;;
  *)
    echo "deploy.sh: deployment '$deployment' in $rg has hostingPlan '$plan'; expected FlexConsumption or ElasticPremium (deploy main.bicep first)." >&2
    exit 1
    ;;
esac
echo "Deployed to https://$(az functionapp show -g "$rg" -n "$app" --query defaultHostName -o tsv)/api ($plan)"
