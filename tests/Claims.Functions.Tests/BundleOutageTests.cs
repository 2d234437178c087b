using System.Net;
using System.Text.Json.Nodes;
using Claims.Testing;
using static Claims.Functions.Tests.FhirRequests;

namespace Claims.Functions.Tests;

/// <summary>POST /api/fhir when storage goes away: 503 + Retry-After with an OperationOutcome, never a 2xx or a bare 500.</summary>
[Collection(OutageCollection.Name)]
public sealed class BundleOutageTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        if (!azurite.IsRunning)
        {
            await azurite.StartAsync();
        }
    }

    [Fact]
    public async Task PostBundle_StorageStopped_Answers503WithRetryAfter()
    {
        var tenant = await app.NewTenantAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        using (var warm = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("batch", Claim("CLM-O-0")))))
        {
            Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        }

        var bundle = Bundle("transaction", Claim("CLM-O-1"), Claim("CLM-O-2"));
        await azurite.StopAsync();
        using var during = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.True(during.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        Assert.Equal("transient", JsonNode.Parse(await during.Content.ReadAsStringAsync())!["issue"]![0]!["code"]!.GetValue<string>());
    }
}
