using System.Text;
using Claims.Core.Fhir;
using Claims.Load;

namespace Claims.Load.Tests;

public sealed class PercentilesTests
{
    [Fact]
    public void Of_OneToHundred_ReturnsNearestRank()
    {
        var samples = Enumerable.Range(1, 100).Select(i => (double)(101 - i)).ToList();

        Assert.Equal(50, Percentiles.Of(samples, 50));
        Assert.Equal(95, Percentiles.Of(samples, 95));
        Assert.Equal(99, Percentiles.Of(samples, 99));
        Assert.Equal(100, Percentiles.Of(samples, 100));
    }

    [Fact]
    public void Of_FewSamples_RoundsRankUp()
    {
        double[] samples = [10, 40, 20, 30];

        Assert.Equal(20, Percentiles.Of(samples, 50));
        Assert.Equal(40, Percentiles.Of(samples, 99));
        Assert.Equal(10, Percentiles.Of(samples, 1));
        Assert.Equal(7, Percentiles.Of([7.0], 95));
    }

    [Fact]
    public void Of_NoSamples_ReturnsNull()
    {
        Assert.Null(Percentiles.Of([], 50));
        Assert.Equal("n/a", Percentiles.Summary([]));
    }

    [Fact]
    public void Of_PercentOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1.0], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1.0], 101));
    }
}

public sealed class NpiTests
{
    [Fact]
    public void FromBase_CmsExample_AppendsCheckDigit3()
    {
        // CMS's published example: 123456789 has check digit 3.
        Assert.Equal("1234567893", Npi.FromBase(123_456_789));
    }

    [Theory]
    [InlineData("1245319599", true)]
    [InlineData("1555667785", true)]
    [InlineData("1234567893", true)]
    [InlineData("1234567890", false)]
    [InlineData("123456789", false)]
    [InlineData("١٢٣٤٥٦٧٨٩٣", false)]
    public void IsValid_KnownValues_MatchesLuhn(string npi, bool expected) => Assert.Equal(expected, Npi.IsValid(npi));
}

public sealed class ClaimGeneratorTests
{
    private static readonly DateOnly Today = new(2026, 11, 23);

    [Fact]
    public void Next_FiveHundredClaims_EveryOnePassesFhirIntake()
    {
        var generator = new ClaimGenerator(seed: 42, Today, "test");
        var claims = Enumerable.Range(0, 500).Select(_ => generator.Next()).ToList();

        foreach (var claim in claims)
        {
            var intake = FhirIntake.ReadClaim(claim.ToUtf8(), Today);
            Assert.True(intake.Status == IntakeStatus.Accepted, claim.Identifier + ": " + string.Join("; ", intake.Outcome.Issues.Select(i => i.Expression + " " + i.Diagnostics)));
            Assert.Equal("urn:oid:2.16.840.1.113883.19.5.99|" + claim.Identifier, intake.Document!.IdempotencyIdentifier);
        }

        Assert.Equal(500, claims.Select(c => c.Identifier).Distinct().Count());
        var codes = claims.SelectMany(c => c.Claim["item"]!.AsArray()).Select(i => i!["productOrService"]!["coding"]![0]!["code"]!.GetValue<string>()).ToHashSet();
        Assert.Superset(new HashSet<string> { "97151", "97152", "97153", "97154", "97155", "97156", "97157", "97158", "90837", "99213" }, codes);
        Assert.True(claims.Select(c => c.Payer).Distinct().Count() >= 5);
        Assert.True(claims.Select(c => c.PatientMrn).Distinct().Count() >= 100);
    }

    [Fact]
    public void Next_SameSeed_SameClaims()
    {
        var a = new ClaimGenerator(7, Today, "run").Next();
        var b = new ClaimGenerator(7, Today, "run").Next();

        Assert.Equal(a.Claim.ToJsonString(), b.Claim.ToJsonString());
    }

    [Fact]
    public void ToTransactionBundle_GeneratedClaims_EveryClaimPassesBundleIntake()
    {
        var generator = new ClaimGenerator(3, Today, "bundle");
        var bundle = ClaimGenerator.ToTransactionBundle(Enumerable.Range(0, 5).Select(_ => generator.Next()));

        var intake = FhirIntake.ReadBundle(Encoding.UTF8.GetBytes(bundle.ToJsonString()), Today);

        Assert.Equal(IntakeStatus.Accepted, intake.Status);
        Assert.Equal(5, intake.Claims.Count);
        Assert.All(intake.Claims, c => Assert.Equal(IntakeStatus.Accepted, c.Result.Status));
    }
}

public sealed class HostileCorpusTests
{
    [Fact]
    public void Build_Seed1_AtLeast500MutationsOfBothDoors()
    {
        var cases = HostileCorpus.Build(1, new DateOnly(2026, 11, 23));

        Assert.True(cases.Count >= 500, cases.Count + " cases");
        Assert.Contains(cases, c => c.Path == "api/fhir");
        Assert.Contains(cases, c => c.Body.Length > 1_048_576);
        Assert.Contains(cases, c => c.Name == "array-item-10000");
        Assert.Contains(cases, c => c.ContentType == "text/plain");
    }

    [Fact]
    public void Build_TruncatedClaims_AreMalformedForTheDomain()
    {
        var today = new DateOnly(2026, 11, 23);
        var truncated = HostileCorpus.Build(1, today).Where(c => c.Name.StartsWith("truncate-claim-", StringComparison.Ordinal)).ToList();

        Assert.Equal(40, truncated.Count);
        Assert.All(truncated, c => Assert.NotEqual(IntakeStatus.Accepted, FhirIntake.ReadClaim(c.Body, today).Status));
    }

    [Fact]
    public void JsonString_LoneSurrogateAndNul_EscapedAsUnicode()
    {
        Assert.Equal("\"a\\ud800\\u0000\"", HostileCorpus.JsonString("a\ud800\0"));
    }
}

public sealed class ResponseParsingTests
{
    [Fact]
    public void BundleClaimIds_BatchResponse_ReadsAcceptedLocations()
    {
        const string body = """
            {"resourceType":"Bundle","type":"batch-response","entry":[
              {"response":{"status":"202 Accepted","location":"/api/claims/abc123"}},
              {"response":{"status":"422 Unprocessable Entity","outcome":{"resourceType":"OperationOutcome"}}},
              {"response":{"status":"200 OK","location":"claims/def456"}}]}
            """;

        Assert.Equal(["abc123", "def456"], LoadRunner.BundleClaimIds(body));
        Assert.Empty(LoadRunner.BundleClaimIds("not json"));
    }
}
