using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Claims.Storage;

/// <summary>
/// The few shapes the stores need from the SDK clients, each one call of theirs: a row or null, one page of a query,
/// a blob or null, and the conditional create (If-None-Match: *) that makes an upload happen exactly once.
/// </summary>
public static class StorageExtensions
{
    /// <summary>A queue message time-to-live of -1: the message never expires (timers, poison messages).</summary>
    public static readonly TimeSpan MessageNeverExpires = TimeSpan.FromSeconds(-1);

    /// <summary>The entity, or null when it does not exist (one GET; a 404 is not an error here).</summary>
    public static async Task<TableEntity?> GetEntityOrDefaultAsync(
        this TableClient table, string partitionKey, string rowKey, IEnumerable<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, select, cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// One page of a query, resumed from <paramref name="continuationToken"/> (the SDK's own token, opaque to callers);
    /// the page's <see cref="Page{T}.ContinuationToken"/> is null on the last page.
    /// </summary>
    /// <exception cref="ArgumentException">The token is not one the SDK issues (base64 next partition key, a space, base64
    /// next row key): an API answers 400 rather than starting a scan somewhere arbitrary.</exception>
    public static async Task<Page<TableEntity>> QueryPageAsync(
        this TableClient table, string? filter, IEnumerable<string>? select, int pageSize, string? continuationToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (continuationToken is not null && !IsTableContinuationToken(continuationToken))
        {
            throw new ArgumentException("The continuation token was not issued by a table query.", nameof(continuationToken));
        }

        await foreach (var page in table.QueryAsync<TableEntity>(filter, pageSize, select, cancellationToken).AsPages(continuationToken, pageSize).ConfigureAwait(false))
        {
            return page;
        }

        return Page<TableEntity>.FromValues([], null, null!);
    }

    private static bool IsTableContinuationToken(string token)
    {
        var parts = token.Split(' ');
        var buffer = new byte[token.Length];
        return parts.Length == 2 && parts[0].Length > 0
            && Convert.TryFromBase64String(parts[0], buffer, out _) && Convert.TryFromBase64String(parts[1], buffer, out _);
    }

    /// <summary>Uploads (or replaces) a blob with its content type, in one request.</summary>
    public static async Task<ETag> PutBlobAsync(
        this BlobContainerClient container, string blobName, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        var options = new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } };
        var response = await container.GetBlobClient(blobName).UploadAsync(content, options, cancellationToken).ConfigureAwait(false);
        return response.Value.ETag;
    }

    /// <summary>
    /// Creates the blob only if it does not exist (If-None-Match: *), in one request. False when it exists already
    /// (409 BlobAlreadyExists, or 412 from a retried attempt whose first answer was lost): the content is never replaced,
    /// which is what makes a write exactly-once.
    /// </summary>
    public static async Task<bool> UploadIfNotExistsAsync(
        this BlobContainerClient container, string blobName, BinaryData content, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        var options = new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        };
        try
        {
            await container.GetBlobClient(blobName).UploadAsync(content, options, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return false;
        }
    }

    /// <summary>The blob's content, or null when it does not exist (one GET).</summary>
    public static async Task<BinaryData?> DownloadOrDefaultAsync(this BlobContainerClient container, string blobName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        try
        {
            var response = await container.GetBlobClient(blobName).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return response.Value.Content;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return null;
        }
    }
}
