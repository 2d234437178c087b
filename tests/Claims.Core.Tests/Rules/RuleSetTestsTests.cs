using Claims.Core.Rules;

namespace Claims.Core.Tests.Rules;

public sealed class RuleSetTestsTests
{
    private const string Rules = """
        "rules": [
          { "id": "auth-required", "if": { "and": [ { "field": "item.cpt", "op": "startsWith", "value": "9715" }, { "field": "authorization.status", "op": "eq", "value": "NONE" } ] },
            "then": { "actions": [ { "hold": "Missing authorization" } ] } },
          { "id": "tele", "if": { "field": "item.placeOfService", "op": "eq", "value": "02" }, "then": { "actions": [ { "addModifier": "95" }, { "setField": "payer.name", "value": "Tele Payer" } ] } },
          { "id": "risky", "if": { "field": "risk.score", "op": "gte", "value": 50 }, "then": { "actions": [ { "applyTag": "review" } ] } }
        ]
        """;

    private static IReadOnlyList<RuleTestFailure> Run(string tests)
    {
        var document = RuleKit.Document($$"""{ {{Rules}}, "tests": {{tests}} }""");
        return RuleSetTests.Run(RuleSetCompiler.Compile(document, "1"), document);
    }

    [Fact]
    public void Run_PassingTests_ReturnsNoFailures()
    {
        var failures = Run("""
        [ { "name": "aba without auth", "claim": { "items": [ { "cpt": ["97153"], "units": 4 } ] }, "expect": { "outcome": "HOLD", "heldBy": "auth-required", "tags": ["hold"] } },
          { "name": "aba with auth", "claim": { "items": [ { "cpt": "97153" } ] }, "authorization": { "status": "ACTIVE", "unitsAuthorized": 10 }, "expect": { "outcome": "PASS", "tagsAbsent": ["Hold"] } },
          { "name": "tele", "claim": { "payer.name": "Old", "items": [ { "cpt": ["90837"], "placeOfService": ["02"], "modifiers": ["GT"] } ], "risk.score": 10 },
            "expect": { "outcome": "PASS", "fields": { "item.modifiers": ["GT", "95"], "payer.name": "tele payer", "payer.id": null, "item.count": 1 } } },
          { "name": "risk override", "claim": { "risk.score": 80 }, "expect": { "outcome": "PASS", "tags": ["review"] } } ]
        """);

        Assert.Empty(failures);
    }

    [Fact]
    public void Run_FailingTests_ReturnsReadableDifferences()
    {
        var failures = Run("""
        [ { "name": "wrong outcome", "claim": { "items": [ { "cpt": ["90837"] } ] }, "expect": { "outcome": "HOLD", "heldBy": "auth-required" } },
          { "name": "wrong holder", "claim": { "items": [ { "cpt": ["97153"] } ] }, "expect": { "outcome": "HOLD", "heldBy": "tele" } },
          { "name": "missing tag", "claim": { "risk.score": 0 }, "expect": { "outcome": "PASS", "tags": ["review"] } },
          { "name": "wrong field", "claim": { "items": [ { "cpt": ["90837"], "placeOfService": ["02"] } ] }, "expect": { "outcome": "PASS", "fields": { "item.modifiers": ["GT"] } } } ]
        """);

        Assert.Equal(
            [
                new RuleTestFailure("wrong outcome", "expected HOLD by auth-required, got PASS"),
                new RuleTestFailure("wrong holder", "expected HOLD by tele, got HOLD by auth-required"),
                new RuleTestFailure("missing tag", "expected tag 'review', got tags []"),
                new RuleTestFailure("wrong field", "expected item.modifiers [GT], got [95]"),
            ],
            failures);
    }

    [Theory]
    [InlineData("""[ { "name": "t", "claim": { "payer.idd": "X" }, "expect": { "outcome": "PASS" } } ]""", "tests[0].claim.payer.idd")]
    [InlineData("""[ { "name": "t", "claim": { "payer.id": 3 }, "expect": { "outcome": "PASS" } } ]""", "tests[0].claim.payer.id")]
    [InlineData("""[ { "name": "t", "claim": { "patient.age": 3 }, "expect": { "outcome": "PASS" } } ]""", "tests[0].claim.patient.age")]
    [InlineData("""[ { "name": "t", "claim": { "items": [ { "cpt": ["1"], "unit": 2 } ] }, "expect": { "outcome": "PASS" } } ]""", "tests[0].claim.items[0].unit")]
    [InlineData("""[ { "name": "t", "claim": {}, "expect": { "outcome": "MAYBE" } } ]""", "tests[0].expect.outcome")]
    [InlineData("""[ { "name": "t", "claim": {}, "expect": { "outcome": "HOLD", "heldBy": "nope" } } ]""", "tests[0].expect.heldBy")]
    [InlineData("""[ { "name": "t", "claim": {}, "expect": {} } ]""", "tests[0].expect.outcome")]
    [InlineData("""[ { "name": "t", "claim": {}, "authorization": { "status": "GOOD" }, "expect": { "outcome": "PASS" } } ]""", "tests[0].authorization.status")]
    [InlineData("""[ { "name": "t", "expect": { "outcome": "PASS" } } ]""", "tests[0].claim")]
    [InlineData("""[ { "name": "t", "claim": {}, "expect": { "outcome": "PASS" } }, { "name": "T", "claim": {}, "expect": { "outcome": "PASS" } } ]""", "tests[1].name")]
    [InlineData("""[ { "name": "t", "claim": {}, "expect": { "outcome": "PASS", "fields": { "x.y": 1 } } } ]""", "tests[0].expect.fields.x.y")]
    public void Parse_BadTest_ReportsIssueAtPath(string tests, string path)
    {
        var result = RuleKit.Parse($$"""{ {{Rules}}, "tests": {{tests}} }""");

        Assert.Contains(result.Issues, i => i.Expression == path);
    }

    [Fact]
    public void Run_UnreadableTest_IsReportedAsFailing()
    {
        var parsed = RuleKit.Parse($$"""{ {{Rules}}, "tests": [ { "name": "old", "claim": { "claim.legacy": 1 }, "expect": { "outcome": "PASS" } } ] }""");

        var failures = RuleSetTests.Run(RuleSetCompiler.Compile(parsed.Document!, "1"), parsed.Document!);

        var failure = Assert.Single(failures);
        Assert.Equal("old", failure.TestName);
        Assert.StartsWith("the test could not be read", failure.Difference, StringComparison.Ordinal);
    }

    [Fact]
    public void StarterRuleSet_LoadsValidAndPassesItsOwnTests()
    {
        var document = StarterRuleSet.Load();

        var failures = RuleSetTests.Run(RuleSetCompiler.Compile(document, "1"), document);

        Assert.Empty(failures);
        Assert.True(document.Tests.Count >= 10);
        Assert.Contains(document.Rules, r => r.Id == "aba-auth-required");
        Assert.Contains(document.Rules, r => r.Id == "principal-dx-required");
        Assert.Contains(document.Rules, r => r.Id == "telehealth-modifier-95");
    }

    [Fact]
    public void StarterRuleSet_RoundTripsThroughToJson()
    {
        var json = StarterRuleSet.Load().ToJson("1");

        var reread = RuleSetDocument.Parse(json);

        Assert.True(reread.IsValid);
        Assert.Equal(StarterRuleSet.Load().Rules, reread.Document!.Rules, new RuleEntryComparer());
    }

    private sealed class RuleEntryComparer : IEqualityComparer<RuleEntry>
    {
        public bool Equals(RuleEntry? x, RuleEntry? y) =>
            x is RuleDefinition a && y is RuleDefinition b
                ? (a.Id, a.Name, a.Enabled, a.EffectiveFrom, a.EffectiveTo) == (b.Id, b.Name, b.Enabled, b.EffectiveFrom, b.EffectiveTo)
                : Equals(x, y);

        public int GetHashCode(RuleEntry obj) => obj.Id?.GetHashCode(StringComparison.Ordinal) ?? 0;
    }
}
