using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Testing;

namespace Claims.Core.Tests.Fhir;

/// <summary>Mapping to ClaimFacts, storage as a collection Bundle, and write-back of rule changes.</summary>
public sealed class ClaimDocumentTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static ClaimDocument Accept(byte[] json)
    {
        var result = FhirIntake.ReadClaim(json, Today);
        Assert.True(result.Status == IntakeStatus.Accepted, SharedDataIntakeTests.Describe(result.Outcome));
        return result.Document!;
    }

    [Fact]
    public void ToFacts_ProfessionalFixture_MapsEveryCatalogField()
    {
        var facts = Accept(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim)).ToFacts("ehr_webhook");

        Assert.Equal(("professional", "claim", "normal"), (facts.Type, facts.Use, facts.Priority));
        Assert.Equal(181.00m, facts.Total);
        Assert.Equal(new DateOnly(2025, 12, 2), facts.Created);
        Assert.Equal(new DateOnly(2025, 12, 1), facts.ServiceDate);
        Assert.Equal("ehr_webhook", facts.SubmittedVia);
        Assert.Equal(("female", new DateOnly(1980, 2, 29), "MA"), (facts.PatientGender, facts.PatientBirthDate, facts.PatientState));
        Assert.Equal("MRN-42", facts.PatientIdentifier);
        Assert.Equal(("BCBSMA", "Blue Cross Blue Shield of Massachusetts"), (facts.PayerId, facts.PayerName));
        Assert.Equal("MEM-7", facts.MemberId);
        Assert.Equal((ClaimFixtures.BillingNpi, ClaimFixtures.RenderingNpi), (facts.ProviderNpi, facts.RenderingNpi));
        Assert.Equal(["AUTH-1001"], facts.PreAuthRefs.AsEnumerable());
        Assert.Equal(2, facts.Items.Length);
        Assert.Equal((1, "97153", 8m, 120.00m, "11"), (facts.Items[0].Sequence, facts.Items[0].Codes.Single(), facts.Items[0].Units, facts.Items[0].Charge, facts.Items[0].PlaceOfService.Single()));
        Assert.Equal(["HN"], facts.Items[1].Modifiers.AsEnumerable());
        Assert.Equal(new DateOnly(2025, 12, 1), facts.Items[1].ServiceDate);
        Assert.Equal([(1, "F84.0"), (2, "Z13.41")], facts.Diagnoses.Select(d => (d.Sequence, d.Codes.Single())));
    }

    [Fact]
    public void Claim_AcceptedDocument_IsTheTypedFirelyModel()
    {
        var document = Accept(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim));

        var claim = document.Claim;

        Assert.Equal("97153", claim.Item[0].ProductOrService.Coding[0].Code);
        Assert.Equal(Hl7.Fhir.Model.FinancialResourceStatusCodes.Active, claim.Status);
        Assert.Equal("2025-12-01", Assert.IsType<Hl7.Fhir.Model.Date>(claim.Item[0].Serviced).Value);
        Assert.IsType<Hl7.Fhir.Model.Patient>(claim.Contained[0]);
        Assert.Empty(document.Included);
    }

    [Fact]
    public void WithFacts_Changed_LeavesTheOriginalDocumentAsItWas()
    {
        var document = Accept(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim));
        var before = document.ToBundleJson();

        var changed = document.WithFacts(document.ToFacts("api") with { Priority = "stat", ProviderNpi = "1245319599" });

        Assert.Equal(before, document.ToBundleJson());
        Assert.Equal(("normal", "stat"), (document.ToFacts("api").Priority, changed.ToFacts("api").Priority));
    }

    [Fact]
    public void ReadDocument_ClaimNestedToTheIntakeLimit_ReadsBack()
    {
        // 30 nested extensions: 61 levels as posted, 64 inside the stored Bundle (within MaxDepth 64 at intake).
        JsonNode extension = new JsonObject { ["url"] = "http://example.org/x", ["valueString"] = "deep" };
        for (var i = 1; i < 30; i++)
        {
            extension = new JsonObject { ["url"] = "http://example.org/x", ["extension"] = new JsonArray(extension) };
        }

        var document = Accept(ClaimFixtures.With(c => c["extension"] = new JsonArray(extension)));

        var back = FhirIntake.ReadDocument(document.ToBundleJson());

        Assert.Equal(document.ToFacts("api").Total, back.ToFacts("api").Total);
        Assert.Single(back.Claim.Extension);
    }

    [Fact]
    public void ToFacts_ChargeWithoutNet_UnitPriceTimesQuantity()
    {
        var facts = Accept(ClaimFixtures.With(c =>
        {
            c.Item(1).Remove("net");
            c.Remove("total");
        })).ToFacts("api");

        Assert.Equal(61.00m, facts.Items[1].Charge);
        Assert.Null(facts.Total);
    }

    [SharedDataFact]
    public void ToFacts_Cms1500Example_PayerItemsAndDiagnoses()
    {
        var facts = Accept(SharedData.ReadBytes("fhir-r4-examples/google-fhir-npm", "Claim-MED-00050.json")).ToFacts("api");

        Assert.Equal(("institutional", "claim", "normal"), (facts.Type, facts.Use, facts.Priority));
        Assert.Equal(("123456", "Humana Inc."), (facts.PayerId, facts.PayerName));
        Assert.Equal("10138556", facts.MemberId);
        Assert.Equal(("female", new DateOnly(1954, 6, 11), "OR"), (facts.PatientGender, facts.PatientBirthDate, facts.PatientState));
        Assert.Null(facts.ProviderNpi); // Organization/1 is not in the payload and the reference has no NPI identifier
        var item = Assert.Single(facts.Items);
        Assert.Equal(("62264", 12500.0m, "24", new DateOnly(2015, 10, 13)), (item.Codes.Single(), item.Charge, item.PlaceOfService.Single(), item.ServiceDate));
        Assert.Equal(["M96.1", "G89.4", "M53.88", "M47.816"], facts.Diagnoses.Select(d => d.Codes.Single()));
        Assert.Equal(12500.0m, facts.Total);
        Assert.Equal(new DateOnly(2015, 10, 13), facts.ServiceDate);
    }

    [Fact]
    public void ToBundleJson_ReadDocument_SameFacts()
    {
        var document = Accept(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim));

        var stored = document.ToBundleJson();
        var back = FhirIntake.ReadDocument(stored);

        using var bundle = JsonDocument.Parse(stored);
        Assert.Equal("collection", bundle.RootElement.GetProperty("type").GetString());
        Assert.Equal("Claim", bundle.RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("resourceType").GetString());
        AssertSameFacts(document.ToFacts("api"), back.ToFacts("api"));
        Assert.Equal(document.IdempotencyIdentifier, back.IdempotencyIdentifier);
        Assert.Equal(IntakeStatus.Accepted, FhirIntake.ReadBundle(stored, Today).Claims.Single().Result.Status);
    }

    [Fact]
    public void ToBundleJson_BundleClaim_KeepsReferencedEntriesAndTheirFullUrls()
    {
        var bundle = ExternalResourcesBundle();
        var entry = FhirIntake.ReadBundle(bundle.Bytes(), Today).Claims.Single();
        var document = entry.Result.Document!;

        var stored = FhirIntake.ReadDocument(document.ToBundleJson());

        Assert.Equal(4, document.ReferencedResourceCount); // Patient, Coverage, payer Organization (via Coverage), Practitioner
        var facts = stored.ToFacts("batch_import");
        Assert.Equal(("P-77", "male", "PAYER-9", "Acme Health", ClaimFixtures.RenderingNpi), (facts.PatientIdentifier, facts.PatientGender, facts.PayerId, facts.PayerName, facts.ProviderNpi));
        using var json = JsonDocument.Parse(document.ToBundleJson());
        var urls = json.RootElement.GetProperty("entry").EnumerateArray().Select(e => e.TryGetProperty("fullUrl", out var u) ? u.GetString() : null).ToList();
        Assert.Contains("urn:uuid:0b5c2a9e-7d4e-4f71-9a43-7f6f4a3c2b10", urls);
        Assert.DoesNotContain("urn:uuid:9d5f0f6c-6d8f-4a77-b0a4-52b7d1c3e8aa", urls); // the unrelated Observation
    }

    [Fact]
    public void WithFacts_ModifierPlaceOfServiceAndPriority_WrittenAndReadBack()
    {
        var document = Accept(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim));
        var facts = document.ToFacts("api");
        var changed = facts with
        {
            Priority = "stat",
            Items = [facts.Items[0] with { Modifiers = ["95"], PlaceOfService = ["02"] }, facts.Items[1] with { Modifiers = [] }],
        };

        var updated = document.WithFacts(changed);
        var stored = updated.ToBundleJson();
        var back = FhirIntake.ReadDocument(stored).ToFacts("api");

        AssertSameFacts(changed, back);
        using var json = JsonDocument.Parse(stored);
        var item = json.RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("item")[0];
        var modifier = item.GetProperty("modifier")[0].GetProperty("coding")[0];
        Assert.Equal(("http://www.ama-assn.org/go/cpt", "95"), (modifier.GetProperty("system").GetString(), modifier.GetProperty("code").GetString()));
        Assert.Equal("02", item.GetProperty("locationCodeableConcept").GetProperty("coding")[0].GetProperty("code").GetString());
        Assert.False(json.RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("item")[1].TryGetProperty("modifier", out _));
        Assert.Equal("normal", document.ToFacts("api").Priority); // the original is unchanged
        Assert.Equal(IntakeStatus.Accepted, FhirIntake.ReadBundle(stored, Today).Claims.Single().Result.Status);
    }

    [Fact]
    public void WithFacts_AddedModifierKeepsExistingSystem()
    {
        var document = Accept(ClaimFixtures.With(c => c.Item(1)["modifier"]![0]!["coding"]![0]!["system"] = "http://example.org/modifiers"));
        var facts = document.ToFacts("api");

        var updated = document.WithFacts(facts with { Items = [facts.Items[0], facts.Items[1] with { Modifiers = ["HN", "95"] }] });

        using var json = JsonDocument.Parse(updated.ToBundleJson());
        var modifiers = json.RootElement.GetProperty("entry")[0].GetProperty("resource").GetProperty("item")[1].GetProperty("modifier");
        Assert.Equal("http://example.org/modifiers", modifiers[1].GetProperty("coding")[0].GetProperty("system").GetString());
        Assert.Equal(["HN", "95"], updated.ToFacts("api").Items[1].Modifiers.AsEnumerable());
    }

    [Fact]
    public void WithFacts_PayerAndNpis_WrittenToResolvedResources()
    {
        var document = Accept(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim));
        var changed = document.ToFacts("api") with
        {
            PayerId = "HUMANA",
            PayerName = "Humana",
            ProviderNpi = "1245319599",
            RenderingNpi = "1234567893",
        };

        var back = FhirIntake.ReadDocument(document.WithFacts(changed).ToBundleJson()).ToFacts("api");

        AssertSameFacts(changed, back);
    }

    [Fact]
    public void WithFacts_DisplayOnlyCoverageAndNoCareTeam_PayerOnInsurerAndRenderingAdded()
    {
        var document = Accept(ClaimFixtures.With(c =>
        {
            c["insurance"]![0]!["coverage"] = JsonNode.Parse("""{ "display": "Medicaid" }""");
            c.Remove("careTeam");
            c.Item(0).Remove("careTeamSequence");
            c["provider"] = JsonNode.Parse("""{ "reference": "Organization/ext" }""");
        }));
        var before = document.ToFacts("api");
        Assert.Equal(("Medicaid", null, null, null), (before.PayerName, before.PayerId, before.RenderingNpi, before.ProviderNpi));
        var changed = before with { PayerId = "MCD-MA", PayerName = "MassHealth", RenderingNpi = "1245319599", ProviderNpi = "1234567893" };

        var updated = document.WithFacts(changed);
        var stored = updated.ToBundleJson();

        AssertSameFacts(changed, FhirIntake.ReadDocument(stored).ToFacts("api"));
        Assert.Equal(IntakeStatus.Accepted, FhirIntake.ReadBundle(stored, Today).Claims.Single().Result.Status);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"resourceType\":\"Claim\"}")]
    [InlineData("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":{\"resourceType\":\"Patient\"}}]}")]
    public void ReadDocument_Corrupt_FormatException(string json) =>
        Assert.Throws<FormatException>(() => FhirIntake.ReadDocument(Encoding.UTF8.GetBytes(json)));

    internal static JsonObject ExternalResourcesBundle()
    {
        var claim = ClaimFixtures.Claim();
        claim.Remove("contained");
        claim["patient"] = JsonNode.Parse("""{ "reference": "urn:uuid:0b5c2a9e-7d4e-4f71-9a43-7f6f4a3c2b10" }""");
        claim["provider"] = JsonNode.Parse("""{ "reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1245319599" }""");
        claim["careTeam"]![0]!["provider"] = JsonNode.Parse("""{ "reference": "Practitioner/doc-1" }""");
        claim["insurance"]![0]!["coverage"] = JsonNode.Parse("""{ "reference": "Coverage/cov-1" }""");
        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "transaction",
            ["entry"] = new JsonArray(
                Entry("urn:uuid:6a7e0d1b-3f0c-4f43-8f1a-1c2d3e4f5a6b", claim, "Claim"),
                Entry("urn:uuid:0b5c2a9e-7d4e-4f71-9a43-7f6f4a3c2b10", JsonNode.Parse("""{ "resourceType": "Patient", "identifier": [{ "value": "P-77" }], "gender": "male" }""")!, "Patient"),
                Entry("https://ehr.example.org/fhir/Coverage/cov-1", JsonNode.Parse("""{ "resourceType": "Coverage", "id": "cov-1", "status": "active", "beneficiary": { "reference": "urn:uuid:0b5c2a9e-7d4e-4f71-9a43-7f6f4a3c2b10" }, "payor": [{ "reference": "Organization?identifier=http://payers.example.org|PAYER-9" }] }""")!, "Coverage"),
                Entry("urn:uuid:3c0a8f6e-2b1d-4e5f-8a9b-0c1d2e3f4a5b", JsonNode.Parse("""{ "resourceType": "Organization", "identifier": [{ "system": "http://payers.example.org", "value": "PAYER-9" }], "name": "Acme Health" }""")!, "Organization"),
                Entry("https://ehr.example.org/fhir/Practitioner/doc-1", JsonNode.Parse("""{ "resourceType": "Practitioner", "id": "doc-1", "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599" }] }""")!, "Practitioner"),
                Entry("urn:uuid:9d5f0f6c-6d8f-4a77-b0a4-52b7d1c3e8aa", JsonNode.Parse("""{ "resourceType": "Observation", "status": "final", "code": { "text": "x" } }""")!, "Observation")),
        };
    }

    private static JsonObject Entry(string fullUrl, JsonNode resource, string type) => new()
    {
        ["fullUrl"] = fullUrl,
        ["resource"] = resource,
        ["request"] = new JsonObject { ["method"] = "POST", ["url"] = type },
    };

    private static void AssertSameFacts(ClaimFacts expected, ClaimFacts actual)
    {
        Assert.Equal((expected.Type, expected.Use, expected.Priority, expected.Total, expected.Created, expected.ServiceDate),
            (actual.Type, actual.Use, actual.Priority, actual.Total, actual.Created, actual.ServiceDate));
        Assert.Equal((expected.PatientGender, expected.PatientBirthDate, expected.PatientState, expected.PatientIdentifier),
            (actual.PatientGender, actual.PatientBirthDate, actual.PatientState, actual.PatientIdentifier));
        Assert.Equal((expected.PayerId, expected.PayerName, expected.MemberId, expected.ProviderNpi, expected.RenderingNpi),
            (actual.PayerId, actual.PayerName, actual.MemberId, actual.ProviderNpi, actual.RenderingNpi));
        Assert.Equal(expected.PreAuthRefs.AsEnumerable(), actual.PreAuthRefs.AsEnumerable());
        Assert.Equal(expected.Items.Length, actual.Items.Length);
        foreach (var (e, a) in expected.Items.Zip(actual.Items))
        {
            Assert.Equal((e.Sequence, e.Units, e.Charge, e.ServiceDate), (a.Sequence, a.Units, a.Charge, a.ServiceDate));
            Assert.Equal(e.Codes.AsEnumerable(), a.Codes.AsEnumerable());
            Assert.Equal(e.Modifiers.AsEnumerable(), a.Modifiers.AsEnumerable());
            Assert.Equal(e.PlaceOfService.AsEnumerable(), a.PlaceOfService.AsEnumerable());
        }

        Assert.Equal(expected.Diagnoses.Select(d => (d.Sequence, string.Join(',', d.Codes))), actual.Diagnoses.Select(d => (d.Sequence, string.Join(',', d.Codes))));
    }
}
