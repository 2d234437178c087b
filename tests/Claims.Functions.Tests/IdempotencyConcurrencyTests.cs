using System.Net;
using System.Text.Json.Nodes;
using Claims.Testing;
using static Claims.Functions.Tests.FhirRequests;

namespace Claims.Functions.Tests;

/// <summary>Duplicates that arrive at the same time (an EHR retrying on a timeout while the first is in flight).</summary>
[Collection(AppCollection.Name)]
public sealed class IdempotencyConcurrencyTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task PostClaim_TenIdenticalAtOnce_CreateOneClaim()
    {
        var tenant = await app.NewTenantAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        var claim = Claim("CLM-P-1").ToJsonString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(claim))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => JsonNode.Parse(await r.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>()));
        Assert.Single(ids.Distinct());
        Assert.Equal(9, responses.Count(r => r.Headers.Contains("Idempotent-Replayed")));
        Assert.Equal([ids[0]], (await ClaimRowsAsync(app.Storage, tenant.Tenant)).Keys);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task PostBundle_FiveIdenticalTransactionsAtOnce_CommitOneSetOfClaims()
    {
        var tenant = await app.NewTenantAsync();
        using var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", tenant.IngestKey);
        var bundle = Bundle("transaction", Claim("CLM-PT-1"), Claim("CLM-PT-2"), Claim("CLM-PT-3"));

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var answers = await Task.WhenAll(responses.Select(async r => ResponseEntries(JsonNode.Parse(await r.Content.ReadAsStringAsync())!).Select(ClaimIdOf).ToList()));
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        var rows = await ClaimRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(answers[0].Order(), rows.Keys.Order());
        Assert.DoesNotContain("Staged", rows.Values);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
