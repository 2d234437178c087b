using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>The Firely validator's locations written as FHIR writes them: no [0] after an element that does not repeat.</summary>
public sealed class FhirPathExpressionsTests
{
    [Theory]
    [InlineData("Claim.status[0]", "Claim.status")]
    [InlineData("Claim.item[0].servicedDate[0]", "Claim.item[0].servicedDate")]
    [InlineData("Claim.item[2].productOrService[0].coding[1].code[0]", "Claim.item[2].productOrService.coding[1].code")]
    [InlineData("Claim.billablePeriod[0]", "Claim.billablePeriod")]
    [InlineData("Claim.item[0].locationCodeableConcept[0].coding[0]", "Claim.item[0].locationCodeableConcept.coding[0]")]
    [InlineData("Claim.insurance[0]", "Claim.insurance[0]")]
    [InlineData("Bundle.entry[1].fullUrl[0]", "Bundle.entry[1].fullUrl")]
    [InlineData("Claim.colour[0]", "Claim.colour[0]")]
    [InlineData("Claim", "Claim")]
    public void Normalize_ValidatorLocation_FhirExpression(string location, string expected) =>
        Assert.Equal(expected, FhirPathExpressions.Normalize(location));

    [Fact]
    public void Normalize_WithTheInstance_FollowsABundleEntryIntoItsResource()
    {
        var bundle = new Hl7.Fhir.Model.Bundle
        {
            Entry =
            [
                new() { Resource = new Hl7.Fhir.Model.Patient() },
                new() { Resource = new Hl7.Fhir.Model.Claim { Item = [new() { Sequence = 1 }] } },
            ],
        };

        Assert.Equal(
            "Bundle.entry[1].resource.item[0].sequence",
            FhirPathExpressions.Normalize("Bundle.entry[1].resource[0].item[0].sequence[0]", bundle));
    }
}
