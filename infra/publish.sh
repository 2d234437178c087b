#!/usr/bin/env bash
# Builds the Azure Functions deployment package, artifacts/claims-functions.zip, for the .NET isolated worker:
#   dotnet publish -c Release functions/Claims.Functions   (framework-dependent: the plan provides .NET 10)
# which, through Microsoft.Azure.Functions.Worker.Sdk, lays out what the Functions host reads at the package root:
#   host.json, functions.metadata, worker.config.json, extensions.json, .azurefunctions/ (the host extensions the
#   SDK's generated WorkerExtensions project restored: Storage Queues, DurableTask, FunctionMetadataLoader),
#   Claims.Functions.dll (+ .deps.json, .runtimeconfig.json) and its dependencies.
# Then zips that folder and CHECKS the zip with infra/check-package.py (every file above, their consistency with each
# other and with the Bicep app settings); a package that would not start in Azure fails here with a clear message.
# host.json is the repository root's (the one file the local host reads too); a different copy in the publish output
# fails the build rather than silently shipping one of the two.
# Usage: infra/publish.sh [output.zip]      Needs the .NET SDK, NuGet, zip and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

project=functions/Claims.Functions/Claims.Functions.csproj
app=Claims.Functions
out=${1:-artifacts/claims-functions.zip}
stage=artifacts/package
build=artifacts/publish-build

[ -f "$project" ] || { echo "publish.sh: $project not found." >&2; exit 1; }
if ! grep -q 'Microsoft.Azure.Functions.Worker.Sdk' "$project"; then
  echo "publish.sh: $project does not reference Microsoft.Azure.Functions.Worker.Sdk: it is not an isolated-worker Functions app yet, so the host could not run its package." >&2
  exit 1
fi

rm -rf "$stage" "$out"
mkdir -p "$stage" "$(dirname "$out")"

echo "Publishing $project (Release)..."
# --artifacts-path keeps this build's bin/obj apart from the developer's (and the local host's) build.
dotnet publish "$project" -c Release -o "$stage" --artifacts-path "$build" \
  -p:GenerateDocumentationFile=false --nologo --verbosity quiet

if [ -f "$stage/host.json" ]; then
  if ! cmp -s host.json "$stage/host.json"; then
    echo "publish.sh: the publish output has a host.json that differs from the repository root's host.json; keep one (link the root file from the project)." >&2
    exit 1
  fi
else
  cp host.json "$stage/host.json"
fi

# Never ship local settings (secrets) or debug symbols.
rm -f "$stage/local.settings.json"
find "$stage" -name "*.pdb" -delete

echo "Zipping to $out..."
out_abs="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
# -r from inside the folder: the host needs host.json and .azurefunctions/ at the zip root, not under a folder name.
(cd "$stage" && zip -qr -X "$out_abs" .)

python3 infra/check-package.py "$out" --app "$app" --bicep-dir infra
echo "Built $out ($(du -h "$out" | cut -f1))."
