using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;

namespace Claims.Storage;

/// <summary>
/// The health check's storage probe: one authorized list request per service through clients registered for it (one
/// attempt, at most 5 s each), so it answers fast during an outage.
/// </summary>
public sealed class StorageHealthProbe(
    IAzureClientFactory<TableServiceClient> tables, IAzureClientFactory<QueueServiceClient> queues, IAzureClientFactory<BlobServiceClient> blobs)
{
    /// <summary>The name the probe's clients are registered under.</summary>
    public const string ClientName = "probe";

    /// <summary>True when all three services answer; false, never an exception, on an outage or an authorization failure.</summary>
    public async Task<bool> PingAsync(CancellationToken cancellationToken = default)
    {
        var results = await Task.WhenAll(
            PingAsync(async ct =>
            {
                await foreach (var _ in blobs.CreateClient(ClientName).GetBlobContainersAsync(cancellationToken: ct).AsPages(pageSizeHint: 1).ConfigureAwait(false))
                {
                    break;
                }
            }, cancellationToken),
            PingAsync(async ct =>
            {
                await foreach (var _ in queues.CreateClient(ClientName).GetQueuesAsync(cancellationToken: ct).AsPages(pageSizeHint: 1).ConfigureAwait(false))
                {
                    break;
                }
            }, cancellationToken),
            PingAsync(async ct =>
            {
                await foreach (var _ in tables.CreateClient(ClientName).QueryAsync(maxPerPage: 1, cancellationToken: ct).AsPages(pageSizeHint: 1).ConfigureAwait(false))
                {
                    break;
                }
            }, cancellationToken)).ConfigureAwait(false);
        return results.All(ok => ok);
    }

    private static async Task<bool> PingAsync(Func<CancellationToken, Task> list, CancellationToken cancellationToken)
    {
        try
        {
            await list(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is StorageUnavailableException or Azure.RequestFailedException)
        {
            return false;
        }
    }
}
