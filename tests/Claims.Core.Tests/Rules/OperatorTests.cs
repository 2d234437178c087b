using System.Collections.Immutable;
using Claims.Core.Claims;
using Claims.Core.Rules;

namespace Claims.Core.Tests.Rules;

public sealed class OperatorTests
{
    private static string C(string field, string op, string? value = null) =>
        value is null ? $$"""{ "field": "{{field}}", "op": "{{op}}" }""" : $$"""{ "field": "{{field}}", "op": "{{op}}", "value": {{value}} }""";

    [Theory]
    [InlineData("payer.id", "eq", "\"bcbsma\"", true)]
    [InlineData("payer.id", "eq", "\"BCBS\"", false)]
    [InlineData("payer.id", "neq", "\"BCBS\"", true)]
    [InlineData("payer.id", "neq", "\"BcBsMa\"", false)]
    [InlineData("payer.id", "in", "[\"AETNA\", \"bcbsma\"]", true)]
    [InlineData("payer.id", "notIn", "[\"AETNA\", \"bcbsma\"]", false)]
    [InlineData("payer.id", "notIn", "[\"AETNA\"]", true)]
    [InlineData("payer.name", "contains", "\"cross blue\"", true)]
    [InlineData("payer.name", "startsWith", "\"BLUE\"", true)]
    [InlineData("payer.name", "startsWith", "\"Cross\"", false)]
    [InlineData("payer.name", "endsWith", "\"massachusetts\"", true)]
    [InlineData("provider.npi", "matches", "\"^[0-9]{10}$\"", true)]
    [InlineData("provider.npi", "matches", "\"^[0-9]{9}$\"", false)]
    [InlineData("payer.name", "matches", "\"^blue\"", true)]
    [InlineData("payer.id", "exists", null, true)]
    [InlineData("payer.id", "missing", null, false)]
    [InlineData("claim.type", "eq", "\"PROFESSIONAL\"", true)]
    [InlineData("claim.submittedVia", "eq", "\"ehr_webhook\"", true)]
    [InlineData("patient.state", "eq", "\"ma\"", true)]
    [InlineData("patient.gender", "in", "[\"male\", \"female\"]", true)]
    [InlineData("coverage.memberId", "startsWith", "\"xyz\"", true)]
    [InlineData("rendering.npi", "endsWith", "\"070\"", true)]
    [InlineData("claim.priority", "eq", "\"normal\"", true)]
    [InlineData("claim.use", "eq", "\"claim\"", true)]
    public void Text_Operators_CompareOrdinalIgnoreCase(string field, string op, string? value, bool expected) =>
        Assert.Equal(expected, RuleKit.Holds(C(field, op, value)));

    [Theory]
    [InlineData("claim.total", "eq", "660", true)]
    [InlineData("claim.total", "eq", "660.00", true)]
    [InlineData("claim.total", "gt", "659.99", true)]
    [InlineData("claim.total", "gt", "660", false)]
    [InlineData("claim.total", "gte", "660", true)]
    [InlineData("claim.total", "lt", "660", false)]
    [InlineData("claim.total", "lte", "660", true)]
    [InlineData("claim.total", "between", "[600, 660]", true)]
    [InlineData("claim.total", "between", "[661, 700]", false)]
    [InlineData("claim.total", "in", "[1, 660]", true)]
    [InlineData("claim.total", "notIn", "[1, 660]", false)]
    [InlineData("claim.total", "neq", "1", true)]
    [InlineData("patient.age", "eq", "7", true)]
    [InlineData("patient.age", "lt", "18", true)]
    [InlineData("item.count", "eq", "2", true)]
    [InlineData("risk.score", "eq", "0", true)]
    public void Number_Operators_CompareNumerically(string field, string op, string value, bool expected) =>
        Assert.Equal(expected, RuleKit.Holds(C(field, op, value)));

    [Theory]
    [InlineData("eq", "\"2026-03-02\"", true)]
    [InlineData("gt", "\"2026-03-01\"", true)]
    [InlineData("gt", "\"2026-03-02\"", false)]
    [InlineData("gte", "\"2026-03-02\"", true)]
    [InlineData("lt", "\"2026-12-31\"", true)]
    [InlineData("lte", "\"2026-03-01\"", false)]
    [InlineData("between", "[\"2026-03-01\", \"2026-03-02\"]", true)]
    [InlineData("between", "[\"2026-03-03\", \"2026-04-01\"]", false)]
    [InlineData("in", "[\"2025-01-01\", \"2026-03-02\"]", true)]
    [InlineData("neq", "\"2026-03-02\"", false)]
    public void Date_Operators_CompareCalendarDates(string op, string value, bool expected) =>
        Assert.Equal(expected, RuleKit.Holds(C("claim.serviceDate", op, value)));

    [Fact]
    public void PatientAge_BirthdayNotYetReached_CountsWholeYears()
    {
        var claim = RuleKit.Claim() with { PatientBirthDate = new DateOnly(2016, 3, 3) };

        Assert.True(RuleKit.Holds(C("patient.age", "eq", "9"), claim));
        Assert.True(RuleKit.Holds(C("patient.age", "eq", "10"), claim with { PatientBirthDate = new DateOnly(2016, 3, 2) }));
    }

    [Fact]
    public void ClaimTotal_NoTotal_FallsBackToSumOfItemCharges()
    {
        Assert.True(RuleKit.Holds(C("claim.total", "eq", "660"), RuleKit.Claim() with { Total = null }));
        Assert.True(RuleKit.Holds(C("claim.total", "eq", "99"), RuleKit.Claim() with { Total = 99 }));
    }

    [Theory]
    [InlineData("item.cpt", "eq", "\"90837\"", true)]
    [InlineData("item.cpt", "in", "[\"97151\", \"97153\"]", true)]
    [InlineData("item.cpt", "neq", "\"90837\"", false)]
    [InlineData("item.cpt", "neq", "\"99213\"", true)]
    [InlineData("item.cpt", "notIn", "[\"97153\", \"1\"]", false)]
    [InlineData("item.cpt", "notIn", "[\"99213\"]", true)]
    [InlineData("item.cpt", "startsWith", "\"9715\"", true)]
    [InlineData("item.modifiers", "eq", "\"gt\"", true)]
    [InlineData("item.modifiers", "exists", null, true)]
    [InlineData("item.units", "gt", "7", true)]
    [InlineData("item.units", "gt", "8", false)]
    [InlineData("item.units", "eq", "1", true)]
    [InlineData("item.charge", "between", "[100, 200]", true)]
    [InlineData("item.charge", "neq", "480", false)]
    [InlineData("item.placeOfService", "eq", "\"11\"", true)]
    [InlineData("diagnosis.codes", "eq", "\"f41.1\"", true)]
    [InlineData("diagnosis.codes", "matches", "\"^F8\"", true)]
    [InlineData("diagnosis.principal", "eq", "\"F84.0\"", true)]
    [InlineData("diagnosis.principal", "eq", "\"F41.1\"", false)]
    public void ListFields_AnyValueSatisfies_NegationsMeanNoValueMatches(string field, string op, string? value, bool expected) =>
        Assert.Equal(expected, RuleKit.Holds(C(field, op, value)));

    [Theory]
    [InlineData("eq", "\"x\"", false)]
    [InlineData("in", "[\"x\"]", false)]
    [InlineData("contains", "\"x\"", false)]
    [InlineData("matches", "\".*\"", false)]
    [InlineData("neq", "\"x\"", true)]
    [InlineData("notIn", "[\"x\"]", true)]
    [InlineData("exists", null, false)]
    [InlineData("missing", null, true)]
    public void EmptyListField_OnlyMissingNeqAndNotInHold(string op, string? value, bool expected)
    {
        var claim = RuleKit.Claim() with { Tags = [] };

        Assert.Equal(expected, RuleKit.Holds(C("claim.tags", op, value), claim));
    }

    [Theory]
    [InlineData("payer.id", "eq", "\"x\"", false)]
    [InlineData("payer.id", "startsWith", "\"x\"", false)]
    [InlineData("payer.id", "matches", "\".*\"", false)]
    [InlineData("payer.id", "neq", "\"x\"", true)]
    [InlineData("payer.id", "notIn", "[\"x\"]", true)]
    [InlineData("payer.id", "exists", null, false)]
    [InlineData("payer.id", "missing", null, true)]
    [InlineData("claim.total", "gt", "0", false)]
    [InlineData("claim.total", "lt", "1000000", false)]
    [InlineData("claim.total", "between", "[0, 10]", false)]
    [InlineData("claim.total", "neq", "1", true)]
    [InlineData("claim.total", "missing", null, true)]
    [InlineData("patient.age", "gte", "0", false)]
    [InlineData("patient.age", "missing", null, true)]
    [InlineData("claim.created", "lt", "\"2100-01-01\"", false)]
    [InlineData("claim.created", "notIn", "[\"2026-01-01\"]", true)]
    [InlineData("diagnosis.principal", "missing", null, true)]
    [InlineData("item.count", "eq", "0", true)]
    [InlineData("item.cpt", "missing", null, true)]
    public void MissingValue_EveryOperatorFalseExceptMissingNeqNotIn(string field, string op, string? value, bool expected)
    {
        var claim = RuleKit.Claim() with
        {
            PayerId = "",
            Total = null,
            Items = [],
            Created = null,
            PatientBirthDate = null,
            Diagnoses = [new DiagnosisFacts(2, ["F41.1"])],
        };

        Assert.Equal(expected, RuleKit.Holds(C(field, op, value), claim));
    }

    [Fact]
    public void Authorization_NoLookupResult_StatusNoneAndNumberFromPreAuthRef()
    {
        var claim = RuleKit.Claim() with { PreAuthRefs = ["PA-77"] };

        Assert.True(RuleKit.Holds(C("authorization.status", "eq", "\"NONE\""), claim));
        Assert.True(RuleKit.Holds(C("authorization.number", "eq", "\"PA-77\""), claim));
        Assert.True(RuleKit.Holds(C("authorization.unitsRemaining", "missing"), claim));
        Assert.True(RuleKit.Holds(C("authorization.daysToExpiry", "missing"), claim));
        Assert.True(RuleKit.Holds(C("authorization.number", "missing")));
    }

    [Fact]
    public void Authorization_MatchingAuthorization_FieldsReadItsFacts()
    {
        var auth = new AuthorizationFacts("AUTH-9", AuthorizationStatuses.ExpiringSoon, 100, 64, new DateOnly(2026, 1, 1), new DateOnly(2026, 3, 20));
        var context = new EvaluationContext(auth, RiskAssessment.None);

        Assert.True(RuleKit.Holds(C("authorization.status", "eq", "\"expiring_soon\""), context: context));
        Assert.True(RuleKit.Holds(C("authorization.number", "eq", "\"AUTH-9\""), context: context));
        Assert.True(RuleKit.Holds(C("authorization.unitsRemaining", "eq", "36"), context: context));
        Assert.True(RuleKit.Holds(C("authorization.daysToExpiry", "eq", "18"), context: context));
        Assert.True(RuleKit.Holds(C("authorization.number", "eq", "\"PA-1\""), RuleKit.Claim() with { PreAuthRefs = ["PA-1"] }, context));
    }

    [Fact]
    public void EvaluationContextCreate_UsesTheLookup()
    {
        var auth = new AuthorizationFacts("AUTH-1", AuthorizationStatuses.Active, 10, 0, new DateOnly(2026, 1, 1), new DateOnly(2026, 12, 31));
        var lookup = new Moq.Mock<IAuthorizationLookup>();
        lookup.Setup(l => l.FindMatching(Moq.It.IsAny<ClaimFacts>())).Returns(auth);

        var context = EvaluationContext.Create(RuleKit.Claim(), lookup.Object);

        Assert.Same(auth, context.Authorization);
        Assert.True(RuleKit.Holds(C("authorization.status", "eq", "\"ACTIVE\""), context: context));
    }

    [Fact]
    public void RiskScore_ReadsTheContextScore()
    {
        var context = new EvaluationContext(null, new RiskAssessment(72, []));

        Assert.True(RuleKit.Holds(C("risk.score", "gte", "70"), context: context));
    }

    [Fact]
    public void Matches_CatastrophicPattern_TimesOutAsFalseAndTraceSaysSo()
    {
        var claim = RuleKit.Claim() with { PayerName = new string('a', 40) + "!" };
        var rules = RuleKit.Probe(C("payer.name", "matches", "\"^(a+)+$\""));

        var result = rules.Evaluate(claim, EvaluationContext.Empty);

        Assert.DoesNotContain("hit", result.Tags);
        var condition = result.Trace[0].Conditions!;
        Assert.True(condition.TimedOut);
        Assert.False(condition.Result);
        Assert.Contains("\"timedOut\":true", System.Text.Encoding.UTF8.GetString(result.ToJson()), StringComparison.Ordinal);
    }

    [Fact]
    public void ClaimTags_IncomingTags_AreReadCaseInsensitively()
    {
        var claim = RuleKit.Claim() with { Tags = ImmutableArray.Create("VIP") };

        Assert.True(RuleKit.Holds(C("claim.tags", "eq", "\"vip\""), claim));
    }
}
