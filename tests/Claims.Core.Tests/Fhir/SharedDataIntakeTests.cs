using System.Text.Json;
using Claims.Core.Fhir;
using Claims.Testing;

namespace Claims.Core.Tests.Fhir;

/// <summary>Intake against the official HL7 R4 examples, Synthea Bundles and the HL7 validator's invalid cases.</summary>
public sealed class SharedDataIntakeTests
{
    private const string Examples = "fhir-r4-examples/google-fhir-npm";
    private static readonly DateOnly Today = new(2026, 1, 15);

    public static IEnumerable<object[]> OfficialClaims => SharedData.Files(Examples, "Claim-*.json");

    public static IEnumerable<object[]> OfficialClaimsStripped => SharedData.Files("fhir-r4-examples/fhir_models", "claim-*.json");

    public static IEnumerable<object[]> SyntheaPatients =>
        SharedData.Files("synthea", "*.json").Where(f => !((string)f[0]).Contains("Information", StringComparison.Ordinal));

    public static IEnumerable<object[]> InvalidCases => SharedData.Files("fhir-invalid", "*.json").Where(f => (string)f[0] != "validator-manifest.json");

    [SharedDataTheory]
    [MemberData(nameof(OfficialClaims))]
    public void ReadClaim_OfficialExample_Accepted(string file)
    {
        var result = FhirIntake.ReadClaim(SharedData.ReadBytes(Examples, file), Today);

        Assert.True(result.Status == IntakeStatus.Accepted, Describe(result.Outcome));
        Assert.NotNull(result.Document);
        var facts = result.Document.ToFacts("api");
        Assert.NotEmpty(facts.Items);
        Assert.NotNull(facts.Type);
    }

    [SharedDataTheory]
    [MemberData(nameof(OfficialClaimsStripped))]
    public void ReadClaim_OfficialExampleWithoutNarrative_Accepted(string file)
    {
        var result = FhirIntake.ReadClaim(SharedData.ReadBytes("fhir-r4-examples/fhir_models", file), Today);

        Assert.True(result.Status == IntakeStatus.Accepted, Describe(result.Outcome));
    }

    [SharedDataTheory]
    [InlineData("Patient-example.json")]
    [InlineData("Coverage-9876B1.json")]
    [InlineData("Organization-1.json")]
    [InlineData("Organization-2.json")]
    [InlineData("Practitioner-example.json")]
    public void ReadClaim_OfficialOtherResource_RefusedOnlyForItsType(string file)
    {
        var result = FhirIntake.ReadClaim(SharedData.ReadBytes(Examples, file), Today);

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        var issue = Assert.Single(result.Outcome.Issues);
        Assert.Equal("structure", issue.Code);
        Assert.StartsWith("Expected a Claim", issue.Diagnostics, StringComparison.Ordinal);
    }

    [SharedDataFact]
    public void ReadBundle_OfficialTransactionBundle_ValidButHoldsNoClaim()
    {
        var result = FhirIntake.ReadBundle(SharedData.ReadBytes(Examples, "Bundle-bundle-transaction.json"), Today);

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Equal("transaction", result.BundleType);
        var issue = Assert.Single(result.Outcome.Issues);
        Assert.Equal(("required", "Bundle.entry"), (issue.Code, issue.Expression));
    }

    [SharedDataFact]
    public void ReadBundle_OfficialExamplesAsCollection_EveryClaimAcceptedWithReferencesResolved()
    {
        // All official examples in one collection Bundle: Claim references such as Patient/1 and Coverage/9876B1 resolve.
        var folder = SharedData.PathOf(Examples);
        var files = Directory.GetFiles(folder, "*.json").Where(f => !f.EndsWith("package.json", StringComparison.Ordinal) && !f.Contains("Bundle-", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var entries = files.Select(f =>
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(f));
            var type = doc.RootElement.GetProperty("resourceType").GetString();
            var id = doc.RootElement.GetProperty("id").GetString();
            return $"{{\"fullUrl\":\"http://example.org/fhir/{type}/{id}\",\"resource\":{doc.RootElement.GetRawText()}}}";
        });
        var bundle = System.Text.Encoding.UTF8.GetBytes($"{{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{string.Join(',', entries)}]}}");

        var result = FhirIntake.ReadBundle(bundle, Today);

        Assert.True(result.Status == IntakeStatus.Accepted, Describe(result.Outcome));
        Assert.Equal(17, result.Claims.Count);
        Assert.All(result.Claims, c => Assert.True(c.Result.Status == IntakeStatus.Accepted, Describe(c.Result.Outcome)));
        var oral = result.Claims.Single(c => c.FullUrl == "http://example.org/fhir/Claim/100150").Result.Document!;
        var facts = oral.ToFacts("batch_import");
        Assert.NotNull(facts.PayerName);
        Assert.True(oral.ReferencedResourceCount >= 3);
    }

    [SharedDataTheory]
    [MemberData(nameof(SyntheaPatients))]
    public void ReadBundle_SyntheaPatient_EveryClaimAcceptedWithFacts(string file)
    {
        var bytes = SharedData.ReadBytes("synthea", file);
        using var raw = JsonDocument.Parse(bytes);
        var claimCount = raw.RootElement.GetProperty("entry").EnumerateArray().Count(e => e.GetProperty("resource").GetProperty("resourceType").GetString() == "Claim");

        var result = FhirIntake.ReadBundle(bytes, Today);

        Assert.True(result.Status == IntakeStatus.Accepted, Describe(result.Outcome));
        Assert.Equal("transaction", result.BundleType);
        Assert.InRange(claimCount, 33, 79);
        Assert.Equal(claimCount, result.Claims.Count);
        foreach (var entry in result.Claims)
        {
            Assert.True(entry.Result.Status == IntakeStatus.Accepted, $"entry {entry.EntryIndex}: {Describe(entry.Result.Outcome)}");
            var facts = entry.Result.Document!.ToFacts("ehr_webhook");
            Assert.NotNull(facts.ServiceDate);
            Assert.NotEmpty(facts.Items);
            Assert.All(facts.Items, i => Assert.NotEmpty(i.Codes));
            Assert.NotNull(facts.PatientIdentifier);
            Assert.NotNull(facts.PatientBirthDate);
            Assert.NotNull(facts.PayerName);
            Assert.StartsWith("urn:uuid:", entry.FullUrl, StringComparison.Ordinal);
        }
    }

    [SharedDataTheory]
    [MemberData(nameof(InvalidCases))]
    public void ReadClaimAndReadBundle_ValidatorInvalidCase_RefusedWithLocation(string file)
    {
        var bytes = SharedData.ReadBytes("fhir-invalid", file);

        var claim = FhirIntake.ReadClaim(bytes, Today);
        var bundle = FhirIntake.ReadBundle(bytes, Today);

        Assert.NotEqual(IntakeStatus.Accepted, claim.Status);
        Assert.NotEqual(IntakeStatus.Accepted, bundle.Status);
        Assert.True(claim.Outcome.HasErrors);
        Assert.All(claim.Outcome.Issues.Concat(bundle.Outcome.Issues), i =>
            Assert.True(i.Expression is not null || i.Diagnostics.Contains(" at line ", StringComparison.Ordinal), i.Diagnostics));
    }

    [SharedDataTheory]
    [InlineData("ai3.json", "structure", "Patient.unknownElement")]
    [InlineData("ai4.json", "value", "Patient.birthDate")]
    [InlineData("json-comments.json", "structure", "Patient.fhir_comments")]
    [InlineData("patient-id-bad-1.json", "value", "Patient.id")]
    [InlineData("patient-id-bad-2.json", "value", "Patient.id")]
    [InlineData("patient-id-bad-3.json", "value", "Patient.id")]
    [InlineData("resource-invalid-id-1.json", "value", "Location.id")]
    [InlineData("resource-invalid-id-2.json", "value", "Location.id")]
    [InlineData("resource-invalid-id-3.json", "value", "Location.contained[0].id")]
    [InlineData("contained-resource.json", "value", "Condition.contained[0].id")]
    [InlineData("empty-array.json", "invalid", "DocumentReference.category[0].coding")]
    [InlineData("Observation-ex-pain.json", "structure", "Observation._valueInteger.value")]
    [InlineData("hakan-se.json", "not-found", "MedicationRequest.requester")]
    [InlineData("bundle-duplicate-id.json", "value", "Bundle.entry[0].fullUrl")]
    public void ReadClaimOrBundle_ValidatorInvalidCase_ReportsTheOfficialLocation(string file, string code, string expression)
    {
        var bytes = SharedData.ReadBytes("fhir-invalid", file);

        var issues = FhirIntake.ReadClaim(bytes, Today).Outcome.Issues.Concat(FhirIntake.ReadBundle(bytes, Today).Outcome.Issues);

        Assert.Contains(issues, i => i.Code == code && i.Expression == expression);
    }

    [SharedDataTheory]
    [InlineData("bad-json-close-1.json")]
    [InlineData("bad-json-close-2.json")]
    [InlineData("bad-json-close-3.json")]
    public void ReadBundle_BrokenJson_Malformed(string file)
    {
        var result = FhirIntake.ReadBundle(SharedData.ReadBytes("fhir-invalid", file), Today);

        Assert.Equal(IntakeStatus.Malformed, result.Status);
        var issue = Assert.Single(result.Outcome.Issues);
        Assert.Equal((IssueSeverity.Fatal, "structure"), (issue.Severity, issue.Code));
        Assert.Contains(" at line ", issue.Diagnostics, StringComparison.Ordinal);
    }

    internal static string Describe(OperationOutcome outcome) =>
        string.Join("; ", outcome.Issues.Select(i => $"{i.Severity} {i.Code} {i.Expression}: {i.Diagnostics}"));
}
