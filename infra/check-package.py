#!/usr/bin/env python3
"""Checks that a deployment zip holds what the Azure Functions host needs to run a .NET isolated worker app.

Usage: infra/check-package.py <zip> [--app Claims.Functions] [--bicep-dir infra]

Reads the zip itself (not the folder it was made from), the way the host reads the package root:
  host.json            at the root; version 2.0; no customHandler section (a custom-handler leftover); when the app has
                       Durable functions, extensions.durableTask.hubName and storageProvider.partitionCount (1..16).
  worker.config.json   at the root; language dotnet-isolated; defaultWorkerPath = the app's dll, which is in the zip
                       with its .deps.json and .runtimeconfig.json; the runtimeconfig's .NET version is the one the
                       Bicep deploys (main.bicep's dotnetVersion).
  functions.metadata   at the root (the Worker SDK writes it; worker indexing reads it too); a non-empty list; every
                       scriptFile is in the zip; every binding type is built into the host or has its extension.
  extensions.json      looked up as the host does (bin/, then the root, then .azurefunctions/); every hintPath is in the
                       zip; the FunctionMetadataLoader startup extension is listed.
  .azurefunctions/     at the root (not nested: the host warns about an improperly zipped app), with function.deps.json.
  %Setting% names      every %Name% that functions.metadata or host.json binds is an app setting in
                       infra/modules/functionapp.bicep (the host fails a function whose setting is missing).
  console assets       when functions.metadata has the Console function, the app's dll embeds console/index.html,
                       app.js and app.css (docs/CONSOLE.md).
  no local.settings.json (it holds local secrets).
Exits 1 with one line per problem; prints a summary otherwise.
"""
import argparse
import json
import posixpath
import re
import sys
import zipfile
from collections import Counter
from pathlib import Path

# Binding types the host itself provides (no extension in extensions.json needed).
BUILT_IN = {"httpTrigger", "http", "timerTrigger", "manualTrigger", "warmupTrigger"}
# Binding type -> the extensions.json "name" that provides it.
EXTENSION_OF = {
    "queueTrigger": "AzureStorageQueues",
    "queue": "AzureStorageQueues",
    "blobTrigger": "AzureStorageBlobs",
    "blob": "AzureStorageBlobs",
    "table": "AzureTables",
    "orchestrationTrigger": "DurableTask",
    "activityTrigger": "DurableTask",
    "entityTrigger": "DurableTask",
    "durableClient": "DurableTask",
}
DURABLE = {"orchestrationTrigger", "activityTrigger", "entityTrigger", "durableClient"}
# Settings the platform sets itself on every Functions app.
PLATFORM_SETTINGS = {"WEBSITE_SITE_NAME", "WEBSITE_HOSTNAME", "WEBSITE_INSTANCE_ID", "FUNCTIONS_WORKER_RUNTIME"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("zip")
    parser.add_argument("--app", default="Claims.Functions", help="the app's AssemblyName")
    parser.add_argument("--bicep-dir", default=str(Path(__file__).resolve().parent), help="where main.bicep and modules/ are")
    args = parser.parse_args()

    problems: list[str] = []
    warnings: list[str] = []

    try:
        archive = zipfile.ZipFile(args.zip)
    except (OSError, zipfile.BadZipFile) as error:
        print(f"check-package: {args.zip} is not a readable zip: {error}", file=sys.stderr)
        return 1
    with archive:
        broken = archive.testzip()
        if broken:
            problems.append(f"{broken} is corrupt in the zip")
        names = {n[2:] if n.startswith("./") else n for n in archive.namelist()}
        files = {n for n in names if not n.endswith("/")}
        dirs = {posixpath.dirname(n.rstrip("/")) for n in names} | {n.rstrip("/") for n in names if n.endswith("/")}

        def has(path: str) -> bool:
            return posixpath.normpath(path) in files

        def read_json(path: str, what: str):
            if not has(path):
                problems.append(f"{path} is missing at the zip root: {what}")
                return None
            try:
                return json.loads(archive.read(path).decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError) as error:
                problems.append(f"{path} is not valid JSON: {error}")
                return None

        host = read_json("host.json", "the Functions host reads its configuration from it")
        worker = read_json("worker.config.json", "the host starts the isolated worker from it (written by the Worker SDK on publish)")
        metadata = read_json("functions.metadata", "the host learns the functions and their bindings from it (written by the Worker SDK)")

        # .azurefunctions/ at the root, not nested.
        if ".azurefunctions" not in dirs:
            nested = sorted(d for d in dirs if posixpath.basename(d) == ".azurefunctions")
            where = f" (found at {', '.join(nested)}: the zip was made from the wrong folder)" if nested else ""
            problems.append(f".azurefunctions/ is missing at the zip root{where}: it holds the host extensions the Worker SDK built")
        elif not has(".azurefunctions/function.deps.json"):
            problems.append(".azurefunctions/function.deps.json is missing: the extension folder is incomplete")

        # extensions.json, resolved like the host's Utility.TryResolveExtensionsMetadataPath.
        extensions_dir = next((d for d in ("bin", "", ".azurefunctions") if has(posixpath.join(d, "extensions.json"))), None)
        provided: set[str] = set()
        if extensions_dir is None:
            problems.append("extensions.json is missing (looked in bin/, the root and .azurefunctions/): the host would load no extension (queues, Durable)")
        else:
            path = posixpath.join(extensions_dir, "extensions.json")
            extensions = read_json(path, "")
            items = (extensions or {}).get("extensions")
            if extensions is not None and not isinstance(items, list):
                problems.append(f"{path} has no 'extensions' list")
                items = []
            for item in items or []:
                name = item.get("name") or item.get("typeName", "?")
                provided.add(name)
                hint = item.get("hintPath")
                if hint and not has(posixpath.join(extensions_dir, hint)):
                    problems.append(f"{path}: extension {name} points at {hint}, which is not in the zip")
            if extensions is not None and not any("FunctionMetadataLoader" in (i.get("typeName") or "") for i in items or []):
                problems.append(f"{path} does not list the FunctionMetadataLoader startup extension: the host would not read functions.metadata")

        # worker.config.json and the app.
        runtime_version = None
        if worker is not None:
            description = worker.get("description") or {}
            if description.get("language") != "dotnet-isolated":
                problems.append(f"worker.config.json: language is {description.get('language')!r}, not 'dotnet-isolated'")
            worker_path = description.get("defaultWorkerPath")
            expected = f"{args.app}.dll"
            if worker_path != expected:
                problems.append(f"worker.config.json: defaultWorkerPath is {worker_path!r}, expected {expected!r} (the app's AssemblyName)")
            if worker_path and not has(worker_path):
                problems.append(f"worker.config.json names {worker_path}, which is not in the zip")
        for suffix in (".dll", ".deps.json", ".runtimeconfig.json"):
            if not has(args.app + suffix):
                problems.append(f"{args.app}{suffix} is missing at the zip root: the app itself")
        if has(args.app + ".runtimeconfig.json"):
            try:
                tfm = json.loads(archive.read(args.app + ".runtimeconfig.json"))["runtimeOptions"]["tfm"]
                match = re.fullmatch(r"net(\d+\.\d+)", tfm)
                runtime_version = match.group(1) if match else None
                if runtime_version is None:
                    problems.append(f"{args.app}.runtimeconfig.json: target framework {tfm!r} is not a .NET (net<major>.<minor>) one")
            except (KeyError, ValueError) as error:
                problems.append(f"{args.app}.runtimeconfig.json has no runtimeOptions.tfm: {error}")

        # functions.metadata.
        functions = metadata if isinstance(metadata, list) else []
        if metadata is not None and not functions:
            problems.append("functions.metadata lists no function")
        triggers: Counter[str] = Counter()
        binding_types: set[str] = set()
        for function in functions:
            name = function.get("name", "?")
            if function.get("language") != "dotnet-isolated":
                problems.append(f"functions.metadata: {name} has language {function.get('language')!r}, not 'dotnet-isolated'")
            script = function.get("scriptFile")
            if not script or not has(script):
                problems.append(f"functions.metadata: {name}'s scriptFile {script!r} is not in the zip")
            bindings = function.get("bindings") or []
            trigger = [b.get("type") for b in bindings if str(b.get("type", "")).endswith("Trigger")]
            if len(trigger) != 1:
                problems.append(f"functions.metadata: {name} has {len(trigger)} triggers, not 1")
            else:
                triggers[trigger[0]] += 1
            binding_types.update(b.get("type") for b in bindings if b.get("type"))
        # The billing console (docs/CONSOLE.md) serves files embedded in the app's dll: a package whose dll lacks them
        # would answer 404 at /api/console.
        if any(f.get("name") == "Console" for f in functions) and has(f"{args.app}.dll"):
            dll = archive.read(next(n for n in archive.namelist() if n.removeprefix("./") == f"{args.app}.dll"))
            for asset in (b"console/index.html", b"console/app.js", b"console/app.css"):
                if asset not in dll:
                    problems.append(f"{args.app}.dll does not embed {asset.decode()}: the Console function would answer 404")
        duplicates = [n for n, c in Counter(f.get("name") for f in functions).items() if c > 1]
        if duplicates:
            problems.append(f"functions.metadata: duplicate function names {duplicates}")
        for binding in sorted(binding_types - BUILT_IN):
            extension = EXTENSION_OF.get(binding)
            if extension is None:
                warnings.append(f"binding type {binding!r} is not known to this check: make sure extensions.json provides it")
            elif extensions_dir is not None and extension not in provided:
                problems.append(f"functions.metadata uses {binding!r} but extensions.json does not list the {extension} extension")

        # host.json.
        if host is not None:
            if host.get("version") != "2.0":
                problems.append(f"host.json: version is {host.get('version')!r}, not '2.0'")
            if "customHandler" in host:
                problems.append("host.json still has a customHandler section (v1 leftover): the dotnet-isolated host must not start a custom handler")
            if "extensionBundle" in host:
                warnings.append("host.json has an extensionBundle: a .NET isolated app loads the extensions the Worker SDK built, the bundle is ignored (remove it)")
            if binding_types & DURABLE:
                durable = ((host.get("extensions") or {}).get("durableTask")) or {}
                if not durable.get("hubName"):
                    problems.append("host.json: the app has Durable functions but extensions.durableTask.hubName is not set (set it to %TaskHubName%)")
                count = (durable.get("storageProvider") or {}).get("partitionCount")
                if count is None:
                    warnings.append("host.json: extensions.durableTask.storageProvider.partitionCount is not set (the default is 4)")
                elif not isinstance(count, int) or not 1 <= count <= 16:
                    problems.append(f"host.json: durableTask partitionCount {count!r} is outside 1..16 (the Azure Storage provider's range)")

        if has("local.settings.json"):
            problems.append("local.settings.json is in the zip: it holds local secrets and must not be deployed")

        # %Setting% names against the Bicep app settings, and the .NET version against the Bicep runtime.
        bicep_dir = Path(args.bicep_dir)
        app_bicep = bicep_dir / "modules" / "functionapp.bicep"
        main_bicep = bicep_dir / "main.bicep"
        referenced = set()
        for source in (host, metadata):
            if source is not None:
                referenced.update(re.findall(r"%([A-Za-z0-9_:.\-]+)%", json.dumps(source)))
        if app_bicep.is_file():
            settings = set(re.findall(r"\{ name: '([^']+)', value:", app_bicep.read_text()))
            for name in sorted(referenced - settings - PLATFORM_SETTINGS):
                problems.append(f"%{name}% is bound by the package but {app_bicep.name} sets no app setting '{name}': the host would fail that function in Azure")
        else:
            warnings.append(f"{app_bicep} not found: %Setting% names not checked against the Bicep")
        if main_bicep.is_file() and runtime_version:
            deployed = re.search(r"var dotnetVersion = '([^']+)'", main_bicep.read_text())
            if deployed and deployed.group(1) != runtime_version:
                problems.append(f"the app targets .NET {runtime_version} but main.bicep deploys dotnet-isolated {deployed.group(1)}")

    for warning in warnings:
        print(f"check-package: warning: {warning}", file=sys.stderr)
    if problems:
        for problem in problems:
            print(f"check-package: {problem}", file=sys.stderr)
        print(f"check-package: {args.zip} is NOT deployable ({len(problems)} problem(s)).", file=sys.stderr)
        return 1
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(triggers.items()))
    print(f"check-package: {args.zip} OK: {len(functions)} functions ({summary}); extensions {', '.join(sorted(provided))}; "
          f".NET {runtime_version}; settings bound: {', '.join(sorted(referenced)) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
