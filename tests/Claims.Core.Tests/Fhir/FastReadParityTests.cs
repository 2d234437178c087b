using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Fhir;
using Claims.Testing;

namespace Claims.Core.Tests.Fhir;

/// <summary>
/// The intake reads without Firely's attribute validator when <see cref="FirelyCheck"/> proves the body clean; that
/// proof must never hold for a body the strict reader finds anything in (then the answer would miss issues), and it
/// should hold for ordinary valid claims (else the fast path is never taken).
/// </summary>
public sealed class FastReadParityTests
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    public static IEnumerable<object[]> SharedJson()
    {
        if (SharedData.Root is not { } root)
        {
            return [[SharedData.MissingMarker]];
        }

        return Directory.EnumerateFiles(root, "*.json", SearchOption.AllDirectories)
            .Where(f => !f.Contains("fhir-r4-schema", StringComparison.Ordinal) && !f.Contains("fhirpath", StringComparison.Ordinal) && !f.Contains("x12", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { f })
            .ToList();
    }

    private static void AssertProofHoldsOnlyForCleanBodies(byte[] body, string what)
    {
        if (JsonSyntax.Check(body, IntakeOptions.Default, out _) is not null)
        {
            return;
        }

        if (FirelyReader.TryReadProvenClean(body, Options, out _))
        {
            var issues = new List<OutcomeIssue>();
            _ = FirelyReader.ReadStrictly(body, Options, issues);
            Assert.True(issues.Count == 0, what + ": proven clean, but the strict read says " + string.Join("; ", issues.Select(i => i.Code + " " + i.Expression)));
        }
    }

    [SharedDataTheory]
    [MemberData(nameof(SharedJson))]
    public void TryReadProvenClean_SharedData_OnlyWhenTheStrictReadIsClean(string file) =>
        AssertProofHoldsOnlyForCleanBodies(File.ReadAllBytes(Path.Combine(SharedData.Root!, file)), file);

    [Fact]
    public void TryReadProvenClean_EveryInvalidFixtureVariant_OnlyWhenTheStrictReadIsClean()
    {
        foreach (var row in ClaimValidationTests.InvalidClaims.Concat(ClaimValidationTests.ValidVariants.Select(v => new object[] { v[0], v[1], string.Empty, string.Empty })))
        {
            AssertProofHoldsOnlyForCleanBodies(ClaimFixtures.With((Action<JsonObject>)row[1]), (string)row[0]);
        }
    }

    [Theory]
    [InlineData("\"value\":8}", "\"value\":\"8\"}")]
    [InlineData("\"status\":\"active\"", "\"status\":\"Active\"")]
    [InlineData("\"status\":\"active\"", "\"status\":\"active\",\"_status\":{\"id\":\"x y\"}")]
    [InlineData("\"gender\":\"female\"", "\"gender\":\"femal\"")]
    [InlineData("\"birthDate\":\"1980-02-29\"", "\"birthDate\":\"1981-02-29\"")]
    [InlineData("\"sequence\":1,", "\"sequence\":-1,")]
    [InlineData("\"focal\":true", "\"focal\":\"true\"")]
    [InlineData("\"servicedDate\":\"2025-12-01\"", "\"servicedString\":\"2025-12-01\"")]
    [InlineData("\"servicedDate\":\"2025-12-01\"", "\"servicedDateTime\":\"2025-12-01\"")]
    [InlineData("\"use\":\"claim\"", "\"use\":\"claim\",\"text\":{\"status\":\"generated\",\"div\":\"<p>x</p>\"}")]
    [InlineData("\"id\":\"cov\",", "\"id\":\"cov\",\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"p2\"}],")]
    [InlineData("\"id\":\"pat\",", "\"id\":\"pat\",\"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">x</div>\"},")]
    public void TryReadProvenClean_OneEdit_OnlyWhenTheStrictReadIsClean(string find, string replace)
    {
        var json = ClaimFixtures.Claim().ToJsonString();
        Assert.Contains(find, json, StringComparison.Ordinal);
        var at = json.IndexOf(find, StringComparison.Ordinal);

        AssertProofHoldsOnlyForCleanBodies(Encoding.UTF8.GetBytes(json[..at] + replace + json[(at + find.Length)..]), replace);
    }

    [Fact]
    public void TryReadProvenClean_ProfessionalFixture_TakesTheFastPath() =>
        Assert.True(FirelyReader.TryReadProvenClean(Encoding.UTF8.GetBytes(ClaimFixtures.ProfessionalClaim), Options, out _));
}
