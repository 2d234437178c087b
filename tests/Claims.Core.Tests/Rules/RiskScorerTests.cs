using Claims.Core.Claims;
using Claims.Core.Rules;

namespace Claims.Core.Tests.Rules;

public sealed class RiskScorerTests
{
    private static readonly AuthorizationFacts ActiveAuth =
        new("AUTH-1", AuthorizationStatuses.Active, 100, 10, new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31));

    private static IEnumerable<string> Codes(RiskAssessment risk) => risk.Factors.Select(f => f.Code);

    [Fact]
    public void Score_CleanClaimWithAuthorization_IsZero()
    {
        var risk = RiskScorer.Score(RuleKit.Claim(), ActiveAuth, null);

        Assert.Equal(0, risk.Score);
        Assert.Empty(risk.Factors);
    }

    [Fact]
    public void Score_AbaWithoutAuthorization_AddsAuthMissing()
    {
        var risk = RiskScorer.Score(RuleKit.Claim(), null, null);

        var factor = Assert.Single(risk.Factors);
        Assert.Equal(("AUTH_MISSING", RiskScorer.AuthMissingPoints), (factor.Code, factor.Points));
        Assert.Contains("97153", factor.Explanation, StringComparison.Ordinal);
        Assert.Equal(RiskScorer.AuthMissingPoints, risk.Score);
    }

    [Fact]
    public void Score_AbaWithUnmatchedPreAuthRef_AddsAuthUnverified() =>
        Assert.Equal(["AUTH_UNVERIFIED"], Codes(RiskScorer.Score(RuleKit.Claim() with { PreAuthRefs = ["PA-1"] }, null, null)));

    [Fact]
    public void Score_NonAbaWithoutAuthorization_NoAuthFactor()
    {
        var claim = RuleKit.Claim() with { Items = [RuleKit.Claim().Items[1]] };

        Assert.Empty(RiskScorer.Score(claim, null, null).Factors);
    }

    [Theory]
    [InlineData(2026, 3, 23, "AUTH_EXPIRING")]
    [InlineData(2026, 3, 24, null)]
    [InlineData(2026, 3, 1, "AUTH_EXPIRED")]
    public void Score_AuthorizationExpiry_ExpiringWithin21DaysOrExpired(int year, int month, int day, string? code)
    {
        var auth = ActiveAuth with { ExpirationDate = new DateOnly(year, month, day) };

        var codes = Codes(RiskScorer.Score(RuleKit.Claim(), auth, null)).ToArray();

        Assert.Equal(code is null ? [] : [code], codes);
    }

    [Fact]
    public void Score_UnitsBilledAboveRemaining_AddsAuthUnits()
    {
        var auth = ActiveAuth with { UnitsAuthorized = 20, UnitsUsed = 15 };

        var risk = RiskScorer.Score(RuleKit.Claim(), auth, null);

        var factor = Assert.Single(risk.Factors);
        Assert.Equal("AUTH_UNITS", factor.Code);
        Assert.Equal("8 units billed but 5 remain on the authorization.", factor.Explanation);
    }

    [Fact]
    public void Score_MissingIdentifiers_AddEachFactorAndCapAt100()
    {
        var claim = RuleKit.Claim() with
        {
            RenderingNpi = null,
            PayerId = " ",
            MemberId = null,
            Diagnoses = [],
            Created = new DateOnly(2026, 7, 1),
        };

        var risk = RiskScorer.Score(claim, ActiveAuth with { Status = AuthorizationStatuses.Expired, UnitsUsed = 99 }, new Dictionary<string, decimal> { ["97153"] = 15m });

        Assert.Equal(
            ["AUTH_EXPIRED", "AUTH_UNITS", "RENDERING_NPI_MISSING", "PRINCIPAL_DX_MISSING", "CHARGE_HIGH", "PAYER_MISSING", "MEMBER_ID_MISSING", "TIMELY_FILING"],
            Codes(risk));
        Assert.Equal(100, risk.Score);
    }

    [Theory]
    [InlineData(20, true)]
    [InlineData(21, false)]
    public void Score_ChargePerUnitThreeTimesUsual_AddsChargeHigh(decimal usual, bool high)
    {
        // 97153: 480 for 8 units = 60 per unit.
        var risk = RiskScorer.Score(RuleKit.Claim(), ActiveAuth, new Dictionary<string, decimal> { ["97153"] = usual });

        Assert.Equal(high, Codes(risk).Contains("CHARGE_HIGH"));
    }

    [Theory]
    [InlineData(90, false)]
    [InlineData(91, true)]
    public void Score_ServiceDateOlderThan90Days_AddsTimelyFiling(int daysLater, bool expected)
    {
        var asOf = RuleKit.ServiceDate.AddDays(daysLater);

        var risk = RiskScorer.Score(RuleKit.Claim(), ActiveAuth, null, asOf);

        Assert.Equal(expected, Codes(risk).Contains("TIMELY_FILING"));
    }

    [Theory]
    [InlineData("97151", true)]
    [InlineData("97158", true)]
    [InlineData("97150", false)]
    [InlineData("97159", false)]
    [InlineData("9715", false)]
    public void IsAbaCode_Range97151To97158(string code, bool expected) => Assert.Equal(expected, RiskScorer.IsAbaCode(code));

    [Fact]
    public void Score_Explanations_DoNotContainPatientData()
    {
        var claim = RuleKit.Claim() with { RenderingNpi = null, MemberId = null, Diagnoses = [] };

        var risk = RiskScorer.Score(claim, null, null);

        Assert.All(risk.Factors, f => Assert.DoesNotContain("2018", f.Explanation, StringComparison.Ordinal));
        Assert.All(risk.Factors, f => Assert.DoesNotContain("XYZ", f.Explanation, StringComparison.Ordinal));
    }

    [Fact]
    public void Score_NullClaim_Throws() => Assert.Throws<ArgumentNullException>(() => RiskScorer.Score(null!, null, null));

    [Fact]
    public void Score_ItemWithoutCharge_IsIgnoredForChargeHigh()
    {
        var claim = RuleKit.Claim() with { Items = [new ClaimItemFacts { Sequence = 1, Codes = ["90837"], Units = 1 }] };

        Assert.DoesNotContain("CHARGE_HIGH", Codes(RiskScorer.Score(claim, null, new Dictionary<string, decimal> { ["90837"] = 1 })));
    }
}
