using System.Text;
using System.Text.Json;
using Claims.Core.Rules;

namespace Claims.Core.Tests.Rules;

public sealed class EvaluationTests
{
    [Fact]
    public void SetField_ScalarField_ChangesClaimAndRecordsChange()
    {
        var rules = RuleKit.Compile("""[ { "id": "fix-payer", "if": { "field": "payer.id", "op": "eq", "value": "BCBSMA" }, "then": { "actions": [ { "setField": "payer.id", "value": "60054" }, { "setField": "claim.priority", "value": "stat" } ] } } ]""");

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal("60054", result.Claim.PayerId);
        Assert.Equal("stat", result.Claim.Priority);
        var change = result.Changes[0];
        Assert.Equal(("payer.id", "fix-payer", "BCBSMA", "60054"), (change.Field, change.RuleId, change.Before.Text, change.After.Text));
        Assert.Equal(2, result.Changes.Count);
    }

    [Fact]
    public void SetField_ItemField_SetsEveryItem()
    {
        var rules = RuleKit.Compile("""[ { "id": "pos", "if": { "always": true }, "then": { "actions": [ { "setField": "item.placeOfService", "value": "02" } ] } } ]""");

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.All(result.Claim.Items, i => Assert.Equal(["02"], i.PlaceOfService.ToArray()));
        Assert.Equal([1, 2], result.Changes.Select(c => c.ItemSequence!.Value));
    }

    [Fact]
    public void AddModifier_ForCpt_OnlyMatchingItemsAndNoDuplicates()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "m", "if": { "always": true }, "then": { "actions": [
            { "addModifier": "95", "forCpt": ["90837"] }, { "addModifier": "gt", "forCpt": ["90837"] }, { "addModifier": "95", "forCpt": ["90837"] } ] } } ]
        """);

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Empty(result.Modifiers(1));
        Assert.Equal(["GT", "95"], result.Modifiers(2));
        var change = Assert.Single(result.Changes);
        Assert.Equal(["GT"], change.Before.List.ToArray());
        Assert.Equal(["GT", "95"], change.After.List.ToArray());
    }

    [Fact]
    public void AddModifier_NoForCpt_AllItems()
    {
        var rules = RuleKit.Compile("""[ { "id": "m", "if": { "always": true }, "then": { "actions": [ { "addModifier": "HO" } ] } } ]""");

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal(["HO"], result.Modifiers(1));
        Assert.Equal(["GT", "HO"], result.Modifiers(2));
    }

    [Fact]
    public void Tags_TrimmedAndCaseInsensitive()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "t", "if": { "always": true }, "then": { "actions": [
            { "applyTag": "  needs-review " }, { "applyTag": "NEEDS-REVIEW" }, { "applyTag": "aba" }, { "removeTag": " ABA " }, { "removeTag": "vip" } ] } } ]
        """);

        var result = rules.Evaluate(RuleKit.Claim() with { Tags = ["VIP"] }, EvaluationContext.Empty);

        Assert.Equal(["needs-review"], result.Tags.ToArray());
        Assert.Equal(["needs-review"], result.Claim.Tags.ToArray());
        Assert.False(result.IsHold);
    }

    [Fact]
    public void Hold_RemainingActionsOfOutcomeRun_LaterRulesDoNot()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "first", "if": { "always": true }, "then": { "actions": [ { "applyTag": "one" } ] } },
          { "id": "holder", "if": { "always": true }, "then": { "actions": [ { "hold": "Missing authorization for 97153" }, { "applyTag": "after-hold" }, { "hold": "second reason" } ] } },
          { "id": "later", "if": { "always": true }, "then": { "actions": [ { "applyTag": "never" } ] } } ]
        """);

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.True(result.IsHold);
        Assert.Equal("HOLD", result.Outcome);
        Assert.Equal(new RuleHold("holder", "Missing authorization for 97153"), result.HeldBy);
        Assert.Equal(["one", "Hold", "after-hold"], result.Tags.ToArray());
        Assert.Equal(["first", "holder"], result.Trace.Select(t => t.RuleId));
    }

    [Fact]
    public void ApplyTagHold_HoldsWithNoReason()
    {
        var rules = RuleKit.Compile("""[ { "id": "h", "if": { "always": true }, "then": { "actions": [ { "applyTag": "HOLD" } ] } } ]""");

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal(new RuleHold("h", null), result.HeldBy);
        Assert.Equal(["Hold"], result.Tags.ToArray());
    }

    [Fact]
    public void NoHold_ResultIsPass()
    {
        var result = RuleKit.Probe("""{ "always": true }""").Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal("PASS", result.Outcome);
        Assert.Null(result.HeldBy);
    }

    [Fact]
    public void Ordering_LaterRulesSeeEarlierChanges()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "a", "if": { "always": true }, "then": { "actions": [ { "setField": "payer.id", "value": "60054" }, { "addModifier": "95" } ] } },
          { "id": "b", "if": { "and": [ { "field": "payer.id", "op": "eq", "value": "60054" }, { "field": "item.modifiers", "op": "eq", "value": "95" } ] },
            "then": { "actions": [ { "applyTag": "saw-change" } ] } } ]
        """);

        Assert.Contains("saw-change", rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty).Tags);
    }

    [Fact]
    public void Branches_FirstMatchingWins_ElseWhenNone()
    {
        const string rule = """
        [ { "id": "b", "if": { "field": "payer.id", "op": "eq", "value": "AETNA" }, "then": { "actions": [ { "applyTag": "then" } ] },
            "elseIf": [ { "if": { "field": "payer.id", "op": "startsWith", "value": "BC" }, "then": { "actions": [ { "applyTag": "elseIf0" } ] } },
                        { "if": { "always": true }, "then": { "actions": [ { "applyTag": "elseIf1" } ] } } ],
            "else": { "actions": [ { "applyTag": "else" } ] } } ]
        """;
        var rules = RuleKit.Compile(rule);

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal(["elseIf0"], result.Tags.ToArray());
        var trace = Assert.Single(result.Trace);
        Assert.Equal("elseIf[0]", trace.Branch);
        Assert.Equal(false, trace.Conditions!.Result);
        Assert.Equal(true, Assert.Single(trace.ElseIfConditions).Result);
        Assert.Equal(["applyTag elseIf0"], trace.Actions);
    }

    [Fact]
    public void Branches_NothingMatchesAndNoElse_BranchNone()
    {
        var result = RuleKit.Probe("""{ "field": "payer.id", "op": "eq", "value": "AETNA" }""").Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal("none", Assert.Single(result.Trace).Branch);
        Assert.Empty(result.Trace[0].Actions);
    }

    [Fact]
    public void NestedOutcome_TraceShowsNestedBranch()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "n", "if": { "always": true }, "then": {
            "if": { "field": "payer.id", "op": "eq", "value": "X" }, "then": { "actions": [ { "applyTag": "x" } ] },
            "else": { "if": { "not": { "field": "item.cpt", "op": "eq", "value": "99999" } }, "then": { "actions": [ { "applyTag": "deep" } ] } } } } ]
        """);

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Equal(["deep"], result.Tags.ToArray());
        var nested = result.Trace[0].Nested!;
        Assert.Equal("else", nested.Branch);
        Assert.Equal("then", nested.Nested!.Branch);
        Assert.Equal("not", nested.Nested.Conditions.Kind);
        Assert.Equal(["applyTag deep"], result.Trace[0].Actions);
    }

    [Fact]
    public void ToJson_TraceMatchesTraceRecords()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "off", "enabled": false, "if": { "always": true }, "then": { "actions": [] } },
          { "id": "n", "if": { "field": "payer.id", "op": "eq", "value": "X" }, "then": { "actions": [] },
            "elseIf": [ { "if": { "always": true }, "then": { "if": { "field": "item.cpt", "op": "eq", "value": "1" }, "then": { "actions": [] }, "else": { "actions": [ { "applyTag": "t" } ] } } } ] } ]
        """);
        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        using var json = JsonDocument.Parse(result.ToJson());

        var trace = json.RootElement.GetProperty("trace");
        Assert.Equal(result.Trace.Count, trace.GetArrayLength());
        Assert.Equal(("skipped", "disabled"), (trace[0].GetProperty("status").GetString(), trace[0].GetProperty("reason").GetString()));
        Assert.Equal(result.Trace[1].Branch, trace[1].GetProperty("branch").GetString());
        Assert.True(trace[1].GetProperty("elseIf")[0].GetProperty("result").GetBoolean());
        Assert.Equal(result.Trace[1].Nested!.Branch, trace[1].GetProperty("nested").GetProperty("branch").GetString());
        Assert.Equal("applyTag t", trace[1].GetProperty("actions")[0].GetString());
    }

    [Fact]
    public void Conditions_ShortCircuit_UnevaluatedHaveNullResult()
    {
        var result = RuleKit.Probe("""{ "or": [ { "always": true }, { "field": "payer.id", "op": "exists" } ] }""").Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        var or = result.Trace[0].Conditions!;
        Assert.Equal(true, or.Result);
        Assert.Equal(true, or.Children[0].Result);
        Assert.Null(or.Children[1].Result);
    }

    [Theory]
    [InlineData("\"effectiveFrom\": \"2026-03-03\",", "before effectiveFrom 2026-03-03")]
    [InlineData("\"effectiveTo\": \"2026-03-01\",", "after effectiveTo 2026-03-01")]
    [InlineData("\"enabled\": false,", "disabled")]
    public void SkippedRule_DoesNotRunAndTraceSaysWhy(string property, string reason)
    {
        var rules = RuleKit.Compile($$"""[ { "id": "s", {{property}} "if": { "always": true }, "then": { "actions": [ { "applyTag": "ran" } ] } } ]""");

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.Empty(result.Tags.ToArray());
        var trace = Assert.Single(result.Trace);
        Assert.Equal("skipped", trace.Status);
        Assert.Contains(reason, trace.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EffectiveWindow_InclusiveBounds_RuleRuns()
    {
        var rules = RuleKit.Compile("""[ { "id": "w", "effectiveFrom": "2026-03-02", "effectiveTo": "2026-03-02", "if": { "always": true }, "then": { "actions": [ { "applyTag": "ran" } ] } } ]""");

        Assert.Equal(["ran"], rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty).Tags.ToArray());
        Assert.Equal("skipped", rules.Evaluate(RuleKit.Claim() with { ServiceDate = null }, EvaluationContext.Empty).Trace[0].Status);
    }

    [Fact]
    public void UnreadableRule_TreatedAsDisabledAndReported()
    {
        var parsed = RuleKit.Parse("""
        { "rules": [ { "id": "old", "if": { "field": "claim.gone", "op": "eq", "value": "x" }, "then": { "actions": [ { "hold": "x" } ] } },
                     { "id": "next", "if": { "always": true }, "then": { "actions": [ { "applyTag": "ran" } ] } } ] }
        """);
        var rules = RuleSetCompiler.Compile(parsed.Document!, "4");

        var result = rules.Evaluate(RuleKit.Claim(), EvaluationContext.Empty);

        Assert.False(result.IsHold);
        Assert.Equal(["ran"], result.Tags.ToArray());
        Assert.Equal("unreadable", result.Trace[0].Status);
        Assert.Equal("old", result.Trace[0].RuleId);
        Assert.Contains("rules[0].if.field", result.Trace[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_SameClaimAndVersion_SameResultJson()
    {
        var rules = StarterRuleSet.Load();
        var compiled = RuleSetCompiler.Compile(rules, "1");
        var claim = RuleKit.Claim() with { Items = [RuleKit.Claim().Items[1] with { PlaceOfService = ["02"] }] };

        var first = compiled.Evaluate(claim, EvaluationContext.Empty).ToJson();
        var second = RuleSetCompiler.Compile(rules, "1").Evaluate(claim, EvaluationContext.Empty).ToJson();

        Assert.Equal(Encoding.UTF8.GetString(first), Encoding.UTF8.GetString(second));
    }

    [Fact]
    public void Evaluate_InputClaim_IsNotMutatedAndUnchangedClaimIsReturnedAsIs()
    {
        var claim = RuleKit.Claim();
        var rules = RuleKit.Compile("""[ { "id": "m", "if": { "always": true }, "then": { "actions": [ { "addModifier": "95" } ] } } ]""");

        var changed = rules.Evaluate(claim, EvaluationContext.Empty);

        Assert.Empty(claim.Items[0].Modifiers);
        Assert.Equal(["95"], changed.Modifiers(1));
        Assert.NotSame(claim, changed.Claim);
        var noop = RuleKit.Probe("""{ "field": "payer.id", "op": "missing" }""").Evaluate(claim, EvaluationContext.Empty);
        Assert.Same(claim, noop.Claim);
    }

    [Fact]
    public void ToJson_HasContractShapeAndNoClaimValuesInTrace()
    {
        var rules = RuleKit.Compile("""
        [ { "id": "bcbs-telehealth", "if": { "and": [ { "field": "payer.id", "op": "eq", "value": "BCBSMA" }, { "field": "coverage.memberId", "op": "exists" }, { "field": "patient.birthDate", "op": "lt", "value": "2020-01-01" } ] },
            "then": { "actions": [ { "addModifier": "95", "forCpt": ["97153"] } ] } },
          { "id": "auth-required", "if": { "field": "authorization.status", "op": "eq", "value": "NONE" }, "then": { "actions": [ { "applyTag": "aba" }, { "hold": "Missing authorization for 97153" } ] } } ]
        """, version: "3");
        var risk = RiskScorer.Score(RuleKit.Claim(), null, null);

        var json = rules.Evaluate(RuleKit.Claim(), new EvaluationContext(null, risk)).ToJson();

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        Assert.Equal("HOLD", root.GetProperty("outcome").GetString());
        Assert.Equal("auth-required", root.GetProperty("heldBy").GetProperty("ruleId").GetString());
        Assert.Equal("Missing authorization for 97153", root.GetProperty("heldBy").GetProperty("reason").GetString());
        Assert.Equal("3", root.GetProperty("ruleSetVersion").GetString());
        Assert.Equal(["aba", "Hold"], root.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var change = root.GetProperty("changes")[0];
        Assert.Equal("item.modifiers", change.GetProperty("field").GetString());
        Assert.Equal(0, change.GetProperty("before").GetArrayLength());
        Assert.Equal("95", change.GetProperty("after")[0].GetString());
        var trace = root.GetProperty("trace")[0];
        Assert.Equal("evaluated", trace.GetProperty("status").GetString());
        Assert.Equal("then", trace.GetProperty("branch").GetString());
        var first = trace.GetProperty("conditions").GetProperty("and")[0];
        Assert.Equal(("payer.id", "eq", true), (first.GetProperty("field").GetString(), first.GetProperty("op").GetString(), first.GetProperty("result").GetBoolean()));
        Assert.Equal("addModifier 95 forCpt 97153", trace.GetProperty("actions")[0].GetString());
        Assert.True(root.GetProperty("risk").GetProperty("score").GetInt32() > 0);
        var traceText = root.GetProperty("trace").GetRawText();
        Assert.DoesNotContain("XYZ123456", traceText, StringComparison.Ordinal);
        Assert.DoesNotContain("2018-04-02", traceText, StringComparison.Ordinal);
        Assert.DoesNotContain("BCBSMA", traceText, StringComparison.Ordinal);
    }
}
