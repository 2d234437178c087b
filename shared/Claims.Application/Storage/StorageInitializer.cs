using Claims.Storage;

namespace Claims.Application.Storage;

/// <summary>Creates every table, queue and container the app uses (the exchange's containers on the exchange account);
/// safe to run any number of times.</summary>
public sealed class StorageInitializer(StorageClients storage, ExchangeStorage exchange)
{
    /// <summary>With the exchange on the app's own account.</summary>
    public StorageInitializer(StorageClients storage)
        : this(storage, ExchangeStorage.OnAppAccount(storage))
    {
    }

    public async Task EnsureCreatedAsync(CancellationToken cancellationToken)
    {
        var work = new List<Task>();
        work.AddRange(StorageNames.Tables.Select(t => storage.Table(t).CreateIfNotExistsAsync(cancellationToken)));
        work.AddRange(StorageNames.Queues.Select(q => storage.Queue(q).CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        work.AddRange(StorageNames.Containers.Select(c => storage.Container(c).CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        work.AddRange(StorageNames.ExchangeContainers.Select(c => exchange.Container(c).CreateIfNotExistsAsync(cancellationToken: cancellationToken)));
        await Task.WhenAll(work).ConfigureAwait(false);
    }
}
