using System.Net;
using System.Text.Json.Nodes;
using Claims.Testing;

namespace Claims.Functions.Tests;

/// <summary>An Azurite of its own, because these tests stop it.</summary>
[CollectionDefinition(Name)]
public sealed class OutageCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "outage";
}

/// <summary>When storage is down the webhook answers 503 + Retry-After, never 202 and never a bare 500.</summary>
[Collection(OutageCollection.Name)]
public sealed class OutageTests(AzuriteFixture azurite) : IAsyncLifetime
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
    public async Task PostClaim_StorageStopped_Answers503WithRetryAfterAndHealthSaysDegraded()
    {
        var tenant = await app.NewTenantAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        using (var before = await client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy())))
        {
            Assert.Equal(HttpStatusCode.Accepted, before.StatusCode);
        }

        await azurite.StopAsync();
        using var response = await client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(SampleClaims.AbaTherapy(identifier: "CLM-DURING-OUTAGE")));
        using var health = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.Equal("transient", outcome["issue"]![0]!["code"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
    }
}
