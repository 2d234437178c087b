using System.Diagnostics;
using System.Globalization;
using Claims.Storage.Rest;
using Claims.Testing;

namespace Claims.Storage.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class AvailabilityTests(AzuriteFixture azurite)
{
    private static readonly StorageClientOptions Quick = new()
    {
        MaxRetries = 1,
        RetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(20),
        NetworkTimeout = TimeSpan.FromSeconds(1),
    };

    [Fact]
    public async Task NothingListening_EveryOperation_ThrowsStorageUnavailableQuickly()
    {
        var port = FreePorts.GetOne();
        var clients = new StorageClients(Closed(port), Quick);
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Table("claims").GetEntityAsync("p", "r"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Queue("claims-intake").SendMessageAsync("x"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Container("raw").DownloadAsync("b"));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Ping_NothingListening_ReturnsFalse()
    {
        var clients = new StorageClients(Closed(FreePorts.GetOne()), Quick);

        Assert.False(await clients.PingAsync());
    }

    [Fact]
    public async Task Ping_AzuriteUp_ReturnsTrue()
    {
        Assert.True(await TestClients.For(azurite).PingAsync());
    }

    [Fact]
    public async Task Outage_StopAndRestartOnSamePorts_UnavailableThenRecovers()
    {
        var clients = new StorageClients(StorageConnection.Parse(azurite.ConnectionString), Quick);
        var table = clients.Table(AzuriteFixture.UniqueTableName());
        await table.CreateIfNotExistsAsync();
        var ports = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);

        await azurite.StopAsync();
        try
        {
            await Assert.ThrowsAsync<StorageUnavailableException>(() => table.AddEntityAsync(new TableEntity("p", "r")));
            Assert.False(await clients.PingAsync());
        }
        finally
        {
            await azurite.StartAsync();
        }

        Assert.Equal(ports, (azurite.BlobPort, azurite.QueuePort, azurite.TablePort));
        Assert.True(await clients.PingAsync());
        await table.CreateIfNotExistsAsync();
        Assert.NotEmpty(await table.AddEntityAsync(new TableEntity("p", "r")));
    }

    private static StorageConnection Closed(int port) => StorageConnection.Parse(string.Create(
        CultureInfo.InvariantCulture,
        $"AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1"));
}
