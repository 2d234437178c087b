// Key Vault for the operator key hash and the notification subscriptions' signing secrets: RBAC only, soft delete and
// purge protection on. The app reads secrets through its identity (Key Vault Secrets User), for example as Key Vault
// references in app settings (Operator__ApiKeyHash), and writes the subscription secrets (Key Vault Secrets Officer).

param name string
param location string
param appPrincipalId string
param deployerPrincipalId string = ''
param deployerPrincipalType string = 'User'

@secure()
param operatorApiKeyHash string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

var secretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var secretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource appReads 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, secretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Subscription signing secrets (docs/NOTIFICATIONS.md "Secrets"): the app creates, reads and deletes one secret per
// notification subscription at run time (subscription-{tenant}-{id}-{hash}), which Secrets User (read only) does not allow.
resource appManagesSubscriptionSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, secretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource deployerManages 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(deployerPrincipalId)) {
  name: guid(vault.id, deployerPrincipalId, secretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficer)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

resource operatorKeyHash 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(operatorApiKeyHash)) {
  parent: vault
  name: 'operator-api-key-hash'
  properties: {
    value: operatorApiKeyHash
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
