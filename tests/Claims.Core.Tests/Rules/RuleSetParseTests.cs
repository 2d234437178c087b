using System.Text;
using System.Text.Json;
using Claims.Core.Rules;

namespace Claims.Core.Tests.Rules;

public sealed class RuleSetParseTests
{
    [Theory]
    [InlineData("not json")]
    [InlineData("{ \"rules\": [ ")]
    public void Parse_InvalidJson_ReturnsOneStructureIssueAndNoDocument(string json)
    {
        var result = RuleKit.Parse(json);

        Assert.Null(result.Document);
        var issue = Assert.Single(result.Issues);
        Assert.Equal("structure", issue.Code);
    }

    [Fact]
    public void Parse_RootNotObject_ReturnsStructureIssue()
    {
        var result = RuleKit.Parse("[]");

        Assert.Null(result.Document);
        Assert.Equal("structure", Assert.Single(result.Issues).Code);
    }

    [Fact]
    public void Parse_ValidDocument_ReadsVersionRulesAndMetadata()
    {
        var result = RuleKit.Parse("""
        { "version": "7", "rules": [ { "id": "a.b_c-1", "name": "N", "description": "D", "enabled": false,
          "effectiveFrom": "2026-01-01", "effectiveTo": "2026-12-31",
          "if": { "always": true }, "then": { "actions": [] } } ] }
        """);

        Assert.True(result.IsValid);
        Assert.Equal("7", result.Document!.Version);
        var rule = Assert.IsType<RuleDefinition>(Assert.Single(result.Document.Rules));
        Assert.Equal("a.b_c-1", rule.Id);
        Assert.False(rule.Enabled);
        Assert.Equal(new DateOnly(2026, 1, 1), rule.EffectiveFrom);
        Assert.Equal(new DateOnly(2026, 12, 31), rule.EffectiveTo);
        Assert.Equal("N", rule.Name);
    }

    [Theory]
    [InlineData("""{ "field": "payer.idd", "op": "eq", "value": "X" }""", "rules[0].if.field", "invalid")]
    [InlineData("""{ "field": "payer.id", "op": "gt", "value": "X" }""", "rules[0].if.op", "invalid")]
    [InlineData("""{ "field": "payer.id", "op": "equals", "value": "X" }""", "rules[0].if.op", "invalid")]
    [InlineData("""{ "field": "claim.total", "op": "contains", "value": "1" }""", "rules[0].if.op", "invalid")]
    [InlineData("""{ "field": "claim.total", "op": "gt", "value": "100" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "payer.id", "op": "eq", "value": 5 }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "claim.serviceDate", "op": "gt", "value": "03/02/2026" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "claim.serviceDate", "op": "gt", "value": "2026-02-30" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "claim.total", "op": "between", "value": [10] }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "claim.total", "op": "between", "value": [10, 5] }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "claim.total", "op": "between", "value": 10 }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "payer.id", "op": "matches", "value": "([a-z" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "payer.id", "op": "in", "value": "X" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "payer.id", "op": "in", "value": [] }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "payer.id", "op": "in", "value": ["A", 3] }""", "rules[0].if.value[1]", "value")]
    [InlineData("""{ "field": "payer.id", "op": "exists", "value": "A" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "field": "payer.id", "op": "eq" }""", "rules[0].if.value", "invalid")]
    [InlineData("""{ "field": "authorization.status", "op": "eq", "value": "VALID" }""", "rules[0].if.value", "value")]
    [InlineData("""{ "always": false }""", "rules[0].if.always", "value")]
    [InlineData("""{ "and": [] }""", "rules[0].if.and", "invalid")]
    [InlineData("""{ }""", "rules[0].if", "invalid")]
    [InlineData("""{ "field": "payer.id", "op": "exists", "and": [] }""", "rules[0].if.and", "invalid")]
    [InlineData("""{ "nor": [] }""", "rules[0].if.nor", "invalid")]
    public void Parse_BadCondition_ReportsIssueAtPath(string condition, string path, string code)
    {
        var result = RuleKit.Parse($$"""{ "rules": [ { "id": "r", "if": {{condition}}, "then": { "actions": [] } } ] }""");

        Assert.Contains(result.Issues, i => i.Expression == path && i.Code == code);
        Assert.IsType<UnreadableRule>(Assert.Single(result.Document!.Rules));
    }

    [Theory]
    [InlineData("""{ "setField": "payer.name", "value": 3 }""", "rules[0].then.actions[0].value")]
    [InlineData("""{ "setField": "coverage.memberId", "value": "X" }""", "rules[0].then.actions[0].setField")]
    [InlineData("""{ "setField": "payer.idx", "value": "X" }""", "rules[0].then.actions[0].setField")]
    [InlineData("""{ "setField": "payer.id" }""", "rules[0].then.actions[0].value")]
    [InlineData("""{ "setField": "claim.priority", "value": "urgent" }""", "rules[0].then.actions[0].value")]
    [InlineData("""{ "addModifier": "959" }""", "rules[0].then.actions[0].addModifier")]
    [InlineData("""{ "addModifier": "95", "forCpt": [] }""", "rules[0].then.actions[0].forCpt")]
    [InlineData("""{ "applyTag": "  " }""", "rules[0].then.actions[0].applyTag")]
    [InlineData("""{ "removeTag": "hold" }""", "rules[0].then.actions[0].removeTag")]
    [InlineData("""{ "hold": 1 }""", "rules[0].then.actions[0].hold")]
    [InlineData("""{ }""", "rules[0].then.actions[0]")]
    [InlineData("""{ "sendEmail": "x" }""", "rules[0].then.actions[0].sendEmail")]
    [InlineData("""{ "applyTag": "a", "hold": "b" }""", "rules[0].then.actions[0].hold")]
    [InlineData("""{ "applyTag": "a", "value": "b" }""", "rules[0].then.actions[0].value")]
    public void Parse_BadAction_ReportsIssueAtPath(string action, string path)
    {
        var result = RuleKit.Parse($$"""{ "rules": [ { "id": "r", "if": { "always": true }, "then": { "actions": [ {{action}} ] } } ] }""");

        Assert.Contains(result.Issues, i => i.Expression == path);
        Assert.False(result.IsValid);
    }

    [Theory]
    [InlineData("""{ "id": "r", "then": { "actions": [] } }""", "rules[0].if")]
    [InlineData("""{ "id": "r", "if": { "always": true } }""", "rules[0].then")]
    [InlineData("""{ "if": { "always": true }, "then": { "actions": [] } }""", "rules[0].id")]
    [InlineData("""{ "id": "has space", "if": { "always": true }, "then": { "actions": [] } }""", "rules[0].id")]
    [InlineData("""{ "id": "r", "if": { "always": true }, "then": { } }""", "rules[0].then")]
    [InlineData("""{ "id": "r", "if": { "always": true }, "then": { "if": { "always": true } } }""", "rules[0].then.then")]
    [InlineData("""{ "id": "r", "if": { "always": true }, "then": { "actions": [] }, "elseIf": [ { "then": { "actions": [] } } ] }""", "rules[0].elseIf[0].if")]
    [InlineData("""{ "id": "r", "effectiveFrom": "2026-05-01", "effectiveTo": "2026-01-01", "if": { "always": true }, "then": { "actions": [] } }""", "rules[0].effectiveTo")]
    [InlineData("""{ "id": "r", "enabled": "yes", "if": { "always": true }, "then": { "actions": [] } }""", "rules[0].enabled")]
    [InlineData("""{ "id": "r", "when": {}, "if": { "always": true }, "then": { "actions": [] } }""", "rules[0].when")]
    [InlineData("\"rule\"", "rules[0]")]
    public void Parse_BadRule_ReportsIssueAtPath(string rule, string path)
    {
        var result = RuleKit.Parse($$"""{ "rules": [ {{rule}} ] }""");

        Assert.Contains(result.Issues, i => i.Expression == path);
    }

    [Fact]
    public void Parse_DuplicateRuleIds_ReportsTheSecond()
    {
        var result = RuleKit.Parse("""
        { "rules": [
          { "id": "same", "if": { "always": true }, "then": { "actions": [] } },
          { "id": "same", "if": { "always": true }, "then": { "actions": [] } } ] }
        """);

        var issue = Assert.Single(result.Issues);
        Assert.Equal("rules[1].id", issue.Expression);
        Assert.Contains("rules[0]", issue.Diagnostics, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ManyProblems_ListsEveryOneWithItsPath()
    {
        var result = RuleKit.Parse("""
        { "rules": [
          { "id": "ok", "if": { "always": true }, "then": { "actions": [] } },
          { "id": "two", "if": { "field": "nope", "op": "eq", "value": "x" }, "then": { "actions": [ { "explode": true } ] } },
          { "id": "three", "if": { "always": true }, "then": { "actions": [] },
            "elseIf": [ { "if": { "and": [ { "field": "payer.id", "op": "exists" }, { "field": "claim.total", "op": "gt", "value": "x" } ] },
                          "then": { "if": { "not": { "field": "item.units", "op": "between", "value": [5, 1] } }, "then": { "actions": [ { "setField": "patient.age", "value": "3" } ] } } } ],
            "else": { "actions": [ { "addModifier": "95", "forCpt": [1] } ] } }
        ] }
        """);

        var paths = result.Issues.Select(i => i.Expression).ToHashSet();
        Assert.Equal(
            new HashSet<string?>
            {
                "rules[1].if.field",
                "rules[1].then.actions[0].explode",
                "rules[2].elseIf[0].if.and[1].value",
                "rules[2].elseIf[0].then.if.not.value",
                "rules[2].elseIf[0].then.then.actions[0].setField",
                "rules[2].else.actions[0].forCpt[0]",
            },
            paths);
        Assert.All(result.Issues, i => Assert.Contains(i.Code, new[] { "invalid", "value" }));
        Assert.IsType<RuleDefinition>(result.Document!.Rules[0]);
        Assert.IsType<UnreadableRule>(result.Document.Rules[1]);
        Assert.IsType<UnreadableRule>(result.Document.Rules[2]);
    }

    [Fact]
    public void Parse_DeepNesting_ReadsConditionsAndOutcomesToAnyDepth()
    {
        var condition = "{ \"field\": \"payer.id\", \"op\": \"eq\", \"value\": \"BCBSMA\" }";
        for (var i = 0; i < 40; i++)
        {
            condition = i % 3 == 0 ? $"{{ \"not\": {{ \"not\": {condition} }} }}" : i % 3 == 1 ? $"{{ \"and\": [ {condition} ] }}" : $"{{ \"or\": [ {condition} ] }}";
        }

        var outcome = "{ \"actions\": [ { \"applyTag\": \"deep\" } ] }";
        for (var i = 0; i < 20; i++)
        {
            outcome = $"{{ \"if\": {{ \"always\": true }}, \"then\": {outcome} }}";
        }

        var rules = RuleKit.Compile($$"""[ { "id": "deep", "if": {{condition}}, "then": {{outcome}} } ]""");

        Assert.Contains("deep", rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty).Tags);
    }

    [Fact]
    public void ToJson_RoundTrip_ProducesAnEquivalentDocument()
    {
        var source = """
        { "rules": [ { "id": "r", "name": "n", "effectiveFrom": "2026-01-01",
          "if": { "and": [ { "field": "claim.total", "op": "between", "value": [1.5, 100] }, { "not": { "field": "claim.created", "op": "in", "value": ["2026-01-02"] } } ] },
          "then": { "if": { "field": "payer.id", "op": "matches", "value": "^B" }, "then": { "actions": [ { "setField": "item.placeOfService", "value": "02" }, { "addModifier": "95", "forCpt": ["90837"] } ] },
                    "else": { "actions": [ { "applyTag": " HOLD " } ] } },
          "elseIf": [ { "if": { "field": "claim.tags", "op": "missing" }, "then": { "actions": [ { "hold": "why" }, { "removeTag": "x" } ] } } ] } ] }
        """;
        var first = RuleKit.Document(source).ToJson("2");
        var second = RuleKit.Document(Encoding.UTF8.GetString(first)).ToJson("2");

        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
        using var json = JsonDocument.Parse(first);
        Assert.Equal("2", json.RootElement.GetProperty("version").GetString());
        var actions = json.RootElement.GetProperty("rules")[0].GetProperty("then").GetProperty("else").GetProperty("actions");
        Assert.Equal("Hold", actions[0].GetProperty("applyTag").GetString());
    }

    [Fact]
    public void ApplyTagHold_AnyCaseOrSpacing_IsAHoldWithNoReason()
    {
        var document = RuleKit.Document("""{ "rules": [ { "id": "r", "if": { "always": true }, "then": { "actions": [ { "applyTag": " hOlD " } ] } } ] }""");

        var rule = Assert.IsType<RuleDefinition>(Assert.Single(document.Rules));
        var action = Assert.Single(Assert.IsType<ActionsOutcome>(rule.Then).Actions);
        Assert.Equal(new HoldAction(null), action);
    }

    [Fact]
    public void ToJson_UnreadableRule_IsWrittenVerbatim()
    {
        const string broken = """{"id":"old","if":{"field":"claim.legacyField","op":"eq","value":"x"},"then":{"actions":[]},"custom":[1,2]}""";
        var parsed = RuleKit.Parse($$"""{ "rules": [ {{broken}}, { "id": "fine", "if": { "always": true }, "then": { "actions": [] } } ] }""");

        var written = Encoding.UTF8.GetString(parsed.Document!.ToJson("5"));

        using var json = JsonDocument.Parse(written);
        Assert.Equal(broken, JsonSerializer.Serialize(json.RootElement.GetProperty("rules")[0]));
        Assert.Equal("fine", json.RootElement.GetProperty("rules")[1].GetProperty("id").GetString());
    }

    [Fact]
    public void Parse_WithPrevious_UnchangedUnreadableRuleIsAcceptedButANewBrokenRuleIsNot()
    {
        const string broken = """{ "id": "old", "if": { "field": "claim.legacyField", "op": "eq", "value": "x" }, "then": { "actions": [] } }""";
        var stored = RuleKit.Parse($$"""{ "rules": [ {{broken}} ] }""").Document!;
        var resent = Encoding.UTF8.GetBytes($$"""{"rules":[{{broken.Replace(" ", string.Empty, StringComparison.Ordinal)}}, { "id": "new", "if": { "field": "nope", "op": "exists" }, "then": { "actions": [] } } ]}""");

        var result = RuleSetDocument.Parse(resent, stored);

        var issue = Assert.Single(result.Issues);
        Assert.Equal("rules[1].if.field", issue.Expression);
        Assert.IsType<UnreadableRule>(result.Document!.Rules[0]);
    }

    [Fact]
    public void Parse_IssueDiagnostics_DoNotEchoTestClaimValues()
    {
        var result = RuleKit.Parse("""
        { "rules": [], "tests": [ { "name": "t", "claim": { "patient.birthDate": "13/13/1999", "coverage.memberId": 42 }, "expect": { "outcome": "PASS" } } ] }
        """);

        Assert.Equal(2, result.Issues.Count);
        Assert.DoesNotContain(result.Issues, i => i.Diagnostics.Contains("1999", StringComparison.Ordinal) || i.Diagnostics.Contains("42", StringComparison.Ordinal));
        Assert.Contains(result.Issues, i => i.Expression == "tests[0].claim.patient.birthDate");
    }
}
