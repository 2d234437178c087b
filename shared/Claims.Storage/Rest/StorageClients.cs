using Azure.Core;

namespace Claims.Storage.Rest;

/// <summary>
/// Entry point: one Azure.Core pipeline per service (exponential retries on 408/429/500/502/503/504 and
/// transport errors, SharedKey or bearer-token auth) and factories for table, queue and container clients.
/// </summary>
public sealed class StorageClients
{
    private readonly StorageService _blob;
    private readonly StorageService _queue;
    private readonly StorageService _table;
    private readonly StorageService[] _ping;

    public StorageClients(StorageConnection connection, StorageClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        options ??= new StorageClientOptions();
        _blob = StorageService.Create("blob", connection.BlobEndpoint, connection, options);
        _queue = StorageService.Create("queue", connection.QueueEndpoint, connection, options);
        _table = StorageService.Create("table", connection.TableEndpoint, connection, options);

        // A health probe must answer fast during an outage: one attempt, short timeout.
        var probe = new StorageClientOptions
        {
            MaxRetries = 0,
            NetworkTimeout = options.NetworkTimeout < TimeSpan.FromSeconds(5) ? options.NetworkTimeout : TimeSpan.FromSeconds(5),
        };
        _ping =
        [
            StorageService.Create("blob", connection.BlobEndpoint, connection, probe),
            StorageService.Create("queue", connection.QueueEndpoint, connection, probe),
            StorageService.Create("table", connection.TableEndpoint, connection, probe),
        ];
    }

    public TableClient Table(string tableName) => new(_table, tableName);

    public QueueClient Queue(string queueName) => new(_queue, queueName);

    public BlobContainerClient Container(string containerName) => new(_blob, containerName);

    /// <summary>
    /// True when all three services answer an authorized list request (one attempt each, at most 5 s);
    /// false, never an exception, on an outage or an authorization failure.
    /// </summary>
    public async Task<bool> PingAsync(CancellationToken ct = default)
    {
        var results = await Task.WhenAll(
            PingAsync(_ping[0], _ping[0].Uri(string.Empty, "comp=list&maxresults=1"), ct),
            PingAsync(_ping[1], _ping[1].Uri(string.Empty, "comp=list&maxresults=1"), ct),
            PingAsync(_ping[2], _ping[2].Uri("Tables", "$top=1"), ct)).ConfigureAwait(false);
        return results.All(ok => ok);
    }

    private static async Task<bool> PingAsync(StorageService service, Uri uri, CancellationToken ct)
    {
        try
        {
            using var message = service.CreateMessage(RequestMethod.Get, uri);
            if (service.Kind == "table")
            {
                TableClient.SetCommonHeaders(message);
            }

            var response = await service.SendAsync(message, "ping", ct).ConfigureAwait(false);
            return response.Status == 200;
        }
        catch (StorageUnavailableException)
        {
            return false;
        }
    }
}
