using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>Bundle intake (POST /fhir) and the resources the service writes (OperationOutcome, CapabilityStatement, responses).</summary>
public sealed class BundleIntakeTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    [Fact]
    public void ReadBundle_ClaimWithBrokenReference_OnlyThatClaimInvalidWithEntryExpressions()
    {
        var bundle = ClaimDocumentTests.ExternalResourcesBundle();
        var second = JsonNode.Parse(bundle["entry"]![0]!.ToJsonString())!.AsObject();
        second["fullUrl"] = "urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9";
        second["resource"]!["patient"]!["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000";
        bundle["entry"]!.AsArray().Add(second);

        var result = FhirIntake.ReadBundle(bundle.Bytes(), Today);

        Assert.Equal(IntakeStatus.Accepted, result.Status);
        Assert.Equal([0, 6], result.Claims.Select(c => c.EntryIndex));
        Assert.Equal(IntakeStatus.Accepted, result.Claims[0].Result.Status);
        Assert.Equal(IntakeStatus.Invalid, result.Claims[1].Result.Status);
        Assert.Contains(result.Claims[1].Result.Outcome.Issues, i => i.Code == "not-found" && i.Expression == "Bundle.entry[6].resource.patient");
    }

    [Fact]
    public void ReadBundle_ReferencedCoverageStatusOutsideItsBinding_ClaimInvalidAtTheEntry()
    {
        var bundle = ClaimDocumentTests.ExternalResourcesBundle();
        bundle["entry"]![2]!["resource"]!["status"] = "current";

        var result = FhirIntake.ReadBundle(bundle.Bytes(), Today);

        var claim = Assert.Single(result.Claims).Result;
        Assert.Equal(IntakeStatus.Invalid, claim.Status);
        Assert.Contains(claim.Outcome.Issues, i => i.Code == "code-invalid" && i.Expression == "Bundle.entry[2].resource.status");
    }

    [Fact]
    public void ReadBundle_InvalidReferencedResource_ReportedOnTheClaimThatUsesIt()
    {
        var bundle = ClaimDocumentTests.ExternalResourcesBundle();
        bundle["entry"]![1]!["resource"]!["birthDate"] = "1980-13-01";

        var result = FhirIntake.ReadBundle(bundle.Bytes(), Today);

        var claim = Assert.Single(result.Claims).Result;
        Assert.Equal(IntakeStatus.Invalid, claim.Status);
        Assert.Contains(claim.Outcome.Issues, i => i.Code == "value" && i.Expression == "Bundle.entry[1].resource.birthDate");
    }

    [Fact]
    public void ReadBundle_InvalidUnrelatedResource_WarningOnly()
    {
        var bundle = ClaimDocumentTests.ExternalResourcesBundle();
        bundle["entry"]![5]!["resource"]!["code"]!["text"] = "";

        var result = FhirIntake.ReadBundle(bundle.Bytes(), Today);

        Assert.Equal(IntakeStatus.Accepted, result.Status);
        Assert.Equal(IntakeStatus.Accepted, Assert.Single(result.Claims).Result.Status);
        var warning = Assert.Single(result.Outcome.Issues);
        Assert.Equal((IssueSeverity.Warning, "Bundle.entry[5].resource.code.text"), (warning.Severity, warning.Expression));
    }

    [Fact]
    public void ReadBundle_AmbiguousConditionalReference_MultipleMatches()
    {
        var bundle = ClaimDocumentTests.ExternalResourcesBundle();
        var twin = JsonNode.Parse(bundle["entry"]![3]!.ToJsonString())!.AsObject();
        twin["fullUrl"] = "urn:uuid:7e6d5c4b-3a29-4817-9605-f4e3d2c1b0a9";
        bundle["entry"]!.AsArray().Add(twin);

        var result = FhirIntake.ReadBundle(bundle.Bytes(), Today);

        Assert.Contains(Assert.Single(result.Claims).Result.Outcome.Issues, i => i.Code == "multiple-matches" && i.Expression == "Bundle.entry[2].resource.payor[0]");
    }

    [Theory]
    [InlineData("""{"resourceType":"Bundle","type":"searchset","entry":[]}""", "not-supported", "Bundle.type")]
    [InlineData("""{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient"}}]}""", "required", "Bundle.type")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Patient"}}]}""", "required", "Bundle.entry")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":[{"fullUrl":"Claim/1","resource":{"resourceType":"Claim"}}]}""", "value", "Bundle.entry[0].fullUrl")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Clam"}}]}""", "structure", "Bundle.entry[0].resource")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","total":1,"entry":[{"resource":{"resourceType":"Patient"}}]}""", "required", "Bundle.entry")]
    [InlineData("""{"resourceType":"Bundle","type":"batch","entries":[]}""", "structure", "Bundle.entries")]
    [InlineData("""{"resourceType":"Claim"}""", "structure", "Claim")]
    public void ReadBundle_UnusableBundle_Invalid(string json, string code, string expression)
    {
        var result = FhirIntake.ReadBundle(Encoding.UTF8.GetBytes(json), Today);

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Empty(result.Claims);
        Assert.Contains(result.Outcome.Issues, i => i.Code == code && i.Expression == expression);
    }

    [Fact]
    public void ReadBundle_TooManyEntries_TooCostly()
    {
        var result = FhirIntake.ReadBundle(ClaimDocumentTests.ExternalResourcesBundle().Bytes(), Today, new IntakeOptions { MaxBundleEntries = 5 });

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Equal(("too-costly", "Bundle.entry"), (result.Outcome.Issues[0].Code, result.Outcome.Issues[0].Expression));
    }

    [Fact]
    public void Serialize_Outcome_FhirOperationOutcome()
    {
        var outcome = new OperationOutcome([
            OutcomeIssue.Error("required", "Claim.status is required.", "Claim.status"),
            new OutcomeIssue(IssueSeverity.Warning, "code-invalid", "ICD-10 format.")]);

        using var json = JsonDocument.Parse(FhirJson.Serialize(outcome));

        var root = json.RootElement;
        Assert.Equal("OperationOutcome", root.GetProperty("resourceType").GetString());
        var first = root.GetProperty("issue")[0];
        Assert.Equal(("error", "required", "Claim.status"), (first.GetProperty("severity").GetString(), first.GetProperty("code").GetString(), first.GetProperty("expression")[0].GetString()));
        Assert.False(root.GetProperty("issue")[1].TryGetProperty("expression", out _));
        Assert.Equal("warning", root.GetProperty("issue")[1].GetProperty("severity").GetString());
    }

    [Fact]
    public void CapabilityStatement_Server_ClaimCreateAndSystemTransactionBatch()
    {
        var bytes = FhirJson.CapabilityStatement("https://claims.example.org/api/fhir", "1.2.3", new DateTimeOffset(2026, 1, 15, 8, 0, 0, TimeSpan.Zero));

        using var json = JsonDocument.Parse(bytes);
        var root = json.RootElement;
        Assert.Equal(("CapabilityStatement", "4.0.1", "2026-01-15T08:00:00+00:00"), (root.GetProperty("resourceType").GetString(), root.GetProperty("fhirVersion").GetString(), root.GetProperty("date").GetString()));
        var rest = root.GetProperty("rest")[0];
        Assert.Equal("server", rest.GetProperty("mode").GetString());
        Assert.Equal("create", rest.GetProperty("resource")[0].GetProperty("interaction")[0].GetProperty("code").GetString());
        Assert.Equal(["transaction", "batch"], rest.GetProperty("interaction").EnumerateArray().Select(i => i.GetProperty("code").GetString()));
    }

    [Fact]
    public void BatchResponse_Entries_StatusLocationAndOutcome()
    {
        var bytes = FhirJson.BatchResponse("batch-response", [
            new BundleResponseEntry("202 Accepted", "/api/claims/0123456789abcdef0123456789abcdef", null),
            new BundleResponseEntry("422 Unprocessable Entity", null, OperationOutcome.Single("required", "Claim.status is required.", "Bundle.entry[1].resource.status")),
        ]);

        using var json = JsonDocument.Parse(bytes);
        var entries = json.RootElement.GetProperty("entry");
        Assert.Equal("batch-response", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("/api/claims/0123456789abcdef0123456789abcdef", entries[0].GetProperty("response").GetProperty("location").GetString());
        Assert.Equal("OperationOutcome", entries[1].GetProperty("response").GetProperty("outcome").GetProperty("resourceType").GetString());
        Assert.Throws<ArgumentException>(() => FhirJson.BatchResponse("searchset", []));
    }

    [Fact]
    public void BatchResponse_EntryWithFullUrl_EchoesItBesideTheResponse()
    {
        var bytes = FhirJson.BatchResponse("transaction-response", [
            new BundleResponseEntry("202 Accepted", "/api/claims/0123456789abcdef0123456789abcdef", null, "urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9"),
            new BundleResponseEntry("202 Accepted", "/api/claims/fedcba9876543210fedcba9876543210", null),
        ]);

        using var json = JsonDocument.Parse(bytes);
        var entries = json.RootElement.GetProperty("entry");
        Assert.Equal("urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", entries[0].GetProperty("fullUrl").GetString());
        Assert.False(entries[1].TryGetProperty("fullUrl", out _));
    }

    [Fact]
    public void ClaimJson_SameClaimAloneOrInBundleWithOtherWhitespace_SameBytes()
    {
        var claim = ClaimFixtures.Claim();
        var alone = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(claim.ToJsonString(new JsonSerializerOptions { WriteIndented = true })), Today);
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "batch",
            ["entry"] = new JsonArray(new JsonObject { ["fullUrl"] = "urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", ["resource"] = claim.DeepClone() }),
        };
        var inBundle = FhirIntake.ReadBundle(bundle.Bytes(), Today);

        Assert.Equal(IntakeStatus.Accepted, alone.Status);
        var fromBundle = Assert.Single(inBundle.Claims).Result.Document!;
        Assert.Equal(alone.Document!.ClaimJson(), fromBundle.ClaimJson());
        claim["created"] = "2025-12-31";
        Assert.NotEqual(alone.Document.ClaimJson(), FhirIntake.ReadClaim(claim.Bytes(), Today).Document!.ClaimJson());
    }
}
