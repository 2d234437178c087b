using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Claims.Testing;
using static Claims.Functions.Tests.FhirRequests;

namespace Claims.Functions.Tests;

/// <summary>POST /api/fhir (transaction, batch, collection) and GET /api/fhir/metadata against the real app and Azurite.</summary>
[Collection(AppCollection.Name)]
public sealed class FhirBundleTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task PostBundle_ValidTransaction_CommitsEveryClaimAndAnswersTransactionResponse()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var bundle = Bundle("transaction", Claim("CLM-T-1"), Claim("CLM-T-2"), Claim("CLM-T-3"));

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("transaction-response", body["type"]!.GetValue<string>());
        var entries = ResponseEntries(body);
        Assert.Equal(3, entries.Count);
        Assert.All(entries, e => Assert.Equal("202 Accepted", e["status"]!.GetValue<string>()));
        var requestUrls = JsonNode.Parse(bundle)!["entry"]!.AsArray().Select(e => e!["fullUrl"]!.GetValue<string>());
        Assert.Equal(requestUrls, body["entry"]!.AsArray().Select(e => e!["fullUrl"]!.GetValue<string>()));
        var ids = entries.Select(ClaimIdOf).ToList();
        Assert.Equal(3, ids.Distinct().Count());
        var rows = await ClaimRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(ids.Order(), rows.Keys.Order());
        Assert.DoesNotContain("Staged", rows.Values);
        foreach (var id in ids)
        {
            // Committed claims were queued: the rules engine picks each up (where it ends depends on the rule set).
            var claim = await WaitUntilPastReceivedAsync(client, id);
            Assert.Contains(claim["history"]!.AsArray(), h => h!["to"]!.GetValue<string>() == "Evaluating");
        }
    }

    [Fact]
    public async Task PostBundle_TransactionWithOneInvalidClaim_Answers422AndStoresNothing()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var bundle = Bundle("transaction", Claim("CLM-T-1"), InvalidClaim("CLM-T-2"), Claim("CLM-T-3"));

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        var expressions = Expressions(outcome);
        Assert.Contains("Bundle.entry[1].resource.status", expressions);
        Assert.Contains("Bundle.entry[1].resource.patient", expressions);
        Assert.DoesNotContain(expressions, e => e.StartsWith("Bundle.entry[0]", StringComparison.Ordinal));
        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Theory]
    [InlineData("batch")]
    [InlineData("collection")]
    public async Task PostBundle_BatchOrCollectionWithOneInvalidClaim_AcceptsTheOthersOnTheirOwn(string type)
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var bundle = Bundle(type, Claim("CLM-B-1"), InvalidClaim("CLM-B-2"), Claim("CLM-B-3"));

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("batch-response", body["type"]!.GetValue<string>());
        var entries = ResponseEntries(body);
        Assert.Equal(["202 Accepted", "422 Unprocessable Entity", "202 Accepted"], entries.Select(e => e["status"]!.GetValue<string>()));
        Assert.Null(entries[1]["location"]);
        Assert.Equal("OperationOutcome", entries[1]["outcome"]!["resourceType"]!.GetValue<string>());
        Assert.Contains("Bundle.entry[1].resource.status", Expressions(entries[1]["outcome"]!));
        var rows = await ClaimRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(new[] { ClaimIdOf(entries[0]), ClaimIdOf(entries[2]) }.Order(), rows.Keys.Order());
    }

    [Fact]
    public async Task PostBundle_SameTransactionTwice_AnswersTheSameClaims()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var bundle = Bundle("transaction", Claim("CLM-R-1"), Claim("CLM-R-2"));

        using var first = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));
        using var second = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var firstIds = ResponseEntries(JsonNode.Parse(await first.Content.ReadAsStringAsync())!).Select(ClaimIdOf);
        var secondEntries = ResponseEntries(JsonNode.Parse(await second.Content.ReadAsStringAsync())!);
        Assert.Equal(firstIds, secondEntries.Select(ClaimIdOf));
        Assert.Equal(2, (await ClaimRowsAsync(app.Storage, tenant.Tenant)).Count);
    }

    [Fact]
    public async Task PostBundle_ClaimPostedAloneBefore_AnswersTheSameClaim()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        using var alone = await client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(Claim("CLM-D-1").ToJsonString()));
        var aloneId = JsonNode.Parse(await alone.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("batch", Claim("CLM-D-1"))));

        var entry = Assert.Single(ResponseEntries(JsonNode.Parse(await response.Content.ReadAsStringAsync())!));
        Assert.Equal("202 Accepted", entry["status"]!.GetValue<string>());
        Assert.Equal(aloneId, ClaimIdOf(entry));
        Assert.Single(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Fact]
    public async Task PostBundle_IdempotencyKeyHeader_KeysEachEntryByIndex()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        client.DefaultRequestHeaders.Add("Idempotency-Key", "upload-42");

        // Same claims under the header: entry #0 and #1 are distinct keys even with one Claim.identifier.
        using var first = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("batch", Claim("CLM-H-1"), Claim("CLM-H-1"))));
        using var swapped = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("batch", Claim("CLM-H-1"), Claim("CLM-H-2"))));

        var firstEntries = ResponseEntries(JsonNode.Parse(await first.Content.ReadAsStringAsync())!);
        Assert.Equal(2, firstEntries.Select(ClaimIdOf).Distinct().Count());
        var swappedEntries = ResponseEntries(JsonNode.Parse(await swapped.Content.ReadAsStringAsync())!);
        Assert.Equal("202 Accepted", swappedEntries[0]["status"]!.GetValue<string>());
        Assert.Equal(ClaimIdOf(firstEntries[0]), ClaimIdOf(swappedEntries[0]));
        Assert.Equal("409 Conflict", swappedEntries[1]["status"]!.GetValue<string>());
        Assert.Equal("conflict", swappedEntries[1]["outcome"]!["issue"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostBundle_TransactionReusingAKeyWithOtherContent_Answers409AndCommitsNothing()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        using var earlier = await client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(Claim("CLM-C-1").ToJsonString()));
        var earlierId = JsonNode.Parse(await earlier.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
        var changed = Claim("CLM-C-1");
        changed["created"] = "2026-11-22";

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("transaction", Claim("CLM-C-2"), changed)));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal(["Bundle.entry[1]"], Expressions(outcome));
        var rows = await ClaimRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(2, rows.Count);
        Assert.NotEqual("Staged", rows[earlierId]);
        Assert.Single(rows, r => r.Value == "Staged");
    }

    [Fact]
    public async Task PostBundle_TransactionRetriedAfterConflictFixed_CommitsTheStagedClaim()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        using var earlier = await client.PostAsync("/api/fhir/Claim", ClaimFlowTests.FhirBody(Claim("CLM-F-1").ToJsonString()));
        var changed = Claim("CLM-F-1");
        changed["created"] = "2026-11-22";
        var pending = Claim("CLM-F-2");
        using var refused = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("transaction", pending, changed)));
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);

        using var retried = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("transaction", pending, Claim("CLM-F-3"))));

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        var entries = ResponseEntries(JsonNode.Parse(await retried.Content.ReadAsStringAsync())!);
        var rows = await ClaimRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(3, rows.Count);
        Assert.DoesNotContain("Staged", rows.Values);
        Assert.All(entries, e => Assert.Contains(ClaimIdOf(e), rows.Keys));
    }

    [Fact]
    public async Task PostBundle_TransactionOverTheClaimLimit_Answers422TooCostly()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var claims = Enumerable.Range(1, 101).Select(i => Claim($"CLM-L-{i}")).ToArray();

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("transaction", claims)));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var issue = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["issue"]![0]!;
        Assert.Equal("too-costly", issue["code"]!.GetValue<string>());
        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"transaction","entry":[""", HttpStatusCode.BadRequest)]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Basic","code":{"text":"x"}}}]}""", HttpStatusCode.UnprocessableEntity)]
    [InlineData("""{"resourceType":"Claim","status":"active"}""", HttpStatusCode.UnprocessableEntity)]
    public async Task PostBundle_UnusableBundle_Answers4xxOperationOutcome(string body, HttpStatusCode expected)
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(body));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostBundle_WrongContentType_Answers415()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir", new StringContent(Bundle("batch", Claim("CLM-X-1")), Encoding.UTF8, "application/xml"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("not-supported", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["issue"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostBundle_BodyOverTheLimit_Answers413()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var claims = Enumerable.Range(1, 600).Select(i => Claim($"CLM-S-{i}")).ToArray();
        var bundle = Bundle("batch", claims);
        Assert.True(bundle.Length > 1024 * 1024);

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(bundle));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Fact]
    public async Task PostBundle_IngestRoleRequired_Answers401WithoutKey()
    {
        await app.NewTenantAsync();
        using var client = Client(null);

        using var response = await client.PostAsync("/api/fhir", ClaimFlowTests.FhirBody(Bundle("batch", Claim("CLM-A-1"))));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task GetMetadata_Anonymous_AnswersCapabilityStatement()
    {
        await app.NewTenantAsync();
        using var client = Client(null);

        using var response = await client.GetAsync("/api/fhir/metadata");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var statement = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("CapabilityStatement", statement["resourceType"]!.GetValue<string>());
        Assert.Equal("4.0.1", statement["fhirVersion"]!.GetValue<string>());
        Assert.EndsWith("/api/fhir", statement["implementation"]!["url"]!.GetValue<string>(), StringComparison.Ordinal);
        var interactions = statement["rest"]![0]!["interaction"]!.AsArray().Select(i => i!["code"]!.GetValue<string>());
        Assert.Equal(["transaction", "batch"], interactions);
    }

    private static async Task<JsonNode> WaitUntilPastReceivedAsync(HttpClient client, string claimId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await client.GetAsync($"/api/claims/{claimId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var claim = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (claim["status"]!.GetValue<string>() is not ("Received" or "Evaluating") || DateTime.UtcNow > deadline)
            {
                return claim;
            }

            await Task.Delay(100);
        }
    }

    internal static List<string> Expressions(JsonNode outcome) =>
        outcome["issue"]!.AsArray().SelectMany(i => i!["expression"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []).ToList();

    private HttpClient Client(string? key) => app.ClientWithKey(key);
}
