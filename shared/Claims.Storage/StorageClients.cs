using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Claims.Storage;

/// <summary>
/// The three Azure SDK service clients of the app's storage account (from DI, <see cref="StorageServiceCollectionExtensions.AddClaimsStorage"/>),
/// and the table, queue and container clients the stores take from them. Every method of these clients is virtual, so a
/// unit test builds this from mocks.
/// </summary>
public sealed class StorageClients(TableServiceClient tables, QueueServiceClient queues, BlobServiceClient blobs)
{
    public TableServiceClient TableService { get; } = tables ?? throw new ArgumentNullException(nameof(tables));

    public QueueServiceClient QueueService { get; } = queues ?? throw new ArgumentNullException(nameof(queues));

    public BlobServiceClient BlobService { get; } = blobs ?? throw new ArgumentNullException(nameof(blobs));

    /// <summary>Clients outside DI (tools, tests), built exactly as the registered ones are.</summary>
    public static StorageClients Create(StorageConnection connection, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        options ??= new StorageClientOptions();
        return new StorageClients(
            connection.CreateTableServiceClient(options.ApplyTo(new TableClientOptions())),
            connection.CreateQueueServiceClient(options.ApplyTo(new QueueClientOptions())),
            connection.CreateBlobServiceClient(options.ApplyTo(new BlobClientOptions())));
    }

    public TableClient Table(string tableName) => TableService.GetTableClient(tableName);

    public QueueClient Queue(string queueName) => QueueService.GetQueueClient(queueName);

    public BlobContainerClient Container(string containerName) => BlobService.GetBlobContainerClient(containerName);
}
