// Claims Functions in Azure: storage (identity only, no shared keys), a user-assigned identity, Key Vault,
// Application Insights + Log Analytics, and the function app: a .NET 10 isolated worker with Durable Functions on
// Flex Consumption (default) or Elastic Premium.
// Deploy:  az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
// Then:    infra/deploy.sh <rg>   (deploys artifacts/claims-functions.zip built by infra/publish.sh)
// See docs/DEPLOY.md for the plans, identity and roles, every setting and how the app scales out.

targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short prefix of resource names (lowercase letters and digits).')
@minLength(2)
@maxLength(10)
param namePrefix string = 'claims'

@description('Hosting plan: FlexConsumption (default; FC1, scale to zero, per-function scaling) or ElasticPremium (EP1..EP3, always-ready instances). docs/DEPLOY.md, "Plans".')
@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string = 'FlexConsumption'

@description('Flex Consumption: instance memory size in MB (512 = 0.25 core, 2048 = 1 core, 4096 = 2 cores).')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Flex Consumption: the most instances the app scales out to (40..1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption: always-ready instances of the HTTP group (the FHIR webhook and API). 0: scale to zero.')
@minValue(0)
param alwaysReadyHttp int = 0

@description('Flex Consumption: always-ready instances of the durable group (ClaimPipeline and its activities). Microsoft recommends 1 for Durable apps on Flex.')
@minValue(0)
param alwaysReadyDurable int = 0

@description('Elastic Premium size when hostingPlan is ElasticPremium.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param elasticPremiumSku string = 'EP1'

@description('Elastic Premium: the most instances the plan bursts to.')
@minValue(1)
@maxValue(100)
param elasticPremiumMaximumInstanceCount int = 20

@description('Elastic Premium: always-ready instances (billed all the time; at least 1).')
@minValue(1)
param elasticPremiumAlwaysReady int = 1

@description('Durable Functions task hub name (app setting TaskHubName, read by host.json as %TaskHubName%): letters and digits, starting with a letter, 3..45 characters. Two apps on one storage account need different hubs.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'ClaimsHub'

@description('Six-field NCRONTAB schedule of the StuckClaimSweep timer (UTC).')
param stuckClaimSweepSchedule string = '0 */5 * * * *'

@description('Six-field NCRONTAB schedule of the AuthorizationSweep timer (UTC).')
param authorizationSweepSchedule string = '0 0 6 * * *'

@description('Six-field NCRONTAB schedule of the SignatureReplayPurge timer (UTC).')
param signatureReplayPurgeSchedule string = '0 17 * * * *'

@description('Six-field NCRONTAB schedule of the AcknowledgmentPoll timer (UTC): reads TA1/999/277CA files from x12-inbound.')
param acknowledgmentPollSchedule string = '0 */1 * * * *'

@description('Six-field NCRONTAB schedule of the NotificationSweep timer (UTC): queues again notifications whose queue message was lost.')
param notificationSweepSchedule string = '0 */5 * * * *'

@description('Six-field NCRONTAB schedule of the NotificationLogPurge timer (UTC): deletes delivery-log rows older than Notifications:LogRetention.')
param notificationLogPurgeSchedule string = '0 41 3 * * *'

@description('Azure Blob SFTP for the clearinghouse: a second storage account (hierarchical namespace + SFTP) holds the 837P drop and the acknowledgment inbox, and clearinghouseSftpUsers sign in to it with SSH keys. False: those containers are on the app\'s account, for a connector that uses the Blob API.')
param clearinghouseSftp bool = false

@description('With clearinghouseSftp: the SFTP local users, [{ "name": "clearinghouse", "publicKey": "ssh-ed25519 AAAA..." }] (public keys only).')
param clearinghouseSftpUsers array = []

@description('Object id of the person or pipeline that deploys (gets Website Contributor on the app for the Flex zip deploy, Blob Data Contributor on the deployments container for the Elastic Premium upload, and Key Vault Secrets Officer). Empty: none.')
param deployerPrincipalId string = ''

@description('Principal type of deployerPrincipalId.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string = 'User'

@description('Lowercase hex SHA-256 of the operator API key (stored in Key Vault, never in app settings). Empty: operator endpoints answer 401.')
@secure()
param operatorApiKeyHash string = ''

@description('Entra ID sign-in (App Service authentication) in front of the app: the application (client) id of the app registration. Empty (default): no platform authentication is deployed. Anonymous requests stay allowed either way, so API keys keep working. docs/DEPLOY.md, "Entra ID sign-in".')
param entraClientId string = ''

@description('With entraClientId: the directory (tenant) id whose users sign in. Default: the tenant of the subscription deployed to.')
param entraTenantId string = tenant().tenantId

@description('With entraClientId: audiences accepted in bearer tokens besides the client id (e.g. ["api://<client id>"]).')
param entraAllowedAudiences array = []

// The isolated worker's .NET version: must match functions/Claims.Functions' TargetFramework (net10.0);
// infra/check-package.py compares it with the published runtimeconfig.
var dotnetVersion = '10.0'

var suffix = uniqueString(resourceGroup().id, namePrefix)
var names = {
  identity: 'id-${namePrefix}-${suffix}'
  storage: take('st${namePrefix}${suffix}', 24)
  workspace: 'log-${namePrefix}-${suffix}'
  insights: 'appi-${namePrefix}-${suffix}'
  vault: take('kv-${namePrefix}-${suffix}', 24)
  exchange: take('stx${namePrefix}${suffix}', 24)
  plan: 'plan-${namePrefix}-${suffix}'
  site: 'func-${namePrefix}-${suffix}'
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: names.identity
    location: location
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: names.workspace
    insightsName: names.insights
    location: location
    publisherPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    exchangeContainersHere: !clearinghouseSftp
  }
}

module exchange 'modules/exchange.bicep' = if (clearinghouseSftp) {
  name: 'exchange'
  params: {
    name: names.exchange
    location: location
    appPrincipalId: identity.outputs.principalId
    sftpUsers: clearinghouseSftpUsers
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  params: {
    name: names.vault
    location: location
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
    operatorApiKeyHash: operatorApiKeyHash
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    planName: names.plan
    siteName: names.site
    location: location
    hostingPlan: hostingPlan
    dotnetVersion: dotnetVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReadyHttp: alwaysReadyHttp
    alwaysReadyDurable: alwaysReadyDurable
    elasticPremiumSku: elasticPremiumSku
    elasticPremiumMaximumInstanceCount: elasticPremiumMaximumInstanceCount
    elasticPremiumAlwaysReady: elasticPremiumAlwaysReady
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    packageUrl: storage.outputs.packageUrl
    insightsConnectionString: monitoring.outputs.connectionString
    vaultName: vault.outputs.name
    vaultUri: vault.outputs.uri
    taskHubName: taskHubName
    stuckClaimSweepSchedule: stuckClaimSweepSchedule
    authorizationSweepSchedule: authorizationSweepSchedule
    signatureReplayPurgeSchedule: signatureReplayPurgeSchedule
    acknowledgmentPollSchedule: acknowledgmentPollSchedule
    notificationSweepSchedule: notificationSweepSchedule
    notificationLogPurgeSchedule: notificationLogPurgeSchedule
    exchangeBlobEndpoint: clearinghouseSftp ? exchange!.outputs.blobEndpoint : ''
    deployerPrincipalId: deployerPrincipalId
    deployerPrincipalType: deployerPrincipalType
  }
}

module siteAuth 'modules/siteauth.bicep' = if (!empty(entraClientId)) {
  name: 'siteauth'
  params: {
    siteName: functionApp.outputs.name
    clientId: entraClientId
    tenantId: entraTenantId
    allowedAudiences: entraAllowedAudiences
  }
}

@description('The function app name (for az functionapp commands and infra/deploy.sh).')
output functionAppName string = functionApp.outputs.name

@description('Base URL of the API.')
output apiBaseUrl string = 'https://${functionApp.outputs.hostName}/api'

@description('The webhook EHRs post FHIR R4 Claims to.')
output webhookUrl string = 'https://${functionApp.outputs.hostName}/api/fhir/Claim'

@description('The storage account (identity access only).')
output storageAccountName string = storage.outputs.name

@description('The hosting plan deployed (infra/deploy.sh picks the deploy path from it).')
output hostingPlan string = hostingPlan

@description('Elastic Premium: where infra/deploy.sh uploads the package (WEBSITE_RUN_FROM_PACKAGE). Flex Consumption: unused.')
output packageUrl string = storage.outputs.packageUrl

@description('Flex Consumption: the deployment container the platform keeps the package in.')
output deploymentContainerUrl string = storage.outputs.deploymentContainerUrl

@description('The Durable Functions task hub (its queues, tables and containers are named after it).')
output taskHubName string = taskHubName

@description('With clearinghouseSftp: the host the clearinghouse connects to over SFTP (user <account>.<local user>); else empty.')
output clearinghouseSftpHost string = clearinghouseSftp ? exchange!.outputs.sftpHost : ''

@description('The Key Vault holding tenant signing secrets and the operator key hash.')
output keyVaultName string = vault.outputs.name

@description('Whether App Service authentication (Entra ID sign-in at /.auth/login/aad) was deployed in front of the app.')
output entraSignIn bool = !empty(entraClientId)
