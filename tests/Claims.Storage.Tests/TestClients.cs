using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

internal static class TestClients
{
    public static StorageClients For(AzuriteFixture azurite) =>
        new(StorageConnection.Parse(azurite.ConnectionString), new StorageClientOptions { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(50) });

    public static async Task<TableClient> NewTableAsync(AzuriteFixture azurite)
    {
        var table = For(azurite).Table(AzuriteFixture.UniqueTableName());
        await table.CreateIfNotExistsAsync();
        return table;
    }

    public static async Task<QueueClient> NewQueueAsync(AzuriteFixture azurite)
    {
        var queue = For(azurite).Queue(AzuriteFixture.UniqueQueueName());
        await queue.CreateIfNotExistsAsync();
        return queue;
    }

    public static async Task<BlobContainerClient> NewContainerAsync(AzuriteFixture azurite)
    {
        var container = For(azurite).Container(AzuriteFixture.UniqueContainerName());
        await container.CreateIfNotExistsAsync();
        return container;
    }
}
