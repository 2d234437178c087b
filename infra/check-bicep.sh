#!/usr/bin/env bash
# Build-checks and lints the Bicep offline with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64), so no az
# CLI and no subscription are needed: restores the package into the NuGet cache once, then
#   1. `bicep build` and `bicep lint` main.bicep; any warning fails the check (an unknown property such as a mistyped
#      functionAppConfig field is only a BCP037 warning to Bicep, and would be ignored or refused by Azure later);
#   2. checks main.parameters.json against the compiled template (every parameter exists, allowed values hold);
#   3. checks the compiled template holds no secret-bearing construct (listKeys, AccountKey, Azure Files content share)
#      and no custom-handler leftover, and that it has the optional Entra ID sign-in (authsettingsV2, AllowAnonymous);
#   4. evaluates the compiled function app module for each hosting plan (check-plans.py) and checks what Azure would
#      receive: Flex gets functionAppConfig (identity-read deployment container, dotnet-isolated 10.0) and none of the
#      settings Flex deprecates; Elastic Premium gets linuxFxVersion, FUNCTIONS_WORKER_RUNTIME and the package blob.
set -euo pipefail
cd "$(dirname "$0")"
version=0.49.2
bicep="${NUGET_PACKAGES:-$HOME/.nuget/packages}/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -x "$bicep" ]; then
  tmp=$(mktemp -d)
  cat > "$tmp/bicep-cli.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageDownload Include="Azure.Bicep.CommandLine.linux-x64" Version="[$version]" /></ItemGroup>
</Project>
PROJ
  dotnet restore "$tmp/bicep-cli.csproj" --verbosity quiet
  rm -rf "$tmp"
  chmod +x "$bicep"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$bicep" build main.bicep --outfile "$out/main.json" 2>"$out/build.log" || { cat "$out/build.log" >&2; exit 1; }
"$bicep" lint main.bicep >"$out/lint.log" 2>&1 || { cat "$out/lint.log" >&2; exit 1; }
if grep -hE ': (Warning|Error) ' "$out/build.log" "$out/lint.log" | sort -u | grep .; then
  echo "check-bicep.sh: the Bicep has warnings (above); fix them." >&2
  exit 1
fi

python3 - "$out/main.json" main.parameters.json <<'PY'
import json, sys
template = json.load(open(sys.argv[1]))
parameters = json.load(open(sys.argv[2]))["parameters"]
errors = []
declared = template["parameters"]
for name, entry in parameters.items():
    if name not in declared:
        errors.append(f"main.parameters.json sets '{name}', which main.bicep does not declare")
        continue
    allowed = declared[name].get("allowedValues")
    if allowed is not None and entry.get("value") not in allowed:
        errors.append(f"main.parameters.json: {name}={entry.get('value')!r} is not one of {allowed}")
    for bound, ok in (("minValue", lambda v, b: v >= b), ("maxValue", lambda v, b: v <= b)):
        if bound in declared[name] and isinstance(entry.get("value"), int) and not ok(entry["value"], declared[name][bound]):
            errors.append(f"main.parameters.json: {name}={entry['value']} breaks {bound} {declared[name][bound]}")
text = json.dumps(template)
for needle, why in [
    ("listKeys(", "reads a storage key"),
    ("AccountKey=", "builds a connection string with a key"),
    ("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "an Azure Files content share needs a storage key"),
    ("customHandler", "custom-handler leftover"),
    ("'custom'", "FUNCTIONS_WORKER_RUNTIME=custom leftover"),
]:
    if needle in text:
        errors.append(f"the compiled template contains {needle!r}: {why}")
for needle in ["functionAppConfig", "dotnet-isolated", "FlexConsumption", "ElasticPremium", "AzureWebJobsStorage__clientId", "TaskHubName",
               # the Entra ID door (docs/DEPLOY.md "Entra ID sign-in"): platform auth that lets anonymous callers through
               "authsettingsV2", "azureActiveDirectory", "AllowAnonymous"]:
    if needle not in text:
        errors.append(f"the compiled template lacks {needle!r}")
if errors:
    print("\n".join("check-bicep.sh: " + e for e in errors), file=sys.stderr)
    sys.exit(1)
PY
"$bicep" build modules/functionapp.bicep --outfile "$out/functionapp.json" 2>/dev/null
python3 check-plans.py "$out/functionapp.json"
echo "Bicep OK ($("$bicep" --version))"
