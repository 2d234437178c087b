using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Storage.Tests;

/// <summary>AzureWebJobsStorage read the way the Functions host reads it, mapped to the SDK clients (no network).</summary>
public sealed class StorageConnectionTests
{
    [Fact]
    public void FromConfiguration_AccountNameWithUserAssignedIdentity_ClientsOnTheThreeEndpointsWithManagedIdentity()
    {
        var connection = StorageConnection.FromConfiguration(Settings(new()
        {
            ["AzureWebJobsStorage:accountName"] = "stclaims01",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        }));

        Assert.IsType<ManagedIdentityCredential>(connection.Credential);
        Assert.Equal(new Uri("https://stclaims01.blob.core.windows.net/"), connection.CreateBlobServiceClient(new BlobClientOptions()).Uri);
        Assert.Equal(new Uri("https://stclaims01.queue.core.windows.net/"), connection.CreateQueueServiceClient(new QueueClientOptions()).Uri);
        Assert.Equal(new Uri("https://stclaims01.table.core.windows.net/"), connection.CreateTableServiceClient(new TableClientOptions()).Uri);
        Assert.Equal("stclaims01", connection.CreateTableServiceClient(new TableClientOptions()).AccountName);
    }

    [Fact]
    public void FromConfiguration_ServiceUris_UsesThem()
    {
        var connection = StorageConnection.FromConfiguration(Settings(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://stclaims02.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://stclaims02.queue.core.windows.net",
            ["AzureWebJobsStorage:tableServiceUri"] = "https://stclaims02.table.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
        }));

        Assert.Equal("stclaims02", connection.CreateBlobServiceClient(new BlobClientOptions()).AccountName);
        Assert.Equal(new Uri("https://stclaims02.table.core.windows.net/"), connection.CreateTableServiceClient(new TableClientOptions()).Uri);
    }

    [Fact]
    public void FromConfiguration_ServiceUrisWithoutTable_FailsNamingTheSettings()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageConnection.FromConfiguration(Settings(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://stclaims03.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://stclaims03.queue.core.windows.net",
        })));

        Assert.Contains("AzureWebJobsStorage__accountName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromConfiguration_DevelopmentStorage_AzuriteDefaultPortsWithoutCredential()
    {
        var connection = StorageConnection.FromConfiguration(Settings(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }));

        Assert.Null(connection.Credential);
        Assert.Equal(10000, connection.CreateBlobServiceClient(new BlobClientOptions()).Uri.Port);
        Assert.Equal(10001, connection.CreateQueueServiceClient(new QueueClientOptions()).Uri.Port);
        Assert.Equal(10002, connection.CreateTableServiceClient(new TableClientOptions()).Uri.Port);
        Assert.Equal("devstoreaccount1", connection.CreateQueueServiceClient(new QueueClientOptions()).AccountName);
    }

    [Fact]
    public void CreateQueueServiceClient_AnyConnection_MessagesBase64AsTheQueueTriggerExpects()
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };

        _ = StorageConnection.FromConnectionString("UseDevelopmentStorage=true").CreateQueueServiceClient(options);

        Assert.Equal(QueueMessageEncoding.Base64, options.MessageEncoding);
    }

    [Theory]
    [InlineData("managedidentity", "00000000-0000-0000-0000-000000000001", null, typeof(ManagedIdentityCredential))]
    [InlineData("managedidentity", null, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-claims", typeof(ManagedIdentityCredential))]
    [InlineData("managedidentity", null, null, typeof(ManagedIdentityCredential))]
    [InlineData(null, null, null, typeof(DefaultAzureCredential))]
    public void FromConfiguration_CredentialSettings_PicksTheFunctionsHostCredential(string? credential, string? clientId, string? resourceId, Type expected)
    {
        var connection = StorageConnection.FromConfiguration(Settings(new()
        {
            ["AzureWebJobsStorage:accountName"] = "stclaims04",
            ["AzureWebJobsStorage:credential"] = credential,
            ["AzureWebJobsStorage:clientId"] = clientId,
            ["AzureWebJobsStorage:managedIdentityResourceId"] = resourceId,
        }));

        Assert.IsType(expected, connection.Credential);
    }

    [Fact]
    public void FromConfiguration_UnknownCredentialKind_FailsAtStartup()
    {
        Assert.Throws<InvalidOperationException>(() => StorageConnection.FromConfiguration(Settings(new()
        {
            ["AzureWebJobsStorage:accountName"] = "stclaims05",
            ["AzureWebJobsStorage:credential"] = "clientsecret",
        })));
    }

    [Fact]
    public async Task AddClaimsStorage_IdentitySettings_RegistersTheThreeServiceClientsOnTheAccount()
    {
        await using var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(Settings(new()
            {
                ["AzureWebJobsStorage:accountName"] = "stclaims06",
                ["AzureWebJobsStorage:credential"] = "managedidentity",
            }))
            .AddLogging()
            .AddClaimsStorage()
            .BuildServiceProvider();

        var clients = services.GetRequiredService<StorageClients>();

        Assert.Equal("stclaims06", clients.TableService.AccountName);
        Assert.Equal("stclaims06", clients.QueueService.AccountName);
        Assert.Equal("stclaims06", clients.BlobService.AccountName);
        Assert.Same(clients.TableService, services.GetRequiredService<TableServiceClient>());
    }

    [Fact]
    public async Task AddClaimsStorage_ExchangeSettings_ExchangeOnItsOwnAccountWithTheIdentity_WithoutThemOnTheAppAccount()
    {
        var app = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:accountName"] = "stclaims07",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
        };
        await using (var plain = new ServiceCollection().AddSingleton<IConfiguration>(Settings(app)).AddLogging().AddClaimsStorage().BuildServiceProvider())
        {
            var exchange = plain.GetRequiredService<ExchangeStorage>();
            Assert.False(exchange.SeparateAccount);
            Assert.Same(plain.GetRequiredService<StorageClients>().BlobService, exchange.BlobService);
        }

        app["X12Exchange:blobServiceUri"] = "https://stxclaims07.blob.core.windows.net/";
        app["X12Exchange:credential"] = "managedidentity";
        app["X12Exchange:clientId"] = "00000000-0000-0000-0000-000000000007";
        await using var separate = new ServiceCollection().AddSingleton<IConfiguration>(Settings(app)).AddLogging().AddClaimsStorage().BuildServiceProvider();
        var onItsOwn = separate.GetRequiredService<ExchangeStorage>();

        Assert.True(onItsOwn.SeparateAccount);
        Assert.Equal("stxclaims07", onItsOwn.BlobService.AccountName);
        Assert.Equal("stclaims07", separate.GetRequiredService<StorageClients>().BlobService.AccountName);
    }

    [Fact]
    public void BlobsFromConfiguration_NoSettings_Null_ConnectionStringOrAccountName_BlobsOnly()
    {
        Assert.Null(StorageConnection.BlobsFromConfiguration(Settings(new()), "X12Exchange"));

        var byName = StorageConnection.BlobsFromConfiguration(Settings(new() { ["X12Exchange:accountName"] = "stxclaims08", ["X12Exchange:credential"] = "managedidentity" }), "X12Exchange")!;
        Assert.Equal(new Uri("https://stxclaims08.blob.core.windows.net/"), byName.CreateBlobServiceClient(new BlobClientOptions()).Uri);
        Assert.IsType<ManagedIdentityCredential>(byName.Credential);
        Assert.Throws<InvalidOperationException>(() => byName.CreateTableServiceClient(new TableClientOptions()));

        var error = Assert.Throws<InvalidOperationException>(() => StorageConnection.BlobsFromConfiguration(
            Settings(new() { ["X12Exchange:blobServiceUri"] = "ftp://nope", ["X12Exchange:credential"] = "managedidentity" }), "X12Exchange"));
        Assert.Contains("X12Exchange__blobServiceUri", error.Message, StringComparison.Ordinal);
        Assert.NotNull(StorageConnection.BlobsFromConfiguration(Settings(new() { ["X12Exchange"] = "UseDevelopmentStorage=true" }), "X12Exchange"));
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
