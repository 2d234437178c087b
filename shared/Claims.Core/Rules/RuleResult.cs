using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using Claims.Core.Claims;

namespace Claims.Core.Rules;

/// <summary>
/// The result of running a rule set on one claim (docs/RULES.md "Result and trace"): PASS or HOLD, the holding rule
/// and reason, the final tags, every change, the trace, the risk assessment and the final claim. The trace names
/// fields, operators and truth values only: it never copies claim values.
/// </summary>
public sealed record RuleResult
{
    public const string Pass = "PASS";
    public const string Hold = "HOLD";

    private readonly CompiledRuleSet _rules;
    private readonly short[] _slots;
    private IReadOnlyList<RuleTraceEntry>? _trace;

    internal RuleResult(CompiledRuleSet rules, WorkingClaim working, int heldBy, RiskAssessment risk)
    {
        _rules = rules;
        _slots = working.Slots;
        RuleSetVersion = rules.Version;
        HeldBy = heldBy >= 0 ? new RuleHold(rules.Rules[heldBy].Id, working.HoldReason) : null;
        Tags = working.Tags;
        Changes = (IReadOnlyList<RuleChange>?)working.Changes ?? [];
        Claim = working.ToClaimFacts();
        Risk = risk;
    }

    /// <summary>PASS or HOLD.</summary>
    public string Outcome => HeldBy is null ? Pass : Hold;

    public bool IsHold => HeldBy is not null;

    public RuleHold? HeldBy { get; }

    public string RuleSetVersion { get; }

    /// <summary>The claim's tags after the rules ran.</summary>
    public ImmutableArray<string> Tags { get; }

    public IReadOnlyList<RuleChange> Changes { get; }

    /// <summary>The final claim (the input instance when no rule changed anything).</summary>
    public ClaimFacts Claim { get; }

    public RiskAssessment Risk { get; }

    /// <summary>One entry per rule considered, in order; rules after a hold are not run and not listed.</summary>
    public IReadOnlyList<RuleTraceEntry> Trace => _trace ??= TraceBuilder.Build(_rules, _slots);

    internal CompiledRuleSet RuleSet => _rules;

    internal short[] Slots => _slots;

    /// <summary>The result as JSON (the shape of docs/RULES.md plus "risk").</summary>
    public byte[] ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            ResultWriter.Write(writer, this);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The rule that held the claim and its reason (null for <c>{"applyTag":"Hold"}</c>).</summary>
public sealed record RuleHold(string RuleId, string? Reason);

/// <summary>One change a rule made. Item fields carry the item's sequence.</summary>
public sealed record RuleChange(string Field, string RuleId, int? ItemSequence, FieldSnapshot Before, FieldSnapshot After);

/// <summary>A field value before or after a change: text (possibly null) for scalar fields, a list for list fields.</summary>
public readonly record struct FieldSnapshot(string? Text, ImmutableArray<string> List)
{
    public bool IsList => !List.IsDefault;

    public static FieldSnapshot OfText(string? text) => new(text, default);

    public static FieldSnapshot OfList(ImmutableArray<string> list) => new(null, list.IsDefault ? [] : list);
}

/// <summary>
/// What happened to one rule: status evaluated, skipped or unreadable (with the reason), the branch taken
/// (then, elseIf[i], else, none), the condition trees evaluated, the nested outcome's trace and the actions run.
/// </summary>
public sealed record RuleTraceEntry(
    string RuleId,
    string Status,
    string? Reason,
    string Branch,
    ConditionTrace? Conditions,
    IReadOnlyList<ConditionTrace> ElseIfConditions,
    OutcomeTrace? Nested,
    IReadOnlyList<string> Actions);

/// <summary>The trace of a nested conditional outcome.</summary>
public sealed record OutcomeTrace(string Branch, ConditionTrace Conditions, IReadOnlyList<ConditionTrace> ElseIfConditions, OutcomeTrace? Nested);

/// <summary>
/// One condition node: kind (always, field, and, or, not), field and operator for field conditions, the result
/// (null when short-circuited, i.e. not evaluated) and whether a regex timed out. Never a claim value.
/// </summary>
public sealed record ConditionTrace(string Kind, string? Field, string? Op, bool? Result, bool TimedOut, IReadOnlyList<ConditionTrace> Children);

internal static class TraceBuilder
{
    public static IReadOnlyList<RuleTraceEntry> Build(CompiledRuleSet set, short[] slots)
    {
        var entries = new List<RuleTraceEntry>();
        foreach (var rule in set.Rules)
        {
            var state = (RuleRunState)slots[rule.Slot];
            if (state == RuleRunState.NotReached)
            {
                break;
            }

            if (state == RuleRunState.Evaluated)
            {
                entries.Add(Evaluated(rule, slots));
            }
            else
            {
                var (status, reason) = Skip(rule, state);
                entries.Add(new RuleTraceEntry(rule.Id, status, reason, "none", null, [], null, []));
            }
        }

        return entries;
    }

    /// <summary>The status and reason of a rule that did not run.</summary>
    public static (string Status, string Reason) Skip(CompiledRule rule, RuleRunState state) => state switch
    {
        RuleRunState.Unreadable => ("unreadable", $"The stored rule can no longer be read: {rule.Problem}"),
        RuleRunState.Disabled => ("skipped", "disabled"),
        RuleRunState.BeforeWindow => ("skipped", $"claim.serviceDate is before effectiveFrom {RuleSetWriter.Date(rule.EffectiveFromDate!.Value)}"),
        RuleRunState.AfterWindow => ("skipped", $"claim.serviceDate is after effectiveTo {RuleSetWriter.Date(rule.EffectiveToDate!.Value)}"),
        _ => ("skipped", "claim.serviceDate is missing, so the effective window cannot be checked"),
    };

    private static RuleTraceEntry Evaluated(CompiledRule rule, short[] slots)
    {
        var body = rule.Body!;
        var (branch, conditions, elseIfs, nested, actions) = Outcome(body, slots);
        return new RuleTraceEntry(rule.Id, "evaluated", null, branch, conditions, elseIfs, nested, actions);
    }

    private static (string Branch, ConditionTrace Conditions, IReadOnlyList<ConditionTrace> ElseIf, OutcomeTrace? Nested, IReadOnlyList<string> Actions)
        Outcome(CompiledConditional conditional, short[] slots)
    {
        var chosen = slots[conditional.Slot];
        var conditions = Condition(conditional.If, slots);
        var elseIfs = new List<ConditionTrace>();
        foreach (var (condition, _) in conditional.ElseIf)
        {
            if (slots[condition.Slot] == ConditionSlot.NotEvaluated)
            {
                break;
            }

            elseIfs.Add(Condition(condition, slots));
        }

        CompiledOutcome? taken = chosen switch
        {
            BranchSlot.Then => conditional.Then,
            BranchSlot.Else => conditional.Else,
            >= 2 => conditional.ElseIf[chosen - 2].Then,
            _ => null,
        };
        var branch = chosen switch
        {
            BranchSlot.Then => "then",
            BranchSlot.Else => "else",
            >= 2 => $"elseIf[{chosen - 2}]",
            _ => "none",
        };

        switch (taken)
        {
            case CompiledActions actions:
                return (branch, conditions, elseIfs, null, actions.Descriptions);
            case CompiledConditional inner:
                var (innerBranch, innerConditions, innerElseIfs, innerNested, innerActions) = Outcome(inner, slots);
                return (branch, conditions, elseIfs, new OutcomeTrace(innerBranch, innerConditions, innerElseIfs, innerNested), innerActions);
            default:
                return (branch, conditions, elseIfs, null, []);
        }
    }

    private static ConditionTrace Condition(CompiledCondition condition, short[] slots)
    {
        var slot = slots[condition.Slot];
        bool? result = slot switch
        {
            ConditionSlot.True => true,
            ConditionSlot.False or ConditionSlot.TimedOut => false,
            _ => null,
        };
        var children = condition.Children.Length == 0 ? [] : condition.Children.Select(c => Condition(c, slots)).ToArray();
        return new ConditionTrace(condition.Kind, condition.Field, condition.Op, result, slot == ConditionSlot.TimedOut, children);
    }
}

internal static class ResultWriter
{
    public static void Write(Utf8JsonWriter writer, RuleResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("outcome", result.Outcome);
        if (result.HeldBy is { } held)
        {
            writer.WriteStartObject("heldBy");
            writer.WriteString("ruleId", held.RuleId);
            if (held.Reason is null)
            {
                writer.WriteNull("reason");
            }
            else
            {
                writer.WriteString("reason", held.Reason);
            }

            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("heldBy");
        }

        writer.WriteString("ruleSetVersion", result.RuleSetVersion);
        writer.WriteStartArray("tags");
        foreach (var tag in result.Tags)
        {
            writer.WriteStringValue(tag);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("changes");
        foreach (var change in result.Changes)
        {
            writer.WriteStartObject();
            writer.WriteString("field", change.Field);
            writer.WriteString("ruleId", change.RuleId);
            if (change.ItemSequence is { } sequence)
            {
                writer.WriteNumber("itemSequence", sequence);
            }

            writer.WritePropertyName("before");
            Snapshot(writer, change.Before);
            writer.WritePropertyName("after");
            Snapshot(writer, change.After);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("trace");
        DirectTrace.Write(writer, result.RuleSet, result.Slots);
        writer.WriteEndArray();
        writer.WriteStartObject("risk");
        writer.WriteNumber("score", result.Risk.Score);
        writer.WriteStartArray("factors");
        foreach (var factor in result.Risk.Factors)
        {
            writer.WriteStartObject();
            writer.WriteString("code", factor.Code);
            writer.WriteNumber("points", factor.Points);
            writer.WriteString("explanation", factor.Explanation);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void Snapshot(Utf8JsonWriter writer, FieldSnapshot snapshot)
    {
        if (snapshot.IsList)
        {
            writer.WriteStartArray();
            foreach (var value in snapshot.List)
            {
                writer.WriteStringValue(value);
            }

            writer.WriteEndArray();
        }
        else if (snapshot.Text is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(snapshot.Text);
        }
    }
}

/// <summary>
/// Writes the trace straight from the compiled rules and the evaluation's slots (the same content as
/// <see cref="RuleResult.Trace"/>) without materializing trace records: this is the per-claim path the pipeline stores.
/// </summary>
internal static class DirectTrace
{
    public static void Write(Utf8JsonWriter writer, CompiledRuleSet set, short[] slots)
    {
        foreach (var rule in set.Rules)
        {
            var state = (RuleRunState)slots[rule.Slot];
            if (state == RuleRunState.NotReached)
            {
                break;
            }

            writer.WriteStartObject();
            writer.WriteString("ruleId", rule.Id);
            if (state == RuleRunState.Evaluated)
            {
                writer.WriteString("status", "evaluated");
                var actions = Outcome(writer, rule.Body!, slots);
                writer.WriteStartArray("actions");
                foreach (var action in actions)
                {
                    writer.WriteStringValue(action);
                }

                writer.WriteEndArray();
            }
            else
            {
                var (status, reason) = TraceBuilder.Skip(rule, state);
                writer.WriteString("status", status);
                writer.WriteString("reason", reason);
                writer.WriteString("branch", "none");
                writer.WriteStartArray("actions");
                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }
    }

    /// <summary>Writes branch, conditions, elseIf and nested of a conditional; returns the actions of the branch taken.</summary>
    private static string[] Outcome(Utf8JsonWriter writer, CompiledConditional conditional, short[] slots)
    {
        var chosen = slots[conditional.Slot];
        switch (chosen)
        {
            case BranchSlot.Then:
                writer.WriteString("branch", "then");
                break;
            case BranchSlot.Else:
                writer.WriteString("branch", "else");
                break;
            case >= 2:
                writer.WriteString("branch", $"elseIf[{chosen - 2}]");
                break;
            default:
                writer.WriteString("branch", "none");
                break;
        }

        writer.WritePropertyName("conditions");
        Condition(writer, conditional.If, slots);
        if (conditional.ElseIf.Length > 0 && slots[conditional.ElseIf[0].If.Slot] != ConditionSlot.NotEvaluated)
        {
            writer.WriteStartArray("elseIf");
            foreach (var (condition, _) in conditional.ElseIf)
            {
                if (slots[condition.Slot] == ConditionSlot.NotEvaluated)
                {
                    break;
                }

                Condition(writer, condition, slots);
            }

            writer.WriteEndArray();
        }

        CompiledOutcome? taken = chosen switch
        {
            BranchSlot.Then => conditional.Then,
            BranchSlot.Else => conditional.Else,
            >= 2 => conditional.ElseIf[chosen - 2].Then,
            _ => null,
        };
        switch (taken)
        {
            case CompiledActions actions:
                return actions.Descriptions;
            case CompiledConditional inner:
                writer.WriteStartObject("nested");
                var innerActions = Outcome(writer, inner, slots);
                writer.WriteEndObject();
                return innerActions;
            default:
                return [];
        }
    }

    private static void Condition(Utf8JsonWriter writer, CompiledCondition condition, short[] slots)
    {
        writer.WriteStartObject();
        switch (condition.Kind)
        {
            case "field":
                writer.WriteString("field", condition.Field);
                writer.WriteString("op", condition.Op);
                break;
            case "always":
                writer.WriteBoolean("always", true);
                break;
            case "not":
                writer.WritePropertyName("not");
                Condition(writer, condition.Children[0], slots);
                break;
            default:
                writer.WriteStartArray(condition.Kind);
                foreach (var child in condition.Children)
                {
                    Condition(writer, child, slots);
                }

                writer.WriteEndArray();
                break;
        }

        switch (slots[condition.Slot])
        {
            case ConditionSlot.True:
                writer.WriteBoolean("result", true);
                break;
            case ConditionSlot.False:
                writer.WriteBoolean("result", false);
                break;
            case ConditionSlot.TimedOut:
                writer.WriteBoolean("result", false);
                writer.WriteBoolean("timedOut", true);
                break;
            default:
                writer.WriteNull("result");
                break;
        }

        writer.WriteEndObject();
    }
}
