// Claims Functions in Azure: storage (identity only, no shared keys), a user-assigned identity, Key Vault,
// Application Insights + Log Analytics, and the function app running the app as an Azure Functions custom handler.
// Deploy:  az deployment group create -g <rg> -f infra/main.bicep -p infra/main.parameters.json
// Then:    infra/deploy.sh <rg>   (uploads artifacts/claims-functions.zip and restarts the app)
// See docs/DEPLOY.md for the plan choice and every setting.

targetScope = 'resourceGroup'

@description('Azure region of every resource.')
param location string = resourceGroup().location

@description('Short prefix of resource names (lowercase letters and digits).')
@minLength(2)
@maxLength(10)
param namePrefix string = 'claims'

@description('Hosting plan. Flex Consumption does not run custom handlers (docs/DEPLOY.md): ElasticPremium (default) or Consumption (Linux, retiring 30 September 2028).')
@allowed([
  'ElasticPremium'
  'Consumption'
])
param hostingPlan string = 'ElasticPremium'

@description('Elastic Premium size when hostingPlan is ElasticPremium.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
])
param elasticPremiumSku string = 'EP1'

@description('Six-field NCRONTAB schedule of the StuckClaimSweep timer (UTC).')
param stuckClaimSweepSchedule string = '0 */5 * * * *'

@description('Six-field NCRONTAB schedule of the AuthorizationSweep timer (UTC).')
param authorizationSweepSchedule string = '0 0 6 * * *'

@description('Six-field NCRONTAB schedule of the SignatureReplayPurge timer (UTC).')
param signatureReplayPurgeSchedule string = '0 17 * * * *'

@description('Object id of the person or pipeline that uploads the deployment package (gets Blob Data Contributor on the deployments container and Key Vault Secrets Officer). Empty: none.')
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

var suffix = uniqueString(resourceGroup().id, namePrefix)
var names = {
  identity: 'id-${namePrefix}-${suffix}'
  storage: take('st${namePrefix}${suffix}', 24)
  workspace: 'log-${namePrefix}-${suffix}'
  insights: 'appi-${namePrefix}-${suffix}'
  vault: take('kv-${namePrefix}-${suffix}', 24)
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
    elasticPremiumSku: elasticPremiumSku
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    packageUrl: storage.outputs.packageUrl
    insightsConnectionString: monitoring.outputs.connectionString
    vaultName: vault.outputs.name
    vaultUri: vault.outputs.uri
    stuckClaimSweepSchedule: stuckClaimSweepSchedule
    authorizationSweepSchedule: authorizationSweepSchedule
    signatureReplayPurgeSchedule: signatureReplayPurgeSchedule
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

@description('Where infra/deploy.sh uploads the deployment package (WEBSITE_RUN_FROM_PACKAGE).')
output packageUrl string = storage.outputs.packageUrl

@description('The Key Vault holding tenant signing secrets and the operator key hash.')
output keyVaultName string = vault.outputs.name
