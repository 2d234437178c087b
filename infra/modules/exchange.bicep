// The clearinghouse exchange account (main.bicep's clearinghouseSftp option): the 837P drop (x12-outbound) and the
// acknowledgment inbox (x12-inbound, with the app's x12-inbound-processed / -rejected), reachable over Azure Blob SFTP.
// A separate account because SFTP needs the hierarchical namespace, which the app's own account must not have (the
// Functions host and the Durable task hub use blob leases and flat containers there).
// Identity access for the app (shared keys off); the clearinghouse signs in over SFTP as a local user with an SSH key
// only (no password, no shared key). The list below must equal Claims.Application/Storage/StorageNames.cs's
// ExchangeContainers (tests/Claims.Functions.Tests/InfraTests.cs checks it).

param name string
param location string

@description('The app identity: Blob Data Contributor on this account (write the 837P files, read and move the acknowledgments).')
param appPrincipalId string

@description('The clearinghouse\'s SFTP local users: [{ name, publicKey }] (publicKey as in authorized_keys, e.g. "ssh-ed25519 AAAA..."). Each reads x12-outbound and writes x12-inbound.')
param sftpUsers array

var exchangeContainerNames = [
  'x12-outbound'
  'x12-inbound'
  'x12-inbound-processed'
  'x12-inbound-rejected'
]

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    isHnsEnabled: true
    isSftpEnabled: true
    isLocalUserEnabled: true
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

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [for container in exchangeContainerNames: {
  parent: blobService
  name: container
  properties: {
    publicAccess: 'None'
  }
}]

// SFTP sign-in: <account>.<user>@<account>.blob.core.windows.net. Read and list the drop (r, l; the clearinghouse
// does not delete: the files are the record of what was sent), create, write and list in the inbox (c, w, l).
resource localUsers 'Microsoft.Storage/storageAccounts/localUsers@2023-05-01' = [for user in sftpUsers: {
  parent: account
  name: user.name
  properties: {
    homeDirectory: 'x12-outbound'
    permissionScopes: [
      {
        permissions: 'rl'
        service: 'blob'
        resourceName: 'x12-outbound'
      }
      {
        permissions: 'cwl'
        service: 'blob'
        resourceName: 'x12-inbound'
      }
    ]
    sshAuthorizedKeys: [
      {
        description: 'clearinghouse'
        key: user.publicKey
      }
    ]
    hasSshKey: true
    hasSshPassword: false
    hasSharedKey: false
  }
  dependsOn: [
    containers
  ]
}]

var blobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource appRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, blobDataContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', blobDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = account.name
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('The SFTP host the clearinghouse connects to (port 22).')
output sftpHost string = '${account.name}.blob.${environment().suffixes.storage}'
