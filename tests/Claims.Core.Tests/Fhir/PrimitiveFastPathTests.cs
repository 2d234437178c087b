using System.Text;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// Primitive values judged as the R4 format rules do, whichever read path the intake takes (the fast read proves
/// plain values clean; anything else is judged by Firely's strict read).
/// </summary>
public sealed class PrimitiveFastPathTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private static ClaimIntake Read(string find, string replace)
    {
        var json = ClaimFixtures.Claim().ToJsonString();
        Assert.Contains(find, json, StringComparison.Ordinal);
        return FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(json.Replace(find, replace, StringComparison.Ordinal)), Today);
    }

    [Theory]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"A-b.9-0123456789012345678901234567890123456789012345678901234567\"", null)]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"A-b.9-01234567890123456789012345678901234567890123456789012345678\"", "Claim.id")]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"prof\\u002d1\"", null)]
    [InlineData("\"id\":\"prof-1\"", "\"id\":\"prof 1\"", "Claim.id")]
    [InlineData("\"code\":\"97155\"", "\"code\":\"97155  x\"", "Claim.item[1].productOrService.coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\"H N\"", null)]
    [InlineData("\"code\":\"HN\"", "\"code\":\"H  N\"", "Claim.item[1].modifier[0].coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\"H\\tN\"", "Claim.item[1].modifier[0].coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\" HN\"", "Claim.item[1].modifier[0].coding[0].code")]
    [InlineData("\"code\":\"HN\"", "\"code\":\"HÑ\"", null)]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1981-02-29\"", "Claim.contained[0].birthDate")]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1980-02\"", null)]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1980\\u002d02-29\"", null)]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"0000-02-29\"", "Claim.contained[0].birthDate")]
    [InlineData("\"value\":8}", "\"value\":8.0000000000000000000000000}", null)]
    [InlineData("\"value\":8}", "\"value\":80000000000000000000000000000}", "Claim.item[0].quantity.value")]
    [InlineData("\"value\":8}", "\"value\":8e28}", "Claim.item[0].quantity.value")]
    [InlineData("\"value\":8}", "\"value\":8e2}", null)]
    public void ReadClaim_PrimitiveValue_JudgedAsTheFormatRulesDo(string find, string replace, string? badExpression)
    {
        var result = Read(find, replace);

        var lexical = result.Outcome.Issues.Where(i => i.Code == "value").Select(i => i.Expression).ToList();
        if (badExpression is null)
        {
            Assert.Empty(lexical);
        }
        else
        {
            Assert.Equal([badExpression], lexical);
        }
    }
}
