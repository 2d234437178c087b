using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Claims.Application.Storage;
using Claims.Testing;

namespace Claims.Functions.Tests;

/// <summary>The walking skeleton end to end: webhook → blob + row + queue → RulesEngine → ClaimPipeline → outbound.</summary>
[Collection(AppCollection.Name)]
public sealed class ClaimFlowTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task PostClaim_SampleAbaClaim_IsSubmittedOnceWithOneOutboundFile()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        // A new tenant runs the starter rule set, which holds an ABA claim without an authorization on file: this
        // walk-through of the submit path runs under an empty rule set (version 2).
        using (var admin = Client(tenant.AdminKey))
        using (var emptied = await RulesApiTests.PutAsync(admin, """{ "rules": [] }""", "\"1\""))
        {
            Assert.Equal(HttpStatusCode.OK, emptied.StatusCode);
        }

        using var response = await client.PostAsync("/api/fhir/Claim", FhirBody(SampleClaims.AbaTherapy()));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var claimId = body["claimId"]!.GetValue<string>();
        Assert.Equal("Received", body["status"]!.GetValue<string>());
        Assert.Equal($"/api/claims/{claimId}", response.Content.Headers.ContentLocation?.OriginalString ?? response.Headers.GetValues("Content-Location").Single());

        var claim = await WaitForStatusAsync(client, claimId, "Submitted");
        var path = claim["history"]!.AsArray().Select(h => h!["to"]!.GetValue<string>()).ToArray();
        Assert.Equal(["Received", "Evaluating", "Submitting", "Submitted"], path);
        Assert.Equal("2", claim["ruleSetVersion"]!.GetValue<string>());

        var outbound = new List<string>();
        await foreach (var name in app.Storage.Container(StorageNames.OutboundContainer).ListBlobNamesAsync(tenant.Tenant.Value + "/"))
        {
            outbound.Add(name);
        }

        Assert.Equal([$"{tenant.Tenant.Value}/{claimId}.json"], outbound);
        var submitted = await app.Storage.Container(StorageNames.OutboundContainer).DownloadAsync(outbound[0]);
        var bundle = JsonNode.Parse(submitted!.Content)!;
        Assert.Equal("Bundle", bundle["resourceType"]!.GetValue<string>());
        Assert.Equal("Claim", bundle["entry"]![0]!["resource"]!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostClaim_SameClaimTwice_ReturnsTheSameClaimAndStoresOne()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var claim = SampleClaims.AbaTherapy();

        using var first = await client.PostAsync("/api/fhir/Claim", FhirBody(claim));
        using var second = await client.PostAsync("/api/fhir/Claim", FhirBody(claim));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        var firstId = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
        var secondId = JsonNode.Parse(await second.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
        Assert.Equal(firstId, secondId);
        Assert.Equal("true", second.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task PostClaim_SameIdempotencyKeyDifferentClaim_Answers409()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        client.DefaultRequestHeaders.Add("Idempotency-Key", "batch-7-line-1");

        using var first = await client.PostAsync("/api/fhir/Claim", FhirBody(SampleClaims.AbaTherapy()));
        using var second = await client.PostAsync("/api/fhir/Claim", FhirBody(SampleClaims.AbaTherapy(identifier: "CLM-OTHER")));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("OperationOutcome", JsonNode.Parse(await second.Content.ReadAsStringAsync())!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task PostClaim_MalformedJson_Answers400WithOperationOutcome()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir/Claim", FhirBody("""{"resourceType":"Claim","status": """));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.NotEmpty(outcome["issue"]!.AsArray());
    }

    [Fact]
    public async Task PostClaim_InvalidClaim_Answers422NamingEachProblem()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var claim = JsonNode.Parse(SampleClaims.AbaTherapy())!;
        claim.AsObject().Remove("status");
        claim.AsObject().Remove("patient");

        using var response = await client.PostAsync("/api/fhir/Claim", FhirBody(claim.ToJsonString()));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var expressions = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["issue"]!.AsArray()
            .SelectMany(i => i!["expression"]?.AsArray().Select(e => e!.GetValue<string>()) ?? [])
            .ToList();
        Assert.Contains("Claim.status", expressions);
        Assert.Contains("Claim.patient", expressions);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-key", HttpStatusCode.Unauthorized)]
    public async Task PostClaim_MissingOrUnknownKey_Answers401(string? key, HttpStatusCode expected)
    {
        await app.NewTenantAsync();
        using var client = Client(key);

        using var response = await client.PostAsync("/api/fhir/Claim", FhirBody(SampleClaims.AbaTherapy()));

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PostClaim_WrongContentType_Answers415()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir/Claim", new StringContent(SampleClaims.AbaTherapy(), Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task PostClaim_BodyOverTheLimit_Answers413()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var huge = "{\"resourceType\":\"Claim\",\"text\":{\"status\":\"generated\",\"div\":\"" + new string('x', 1_100_000) + "\"}}";

        using var response = await client.PostAsync("/api/fhir/Claim", FhirBody(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task GetClaim_AnotherTenantsClaim_Answers404()
    {
        var owner = await app.NewTenantAsync();
        var other = await app.NewTenantAsync();
        using var ownerClient = Client(owner.IngestKey);
        using var posted = await ownerClient.PostAsync("/api/fhir/Claim", FhirBody(SampleClaims.AbaTherapy()));
        var claimId = JsonNode.Parse(await posted.Content.ReadAsStringAsync())!["claimId"]!.GetValue<string>();
        using var otherClient = Client(other.IngestKey);

        using var response = await otherClient.GetAsync($"/api/claims/{claimId}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Health_StorageUp_Answers200Healthy()
    {
        await app.NewTenantAsync();
        using var client = Client(null);

        using var response = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
    }

    internal static StringContent FhirBody(string json) => new(json, new MediaTypeHeaderValue("application/fhir+json"));

    internal static async Task<JsonNode> WaitForStatusAsync(HttpClient client, string claimId, string status)
    {
        JsonNode? last = null;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync($"/api/claims/{claimId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            last = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            if (last["status"]!.GetValue<string>() == status)
            {
                return last;
            }

            await Task.Delay(100);
        }

        throw new Xunit.Sdk.XunitException($"Claim {claimId} did not reach {status}; last seen: {last?.ToJsonString()}");
    }

    private HttpClient Client(string? key)
    {
        var client = app.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", key);
        }

        return client;
    }
}
