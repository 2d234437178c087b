#!/usr/bin/env bash
# Build-checks and lints the Bicep with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64), so no az CLI
# is needed: restores the package into the NuGet cache once, then runs `bicep build` and `bicep lint` on main.bicep.
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
"$bicep" build main.bicep --stdout >/dev/null
"$bicep" lint main.bicep
echo "Bicep OK ($("$bicep" --version))"
