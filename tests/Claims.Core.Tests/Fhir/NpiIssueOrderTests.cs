using System.Text.Json.Nodes;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// The NPI check runs inside the structural walk when the walk is clean and as a full scan otherwise; both must
/// report the same issues at the same expressions, in document (pre-)order.
/// </summary>
public sealed class NpiIssueOrderTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);
    private const string BadNpi = "1245319590";

    private static readonly string[] ExpectedNpiExpressions =
    [
        "Claim.contained[3].identifier[0].value",
        "Claim.contained[4].identifier[0].value",
        "Claim.contained[4].identifier[0].extension[0].valueIdentifier.value",
        "Claim.contained[5].identifier[0].value",
        "Claim.careTeam[0].provider.identifier.value",
    ];

    private static void BreakNpis(JsonObject claim)
    {
        var contained = claim["contained"]!.AsArray();
        contained[3]!["identifier"]![0]!["value"] = BadNpi;
        var practitionerIdentifier = contained[4]!["identifier"]![0]!.AsObject();
        practitionerIdentifier["value"] = BadNpi;
        practitionerIdentifier["extension"] = JsonNode.Parse($$"""
            [{ "url": "http://example.org/alt-npi", "valueIdentifier": { "system": "http://hl7.org/fhir/sid/us-npi", "value": "{{BadNpi}}" } }]
            """);

        // A resource type the schema does not model: walked generically.
        contained.Add(JsonNode.Parse($$"""
            { "resourceType": "Device", "id": "dev", "identifier": [{ "system": "http://hl7.org/fhir/sid/us-npi", "value": "{{BadNpi}}" }] }
            """));
        claim["careTeam"]![0]!["provider"]!["identifier"] = JsonNode.Parse($$"""
            { "system": "http://hl7.org/fhir/sid/us-npi", "value": "{{BadNpi}}" }
            """);
    }

    private static string[] NpiExpressions(ClaimIntake result) =>
        [.. result.Outcome.Issues.Where(i => i.Diagnostics.Contains("NPI", StringComparison.Ordinal)).Select(i => i.Expression!)];

    [Fact]
    public void ReadClaim_BadNpisInCleanStructure_ReportedInDocumentOrder()
    {
        var result = FhirIntake.ReadClaim(ClaimFixtures.With(BreakNpis), Today);

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Equal(ExpectedNpiExpressions, NpiExpressions(result));
    }

    [Fact]
    public void ReadClaim_BadNpisWithStructuralError_SameNpiIssues()
    {
        var result = FhirIntake.ReadClaim(ClaimFixtures.With(c =>
        {
            BreakNpis(c);
            c["colour"] = "red";
        }), Today);

        Assert.Contains(result.Outcome.Issues, i => i.Expression == "Claim.colour");
        Assert.Equal(ExpectedNpiExpressions, NpiExpressions(result));
    }
}
