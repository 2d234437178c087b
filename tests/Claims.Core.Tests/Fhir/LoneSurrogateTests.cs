using System.Text;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>Escaped lone surrogates are well-formed JSON and valid UTF-8 but no string; found by tools/hostile.sh.</summary>
public sealed class LoneSurrogateTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    [Theory]
    [InlineData("\\ud800")]
    [InlineData("\\udfff")]
    [InlineData("a\\uD800b")]
    [InlineData("\\ude00\\ud83d")]
    public void ReadClaim_LoneSurrogateInValue_MalformedNotThrown(string escaped)
    {
        var json = ClaimFixtures.Claim().ToJsonString().Replace("\"active\"", "\"" + escaped + "\"", StringComparison.Ordinal);

        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(json), Today);

        Assert.Equal(IntakeStatus.Malformed, result.Status);
        Assert.Contains("lone UTF-16 surrogate", result.Outcome.Issues.Single().Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadClaim_LoneSurrogateInPropertyName_Malformed()
    {
        var json = ClaimFixtures.Claim().ToJsonString()[..^1] + ",\"\\ud800\":1}";

        Assert.Equal(IntakeStatus.Malformed, FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(json), Today).Status);
    }

    [Fact]
    public void ReadBundle_LoneSurrogate_Malformed()
    {
        const string json = """{"resourceType":"Bundle","type":"batch","entry":[{"resource":{"resourceType":"Claim","status":"\ud800"}}]}""";

        Assert.Equal(IntakeStatus.Malformed, FhirIntake.ReadBundle(Encoding.UTF8.GetBytes(json), Today).Status);
    }

    [Fact]
    public void ReadClaim_EscapedSurrogatePair_StillAccepted()
    {
        var claim = ClaimFixtures.Claim();
        var json = claim.ToJsonString()[..^1] + ",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">\\ud83d\\ude00</div>\"}}";

        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(json), Today);

        Assert.Equal(IntakeStatus.Accepted, FhirIntake.ReadClaim(claim.Bytes(), Today).Status);
        Assert.NotEqual(IntakeStatus.Malformed, result.Status);
    }
}
