// The app's user-assigned identity: storage (AzureWebJobsStorage__*), Key Vault references, the package download
// (WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID) and Application Insights (Entra ID authentication) all use it.

param name string
param location string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
