using Azure.Identity;
using Claims.Storage.Rest;

namespace Claims.Functions.Hosting;

/// <summary>
/// Builds the storage clients from the same settings the Functions host reads for AzureWebJobsStorage: a
/// connection string (Azurite: UseDevelopmentStorage=true), or identity-based connections
/// (AzureWebJobsStorage__accountName, or AzureWebJobsStorage__blobServiceUri / __queueServiceUri / __tableServiceUri;
/// __credential=managedidentity with __clientId or __managedIdentityResourceId for a user-assigned identity). The app
/// needs all three services (blob, queue, table), where the Functions host itself needs only blob and queue.
/// </summary>
public static class StorageSetup
{
    public const string ConnectionName = "AzureWebJobsStorage";

    public static StorageConnection Connect(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[ConnectionName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return StorageConnection.Parse(connectionString);
        }

        var section = configuration.GetSection(ConnectionName);
        var blob = Uri(section["blobServiceUri"]);
        var queue = Uri(section["queueServiceUri"]);
        var table = Uri(section["tableServiceUri"]);
        var accountName = section["accountName"];
        if (accountName is not null)
        {
            blob ??= new Uri($"https://{accountName}.blob.core.windows.net");
            queue ??= new Uri($"https://{accountName}.queue.core.windows.net");
            table ??= new Uri($"https://{accountName}.table.core.windows.net");
        }

        if (blob is null || queue is null || table is null)
        {
            throw new InvalidOperationException(
                $"Storage is not configured: set {ConnectionName} to a connection string, or {ConnectionName}__accountName "
                + $"(or the three {ConnectionName}__*ServiceUri settings) for an identity-based connection.");
        }

        return StorageConnection.FromIdentity(accountName ?? blob.Host.Split('.')[0], blob, queue, table, Credential(section));
    }

    /// <summary>
    /// The credential of an identity-based connection, as the Functions host picks it: <c>__credential=managedidentity</c>
    /// uses the app's managed identity — the user-assigned one named by <c>__clientId</c> or
    /// <c>__managedIdentityResourceId</c>, else the system-assigned one; without <c>__credential</c> (a local run) the
    /// developer's identity (Azure CLI, Visual Studio, environment...) through DefaultAzureCredential.
    /// </summary>
    internal static Azure.Core.TokenCredential Credential(IConfigurationSection section)
    {
        var credential = section["credential"];
        if (string.IsNullOrWhiteSpace(credential))
        {
            return new DefaultAzureCredential();
        }

        if (!string.Equals(credential, "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{ConnectionName}__credential must be 'managedidentity' (or unset for a local run).");
        }

        var clientId = section["clientId"];
        var resourceId = section["managedIdentityResourceId"];
        if (!string.IsNullOrWhiteSpace(clientId) && !string.IsNullOrWhiteSpace(resourceId))
        {
            throw new InvalidOperationException($"Set {ConnectionName}__clientId or {ConnectionName}__managedIdentityResourceId, not both.");
        }

        var identity = !string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : !string.IsNullOrWhiteSpace(resourceId) ? ManagedIdentityId.FromUserAssignedResourceId(new Azure.Core.ResourceIdentifier(resourceId))
            : ManagedIdentityId.SystemAssigned;
        return new ManagedIdentityCredential(identity);
    }

    private static Uri? Uri(string? value) => string.IsNullOrWhiteSpace(value) ? null : new Uri(value);
}
