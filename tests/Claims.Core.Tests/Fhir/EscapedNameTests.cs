using System.Text;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// The walk reads plain property names and string values straight from the UTF-8 payload; escaped or non-ASCII
/// ones go through the JSON reader's unescaping and must be judged exactly the same way.
/// </summary>
public sealed class EscapedNameTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static ClaimIntake Read(Func<string, string> edit)
    {
        var original = ClaimFixtures.Claim().ToJsonString();
        var edited = edit(original);
        Assert.NotEqual(original, edited);
        return FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(edited), Today);
    }

    [Fact]
    public void ReadClaim_EscapedKnownNameAndValue_Accepted()
    {
        var result = Read(json => json.Replace("\"status\":\"active\"", "\"st\\u0061tus\":\"\\u0061ctive\"", StringComparison.Ordinal));

        Assert.Equal(IntakeStatus.Accepted, result.Status);
    }

    [Theory]
    [InlineData("\"c\\u006flour\":\"red\"", "Claim.colour")]
    [InlineData("\"colöur\":\"red\"", "Claim.colöur")]
    public void ReadClaim_UnknownNameEscapedOrNonAscii_ReportedUnescaped(string property, string expression)
    {
        var result = Read(json => json.Replace("\"use\":\"claim\"", "\"use\":\"claim\"," + property, StringComparison.Ordinal));

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Contains(result.Outcome.Issues, i => i.Code == "structure" && i.Expression == expression);
    }

    [Fact]
    public void ReadClaim_EscapedCodeOutsideValueSet_CodeInvalid()
    {
        var result = Read(json => json.Replace("\"use\":\"claim\"", "\"use\":\"cl\\u0061im \"", StringComparison.Ordinal));

        Assert.Contains(result.Outcome.Issues, i => i.Code == "value" && i.Expression == "Claim.use");
    }

    [Theory]
    [InlineData("\"resourceType\":\"Claim\",\"id\":\"prof-1\"", "\"resourceT\\u0079pe\":\"Claim\",\"id\":\"prof-1\"")]
    [InlineData("\"resourceType\":\"Claim\",\"id\":\"prof-1\"", "\"resourceType\":\"Cl\\u0061im\",\"id\":\"prof-1\"")]
    [InlineData("\"resourceType\":\"Patient\",\"id\":\"pat\"", "\"resourceType\":\"P\\u0061tient\",\"id\":\"pat\"")]
    [InlineData("\"status\":\"active\",\"type\"", "\"status\":\"active\",\"\\u005fstatus\":{\"id\":\"s\"},\"type\"")]
    [InlineData("\"system\":\"http://clinic.example.org/claims\"", "\"system\":\"http://clinic.example.org/cl\\u0061ims\"")]
    [InlineData("\"system\":\"http://clinic.example.org/claims\"", "\"system\":\"http://clinic.example.org/cläims\"")]
    public void ReadClaim_EscapedOrNonAsciiNamesAndValues_Accepted(string find, string replace)
    {
        var result = Read(json => json.Replace(find, replace, StringComparison.Ordinal));

        Assert.Equal(IntakeStatus.Accepted, result.Status);
        Assert.Empty(result.Outcome.Issues);
    }

    [Theory]
    [InlineData("http://clinic.example.org/cl aims")]
    [InlineData("http://clinic.example.org/cl\\u0020aims")]
    [InlineData("http://clinic.example.org/cl\\taims")]
    [InlineData("http://clinic.example.org/cl\u00A0aims")]
    public void ReadClaim_UriWithWhiteSpaceWrittenAnyWay_Value(string system)
    {
        var result = Read(json => json.Replace("\"system\":\"http://clinic.example.org/claims\"", "\"system\":\"" + system + "\"", StringComparison.Ordinal));

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Contains(result.Outcome.Issues, i => i.Code == "value" && i.Expression == "Claim.identifier[0].system");
    }

    [Fact]
    public void ReadClaim_EscapedSystemNameOnABadNpi_NpiStillChecked()
    {
        var result = Read(json => json.Replace(
            "{\"system\":\"http://hl7.org/fhir/sid/us-npi\",\"value\":\"1234567893\"}",
            "{\"sy\\u0073tem\":\"http://hl7.org/fhir/sid/us-npi\",\"value\":\"1234567890\"}",
            StringComparison.Ordinal));

        Assert.Equal(IntakeStatus.Invalid, result.Status);
        Assert.Contains(result.Outcome.Issues, i => i.Code == "value" && i.Expression == "Claim.contained[3].identifier[0].value");
    }
}
