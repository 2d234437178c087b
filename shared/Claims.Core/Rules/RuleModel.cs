using System.Collections.Immutable;

namespace Claims.Core.Rules;

/// <summary>A comparison operator of a field condition (docs/RULES.md "Conditions").</summary>
public enum RuleOperator
{
    Eq,
    Neq,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Between,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    Exists,
    Missing,
}

/// <summary>A validated literal from a rule: text, a number, a calendar date, or a list of those.</summary>
public abstract record RuleValue;

/// <summary>A text literal (strings and codes).</summary>
public sealed record TextValue(string Text) : RuleValue;

/// <summary>A numeric literal.</summary>
public sealed record NumberValue(decimal Number) : RuleValue;

/// <summary>A calendar date literal (written yyyy-MM-dd).</summary>
public sealed record DateValue(DateOnly Date) : RuleValue;

/// <summary>An array literal (in, notIn, between, list-field setField).</summary>
public sealed record ListValue(ImmutableArray<RuleValue> Items) : RuleValue;

/// <summary>A rule condition: always, a field comparison, and/or groups or a negation, nested to any depth.</summary>
public abstract record RuleCondition;

/// <summary><c>{ "always": true }</c>.</summary>
public sealed record AlwaysCondition : RuleCondition;

/// <summary><c>{ "field": "payer.id", "op": "eq", "value": "BCBSMA" }</c>; <see cref="Value"/> is null for exists/missing.</summary>
public sealed record FieldCondition(string Field, RuleOperator Op, RuleValue? Value) : RuleCondition;

/// <summary><c>{ "and": [ ... ] }</c>.</summary>
public sealed record AndCondition(ImmutableArray<RuleCondition> Conditions) : RuleCondition;

/// <summary><c>{ "or": [ ... ] }</c>.</summary>
public sealed record OrCondition(ImmutableArray<RuleCondition> Conditions) : RuleCondition;

/// <summary><c>{ "not": { ... } }</c>.</summary>
public sealed record NotCondition(RuleCondition Condition) : RuleCondition;

/// <summary>What a branch does: a list of actions or a nested conditional.</summary>
public abstract record RuleOutcome;

/// <summary><c>{ "actions": [ ... ] }</c>; an empty list does nothing.</summary>
public sealed record ActionsOutcome(ImmutableArray<RuleAction> Actions) : RuleOutcome;

/// <summary>A nested <c>{ "if", "then", "elseIf", "else" }</c>; first matching branch wins, absent else does nothing.</summary>
public sealed record ConditionalOutcome(
    RuleCondition If,
    RuleOutcome Then,
    ImmutableArray<ElseIfBranch> ElseIf,
    RuleOutcome? Else) : RuleOutcome;

/// <summary>One <c>elseIf</c> entry.</summary>
public sealed record ElseIfBranch(RuleCondition If, RuleOutcome Then);

/// <summary>An action of an outcome (docs/RULES.md "Actions").</summary>
public abstract record RuleAction;

/// <summary>Sets a writable field (on every item, for item fields).</summary>
public sealed record SetFieldAction(string Field, RuleValue Value) : RuleAction;

/// <summary>Adds a modifier to the items whose codes include one of <see cref="ForCpt"/> (all items when empty); no duplicates.</summary>
public sealed record AddModifierAction(string Modifier, ImmutableArray<string> ForCpt) : RuleAction;

/// <summary>Applies a tag (trimmed; compared case-insensitively).</summary>
public sealed record ApplyTagAction(string Tag) : RuleAction;

/// <summary>Removes a tag (trimmed; compared case-insensitively).</summary>
public sealed record RemoveTagAction(string Tag) : RuleAction;

/// <summary>Holds the claim: applies the Hold tag; the outcome's remaining actions run, then the engine stops.</summary>
public sealed record HoldAction(string? Reason) : RuleAction;

/// <summary>One entry of the rule list: a readable <see cref="RuleDefinition"/> or an <see cref="UnreadableRule"/>.</summary>
public abstract record RuleEntry
{
    /// <summary>The rule id, when one could be read.</summary>
    public abstract string? Id { get; }
}

/// <summary>A readable, validated rule.</summary>
public sealed record RuleDefinition(
    string RuleId,
    string? Name,
    string? Description,
    bool Enabled,
    DateOnly? EffectiveFrom,
    DateOnly? EffectiveTo,
    RuleCondition If,
    RuleOutcome Then,
    ImmutableArray<ElseIfBranch> ElseIf,
    RuleOutcome? Else) : RuleEntry
{
    public override string Id => RuleId;

    internal ConditionalOutcome Body => new(If, Then, ElseIf, Else);
}

/// <summary>
/// A stored rule that can no longer be read (e.g. the field catalog changed). It is treated as disabled, reported in
/// the trace, and written back verbatim (<see cref="RawJson"/>, minified) so it is never silently dropped.
/// </summary>
public sealed record UnreadableRule(string? RuleId, string RawJson, string Problem) : RuleEntry
{
    public override string? Id => RuleId;
}
