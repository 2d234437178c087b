using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Claims.Functions.Functions;
using Claims.Functions.Hosting;
using Claims.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Moq;

namespace Claims.Functions.Tests.Unit;

/// <summary>GET /health before the app's start-up work is done (the healthy and outage answers run against Azurite in ClaimFlowTests and OutageTests).</summary>
public sealed class HealthTests
{
    [Fact]
    public async Task Get_StartupNotDone_Answers503StartingWithoutProbingStorage()
    {
        // Strict mocks: any call to create a probe client fails the test.
        var probe = new StorageHealthProbe(
            new Mock<IAzureClientFactory<TableServiceClient>>(MockBehavior.Strict).Object,
            new Mock<IAzureClientFactory<QueueServiceClient>>(MockBehavior.Strict).Object,
            new Mock<IAzureClientFactory<BlobServiceClient>>(MockBehavior.Strict).Object);
        var startup = new StorageStartup(null!, null!, null!, Options.Create(new DevTenantOptions()), NullLogger<StorageStartup>.Instance);

        var result = Assert.IsType<JsonHttpResult<HealthBody>>(await HealthFunctions.GetCore(probe, startup, CancellationToken.None));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, result.StatusCode);
        Assert.Equal("Starting", result.Value!.Status);
        Assert.Null(result.Value.Storage);
    }
}
