using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.Storage;

namespace Claims.Functions.Tests;

/// <summary>Short forms of SDK calls the tests make often (assertions read what a message says or a blob holds).</summary>
internal static class SdkTestExtensions
{
    /// <summary>Client options for a test: fewer retries and extra per-attempt policies (e.g. a round-trip counter).</summary>
    public static StorageClientOptions TestOptions(int? maxRetries, params Azure.Core.Pipeline.HttpPipelinePolicy[] policies)
    {
        var options = new StorageClientOptions();
        if (maxRetries is { } retries)
        {
            options.MaxRetries = retries;
        }

        foreach (var policy in policies)
        {
            options.PerRetryPolicies.Add(policy);
        }

        return options;
    }

    extension(QueueMessage message)
    {
        /// <summary>The decoded message text (the clients decode Base64).</summary>
        public string Text => message.Body.ToString();
    }

    extension(PeekedMessage message)
    {
        public string Text => message.Body.ToString();
    }

    extension(QueueClient queue)
    {
        public async Task<int> GetApproximateCountAsync(CancellationToken cancellationToken = default) =>
            (await queue.GetPropertiesAsync(cancellationToken)).Value.ApproximateMessagesCount;

        public async Task<string> UpdateVisibilityAsync(string messageId, string popReceipt, TimeSpan visibility, CancellationToken cancellationToken = default) =>
            (await queue.UpdateMessageAsync(messageId, popReceipt, visibilityTimeout: visibility, cancellationToken: cancellationToken)).Value.PopReceipt;
    }

    extension(BlobContainerClient container)
    {
        public async IAsyncEnumerable<string> ListBlobNamesAsync(string? prefix = null)
        {
            await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, CancellationToken.None))
            {
                yield return item.Name;
            }
        }

        /// <summary>The blob's bytes, or null when it does not exist.</summary>
        public async Task<StoredBlob?> DownloadAsync(string blobName)
        {
            try
            {
                var result = (await container.GetBlobClient(blobName).DownloadContentAsync()).Value;
                return new StoredBlob(result.Content.ToArray(), result.Details.ETag);
            }
            catch (Azure.RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }
    }
}

internal sealed record StoredBlob(byte[] Content, Azure.ETag ETag);
