using System.Collections.Immutable;
using Claims.Core.Claims;

namespace Claims.Core.Rules;

/// <summary>
/// One test carried inside a rule set: a sample claim written with catalog field names, an optional matching
/// authorization, and the expected result. <see cref="Problem"/> is set (and <see cref="Claim"/> null) when a stored
/// test can no longer be read; it is kept as <see cref="RawJson"/> and reported as failing.
/// </summary>
public sealed record RuleSetTestCase(
    string Name,
    ClaimFacts? Claim,
    AuthorizationFacts? Authorization,
    int? RiskScore,
    RuleTestExpectation? Expect,
    string RawJson,
    string? Problem = null);

/// <summary>
/// What a rule-set test expects: the outcome (PASS or HOLD), optionally the holding rule, tags that must be present
/// (<see cref="Tags"/>) or absent (<see cref="TagsAbsent"/>), and final values of catalog fields
/// (<see cref="FieldExpectation"/>; a null value means the field must have no value).
/// </summary>
public sealed record RuleTestExpectation(
    string Outcome,
    string? HeldBy,
    ImmutableArray<string> Tags,
    ImmutableArray<string> TagsAbsent,
    ImmutableArray<FieldExpectation> Fields);

/// <summary>An expected final value of a catalog field (lists compare in order, strings case-insensitively).</summary>
public sealed record FieldExpectation(string Field, RuleValue? Value);
