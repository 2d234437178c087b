using System.Globalization;
using Claims.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Storage.Tests;

/// <summary>The storage registration (<see cref="StorageServiceCollectionExtensions.AddClaimsStorage"/>) over given settings.</summary>
internal static class TestStorage
{
    public static ServiceProvider Services(string connectionString, Dictionary<string, string?>? settings = null)
    {
        var values = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["Storage:MaxRetries"] = "1",
            ["Storage:RetryDelay"] = "00:00:00.010",
            ["Storage:MaxRetryDelay"] = "00:00:00.020",
            ["Storage:NetworkTimeout"] = "00:00:01",
        };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(values).Build())
            .AddLogging()
            .AddClaimsStorage()
            .BuildServiceProvider();
    }

    /// <summary>devstoreaccount1 with all three endpoints on one port of 127.0.0.1.</summary>
    public static string OnPort(int port) => string.Create(
        CultureInfo.InvariantCulture,
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:{port}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{port}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1");
}
