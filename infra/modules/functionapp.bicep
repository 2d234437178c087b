// The function app: a .NET isolated worker (dotnet-isolated, .NET 10) with Durable Functions on the Azure Storage
// provider, on Linux, in one of two plans (docs/DEPLOY.md, "Plans"):
// - FlexConsumption (default): FC1 plan; runtime, scale and the deployment container live in functionAppConfig, so the
//   app settings carry no FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION or WEBSITE_RUN_FROM_PACKAGE (Flex
//   deprecates them). The platform fetches the package from the deployment container with the user-assigned identity.
// - ElasticPremium: EP1..EP3 plan; runtime from linuxFxVersion + FUNCTIONS_WORKER_RUNTIME, and no Azure Files content
//   share (it would need a storage key): the app runs from the package blob, fetched with the same identity.
// Every setting the code reads is set here or has a default in code (tests/Claims.Functions.Tests/InfraTests.cs checks
// it); every %Setting% that functions.metadata or host.json names is set here (infra/check-package.py checks it at
// publish time); no setting holds a secret.

param planName string
param siteName string
param location string

@allowed([
  'FlexConsumption'
  'ElasticPremium'
])
param hostingPlan string

@description('The .NET version of the isolated worker; must match the app\'s TargetFramework (net10.0).')
param dotnetVersion string

@description('Flex Consumption: instance memory size in MB.')
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

@description('Flex Consumption: always-ready instances of the HTTP scale group (0 = none: scale to zero, cold starts).')
@minValue(0)
param alwaysReadyHttp int = 0

@description('Flex Consumption: always-ready instances of the durable scale group (orchestrators, activities); Microsoft recommends 1 for Durable apps.')
@minValue(0)
param alwaysReadyDurable int = 0

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

@description('Elastic Premium: always-ready instances (at least 1).')
@minValue(1)
param elasticPremiumAlwaysReady int = 1

param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerUrl string
param packageUrl string
param insightsConnectionString string
param vaultName string
param vaultUri string

@description('Durable Functions task hub name (host.json: "hubName": "%TaskHubName%").')
param taskHubName string

param stuckClaimSweepSchedule string
param authorizationSweepSchedule string
param signatureReplayPurgeSchedule string
param acknowledgmentPollSchedule string
param notificationSweepSchedule string
param notificationLogPurgeSchedule string

@description('Blob endpoint of the SFTP exchange account (main.bicep\'s clearinghouseSftp); empty: the exchange containers are on the app\'s account.')
param exchangeBlobEndpoint string = ''

@description('Object id of the person or pipeline that deploys the package (gets Website Contributor on the app, which the Flex Consumption zip deploy needs). Empty: none.')
param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

var flex = hostingPlan == 'FlexConsumption'

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: flex ? 'functionapp' : 'elastic'
  sku: flex ? {
    name: 'FC1'
    tier: 'FlexConsumption'
  } : {
    name: elasticPremiumSku
    tier: 'ElasticPremium'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: flex ? null : elasticPremiumMaximumInstanceCount
  }
}

// Settings of both plans. One entry per line (InfraTests reads this block).
var appSettings = [
  // Host storage, the Durable task hub and the app's own clients (Claims.Storage/StorageConnection.cs reads the same
  // settings): identity-based with the user-assigned identity. Durable takes clientId, not managedIdentityResourceId.
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  // Telemetry with Entra ID authentication (local auth is off on the component).
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
  // host.json's extensions.durableTask.hubName is "%TaskHubName%".
  { name: 'TaskHubName', value: taskHubName }
  // Timer schedules: functions.metadata binds them as %Setting%, so they must exist (code defaults do not apply in Azure).
  { name: 'StuckClaimSweepSchedule', value: stuckClaimSweepSchedule }
  { name: 'AuthorizationSweepSchedule', value: authorizationSweepSchedule }
  { name: 'SignatureReplayPurgeSchedule', value: signatureReplayPurgeSchedule }
  { name: 'AcknowledgmentPollSchedule', value: acknowledgmentPollSchedule }
  { name: 'NotificationSweepSchedule', value: notificationSweepSchedule }
  { name: 'NotificationLogPurgeSchedule', value: notificationLogPurgeSchedule }
  // Secrets stay in Key Vault: a reference resolved by the platform with the identity.
  { name: 'KeyVault__VaultUri', value: vaultUri }
  { name: 'Operator__ApiKeyHash', value: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=operator-api-key-hash)' }
]

// The clearinghouse exchange account, when the SFTP option deployed one (Claims.Storage/ExchangeStorage.cs reads these).
var exchangeAppSettings = empty(exchangeBlobEndpoint) ? [] : [
  { name: 'X12Exchange__blobServiceUri', value: exchangeBlobEndpoint }
  { name: 'X12Exchange__credential', value: 'managedidentity' }
  { name: 'X12Exchange__clientId', value: identityClientId }
]

// Elastic Premium only: Flex Consumption deprecates these (functionAppConfig carries runtime and package instead).
var premiumAppSettings = [
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'dotnet-isolated' }
  // Run from the package blob with the identity (no SAS, no Azure Files content share).
  { name: 'WEBSITE_RUN_FROM_PACKAGE', value: packageUrl }
  { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: identityId }
]

var commonSiteConfig = {
  minTlsVersion: '1.2'
  ftpsState: 'Disabled'
  http20Enabled: true
  appSettings: flex ? concat(appSettings, exchangeAppSettings) : concat(appSettings, exchangeAppSettings, premiumAppSettings)
}

// Flex rejects linuxFxVersion and the scale properties in siteConfig: they exist on Elastic Premium only.
var premiumSiteConfig = {
  linuxFxVersion: 'DOTNET-ISOLATED|${dotnetVersion}'
  minimumElasticInstanceCount: elasticPremiumAlwaysReady
  functionAppScaleLimit: elasticPremiumMaximumInstanceCount
}

var alwaysReady = concat(
  alwaysReadyHttp > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttp }] : [],
  alwaysReadyDurable > 0 ? [{ name: 'durable', instanceCount: alwaysReadyDurable }] : []
)

var functionAppConfig = {
  deployment: {
    storage: {
      type: 'blobContainer'
      value: deploymentContainerUrl
      authentication: {
        type: 'UserAssignedIdentity'
        userAssignedIdentityResourceId: identityId
      }
    }
  }
  scaleAndConcurrency: {
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    alwaysReady: alwaysReady
  }
  runtime: {
    name: 'dotnet-isolated'
    version: dotnetVersion
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: siteName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    functionAppConfig: flex ? functionAppConfig : null
    siteConfig: flex ? commonSiteConfig : union(commonSiteConfig, premiumSiteConfig)
  }
}

var websiteContributor = 'de139f84-1756-47ae-9be6-808fbbe84772'

resource deployerDeploys 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(site.id, deployerPrincipalId, websiteContributor)
  scope: site
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', websiteContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

output name string = site.name
output id string = site.id
output hostName string = site.properties.defaultHostName
