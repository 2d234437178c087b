// The one storage account: Functions host storage (AzureWebJobsStorage), the Durable Functions task hub (Azure Storage
// provider: control and work-item queues, History/Instances tables, lease and large-message containers, all created
// by the extension at start-up under the TaskHubName prefix), the app's own tables, queues and containers, and the
// deployment container the plan runs the package from.
// Identity access only (shared keys off, so no connection string exists to leak), TLS 1.2, no public blobs,
// blob soft delete. The lists below must hold every name of Claims.Application/Storage/StorageNames.cs
// and ExchangeContainers (tests/Claims.Functions.Tests/InfraTests.cs checks it).

param name string
param location string

@description('The app identity: Blob Data Owner, Queue Data Contributor and Table Data Contributor on the account (docs/DEPLOY.md, "Identity and roles").')
param appPrincipalId string

param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

@description('False when the exchange containers live on the SFTP exchange account instead.')
param exchangeContainersHere bool = true

var tableNames = [
  'tenants'
  'apikeys'
  'claims'
  'rulesets'
  'audit'
  'alerts'
  'authorizations'
  'webhooksignatures'
  'chargestats'
  'x12interchanges'
  'x12controlnumbers'
  'subscriptions'
  'notifications'
]

var queueNames = [
  'claims-intake'
  'claims-intake-poison'
  'authorizations-sweep'
  'authorizations-sweep-poison'
  'claims-notifications'
  'claims-notifications-poison'
]

var containerNames = [
  'raw'
  'documents'
  'outbound'
  'rulesets'
  'poison-messages'
]

// The clearinghouse exchange's containers: here unless main.bicep's clearinghouseSftp option puts them on the exchange
// account (modules/exchange.bicep).
var exchangeContainerNames = [
  'x12-outbound'
  'x12-inbound'
  'x12-inbound-processed'
  'x12-inbound-rejected'
]

// Holds the deployment package: Flex Consumption's functionAppConfig.deployment container (the platform writes the
// package there on a zip deploy and instances fetch it with the app identity), or on Elastic Premium the blob named by
// WEBSITE_RUN_FROM_PACKAGE. Not used by the app itself.
var deploymentContainer = 'deployments'
var packageBlob = 'claims-functions.zip'

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    accessTier: 'Hot'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: 14
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: 14
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in concat(containerNames, exchangeContainersHere ? exchangeContainerNames : [], [deploymentContainer]): {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [for queue in queueNames: {
  parent: queueService
  name: queue
}]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in tableNames: {
  parent: tableService
  name: table
}]

// Built-in role ids (Azure RBAC built-in roles). Why each one:
// - Blob Data Owner: the Functions host on AzureWebJobsStorage (it creates containers and takes blob leases: timer
//   singletons, host id lock, Durable partition leases in <hub>-leases, large messages in <hub>-largemessages), the
//   app's own containers, and reading the deployment package. Durable alone would need Blob Data Contributor, which
//   Owner includes.
// - Queue Data Contributor: the queue triggers, the app's queues, Durable's control queues and work-item queue.
// - Table Data Contributor: the app's tables, Durable's History/Instances(/Partitions) tables, host diagnostic events.
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160ff3b'
}

resource appRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in [roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor]: {
  name: guid(account.id, appPrincipalId, role)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// The deployer uploads the Elastic Premium package to the deployments container with its Entra ID login
// (infra/deploy.sh); scoped to that container only.
resource deploymentContainerRef 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deploymentContainer
}

resource deployerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(deploymentContainerRef.id, deployerPrincipalId, roles.blobDataContributor)
  scope: deploymentContainerRef
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.blobDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
  dependsOn: [
    containers
  ]
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output queueEndpoint string = account.properties.primaryEndpoints.queue
output tableEndpoint string = account.properties.primaryEndpoints.table

@description('Flex Consumption: functionAppConfig.deployment.storage.value.')
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}'

@description('Elastic Premium: WEBSITE_RUN_FROM_PACKAGE.')
output packageUrl string = '${account.properties.primaryEndpoints.blob}${deploymentContainer}/${packageBlob}'
