// The function app on Linux as an Azure Functions custom handler (FUNCTIONS_WORKER_RUNTIME=custom): the Functions
// host starts the self-contained Claims.Functions executable named in host.json and forwards HTTP requests and
// queue/timer invocations to it. No Azure Files content share (it would need a storage key): the app runs from the
// package blob, fetched with the user-assigned identity. Every setting the code reads is set here or has a default
// in code (tests/Claims.Functions.Tests/InfraTests.cs checks it); no setting holds a secret.

param planName string
param siteName string
param location string

@allowed([
  'ElasticPremium'
  'Consumption'
])
param hostingPlan string
param elasticPremiumSku string = 'EP1'

param identityId string
param identityClientId string
param storageAccountName string
param packageUrl string
param insightsConnectionString string
param vaultName string
param vaultUri string
param stuckClaimSweepSchedule string
param authorizationSweepSchedule string
param signatureReplayPurgeSchedule string

var premium = hostingPlan == 'ElasticPremium'

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  kind: premium ? 'elastic' : 'functionapp'
  sku: premium ? {
    name: elasticPremiumSku
    tier: 'ElasticPremium'
  } : {
    name: 'Y1'
    tier: 'Dynamic'
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: premium ? 20 : null
  }
}

var appSettings = [
  // Host storage and the app's storage: identity-based, user-assigned identity (StorageSetup.cs reads the same).
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
  { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'custom' }
  // Run from the package blob with the identity (no SAS, no Azure Files).
  { name: 'WEBSITE_RUN_FROM_PACKAGE', value: packageUrl }
  { name: 'WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID', value: identityId }
  // Telemetry with Entra ID authentication (local auth is off on the component).
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD;ClientId=${identityClientId}' }
  // Timer schedules: function.json binds them as %Setting%, so they must exist (the code's defaults do not apply in Azure).
  { name: 'StuckClaimSweepSchedule', value: stuckClaimSweepSchedule }
  { name: 'AuthorizationSweepSchedule', value: authorizationSweepSchedule }
  { name: 'SignatureReplayPurgeSchedule', value: signatureReplayPurgeSchedule }
  // Secrets stay in Key Vault: a reference resolved by the platform with the identity.
  { name: 'KeyVault__VaultUri', value: vaultUri }
  { name: 'Operator__ApiKeyHash', value: '@Microsoft.KeyVault(VaultName=${vaultName};SecretName=operator-api-key-hash)' }
]

resource site 'Microsoft.Web/sites@2023-12-01' = {
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
    siteConfig: {
      // A custom handler has no language stack: the package carries its own runtime (self-contained linux-x64).
      linuxFxVersion: ''
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      preWarmedInstanceCount: premium ? 1 : null
      functionAppScaleLimit: premium ? 20 : 100
      appSettings: appSettings
    }
  }
}

output name string = site.name
output hostName string = site.properties.defaultHostName
