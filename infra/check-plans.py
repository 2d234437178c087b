#!/usr/bin/env python3
"""Evaluates the compiled infra/modules/functionapp.bicep (ARM JSON) for each hosting plan and checks what Azure would
receive, so the plan conditionals are tested without a subscription.

Usage: infra/check-plans.py <functionapp.json>     (infra/check-bicep.sh compiles the module and calls this)

Implements the few ARM template functions the module uses (parameters, variables, if, equals, greater, concat, union,
format, createArray, createObject, null, resourceId); an unknown function fails the check, so a change that needs more
must extend this file rather than pass unchecked.
"""
import json
import re
import sys

PARAMETERS = {
    "planName": "plan-claims-x",
    "siteName": "func-claims-x",
    "location": "westeurope",
    "dotnetVersion": "10.0",
    "identityId": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-claims-x",
    "identityClientId": "00000000-0000-0000-0000-00000000c11d",
    "storageAccountName": "stclaimsx",
    "deploymentContainerUrl": "https://stclaimsx.blob.core.windows.net/deployments",
    "packageUrl": "https://stclaimsx.blob.core.windows.net/deployments/claims-functions.zip",
    "insightsConnectionString": "InstrumentationKey=placeholder;IngestionEndpoint=https://example/",
    "vaultName": "kv-claims-x",
    "vaultUri": "https://kv-claims-x.vault.azure.net/",
    "taskHubName": "ClaimsHub",
    "stuckClaimSweepSchedule": "0 */5 * * * *",
    "authorizationSweepSchedule": "0 0 6 * * *",
    "signatureReplayPurgeSchedule": "0 17 * * * *",
    "acknowledgmentPollSchedule": "0 */1 * * * *",
}

TOKEN = re.compile(r"\s*(?:(?P<str>'(?:[^']|'')*')|(?P<num>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<sym>[(),.\[\]]))")


class _Parser:
    def __init__(self, evaluator, text):
        matches = list(TOKEN.finditer(text))
        if "".join(m.group(0) for m in matches).strip() != text.strip():
            raise ValueError(f"cannot tokenize ARM expression: {text}")
        self.evaluator, self.text = evaluator, text
        self.tokens, self.position = [(m.lastgroup, m.group(m.lastgroup)) for m in matches], 0

    def parse_all(self):
        result = self.parse()
        if self.position != len(self.tokens):
            raise ValueError(f"trailing tokens in ARM expression: {self.text}")
        return result

    def take(self, kind=None, value=None):
        if self.position >= len(self.tokens):
            raise ValueError(f"ARM expression ends early: {self.text}")
        token = self.tokens[self.position]
        if (kind and token[0] != kind) or (value and token[1] != value):
            raise ValueError(f"expected {value or kind}, got {token[1]} in {self.text}")
        self.position += 1
        return token

    def peek(self, value):
        return self.position < len(self.tokens) and self.tokens[self.position][1] == value

    def parse(self):
        kind, token = self.take()
        if kind == "str":
            result = token[1:-1].replace("''", "'")
        elif kind == "num":
            result = int(token)
        elif kind == "name":
            self.take("sym", "(")
            arguments = []
            while not self.peek(")"):
                arguments.append(self.parse())
                if self.peek(","):
                    self.take("sym", ",")
            self.take("sym", ")")
            result = self.evaluator.call(token, arguments)
        else:
            raise ValueError(f"unexpected {token} in {self.text}")
        while self.peek(".") or self.peek("["):
            if self.peek("."):
                self.take()
                result = result[self.take("name")[1]]
            else:
                self.take()
                index = self.parse()
                self.take("sym", "]")
                result = result[index]
        return result


class Evaluator:
    def __init__(self, template, parameters):
        self.template = template
        self.parameters = {name: spec.get("defaultValue") for name, spec in template.get("parameters", {}).items()}
        self.parameters.update(parameters)
        self.variables = {}

    def value(self, node):
        if isinstance(node, str):
            if node.startswith("[") and node.endswith("]") and not node.startswith("[["):
                return self.expression(node[1:-1])
            return node
        if isinstance(node, list):
            return [self.value(item) for item in node]
        if isinstance(node, dict):
            return {key: self.value(item) for key, item in node.items()}
        return node

    def variable(self, name):
        if name not in self.variables:
            self.variables[name] = self.value(self.template["variables"][name])
        return self.variables[name]

    def expression(self, text):
        # A parser per expression: evaluating variables('x') inside it parses another expression.
        return _Parser(self, text).parse_all()

    def call(self, name, a):
        match name:
            case "parameters":
                return self.parameters[a[0]]
            case "variables":
                return self.variable(a[0])
            case "if":
                return a[1] if a[0] else a[2]
            case "equals":
                return a[0] == a[1]
            case "greater":
                return a[0] > a[1]
            case "not":
                return not a[0]
            case "empty":
                return not a[0]
            case "concat":
                return sum(a, []) if all(isinstance(x, list) for x in a) else "".join(str(x) for x in a)
            case "union":
                merged = {}
                for item in a:
                    merged.update(item)
                return merged
            case "format":
                return re.sub(r"\{(\d+)\}", lambda m: str(a[1 + int(m.group(1))]), a[0])
            case "createArray":
                return list(a)
            case "createObject":
                return {a[i]: a[i + 1] for i in range(0, len(a), 2)}
            case "null":
                return None
            case "resourceId":
                return "/".join(["/subscriptions/s/resourceGroups/rg/providers", a[0]] + list(a[1:]))
        raise ValueError(f"ARM function {name}() is not implemented by check-plans.py")


def resources(template):
    items = template["resources"]
    return items.values() if isinstance(items, dict) else items


def evaluate(template, plan, **overrides):
    """The plan and the site as Azure would receive them for these parameters."""
    evaluator = Evaluator(template, dict(PARAMETERS, hostingPlan=plan, **overrides))
    out = {}
    for resource in resources(template):
        if resource["type"] in ("Microsoft.Web/serverfarms", "Microsoft.Web/sites"):
            out[resource["type"]] = {key: evaluator.value(resource.get(key)) for key in ("kind", "sku", "properties")}
    return out["Microsoft.Web/serverfarms"], out["Microsoft.Web/sites"]


def check(template):
    errors = []

    def expect(condition, message):
        if not condition:
            errors.append(message)

    plan, site = evaluate(template, "FlexConsumption")
    settings = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    config = site["properties"]["functionAppConfig"] or {}
    expect(plan["sku"] == {"name": "FC1", "tier": "FlexConsumption"}, f"Flex: plan sku {plan['sku']}")
    expect(plan["properties"]["reserved"] is True, "Flex: plan is not Linux (reserved)")
    expect(config.get("runtime") == {"name": "dotnet-isolated", "version": "10.0"}, f"Flex: runtime {config.get('runtime')}")
    storage = config.get("deployment", {}).get("storage", {})
    expect(storage.get("type") == "blobContainer" and storage.get("value") == PARAMETERS["deploymentContainerUrl"], f"Flex: deployment storage {storage}")
    expect(storage.get("authentication") == {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": PARAMETERS["identityId"]},
           f"Flex: deployment authentication {storage.get('authentication')}")
    scale = config.get("scaleAndConcurrency", {})
    expect(scale.get("instanceMemoryMB") == 2048 and scale.get("maximumInstanceCount") == 100 and scale.get("alwaysReady") == [],
           f"Flex: default scaleAndConcurrency {scale}")
    for deprecated in ("FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE",
                       "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING", "WEBSITE_CONTENTSHARE"):
        expect(deprecated not in settings, f"Flex: app setting {deprecated} is deprecated on Flex Consumption")
    for forbidden in ("linuxFxVersion", "functionAppScaleLimit", "minimumElasticInstanceCount", "preWarmedInstanceCount", "alwaysOn"):
        expect(forbidden not in site["properties"]["siteConfig"], f"Flex: siteConfig.{forbidden} is not allowed on Flex Consumption")

    _, site_ready = evaluate(template, "FlexConsumption", alwaysReadyHttp=1, alwaysReadyDurable=2)
    expect(site_ready["properties"]["functionAppConfig"]["scaleAndConcurrency"]["alwaysReady"]
           == [{"name": "http", "instanceCount": 1}, {"name": "durable", "instanceCount": 2}], "Flex: alwaysReady groups not built")

    plan, site = evaluate(template, "ElasticPremium")
    premium = {s["name"]: s["value"] for s in site["properties"]["siteConfig"]["appSettings"]}
    expect(plan["sku"] == {"name": "EP1", "tier": "ElasticPremium"} and plan["kind"] == "elastic", f"EP: plan {plan['sku']} {plan['kind']}")
    expect(plan["properties"]["maximumElasticWorkerCount"] == 20, "EP: maximumElasticWorkerCount")
    expect(site["properties"]["functionAppConfig"] is None, "EP: functionAppConfig must be null")
    expect(site["properties"]["siteConfig"].get("linuxFxVersion") == "DOTNET-ISOLATED|10.0", "EP: linuxFxVersion")
    expect(premium.get("FUNCTIONS_WORKER_RUNTIME") == "dotnet-isolated", "EP: FUNCTIONS_WORKER_RUNTIME")
    expect(premium.get("FUNCTIONS_EXTENSION_VERSION") == "~4", "EP: FUNCTIONS_EXTENSION_VERSION")
    expect(premium.get("WEBSITE_RUN_FROM_PACKAGE") == PARAMETERS["packageUrl"], "EP: WEBSITE_RUN_FROM_PACKAGE")
    expect(premium.get("WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID") == PARAMETERS["identityId"], "EP: package identity")
    expect("WEBSITE_CONTENTAZUREFILECONNECTIONSTRING" not in premium, "EP: content share needs a key")

    for name, values in (("Flex", settings), ("EP", premium)):
        expect(values.get("AzureWebJobsStorage__accountName") == PARAMETERS["storageAccountName"], f"{name}: AzureWebJobsStorage__accountName")
        expect(values.get("AzureWebJobsStorage__credential") == "managedidentity", f"{name}: AzureWebJobsStorage__credential")
        expect(values.get("AzureWebJobsStorage__clientId") == PARAMETERS["identityClientId"], f"{name}: AzureWebJobsStorage__clientId")
        expect("AzureWebJobsStorage" not in values, f"{name}: a connection-string AzureWebJobsStorage")
        expect(values.get("TaskHubName") == "ClaimsHub", f"{name}: TaskHubName")
        expect(values.get("APPLICATIONINSIGHTS_AUTHENTICATION_STRING") == f"Authorization=AAD;ClientId={PARAMETERS['identityClientId']}",
               f"{name}: Application Insights Entra ID auth")
        expect(values.get("Operator__ApiKeyHash", "").startswith("@Microsoft.KeyVault(VaultName=kv-claims-x;"), f"{name}: Key Vault reference")
        for key, value in values.items():
            expect(not re.search(r"(?i)AccountKey=|SharedAccessSignature=|[?&]sig=", str(value)), f"{name}: {key} holds a secret")
        expect(not any(k.startswith("X12Exchange__") for k in values), f"{name}: X12Exchange settings without the SFTP exchange account")

    # The clearinghouse SFTP option: the app reaches the exchange account with its identity, on both plans.
    exchange = "https://stxclaimsx.blob.core.windows.net/"
    for plan_name in ("FlexConsumption", "ElasticPremium"):
        _, site_exchange = evaluate(template, plan_name, exchangeBlobEndpoint=exchange)
        values = {s["name"]: s["value"] for s in site_exchange["properties"]["siteConfig"]["appSettings"]}
        expect(values.get("X12Exchange__blobServiceUri") == exchange and values.get("X12Exchange__credential") == "managedidentity"
               and values.get("X12Exchange__clientId") == PARAMETERS["identityClientId"], f"{plan_name}: X12Exchange settings with the SFTP option")
    return errors


if __name__ == "__main__":
    template = json.load(open(sys.argv[1]))
    try:
        problems = check(template)
    except (KeyError, ValueError, TypeError, IndexError) as error:
        problems = [f"could not evaluate the template: {type(error).__name__}: {error}"]
    for problem in problems:
        print(f"check-plans: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print("check-plans: FlexConsumption and ElasticPremium site/plan shapes OK")
