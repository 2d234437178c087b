using Azure.Identity;
using Claims.Storage.Rest;

namespace Claims.Functions.Hosting;

/// <summary>
/// Builds the storage clients from the same settings the Functions host reads for AzureWebJobsStorage: a
/// connection string (Azurite: UseDevelopmentStorage=true), or identity-based connections
/// (AzureWebJobsStorage__blobServiceUri / __queueServiceUri / __tableServiceUri, __credential=managedidentity,
/// __clientId for a user-assigned identity).
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

        var clientId = section["clientId"];
        Azure.Core.TokenCredential credential = string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
        return StorageConnection.FromIdentity(accountName ?? blob.Host.Split('.')[0], blob, queue, table, credential);
    }

    private static Uri? Uri(string? value) => string.IsNullOrWhiteSpace(value) ? null : new Uri(value);
}
