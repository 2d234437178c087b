using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Claims.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Table, Queue and Blob service clients with <c>AddAzureClients</c>, built from the
    /// <c>AzureWebJobsStorage</c> settings (<see cref="StorageConnection.FromConfiguration"/>, read when first resolved,
    /// so settings added late — tests — count) and the <c>Storage</c> retry options; the health probe's one-attempt
    /// clients under the name <see cref="StorageHealthProbe.ClientName"/>; <see cref="StorageClients"/>; and
    /// <see cref="ExchangeStorage"/> (the <c>X12Exchange</c> account when configured, else the app's own).
    /// </summary>
    public static IServiceCollection AddClaimsStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageClientOptions>().BindConfiguration(StorageClientOptions.Section);
        services.AddSingleton(sp => StorageConnection.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        services.AddAzureClients(builder =>
        {
            foreach (var probe in new[] { false, true })
            {
                var tables = builder.AddClient<TableServiceClient, TableClientOptions>((o, sp) => Connection(sp).CreateTableServiceClient(Apply(o, sp, probe)));
                var queues = builder.AddClient<QueueServiceClient, QueueClientOptions>((o, sp) => Connection(sp).CreateQueueServiceClient(Apply(o, sp, probe)));
                var blobs = builder.AddClient<BlobServiceClient, BlobClientOptions>((o, sp) => Connection(sp).CreateBlobServiceClient(Apply(o, sp, probe)));
                if (probe)
                {
                    tables.WithName(StorageHealthProbe.ClientName);
                    queues.WithName(StorageHealthProbe.ClientName);
                    blobs.WithName(StorageHealthProbe.ClientName);
                }
            }
        });
        services.AddSingleton<StorageClients>();
        services.AddSingleton(sp =>
        {
            var exchange = StorageConnection.BlobsFromConfiguration(sp.GetRequiredService<IConfiguration>(), ExchangeStorage.ConnectionName);
            return exchange is null
                ? ExchangeStorage.OnAppAccount(sp.GetRequiredService<StorageClients>())
                : new ExchangeStorage(exchange.CreateBlobServiceClient(Apply(new BlobClientOptions(), sp, probe: false)), separateAccount: true);
        });
        services.AddSingleton<StorageHealthProbe>();
        return services;
    }

    private static StorageConnection Connection(IServiceProvider services) => services.GetRequiredService<StorageConnection>();

    private static T Apply<T>(T options, IServiceProvider services, bool probe)
        where T : Azure.Core.ClientOptions =>
        services.GetRequiredService<IOptions<StorageClientOptions>>().Value.ApplyTo(options, probe);
}
