using System.Globalization;

namespace Claims.Core.Rules;

/// <summary>A rule-set test that failed, with a readable difference ("expected HOLD by auth-required, got PASS").</summary>
public sealed record RuleTestFailure(string TestName, string Difference);

/// <summary>Runs the tests a rule set carries against its compiled form.</summary>
public static class RuleSetTests
{
    /// <summary>Risk factor code used when a test sets <c>risk.score</c> itself.</summary>
    public const string RiskOverrideFactor = "TEST_OVERRIDE";

    private const string NumberFormat = "0.##########";

    /// <summary>
    /// Runs every test of <paramref name="document"/> on <paramref name="rules"/> and returns the failing ones
    /// (empty when all pass). A test without <c>risk.score</c> gets the score <see cref="RiskScorer"/> computes
    /// (no usual charges; timely filing measured at claim.created).
    /// </summary>
    public static IReadOnlyList<RuleTestFailure> Run(CompiledRuleSet rules, RuleSetDocument document)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(document);
        var failures = new List<RuleTestFailure>();
        foreach (var test in document.Tests)
        {
            if (test.Problem is not null || test.Claim is null || test.Expect is null)
            {
                failures.Add(new RuleTestFailure(test.Name, $"the test could not be read: {test.Problem}"));
                continue;
            }

            var risk = test.RiskScore is { } score
                ? new RiskAssessment(score, [new RiskFactor(RiskOverrideFactor, score, "Set by the test.")])
                : RiskScorer.Score(test.Claim, test.Authorization, null);
            var result = rules.Evaluate(test.Claim, new EvaluationContext(test.Authorization, risk));
            var differences = Compare(test, test.Expect, result);
            if (differences.Count > 0)
            {
                failures.Add(new RuleTestFailure(test.Name, string.Join("; ", differences)));
            }
        }

        return failures;
    }

    private static List<string> Compare(RuleSetTestCase test, RuleTestExpectation expect, RuleResult result)
    {
        var differences = new List<string>();
        var outcomeMatches = expect.Outcome == result.Outcome
            && (expect.HeldBy is null || string.Equals(expect.HeldBy, result.HeldBy?.RuleId, StringComparison.Ordinal));
        if (!outcomeMatches)
        {
            var expected = expect.HeldBy is null ? expect.Outcome : $"{expect.Outcome} by {expect.HeldBy}";
            var actual = result.HeldBy is { } held ? $"HOLD by {held.RuleId}" : RuleResult.Pass;
            differences.Add($"expected {expected}, got {actual}");
        }

        foreach (var tag in expect.Tags)
        {
            if (!result.Tags.Any(t => string.Equals(t.Trim(), tag.Trim(), StringComparison.OrdinalIgnoreCase)))
            {
                differences.Add($"expected tag '{tag}', got tags [{string.Join(", ", result.Tags)}]");
            }
        }

        foreach (var tag in expect.TagsAbsent)
        {
            if (result.Tags.Any(t => string.Equals(t.Trim(), tag.Trim(), StringComparison.OrdinalIgnoreCase)))
            {
                differences.Add($"expected no tag '{tag}', got tags [{string.Join(", ", result.Tags)}]");
            }
        }

        if (expect.Fields.Length > 0)
        {
            var final = new WorkingClaim(result.Claim, test.Authorization, result.Risk.Score, 0);
            foreach (var expectation in expect.Fields)
            {
                var field = FieldCatalog.Fields[expectation.Field];
                var actual = Read(field, final);
                var wanted = Format(expectation.Value);
                if (!string.Equals(actual, wanted, StringComparison.OrdinalIgnoreCase))
                {
                    differences.Add($"expected {field.Name} {wanted}, got {actual}");
                }
            }
        }

        return differences;
    }

    private static string Read(FieldInfo field, WorkingClaim claim)
    {
        if (field.IsList)
        {
            return $"[{string.Join(", ", field.Values!(claim))}]";
        }

        return field.Kind switch
        {
            FieldKind.Number => field.Number!(claim) is { } n ? n.ToString(NumberFormat, CultureInfo.InvariantCulture) : "(missing)",
            FieldKind.Date => field.Date!(claim) is { } d ? RuleSetWriter.Date(d) : "(missing)",
            _ => field.Text!(claim) is { Length: > 0 } t ? t : "(missing)",
        };
    }

    private static string Format(RuleValue? value) => value switch
    {
        null => "(missing)",
        TextValue t => t.Text,
        NumberValue n => n.Number.ToString(NumberFormat, CultureInfo.InvariantCulture),
        DateValue d => RuleSetWriter.Date(d.Date),
        ListValue l => $"[{string.Join(", ", l.Items.Select(Format))}]",
        _ => value.ToString() ?? string.Empty,
    };
}
