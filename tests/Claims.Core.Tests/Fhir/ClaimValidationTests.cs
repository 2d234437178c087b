using System.Text;
using System.Text.Json.Nodes;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>One invalid fixture per validation rule, asserting the issue code and the exact FHIRPath expression.</summary>
public sealed class ClaimValidationTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    public static TheoryData<string, Action<JsonObject>, string, string> InvalidClaims => new()
    {
        // JSON format rules
        { "unknown property", c => c["colour"] = "red", "structure", "Claim.colour" },
        { "unknown property in a datatype", c => c.Item(0)["net"]!["amount"] = 1, "structure", "Claim.item[0].net.amount" },
        { "object where 0..* needs an array", c => c["identifier"] = Obj("""{ "value": "X" }"""), "structure", "Claim.identifier" },
        { "array where 0..1", c => c["type"] = new JsonArray(Obj("""{ "text": "x" }""")), "structure", "Claim.type" },
        { "empty string", c => c.Item(0)["productOrService"]!["text"] = "", "invalid", "Claim.item[0].productOrService.text" },
        { "empty array", c => c.Item(0)["modifier"] = new JsonArray(), "invalid", "Claim.item[0].modifier" },
        { "empty object", c => c["billablePeriod"] = new JsonObject(), "invalid", "Claim.billablePeriod" },
        { "null", c => c["created"] = null, "invalid", "Claim.created" },
        { "null in an array", c => c.Item(0)["careTeamSequence"] = new JsonArray(1, null), "invalid", "Claim.item[0].careTeamSequence[1]" },
        { "bad id", c => c["id"] = "prof_1", "value", "Claim.id" },
        { "bad contained id", c => c["contained"]![0]!["id"] = "p a t", "value", "Claim.contained[0].id" },
        { "bad date", c => c.Item(0)["servicedDate"] = "2025-02-30", "value", "Claim.item[0].servicedDate" },
        { "dateTime without time zone", c => c["created"] = "2025-12-02T10:15:00", "value", "Claim.created" },
        { "decimal as a string", c => c.Item(0)["net"]!["value"] = "120.00", "structure", "Claim.item[0].net.value" },
        { "positiveInt zero", c => c.Item(0)["sequence"] = 0, "value", "Claim.item[0].sequence" },
        { "code with double space", c => c["status"] = "act  ive", "value", "Claim.status" },
        { "code outside required value set", c => c["use"] = "bill", "code-invalid", "Claim.use" },
        { "status outside its required value set", c => c["status"] = "bogus", "code-invalid", "Claim.status" },
        { "status in the wrong case", c => c["status"] = "Active", "code-invalid", "Claim.status" },
        { "contained Coverage status outside its value set", c => c["contained"]![1]!["status"] = "current", "code-invalid", "Claim.contained[1].status" },
        { "datatype code outside its value set", c => c["identifier"]![0]!["use"] = "primary", "code-invalid", "Claim.identifier[0].use" },
        { "code inside an extension's value", c => c["extension"] = new JsonArray(Obj("""{ "url": "http://example.org/x", "valueIdentifier": { "use": "main", "value": "1" } }""")), "code-invalid", "Claim.extension[0].valueIdentifier.use" },
        { "two of one choice", c => c.Item(0)["servicedPeriod"] = Obj("""{ "start": "2025-12-01" }"""), "structure", "Claim.item[0].servicedPeriod" },
        { "bad primitive extension", c => c["_status"] = Obj("""{ "value": "x" }"""), "structure", "Claim._status.value" },
        { "unknown resourceType inside", c => c["contained"]![0]!["resourceType"] = "Pateint", "structure", "Claim.contained[0]" },

        // Claim rules
        { "status missing", c => c.Remove("status"), "required", "Claim.status" },
        { "use missing", c => c.Remove("use"), "required", "Claim.use" },
        { "created missing", c => c.Remove("created"), "required", "Claim.created" },
        { "type missing", c => c.Remove("type"), "required", "Claim.type" },
        { "patient missing", c => c.Remove("patient"), "required", "Claim.patient" },
        { "provider missing", c => c.Remove("provider"), "required", "Claim.provider" },
        { "priority missing", c => c.Remove("priority"), "required", "Claim.priority" },
        { "insurance missing", c => c.Remove("insurance"), "required", "Claim.insurance" },
        { "insurance sequence missing", c => c["insurance"]![0]!.AsObject().Remove("sequence"), "required", "Claim.insurance[0].sequence" },
        { "insurance focal missing", c => c["insurance"]![0]!.AsObject().Remove("focal"), "required", "Claim.insurance[0].focal" },
        { "insurance coverage missing", c => c["insurance"]![0]!.AsObject().Remove("coverage"), "required", "Claim.insurance[0].coverage" },
        { "no focal insurance", c => c["insurance"]![0]!["focal"] = false, "invariant", "Claim.insurance" },
        {
            "two focal insurances",
            c => c["insurance"]!.AsArray().Add(Obj("""{ "sequence": 2, "focal": true, "coverage": { "display": "Other" } }""")),
            "invariant", "Claim.insurance"
        },
        { "duplicate item sequence", c => c.Item(1)["sequence"] = 1, "duplicate", "Claim.item[1].sequence" },
        { "duplicate diagnosis sequence", c => c["diagnosis"]![1]!["sequence"] = 1, "duplicate", "Claim.diagnosis[1].sequence" },
        { "diagnosis without code", c => c["diagnosis"]![1]!.AsObject().Remove("diagnosisCodeableConcept"), "required", "Claim.diagnosis[1]" },
        { "item links a missing diagnosis", c => c.Item(0)["diagnosisSequence"] = new JsonArray(1, 9), "invariant", "Claim.item[0].diagnosisSequence[1]" },
        { "contained reference not found", c => c["patient"]!["reference"] = "#nobody", "not-found", "Claim.patient" },
        { "urn:uuid reference not found", c => c["provider"]!["reference"] = "urn:uuid:4b0e2a0c-1d7c-4f6e-9a51-2f0f3c7d9e11", "not-found", "Claim.provider" },
        { "careTeam reference not found", c => c["careTeam"]![0]!["provider"]!["reference"] = "#nobody", "not-found", "Claim.careTeam[0].provider" },
        { "coverage reference not found", c => c["insurance"]![0]!["coverage"]!["reference"] = "#nothing", "not-found", "Claim.insurance[0].coverage" },
        { "reference to the wrong type", c => c["patient"]!["reference"] = "#cov", "invalid", "Claim.patient" },
        { "careTeam provider of the wrong type", c => c["careTeam"]![0]!["provider"]!["reference"] = "#cov", "invalid", "Claim.careTeam[0].provider" },
        { "coverage of the wrong type", c => c["insurance"]![0]!["coverage"]!["reference"] = "#pat", "invalid", "Claim.insurance[0].coverage" },
        { "item location of the wrong type", c => c.Item(1)["locationReference"] = Obj("""{ "reference": "#pat" }"""), "invalid", "Claim.item[1].locationReference" },
        { "nested contained reference not found", c => c["contained"]![1]!["payor"]![0]!["reference"] = "#gone", "not-found", "Claim.contained[1].payor[0]" },
        {
            "reference not found in an unmodelled resource",
            c => c["contained"]!.AsArray().Add(Obj("""{ "resourceType": "Device", "id": "dev", "note": [{ "text": "x", "authorReference": { "reference": "#nobody" } }] }""")),
            "not-found", "Claim.contained[5].note[0].authorReference"
        },

        // Billing checks
        { "NPI check digit", c => c["contained"]![4]!["identifier"]![0]!["value"] = "1245319590", "value", "Claim.contained[4].identifier[0].value" },
        { "NPI length", c => c["contained"]![3]!["identifier"]![0]!["value"] = "12345", "value", "Claim.contained[3].identifier[0].value" },
        { "NPI on a reference identifier", c => c["provider"] = Obj("""{ "identifier": { "system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567890" } }"""), "value", "Claim.provider.identifier.value" },
        { "CPT format", c => c.Item(0)["productOrService"]!["coding"]![0]!["code"] = "9715", "code-invalid", "Claim.item[0].productOrService.coding[0].code" },
        { "CPT lowercase", c => c.Item(0)["productOrService"]!["coding"]![0]!["code"] = "0001f", "code-invalid", "Claim.item[0].productOrService.coding[0].code" },
        {
            "HCPCS format",
            c => c.Item(1)["productOrService"] = Obj("""{ "coding": [{ "system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "Z1234" }] }"""),
            "code-invalid", "Claim.item[1].productOrService.coding[0].code"
        },
        { "ICD-10-CM format", c => c["diagnosis"]![0]!["diagnosisCodeableConcept"]!["coding"]![0]!["code"] = "U07", "code-invalid", "Claim.diagnosis[0].diagnosisCodeableConcept.coding[0].code" },
        { "service date in the future", c => c.Item(0)["servicedDate"] = "2026-01-16", "business-rule", "Claim.item[0].servicedDate" },
        { "service period in the future", c => c.Item(1)["servicedPeriod"]!["start"] = "2026-03-01", "business-rule", "Claim.item[1].servicedPeriod.start" },
        { "negative net", c => c.Item(0)["net"]!["value"] = -120, "value", "Claim.item[0].net.value" },
        { "negative unit price", c => c.Item(0)["unitPrice"]!["value"] = -1, "value", "Claim.item[0].unitPrice.value" },
        { "negative total", c => c["total"]!["value"] = -181, "value", "Claim.total.value" },
        { "total differs from the items", c => c["total"]!["value"] = 181.02, "business-rule", "Claim.total" },
    };

    [Theory]
    [MemberData(nameof(InvalidClaims))]
    public void ReadClaim_RuleBroken_InvalidWithCodeAndExpression(string rule, Action<JsonObject> change, string code, string expression)
    {
        var result = FhirIntake.ReadClaim(ClaimFixtures.With(change), Today);

        Assert.True(result.Status == IntakeStatus.Invalid, rule);
        Assert.Null(result.Document);
        Assert.Contains(result.Outcome.Issues, i => i.Code == code && i.Expression == expression && i.Severity == IssueSeverity.Error);
    }

    [Fact]
    public void ReadClaim_ValidFixture_AcceptedWithoutIssues()
    {
        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim), Today);

        Assert.Equal(IntakeStatus.Accepted, result.Status);
        Assert.Empty(result.Outcome.Issues);
        Assert.Equal("prof-1", result.Document!.ClaimResourceId);
        Assert.Equal("http://clinic.example.org/claims|CLM-1001", result.Document.IdempotencyIdentifier);
    }

    public static TheoryData<string, Action<JsonObject>> ValidVariants => new()
    {
        { "relative reference outside the payload", c => c["patient"] = Obj("""{ "reference": "Patient/123" }""") },
        { "absolute reference outside the payload", c => c["provider"] = Obj("""{ "reference": "https://ehr.example.org/fhir/Organization/9" }""") },
        { "conditional reference outside the payload", c => c["provider"] = Obj("""{ "reference": "Organization?identifier=http://x.org|5" }""") },
        { "logical reference", c => c["insurance"]![0]!["coverage"] = Obj("""{ "identifier": { "system": "http://payer.example.org", "value": "C-1" } }""") },
        { "display-only coverage", c => c["insurance"]![0]!["coverage"] = Obj("""{ "display": "Blue Cross Blue Shield" }""") },
        { "primitive extension", c => c["_status"] = Obj("""{ "extension": [{ "url": "http://example.org/x", "valueString": "y" }] }""") },
        { "extension and modifierExtension", c => c.Item(0)["modifierExtension"] = JsonNode.Parse("""[{ "url": "http://example.org/m", "valueBoolean": true }]""") },
        { "repeating primitive with nulls aligned", c => { c.Item(0)["careTeamSequence"] = new JsonArray(1, null); c.Item(0)["_careTeamSequence"] = JsonNode.Parse("""[null, { "extension": [{ "url": "http://example.org/a", "valueCode": "x" }] }]"""); } },
        { "partial dates", c => c["billablePeriod"] = Obj("""{ "start": "2025-12", "end": "2025" }""") },
        { "service date today", c => c.Item(0)["servicedDate"] = "2026-01-15" },
        { "total within a cent", c => c["total"]!["value"] = 181.01 },
        { "ICD-10-CM without a dot", c => c["diagnosis"]![0]!["diagnosisCodeableConcept"]!["coding"]![0]!["code"] = "F840" },
        { "CPT category II", c => c.Item(0)["productOrService"]!["coding"]![0]!["code"] = "0001F" },
        { "other code systems not checked", c => c.Item(0)["productOrService"] = Obj("""{ "coding": [{ "system": "http://snomed.info/sct", "code": "410620009" }] }""") },
    };

    [Theory]
    [MemberData(nameof(ValidVariants))]
    public void ReadClaim_AllowedVariant_Accepted(string variant, Action<JsonObject> change)
    {
        var result = FhirIntake.ReadClaim(ClaimFixtures.With(change), Today);

        Assert.True(result.Status == IntakeStatus.Accepted, variant + ": " + SharedDataIntakeTests.Describe(result.Outcome));
    }

    [Fact]
    public void ReadClaim_SeveralProblems_AllReportedAtOnce()
    {
        var bytes = ClaimFixtures.With(c =>
        {
            c.Remove("status");
            c["id"] = "bad id";
            c.Item(0)["productOrService"]!["coding"]![0]!["code"] = "123";
            c.Item(1)["sequence"] = 1;
            c["patient"]!["reference"] = "#missing";
            c["unexpected"] = true;
        });

        var result = FhirIntake.ReadClaim(bytes, Today);

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        var found = result.Outcome.Issues.Select(i => (i.Code, i.Expression)).ToHashSet();
        Assert.Superset(
            new HashSet<(string, string?)>
            {
                ("required", "Claim.status"), ("value", "Claim.id"), ("code-invalid", "Claim.item[0].productOrService.coding[0].code"),
                ("duplicate", "Claim.item[1].sequence"), ("not-found", "Claim.patient"), ("structure", "Claim.unexpected"),
            },
            found);
    }

    [Fact]
    public void ReadClaim_IcdUnderWhoSystem_AcceptedWithWarning()
    {
        var bytes = ClaimFixtures.With(c => c["diagnosis"]![0]!["diagnosisCodeableConcept"]!["coding"]![0] = Obj("""{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "123457" }"""));

        var result = FhirIntake.ReadClaim(bytes, Today);

        Assert.Equal(IntakeStatus.Accepted, result.Status);
        var issue = Assert.Single(result.Outcome.Issues);
        Assert.Equal((IssueSeverity.Warning, "code-invalid"), (issue.Severity, issue.Code));
    }

    [Fact]
    public void ReadClaim_TooManyItems_TooCostly()
    {
        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim), Today, new IntakeOptions { MaxClaimItems = 1 });

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Contains(result.Outcome.Issues, i => i.Code == "too-costly" && i.Expression == "Claim.item");
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("{\"resourceType\":\"Claim\",}")]
    [InlineData("{\"resourceType\":\"Claim\"} {}")]
    [InlineData("{\"resourceType\":\"Claim\",\"id\":\"a\",\"id\":\"b\"}")]
    [InlineData("[]")]
    [InlineData("\"Claim\"")]
    [InlineData("{\"resourceType\":\"Claim\" /* comment */}")]
    public void ReadClaim_NotAJsonObject_Malformed(string body)
    {
        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(body), Today);

        Assert.Equal(IntakeStatus.Malformed, result.Status);
        Assert.Equal("structure", Assert.Single(result.Outcome.Issues).Code);
    }

    [Fact]
    public void ReadClaim_InvalidUtf8_Malformed()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"resourceType\":\"Claim\",\"id\":\"x\"}");
        bytes[30] = 0xFF;

        var result = FhirIntake.ReadClaim(bytes, Today);

        Assert.Equal(IntakeStatus.Malformed, result.Status);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(100_000)]
    public void ReadClaim_DepthBomb_MalformedNotCrashed(int depth)
    {
        var body = "{\"resourceType\":\"Claim\",\"extension\":" + new string('[', depth) + new string(']', depth) + "}";

        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(body), Today);
        var bundle = FhirIntake.ReadBundle(Encoding.UTF8.GetBytes(body), Today);

        Assert.Equal(IntakeStatus.Malformed, result.Status);
        Assert.Equal(IntakeStatus.Malformed, bundle.Status);
    }

    [Theory]
    [InlineData("{\"id\":\"x\"}", "Resource")]
    [InlineData("{\"resourceType\":\"Claimz\"}", "Resource")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"x\"}", "Patient")]
    public void ReadClaim_NotAClaim_InvalidStructure(string body, string expression)
    {
        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(body), Today);

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Contains(result.Outcome.Issues, i => i.Code == "structure" && i.Expression == expression);
    }

    [Theory]
    [InlineData("1234567893", true)]
    [InlineData("1245319599", true)]
    [InlineData("1234567890", false)]
    [InlineData("123456789", false)]
    [InlineData("12345678a3", false)]
    public void IsNpi_KnownNumbers_MatchesCheckDigit(string npi, bool expected) => Assert.Equal(expected, FhirFormats.IsNpi(npi));

    [Theory]
    [InlineData("2024-02-29", true)]
    [InlineData("2023-02-29", false)]
    [InlineData("2024", true)]
    [InlineData("2024-13", false)]
    [InlineData("0000", false)]
    public void IsDate_Values_FollowR4(string value, bool expected) => Assert.Equal(expected, FhirFormats.IsDate(value));

    [Theory]
    [InlineData("2024-02-29T10:00:00Z", true)]
    [InlineData("2024-02-29T10:00:00.123+14:00", true)]
    [InlineData("2024-02-29T10:00Z", false)]
    [InlineData("2024-02-29T10:00:00", false)]
    [InlineData("2024-02-29 10:00:00Z", false)]
    public void IsDateTime_Values_FollowR4(string value, bool expected) => Assert.Equal(expected, FhirFormats.IsDateTime(value));
}
