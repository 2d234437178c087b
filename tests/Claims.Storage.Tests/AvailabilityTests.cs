using System.Diagnostics;
using Azure.Data.Tables;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Storage.Tests;

/// <summary>An outage surfaces as <see cref="StorageUnavailableException"/> from every SDK client, and the health probe says so.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AvailabilityTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task NothingListening_EveryClient_ThrowsStorageUnavailableQuickly()
    {
        await using var services = TestStorage.Services(TestStorage.OnPort(FreePorts.GetOne()));
        var clients = services.GetRequiredService<StorageClients>();
        var watch = Stopwatch.StartNew();

        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Table("claims").GetEntityOrDefaultAsync("p", "r"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Queue("claims-intake").SendMessageAsync("x"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Container("raw").DownloadOrDefaultAsync("b"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => clients.Table("claims").SubmitTransactionAsync(
            [new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("p", "r"))]));

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(15), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Probe_NothingListening_ReturnsFalse()
    {
        await using var services = TestStorage.Services(TestStorage.OnPort(FreePorts.GetOne()));

        Assert.False(await services.GetRequiredService<StorageHealthProbe>().PingAsync());
    }

    [Fact]
    public async Task Probe_AzuriteUp_ReturnsTrue()
    {
        await using var services = TestStorage.Services(azurite.ConnectionString);

        Assert.True(await services.GetRequiredService<StorageHealthProbe>().PingAsync());
    }

    [Fact]
    public async Task Outage_StopAndRestartOnSamePorts_UnavailableThenRecovers()
    {
        await using var services = TestStorage.Services(azurite.ConnectionString);
        var probe = services.GetRequiredService<StorageHealthProbe>();
        var table = services.GetRequiredService<StorageClients>().Table(AzuriteFixture.UniqueTableName());
        await table.CreateIfNotExistsAsync();
        var ports = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);

        await azurite.StopAsync();
        try
        {
            await Assert.ThrowsAsync<StorageUnavailableException>(() => table.AddEntityAsync(new TableEntity("p", "r")));
            Assert.False(await probe.PingAsync());
        }
        finally
        {
            await azurite.StartAsync();
        }

        Assert.Equal(ports, (azurite.BlobPort, azurite.QueuePort, azurite.TablePort));
        Assert.True(await probe.PingAsync());
        await table.CreateIfNotExistsAsync();
        Assert.Equal(204, (await table.AddEntityAsync(new TableEntity("p", "r"))).Status);
    }
}
