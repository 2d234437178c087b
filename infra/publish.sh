#!/usr/bin/env bash
# Builds the Azure Functions deployment package: artifacts/claims-functions.zip, laid out as the Functions host
# expects a custom handler (docs/DEPLOY.md):
#   host.json                       customHandler.defaultExecutablePath = "Claims.Functions"
#   Claims.Functions                the app, published self-contained for linux-x64 (no .NET needed on the plan)
#   <FunctionName>/function.json    generated from Hosting/Catalog.cs by the app itself (never hand-written)
# Needs the .NET SDK and NuGet (the linux-x64 runtime packs are restored once, then come from the NuGet cache).
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/claims-functions.zip
stage=artifacts/package
build=artifacts/publish-build
exe=$(python3 -c 'import json,sys; print(json.load(open("host.json"))["customHandler"]["description"]["defaultExecutablePath"])' 2>/dev/null || echo Claims.Functions)

rm -rf "$stage" "$out"
mkdir -p "$stage"

echo "Publishing functions/Claims.Functions (Release, linux-x64, self-contained)..."
dotnet publish functions/Claims.Functions/Claims.Functions.csproj \
  -c Release -r linux-x64 --self-contained true \
  -p:GenerateDocumentationFile=false \
  --artifacts-path "$build" -o "$stage" --nologo --verbosity quiet

if [ ! -f "$stage/$exe" ]; then
  echo "publish.sh: $stage/$exe is missing: host.json's defaultExecutablePath must be the app's AssemblyName (Claims.Functions.csproj)." >&2
  exit 1
fi
chmod +x "$stage/$exe"
cp host.json "$stage/host.json"

echo "Generating function.json files from the catalog..."
if [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ]; then
  "$stage/$exe" --generate-function-metadata "$stage" >/dev/null
else
  # Not a linux-x64 machine: the published executable cannot run here, so ask a framework-dependent build.
  dotnet run --project functions/Claims.Functions/Claims.Functions.csproj -c Release \
    --artifacts-path "$build/host" -- --generate-function-metadata "$PWD/$stage" >/dev/null
fi

# Never ship local settings or debug symbols.
rm -f "$stage/local.settings.json" "$stage"/*.pdb

echo "Zipping to $out..."
if command -v zip >/dev/null 2>&1; then
  (cd "$stage" && zip -qr -X "../$(basename "$out")" .)
else
  # zip keeps the executable bit in the archive; so does this fallback (the Functions host must be able to run the file).
  python3 - "$stage" "$out" <<'PY'
import os, sys, zipfile
stage, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk(stage):
        for name in sorted(files):
            path = os.path.join(root, name)
            info = zipfile.ZipInfo.from_file(path, os.path.relpath(path, stage))
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                z.writestr(info, f.read())
PY
fi

functions=$(find "$stage" -mindepth 2 -maxdepth 2 -name function.json | wc -l)
echo "Built $out ($(du -h "$out" | cut -f1), $functions functions, executable $exe)."
