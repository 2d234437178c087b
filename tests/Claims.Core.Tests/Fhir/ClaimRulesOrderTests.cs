using System.Text.Json.Nodes;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// Every Claim rule broken at once: each issue, its severity and expression, in the order the rules report them
/// (insurance, sequences, choices, items with their details, diagnosis codes, total, billable period).
/// </summary>
public sealed class ClaimRulesOrderTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static JsonNode Node(string json) => JsonNode.Parse(json)!;

    private static void BreakEveryRule(JsonObject c)
    {
        c["careTeam"]!.AsArray().Add(Node("""{ "sequence": 1, "provider": { "display": "Other" } }"""));
        c["supportingInfo"] = Node("""
            [{ "sequence": 4, "category": { "text": "info" } }, { "sequence": 4, "category": { "text": "again" } }]
            """);
        c["diagnosis"]!.AsArray().Add(Node("""{ "sequence": 2, "diagnosisReference": { "display": "Condition" } }"""));
        c["diagnosis"]!.AsArray().Add(Node("""{ "sequence": 3, "packageCode": { "text": "none" } }"""));
        c["diagnosis"]![0]!["diagnosisCodeableConcept"] = Node("""
            { "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10", "code": "UNKNOWN" }, { "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "F84" },
                         { "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "84.0" }] }
            """);
        c["procedure"] = Node("""
            [{ "sequence": 1, "procedureCodeableConcept": { "text": "x" } }, { "sequence": 1, "date": "2025-12-01T00:00:00Z" }]
            """);
        c["insurance"] = Node("""
            [{ "sequence": 1, "focal": false, "coverage": { "reference": "#cov" } }, { "sequence": 1, "focal": false, "coverage": { "display": "Other" } }]
            """);
        c["billablePeriod"] = Node("""{ "start": "2026-02-01", "end": "2026-02-02" }""");
        c["total"] = Node("""{ "value": -5, "currency": "USD" }""");
        var first = c.Item(0);
        first["careTeamSequence"] = Node("[1, 7]");
        first["informationSequence"] = Node("[4, 8]");
        first["diagnosisSequence"] = Node("[1, 9]");
        first["procedureSequence"] = Node("[1, 6]");
        first["servicedDate"] = "2026-01-16";
        first["productOrService"] = Node("""
            { "coding": [{ "system": "http://www.ama-assn.org/go/cpt", "code": "9715" }, { "system": "https://hcpcs.codes", "code": "Z1234" },
                         { "system": "http://snomed.info/sct", "code": "x" }] }
            """);
        first["unitPrice"] = Node("""{ "value": -1, "currency": "USD" }""");
        first["detail"] = Node("""
            [{ "sequence": 1, "productOrService": { "coding": [{ "system": "urn:oid:2.16.840.1.113883.6.285", "code": "A12345" }] },
               "net": { "value": -2, "currency": "USD" },
               "subDetail": [{ "sequence": 1, "productOrService": { "coding": [{ "system": "http://www.ama-assn.org/go/cpt", "code": "1234" }] } },
                             { "sequence": 2, "productOrService": { "text": "x" }, "unitPrice": { "value": -3 } }] },
             { "sequence": 2, "productOrService": { "text": "x" } }]
            """);
        var second = c.Item(1);
        second["sequence"] = 1;
        second["servicedPeriod"] = Node("""{ "start": "2026-03-01" }""");
        second["net"] = Node("""{ "value": -61.00, "currency": "USD" }""");
    }

    private static readonly (IssueSeverity Severity, string Code, string Expression)[] Expected =
    [
        (IssueSeverity.Error, "too-costly", "Claim.item"),
        (IssueSeverity.Error, "invariant", "Claim.insurance"),
        (IssueSeverity.Error, "duplicate", "Claim.careTeam[1].sequence"),
        (IssueSeverity.Error, "duplicate", "Claim.supportingInfo[1].sequence"),
        (IssueSeverity.Error, "duplicate", "Claim.diagnosis[2].sequence"),
        (IssueSeverity.Error, "duplicate", "Claim.procedure[1].sequence"),
        (IssueSeverity.Error, "duplicate", "Claim.insurance[1].sequence"),
        (IssueSeverity.Error, "duplicate", "Claim.item[1].sequence"),
        (IssueSeverity.Error, "required", "Claim.diagnosis[3]"),
        (IssueSeverity.Error, "required", "Claim.procedure[1]"),
        (IssueSeverity.Error, "invariant", "Claim.item[0].careTeamSequence[1]"),
        (IssueSeverity.Error, "invariant", "Claim.item[0].informationSequence[1]"),
        (IssueSeverity.Error, "invariant", "Claim.item[0].diagnosisSequence[1]"),
        (IssueSeverity.Error, "invariant", "Claim.item[0].procedureSequence[1]"),
        (IssueSeverity.Error, "business-rule", "Claim.item[0].servicedDate"),
        (IssueSeverity.Error, "code-invalid", "Claim.item[0].productOrService.coding[0].code"),
        (IssueSeverity.Error, "code-invalid", "Claim.item[0].productOrService.coding[1].code"),
        (IssueSeverity.Error, "value", "Claim.item[0].unitPrice.value"),
        (IssueSeverity.Error, "code-invalid", "Claim.item[0].detail[0].productOrService.coding[0].code"),
        (IssueSeverity.Error, "value", "Claim.item[0].detail[0].net.value"),
        (IssueSeverity.Error, "code-invalid", "Claim.item[0].detail[0].subDetail[0].productOrService.coding[0].code"),
        (IssueSeverity.Error, "value", "Claim.item[0].detail[0].subDetail[1].unitPrice.value"),
        (IssueSeverity.Error, "business-rule", "Claim.item[1].servicedPeriod.start"),
        (IssueSeverity.Error, "value", "Claim.item[1].net.value"),
        (IssueSeverity.Warning, "code-invalid", "Claim.diagnosis[0].diagnosisCodeableConcept.coding[0].code"),
        (IssueSeverity.Error, "code-invalid", "Claim.diagnosis[0].diagnosisCodeableConcept.coding[2].code"),
        (IssueSeverity.Error, "value", "Claim.total.value"),
        (IssueSeverity.Error, "business-rule", "Claim.total"),
        (IssueSeverity.Error, "business-rule", "Claim.billablePeriod.start"),
    ];

    [Fact]
    public void ReadClaim_EveryClaimRuleBroken_IssuesInRuleOrder()
    {
        var result = FhirIntake.ReadClaim(ClaimFixtures.With(BreakEveryRule), Today, new IntakeOptions { MaxClaimItems = 1 });

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Equal(Expected, result.Outcome.Issues.Select(i => (i.Severity, i.Code, i.Expression!)));
    }
}
