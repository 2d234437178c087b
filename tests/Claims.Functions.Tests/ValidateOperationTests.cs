using System.Net;
using System.Text.Json.Nodes;
using Claims.Testing;
using static Claims.Functions.Tests.FhirRequests;

namespace Claims.Functions.Tests;

/// <summary>$validate on Claim and at system level (a Bundle), against the real app and Azurite: answers, never stores.</summary>
[Collection(AppCollection.Name)]
public sealed class ValidateOperationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task ValidateClaim_ValidClaim_200AllOkAndNothingStored()
    {
        var (tenant, response, outcome) = await ValidateAsync(ClaimPath, Claim("CLM-V-1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
        var issue = Assert.Single(outcome["issue"]!.AsArray())!;
        Assert.Equal(("information", "informational"), (issue["severity"]!.GetValue<string>(), issue["code"]!.GetValue<string>()));
        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Fact]
    public async Task ValidateClaim_InvalidClaim_200WithIntakeAndInvariantIssuesAtFhirPaths()
    {
        var claim = Claim("CLM-V-2");
        claim["status"] = "bogus";
        claim["billablePeriod"] = new JsonObject { ["start"] = "2025-12-02", ["end"] = "2025-12-01" };

        var (tenant, response, outcome) = await ValidateAsync(ClaimPath, claim);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var issues = outcome["issue"]!.AsArray();
        Assert.Contains(issues, i => Is(i!, "code-invalid", "Claim.status"));

        // per-1 (start <= end) is an invariant of the R4 definitions, known only to the full validator.
        Assert.Contains(issues, i => Is(i!, "invariant", "Claim.billablePeriod"));
        Assert.DoesNotContain(FhirBundleTests.Expressions(outcome), e => e.EndsWith("[0]", StringComparison.Ordinal) && e.Contains("billablePeriod", StringComparison.Ordinal));
        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Fact]
    public async Task ValidateClaim_InParameters_SameIssuesAsPostedDirectly()
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var claim = Claim("CLM-V-3");
        claim["status"] = "Active";
        var parameters = new JsonObject
        {
            ["resourceType"] = "Parameters",
            ["parameter"] = new JsonArray(new JsonObject { ["name"] = "mode", ["valueCode"] = "create" }, new JsonObject { ["name"] = "resource", ["resource"] = claim.DeepClone() }),
        };

        using var direct = await client.PostAsync("/api/fhir/Claim/$validate", ClaimFlowTests.FhirBody(claim.ToJsonString()));
        using var wrapped = await client.PostAsync("/api/fhir/Claim/$validate", ClaimFlowTests.FhirBody(parameters.ToJsonString()));

        Assert.Equal(HttpStatusCode.OK, wrapped.StatusCode);
        Assert.Equal(await direct.Content.ReadAsStringAsync(), await wrapped.Content.ReadAsStringAsync());
        Assert.Contains((await OutcomeAsync(wrapped))["issue"]!.AsArray(), i => Is(i!, "code-invalid", "Claim.status"));
    }

    [Theory]
    [InlineData("""{ "resourceType": "Parameters", "parameter": [{ "name": "mode", "valueCode": "create" }] }""")]
    [InlineData("""{ "resourceType": "Claim", "status": "active",, }""")]
    public async Task ValidateClaim_NothingToValidate_400(string body)
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir/Claim/$validate", ClaimFlowTests.FhirBody(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationOutcome", (await OutcomeAsync(response))["resourceType"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("null in an array")]
    [InlineData("resourceType a number")]
    [InlineData("resourceType an array")]
    public async Task ValidateClaim_ContentTheValidatorCannotRead_200WithTheIntakeIssues(string what)
    {
        var claim = Claim("CLM-V-7");
        if (what == "null in an array")
        {
            claim["identifier"]!.AsArray().Insert(0, null);
        }
        else
        {
            claim["resourceType"] = what == "resourceType a number" ? 1 : new JsonArray();
        }

        var (_, response, outcome) = await ValidateAsync(ClaimPath, claim);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(outcome["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() == "error");
    }

    [Fact]
    public async Task ValidateBundle_BatchWithOneInvalidClaim_200IssuesOfThatEntryOnlyAndNothingStored()
    {
        var invalid = InvalidClaim("CLM-V-5");
        invalid["billablePeriod"] = new JsonObject { ["start"] = "2025-12-02", ["end"] = "2025-12-01" };

        var (tenant, response, outcome) = await ValidateAsync("/api/fhir/$validate", JsonNode.Parse(Bundle("batch", Claim("CLM-V-4"), invalid))!);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expressions = FhirBundleTests.Expressions(outcome);
        Assert.Contains("Bundle.entry[1].resource.status", expressions);
        Assert.Contains("Bundle.entry[1].resource.billablePeriod", expressions);
        Assert.DoesNotContain(expressions, e => e.StartsWith("Bundle.entry[0]", StringComparison.Ordinal));
        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    [Theory]
    [InlineData("/api/fhir/Claim/$validate")]
    [InlineData("/api/fhir/$validate")]
    public async Task Validate_WithoutKey_401(string path)
    {
        using var client = Client(null);

        using var response = await client.PostAsync(path, ClaimFlowTests.FhirBody(Claim("CLM-V-6").ToJsonString()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task GetMetadata_ListsValidateOnClaimAndSystem()
    {
        using var client = Client(null);

        using var response = await client.GetAsync("/api/fhir/metadata");

        var rest = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["rest"]![0]!;
        const string Definition = "http://hl7.org/fhir/OperationDefinition/Resource-validate";
        Assert.Equal(Definition, rest["operation"]![0]!["definition"]!.GetValue<string>());
        Assert.Equal(("validate", Definition), (rest["resource"]![0]!["operation"]![0]!["name"]!.GetValue<string>(), rest["resource"]![0]!["operation"]![0]!["definition"]!.GetValue<string>()));
    }

    private const string ClaimPath = "/api/fhir/Claim/$validate";

    /// <summary>Posts <paramref name="resource"/> to <paramref name="path"/> with a new tenant's ingest key.</summary>
    private async Task<(TestTenant Tenant, HttpResponseMessage Response, JsonNode Outcome)> ValidateAsync(string path, JsonNode resource)
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);
        var response = await client.PostAsync(path, ClaimFlowTests.FhirBody(resource.ToJsonString()));
        return (tenant, response, await OutcomeAsync(response));
    }

    private static bool Is(JsonNode issue, string code, string expression) =>
        issue["code"]!.GetValue<string>() == code && issue["expression"]?.AsArray().Any(e => e!.GetValue<string>() == expression) == true;

    private static async Task<JsonNode> OutcomeAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private HttpClient Client(string? key) => app.ClientWithKey(key);
}
