using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace Claims.Storage;

/// <summary>
/// The storage account the app uses, read from the same settings the Functions host reads for
/// <c>AzureWebJobsStorage</c>: a connection string (Azurite: <c>UseDevelopmentStorage=true</c>), or an identity-based
/// connection (<c>AzureWebJobsStorage__accountName</c>, or <c>__blobServiceUri</c> / <c>__queueServiceUri</c> /
/// <c>__tableServiceUri</c>; <c>__credential=managedidentity</c> with <c>__clientId</c> or
/// <c>__managedIdentityResourceId</c> for a user-assigned identity). The app needs all three services, where the
/// Functions host itself needs only blob and queue. It creates the Azure SDK service clients; it never parses a
/// connection string itself (the SDK does).
/// </summary>
public sealed class StorageConnection
{
    public const string ConnectionName = "AzureWebJobsStorage";

    private StorageConnection(string? connectionString, Uri? blob, Uri? queue, Uri? table, TokenCredential? credential)
    {
        ConnectionString = connectionString;
        BlobServiceUri = blob;
        QueueServiceUri = queue;
        TableServiceUri = table;
        Credential = credential;
    }

    /// <summary>The connection string, or null for an identity-based connection. Never logged.</summary>
    internal string? ConnectionString { get; }

    /// <summary>The service endpoints of an identity-based connection (null with a connection string).</summary>
    public Uri? BlobServiceUri { get; }

    public Uri? QueueServiceUri { get; }

    public Uri? TableServiceUri { get; }

    /// <summary>The credential of an identity-based connection (null with a connection string).</summary>
    public TokenCredential? Credential { get; }

    /// <summary>A connection string: <c>UseDevelopmentStorage=true</c> or an account connection string.</summary>
    public static StorageConnection FromConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return new StorageConnection(connectionString, null, null, null, null);
    }

    /// <summary>Reads <c>AzureWebJobsStorage</c> (a connection string) or its identity-based <c>AzureWebJobsStorage__*</c> settings.</summary>
    /// <exception cref="InvalidOperationException">Neither form is configured, or the credential settings are contradictory.</exception>
    public static StorageConnection FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration[ConnectionName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return FromConnectionString(connectionString);
        }

        var section = configuration.GetSection(ConnectionName);
        var blob = ServiceUri(section, "blobServiceUri", ConnectionName);
        var queue = ServiceUri(section, "queueServiceUri", ConnectionName);
        var table = ServiceUri(section, "tableServiceUri", ConnectionName);
        if (section["accountName"] is { Length: > 0 } accountName)
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

        return new StorageConnection(null, blob, queue, table, CredentialFrom(section));
    }

    /// <summary>
    /// A second connection, named <paramref name="name"/>, of which the app uses only the blob service (the clearinghouse
    /// exchange account, <c>X12Exchange</c>): a connection string in <c>{name}</c>, or <c>{name}__blobServiceUri</c> /
    /// <c>{name}__accountName</c> with the same credential settings as <c>AzureWebJobsStorage</c>. Null when none is set.
    /// </summary>
    /// <exception cref="InvalidOperationException">A setting is malformed or the credential settings are contradictory.</exception>
    public static StorageConnection? BlobsFromConfiguration(IConfiguration configuration, string name)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var connectionString = configuration[name];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return FromConnectionString(connectionString);
        }

        var section = configuration.GetSection(name);
        var blob = ServiceUri(section, "blobServiceUri", name);
        if (blob is null && section["accountName"] is { Length: > 0 } accountName)
        {
            blob = new Uri($"https://{accountName}.blob.core.windows.net");
        }

        return blob is null ? null : new StorageConnection(null, blob, null, null, CredentialFrom(section, name));
    }

    /// <summary>The app's identity as <c>AzureWebJobsStorage</c> names it (<see cref="CredentialFrom"/>), for other Azure
    /// services the app calls with it (Key Vault).</summary>
    public static TokenCredential AppCredential(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return CredentialFrom(configuration.GetSection(ConnectionName));
    }

    /// <summary>
    /// The credential of an identity-based connection, as the Functions host picks it: <c>__credential=managedidentity</c>
    /// uses the app's managed identity — the user-assigned one named by <c>__clientId</c> or
    /// <c>__managedIdentityResourceId</c>, else the system-assigned one; without <c>__credential</c> (a local run) the
    /// developer's identity (Azure CLI, Visual Studio, environment...) through DefaultAzureCredential.
    /// </summary>
    internal static TokenCredential CredentialFrom(IConfigurationSection section, string name = ConnectionName)
    {
        var credential = section["credential"];
        if (string.IsNullOrWhiteSpace(credential))
        {
            return new DefaultAzureCredential();
        }

        if (!string.Equals(credential, "managedidentity", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{name}__credential must be 'managedidentity' (or unset for a local run).");
        }

        var clientId = section["clientId"];
        var resourceId = section["managedIdentityResourceId"];
        if (!string.IsNullOrWhiteSpace(clientId) && !string.IsNullOrWhiteSpace(resourceId))
        {
            throw new InvalidOperationException($"Set {name}__clientId or {name}__managedIdentityResourceId, not both.");
        }

        var identity = !string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.FromUserAssignedClientId(clientId)
            : !string.IsNullOrWhiteSpace(resourceId) ? ManagedIdentityId.FromUserAssignedResourceId(new ResourceIdentifier(resourceId))
            : ManagedIdentityId.SystemAssigned;
        return new ManagedIdentityCredential(identity);
    }

    public TableServiceClient CreateTableServiceClient(TableClientOptions options) =>
        ConnectionString is not null ? new TableServiceClient(ConnectionString, options)
        : new TableServiceClient(TableServiceUri ?? throw BlobsOnly(), Credential!, options);

    /// <summary>Messages are Base64-encoded, as the Functions queue trigger expects by default.</summary>
    public QueueServiceClient CreateQueueServiceClient(QueueClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.MessageEncoding = QueueMessageEncoding.Base64;
        return ConnectionString is not null ? new QueueServiceClient(ConnectionString, options)
            : new QueueServiceClient(QueueServiceUri ?? throw BlobsOnly(), Credential!, options);
    }

    public BlobServiceClient CreateBlobServiceClient(BlobClientOptions options) =>
        ConnectionString is not null ? new BlobServiceClient(ConnectionString, options) : new BlobServiceClient(BlobServiceUri!, Credential!, options);

    /// <summary>Names the kind of connection only; never the key.</summary>
    public override string ToString() => ConnectionString is not null ? "StorageConnection(connection string)" : $"StorageConnection({TableServiceUri?.Host})";

    private static Uri? ServiceUri(IConfigurationSection section, string name, string connection) =>
        string.IsNullOrWhiteSpace(section[name]) ? null
        : Uri.TryCreate(section[name], UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http" ? uri
        : throw new InvalidOperationException($"{connection}__{name} is not an absolute http(s) URL.");

    private static InvalidOperationException BlobsOnly() => new("This connection is configured for its blob service only.");
}
