// App Service authentication ("Easy Auth") in front of the function app, with Microsoft Entra ID as the identity
// provider. Deployed only when main.bicep gets entraClientId (docs/DEPLOY.md, "Entra ID sign-in").
// It is a door, not a wall: unauthenticated requests are let through (AllowAnonymous), so the FHIR webhook, the API
// keys (x-api-key) and HMAC signatures keep working for machines exactly as before. A browser that goes to
// /.auth/login/aad is signed in with Entra ID and its requests then carry the platform's X-MS-CLIENT-PRINCIPAL
// headers; the app does not read them yet (the console still signs in with the tenant's admin key).

@description('The function app (Microsoft.Web/sites) to put authentication in front of.')
param siteName string

@description('Application (client) id of the Entra ID app registration the users sign in to.')
@minLength(36)
@maxLength(36)
param clientId string

@description('Directory (tenant) id whose users may sign in.')
@minLength(36)
@maxLength(36)
param tenantId string

@description('Audiences accepted in bearer tokens besides the client id itself (e.g. api://<client id>).')
param allowedAudiences array = []

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
      runtimeVersion: '~1'
    }
    globalValidation: {
      // Anonymous callers are not redirected or refused: the app's own API keys decide (docs/SECURITY.md).
      requireAuthentication: false
      unauthenticatedClientAction: 'AllowAnonymous'
    }
    httpSettings: {
      requireHttps: true
      routes: {
        apiPrefix: '/.auth'
      }
      forwardProxy: {
        convention: 'NoProxy'
      }
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          // No client secret: the sign-in uses the OpenID Connect implicit flow for the ID token (enable "ID tokens"
          // on the app registration), so no secret has to live in an app setting.
          clientId: clientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: union([clientId], allowedAudiences)
        }
      }
    }
    login: {
      // No token store: on Flex Consumption there is no persistent file system for it and a blob store needs a SAS
      // URL (a secret) in an app setting. The session cookie still identifies the user to the platform.
      tokenStore: {
        enabled: false
      }
      preserveUrlFragmentsForLogins: true
    }
  }
}

output enabled bool = auth.properties.platform.enabled
