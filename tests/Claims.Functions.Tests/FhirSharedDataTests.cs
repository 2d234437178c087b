using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Testing;
using static Claims.Functions.Tests.FhirRequests;

namespace Claims.Functions.Tests;

/// <summary>
/// The HTTP doors against ../shared/data: every official R4 example Claim, every Synthea patient Bundle and every HL7
/// validator invalid case. Synthea Bundles are ~1 MB (one is over the 1 MiB default), so this app allows 4 MiB.
/// </summary>
[Collection(AppCollection.Name)]
public sealed class FhirSharedDataTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private const string Examples = "fhir-r4-examples/google-fhir-npm";

    private readonly AppFactory app = new(azurite, new Dictionary<string, string?> { ["Intake:MaxBodyBytes"] = (4 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture) });

    public static IEnumerable<object[]> OfficialClaims => SharedData.Files(Examples, "Claim-*.json");

    public static IEnumerable<object[]> SyntheaPatients => SharedData.Files("synthea", "*_*.json");

    public static IEnumerable<object[]> InvalidCases =>
        SharedData.Files("fhir-invalid", "*.json").Where(f => (string)f[0] != "validator-manifest.json");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [SharedDataTheory]
    [MemberData(nameof(OfficialClaims))]
    public async Task PostClaim_OfficialExample_Answers202(string file)
    {
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir/Claim", Body(SharedData.ReadBytes(Examples, file)));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        var claimId = JsonNode.Parse(text)!["claimId"]!.GetValue<string>();
        Assert.Equal([claimId], (await ClaimRowsAsync(app.Storage, tenant.Tenant)).Keys);
    }

    [SharedDataTheory]
    [MemberData(nameof(SyntheaPatients))]
    public async Task PostBundle_SyntheaPatient_EveryClaimEntry202(string file)
    {
        var bytes = SharedData.ReadBytes("synthea", file);
        using var sent = JsonDocument.Parse(bytes);
        var claimUrls = sent.RootElement.GetProperty("entry").EnumerateArray()
            .Where(e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "Claim")
            .Select(e => e.GetProperty("fullUrl").GetString())
            .ToList();
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        using var response = await client.PostAsync("/api/fhir", Body(bytes));

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text.Length > 2000 ? text[..2000] : text);
        var answer = JsonNode.Parse(text)!;
        Assert.Equal("transaction-response", answer["type"]!.GetValue<string>());
        Assert.Equal(claimUrls, answer["entry"]!.AsArray().Select(e => e!["fullUrl"]!.GetValue<string>()));
        var entries = ResponseEntries(answer);
        Assert.All(entries, e => Assert.Equal("202 Accepted", e["status"]!.GetValue<string>()));
        var rows = await ClaimRowsAsync(app.Storage, tenant.Tenant);
        Assert.Equal(entries.Select(ClaimIdOf).Order(), rows.Keys.Order());
        Assert.DoesNotContain("Staged", rows.Values);
    }

    [SharedDataTheory]
    [MemberData(nameof(InvalidCases))]
    public async Task PostClaimAndBundle_ValidatorInvalidCase_Answers4xxOperationOutcome(string file)
    {
        var bytes = SharedData.ReadBytes("fhir-invalid", file);
        var tenant = await app.NewTenantAsync();
        using var client = Client(tenant.IngestKey);

        foreach (var route in new[] { "/api/fhir/Claim", "/api/fhir" })
        {
            using var response = await client.PostAsync(route, Body(bytes));

            var status = (int)response.StatusCode;
            Assert.True(status is >= 400 and < 500, $"{route}: {status}");
            Assert.Equal("application/fhir+json", response.Content.Headers.ContentType?.MediaType);
            var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
            Assert.Contains(outcome["issue"]!.AsArray(), i => i!["severity"]!.GetValue<string>() is "error" or "fatal");
        }

        Assert.Empty(await ClaimRowsAsync(app.Storage, tenant.Tenant));
    }

    private static ByteArrayContent Body(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/fhir+json");
        return content;
    }

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }
}
