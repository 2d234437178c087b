using System.Text;
using Claims.Core.Claims;
using Claims.Core.Rules;

namespace Claims.Core.Tests.Rules;

/// <summary>Builders for rule-engine tests: rule sets from JSON snippets and a realistic sample claim.</summary>
internal static class RuleKit
{
    public static readonly DateOnly ServiceDate = new(2026, 3, 2);

    public static ClaimFacts Claim() => new()
    {
        Type = "professional",
        Use = "claim",
        Priority = "normal",
        Created = new DateOnly(2026, 3, 3),
        ServiceDate = ServiceDate,
        SubmittedVia = "ehr_webhook",
        PatientGender = "female",
        PatientBirthDate = new DateOnly(2018, 4, 2),
        PatientState = "MA",
        PatientIdentifier = "urn:mrn|A-1",
        PayerId = "BCBSMA",
        PayerName = "Blue Cross Blue Shield of Massachusetts",
        MemberId = "XYZ123456",
        ProviderNpi = "1234567893",
        RenderingNpi = "1518967070",
        Items =
        [
            new ClaimItemFacts { Sequence = 1, Codes = ["97153"], Units = 8, Charge = 480, PlaceOfService = ["11"] },
            new ClaimItemFacts { Sequence = 2, Codes = ["90837"], Modifiers = ["GT"], Units = 1, Charge = 180, PlaceOfService = ["11"] },
        ],
        Diagnoses = [new DiagnosisFacts(1, ["F84.0"]), new DiagnosisFacts(2, ["F41.1"])],
    };

    public static RuleSetParseResult Parse(string json) => RuleSetDocument.Parse(Encoding.UTF8.GetBytes(json));

    public static RuleSetDocument Document(string json)
    {
        var result = Parse(json);
        Assert.True(result.Issues.Count == 0, string.Join("\n", result.Issues.Select(i => $"{i.Expression}: {i.Diagnostics}")));
        return result.Document!;
    }

    public static CompiledRuleSet Compile(string rulesArray, string version = "1") =>
        RuleSetCompiler.Compile(Document($$"""{ "rules": {{rulesArray}} }"""), version);

    /// <summary>One rule "r" that tags the claim "hit" when <paramref name="condition"/> holds.</summary>
    public static CompiledRuleSet Probe(string condition) =>
        Compile($$"""[ { "id": "r", "if": {{condition}}, "then": { "actions": [ { "applyTag": "hit" } ] } } ]""");

    public static bool Holds(string condition, ClaimFacts? claim = null, EvaluationContext? context = null) =>
        Probe(condition).Evaluate(claim ?? Claim(), context ?? EvaluationContext.Empty).Tags.Contains("hit");

    public static string[] Modifiers(this RuleResult result, int sequence) =>
        result.Claim.Items.Single(i => i.Sequence == sequence).Modifiers.ToArray();
}
