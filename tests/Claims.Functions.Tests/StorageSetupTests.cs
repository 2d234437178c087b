using Azure.Identity;
using Claims.Functions.Hosting;
using Claims.Storage.Rest;
using Microsoft.Extensions.Configuration;

namespace Claims.Functions.Tests;

/// <summary>AzureWebJobsStorage read the way the Functions host reads it: connection string or identity-based settings.</summary>
public sealed class StorageSetupTests
{
    [Fact]
    public void Connect_AccountNameWithUserAssignedIdentity_DerivesTheThreeEndpoints()
    {
        var connection = StorageSetup.Connect(Settings(new()
        {
            ["AzureWebJobsStorage:accountName"] = "stclaims01",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
            ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
        }));

        Assert.Equal("stclaims01", connection.AccountName);
        Assert.Equal(new Uri("https://stclaims01.blob.core.windows.net"), connection.BlobEndpoint);
        Assert.Equal(new Uri("https://stclaims01.queue.core.windows.net"), connection.QueueEndpoint);
        Assert.Equal(new Uri("https://stclaims01.table.core.windows.net"), connection.TableEndpoint);
    }

    [Fact]
    public void Connect_ServiceUris_UsesThemAndNamesTheAccountFromTheBlobHost()
    {
        var connection = StorageSetup.Connect(Settings(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://stclaims02.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://stclaims02.queue.core.windows.net",
            ["AzureWebJobsStorage:tableServiceUri"] = "https://stclaims02.table.core.windows.net",
            ["AzureWebJobsStorage:credential"] = "managedidentity",
        }));

        Assert.Equal("stclaims02", connection.AccountName);
        Assert.Equal(new Uri("https://stclaims02.table.core.windows.net"), connection.TableEndpoint);
    }

    [Fact]
    public void Connect_ServiceUrisWithoutTable_FailsNamingTheSettings()
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageSetup.Connect(Settings(new()
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://stclaims03.blob.core.windows.net",
            ["AzureWebJobsStorage:queueServiceUri"] = "https://stclaims03.queue.core.windows.net",
        })));

        Assert.Contains("AzureWebJobsStorage__accountName", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Connect_DevelopmentStorageConnectionString_StillWorksForAzurite()
    {
        var connection = StorageSetup.Connect(Settings(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }));

        Assert.Equal(StorageConnection.DevelopmentAccountName, connection.AccountName);
        Assert.Equal(10001, connection.QueueEndpoint.Port);
    }

    [Theory]
    [InlineData("managedidentity", "00000000-0000-0000-0000-000000000001", null, typeof(ManagedIdentityCredential))]
    [InlineData("managedidentity", null, "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-claims", typeof(ManagedIdentityCredential))]
    [InlineData("managedidentity", null, null, typeof(ManagedIdentityCredential))]
    [InlineData(null, null, null, typeof(DefaultAzureCredential))]
    public void Credential_Settings_PicksTheFunctionsHostCredential(string? credential, string? clientId, string? resourceId, Type expected)
    {
        var section = Settings(new()
        {
            ["AzureWebJobsStorage:accountName"] = "stclaims04",
            ["AzureWebJobsStorage:credential"] = credential,
            ["AzureWebJobsStorage:clientId"] = clientId,
            ["AzureWebJobsStorage:managedIdentityResourceId"] = resourceId,
        }).GetSection("AzureWebJobsStorage");

        Assert.IsType(expected, StorageSetup.Credential(section));
    }

    [Fact]
    public void Credential_UnknownCredentialKind_FailsAtStartup()
    {
        var section = Settings(new() { ["AzureWebJobsStorage:credential"] = "clientsecret" }).GetSection("AzureWebJobsStorage");

        Assert.Throws<InvalidOperationException>(() => StorageSetup.Credential(section));
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
