using System.Text;
using Claims.Core.Fhir;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// A property repeated in one JSON object makes the body malformed (400), wherever the object is and whatever else is
/// wrong with the payload: the same single fatal issue for both doors, without a position.
/// </summary>
public sealed class DuplicatePropertyTests
{
    private static readonly DateOnly Today = new(2026, 1, 15);

    private const string Diagnostics = "The body is not well-formed JSON (or nests deeper than 64 levels, or repeats a property).";

    // Edits of the fixture's compact JSON: (text found once, text put in its place).
    public static TheoryData<string, string, string> Duplicates => new()
    {
        { "Claim element", "\"status\":\"active\",\"type\"", "\"status\":\"active\",\"status\":\"draft\",\"type\"" },
        { "resourceType", "\"id\":\"prof-1\",", "\"id\":\"prof-1\",\"resourceType\":\"Claim\"," },
        { "escaped spelling of a Claim element", "\"status\":\"active\",\"type\"", "\"status\":\"active\",\"st\\u0061tus\":\"active\",\"type\"" },
        { "datatype element", "\"code\":\"97155\"", "\"code\":\"97155\",\"code\":\"97156\"" },
        { "repeating element", "\"diagnosisSequence\":[2],", "\"diagnosisSequence\":[2],\"diagnosisSequence\":[1]," },
        { "contained Patient", "\"gender\":\"female\",", "\"gender\":\"female\",\"gender\":\"male\"," },
        { "primitive extension", "\"status\":\"active\",\"type\"", "\"status\":\"active\",\"_status\":{\"id\":\"a\",\"id\":\"b\"},\"type\"" },
        { "primitive and its extension twice", "\"status\":\"active\",\"type\"", "\"status\":\"active\",\"_status\":{\"id\":\"a\"},\"_status\":{\"id\":\"b\"},\"type\"" },
        { "extension", "\"status\":\"active\",\"type\"", "\"status\":\"active\",\"extension\":[{\"url\":\"http://example.org/x\",\"valueString\":\"a\",\"valueString\":\"b\"}],\"type\"" },
        { "unmodelled contained resource", "\"contained\":[", "\"contained\":[{\"resourceType\":\"Device\",\"id\":\"dev\",\"note\":[{\"text\":\"a\",\"text\":\"b\"}]}," },
        { "unmodelled resource, escaped", "\"contained\":[", "\"contained\":[{\"resourceType\":\"Device\",\"id\":\"dev\",\"lotNumber\":\"a\",\"l\\u006ftNumber\":\"b\"}," },
        { "inside an unknown element", "\"status\":\"active\",\"type\"", "\"status\":\"active\",\"colour\":{\"a\":1,\"a\":2},\"type\"" },
        { "next to an unknown element", "\"status\":\"active\",\"type\"", "\"colour\":\"red\",\"status\":\"active\",\"status\":\"draft\",\"type\"" },
        { "inside a wrongly typed element", "\"use\":\"claim\",", "\"use\":{\"a\":1,\"a\":2}," },
        { "inside a primitive array", "\"careTeamSequence\":[1],", "\"careTeamSequence\":[{\"a\":1,\"a\":2}]," },
    };

    private static byte[] Edited(string find, string replace)
    {
        var json = ClaimFixtures.Claim().ToJsonString();
        var at = json.IndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0 && json.IndexOf(find, at + 1, StringComparison.Ordinal) < 0, "the edit must match exactly once");
        return Encoding.UTF8.GetBytes(json[..at] + replace + json[(at + find.Length)..]);
    }

    private static void AssertMalformed(IntakeStatus status, OperationOutcome outcome)
    {
        Assert.Equal(IntakeStatus.Malformed, status);
        var issue = Assert.Single(outcome.Issues);
        Assert.Equal(IssueSeverity.Fatal, issue.Severity);
        Assert.Equal("structure", issue.Code);
        Assert.Equal(Diagnostics, issue.Diagnostics);
        Assert.Null(issue.Expression);
    }

    [Theory]
    [MemberData(nameof(Duplicates))]
    public void ReadClaim_RepeatedProperty_Malformed(string where, string find, string replace)
    {
        var result = FhirIntake.ReadClaim(Edited(find, replace), Today);

        Assert.False(string.IsNullOrEmpty(where));
        AssertMalformed(result.Status, result.Outcome);
    }

    [Theory]
    [MemberData(nameof(Duplicates))]
    public void ReadBundle_RepeatedPropertyInAnEntry_Malformed(string where, string find, string replace)
    {
        var claim = Encoding.UTF8.GetString(Edited(find, replace));
        var bundle = "{\"resourceType\":\"Bundle\",\"type\":\"batch\",\"entry\":[{\"fullUrl\":\"urn:uuid:1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9\",\"resource\":" + claim + "}]}";

        var result = FhirIntake.ReadBundle(Encoding.UTF8.GetBytes(bundle), Today);

        Assert.False(string.IsNullOrEmpty(where));
        AssertMalformed(result.Status, result.Outcome);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Claim\",\"resourceType\":\"Claim\"}")]
    [InlineData("{\"resourceType\":\"Patient\",\"id\":\"a\",\"id\":\"b\"}")]
    [InlineData("{\"resourceType\":\"Claimz\",\"id\":\"a\",\"id\":\"b\"}")]
    [InlineData("{\"id\":\"a\",\"id\":\"b\"}")]
    public void ReadClaim_RepeatedPropertyInWhatIsNotAClaim_Malformed(string body)
    {
        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(body), Today);

        AssertMalformed(result.Status, result.Outcome);
    }

    [Fact]
    public void ReadClaim_RepeatedPropertyBeforeASyntaxError_ReportsTheSyntaxErrorPosition()
    {
        var body = "{\"resourceType\":\"Claim\",\"status\":\"active\",\"status\":\"draft\", \"x\": [}";

        var result = FhirIntake.ReadClaim(Encoding.UTF8.GetBytes(body), Today);

        Assert.Equal(IntakeStatus.Malformed, result.Status);
        Assert.EndsWith("at line 1, byte 67.", Assert.Single(result.Outcome.Issues).Diagnostics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"status\":\"active\",\"type\"", "\"status\":\"active\",\"_status\":{\"id\":\"a\"},\"type\"")]
    [InlineData("\"status\":\"active\",\"type\"", "\"status\":\"active\",\"extension\":[{\"url\":\"http://example.org/a\",\"valueString\":\"a\"},{\"url\":\"http://example.org/b\",\"valueString\":\"b\"}],\"type\"")]
    [InlineData("\"contained\":[", "\"contained\":[{\"resourceType\":\"Device\",\"id\":\"dev\",\"lotNumber\":\"a\",\"_lotNumber\":{\"id\":\"b\"},\"note\":[{\"text\":\"a\"},{\"text\":\"b\"}]},")]
    public void ReadClaim_SameNameInOtherObjectsOrAsItsExtension_Accepted(string find, string replace)
    {
        var result = FhirIntake.ReadClaim(Edited(find, replace), Today);

        Assert.Equal(IntakeStatus.Accepted, result.Status);
    }
}
