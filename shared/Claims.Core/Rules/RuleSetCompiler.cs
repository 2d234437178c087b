using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Claims.Core.Rules;

/// <summary>
/// Compiles a validated <see cref="RuleSetDocument"/> once per version into delegates over a typed working copy:
/// field accessors, literals and regexes are resolved here so evaluating a claim does no parsing, reflection or
/// lookups by name.
/// </summary>
public static class RuleSetCompiler
{
    /// <summary>Compiles <paramref name="document"/> (already validated by <see cref="RuleSetDocument.Parse(ReadOnlySpan{byte})"/>).</summary>
    public static CompiledRuleSet Compile(RuleSetDocument document, string version)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(version);
        var state = new CompileState();
        var rules = new CompiledRule[document.Rules.Count];
        for (var i = 0; i < rules.Length; i++)
        {
            rules[i] = document.Rules[i] switch
            {
                RuleDefinition rule => new CompiledRule
                {
                    Id = rule.RuleId,
                    Slot = state.NextSlot(),
                    Enabled = rule.Enabled,
                    EffectiveFrom = rule.EffectiveFrom?.DayNumber,
                    EffectiveTo = rule.EffectiveTo?.DayNumber,
                    EffectiveFromDate = rule.EffectiveFrom,
                    EffectiveToDate = rule.EffectiveTo,
                    Body = state.Conditional(rule.Body, rule.RuleId),
                },
                UnreadableRule unreadable => new CompiledRule
                {
                    Id = unreadable.RuleId ?? $"rules[{i}]",
                    Slot = state.NextSlot(),
                    Problem = unreadable.Problem,
                },
                var other => throw new ArgumentException($"Unsupported rule entry {other.GetType().Name}.", nameof(document)),
            };
        }

        return new CompiledRuleSet(version, rules, state.SlotCount);
    }

    private sealed class CompileState
    {
        public int SlotCount { get; private set; }

        public int NextSlot() => SlotCount++;

        public CompiledConditional Conditional(ConditionalOutcome outcome, string ruleId) => new()
        {
            Slot = NextSlot(),
            If = Condition(outcome.If),
            Then = Outcome(outcome.Then, ruleId),
            ElseIf = outcome.ElseIf.IsDefault
                ? []
                : outcome.ElseIf.Select(b => (Condition(b.If), Outcome(b.Then, ruleId))).ToArray(),
            Else = outcome.Else is null ? null : Outcome(outcome.Else, ruleId),
        };

        private CompiledOutcome Outcome(RuleOutcome outcome, string ruleId) => outcome switch
        {
            ActionsOutcome actions => new CompiledActions
            {
                Actions = actions.Actions.Select(a => ActionCompiler.Compile(a, ruleId)).ToArray(),
                Descriptions = actions.Actions.Select(ActionCompiler.Describe).ToArray(),
            },
            ConditionalOutcome conditional => Conditional(conditional, ruleId),
            _ => throw new ArgumentException($"Unsupported outcome {outcome.GetType().Name}."),
        };

        private CompiledCondition Condition(RuleCondition condition)
        {
            var slot = NextSlot();
            switch (condition)
            {
                case AlwaysCondition:
                    return new CompiledCondition
                    {
                        Slot = slot,
                        Kind = "always",
                        Evaluate = w =>
                        {
                            w.Slots[slot] = ConditionSlot.True;
                            return true;
                        },
                    };
                case NotCondition not:
                {
                    var child = Condition(not.Condition);
                    var inner = child.Evaluate;
                    return new CompiledCondition
                    {
                        Slot = slot,
                        Kind = "not",
                        Children = [child],
                        Evaluate = w =>
                        {
                            var result = !inner(w);
                            w.Slots[slot] = result ? ConditionSlot.True : ConditionSlot.False;
                            return result;
                        },
                    };
                }

                case AndCondition and:
                {
                    var children = and.Conditions.Select(Condition).ToArray();
                    var delegates = children.Select(c => c.Evaluate).ToArray();
                    return new CompiledCondition
                    {
                        Slot = slot,
                        Kind = "and",
                        Children = children,
                        Evaluate = w =>
                        {
                            foreach (var child in delegates)
                            {
                                if (!child(w))
                                {
                                    w.Slots[slot] = ConditionSlot.False;
                                    return false;
                                }
                            }

                            w.Slots[slot] = ConditionSlot.True;
                            return true;
                        },
                    };
                }

                case OrCondition or:
                {
                    var children = or.Conditions.Select(Condition).ToArray();
                    var delegates = children.Select(c => c.Evaluate).ToArray();
                    return new CompiledCondition
                    {
                        Slot = slot,
                        Kind = "or",
                        Children = children,
                        Evaluate = w =>
                        {
                            foreach (var child in delegates)
                            {
                                if (child(w))
                                {
                                    w.Slots[slot] = ConditionSlot.True;
                                    return true;
                                }
                            }

                            w.Slots[slot] = ConditionSlot.False;
                            return false;
                        },
                    };
                }

                case FieldCondition field:
                    return new CompiledCondition
                    {
                        Slot = slot,
                        Kind = "field",
                        Field = field.Field,
                        Op = RuleSetReader.OperatorName(field.Op),
                        Evaluate = ConditionCompiler.Compile(field, slot),
                    };
                default:
                    throw new ArgumentException($"Unsupported condition {condition.GetType().Name}.");
            }
        }
    }
}

/// <summary>Turns one field condition into a delegate with the list-field and missing-value semantics of RULES.md.</summary>
internal static class ConditionCompiler
{
    public static Func<WorkingClaim, bool> Compile(FieldCondition condition, int slot)
    {
        var field = FieldCatalog.Fields[condition.Field];
        var test = Raw(field, condition);
        if (condition.Op == RuleOperator.Matches)
        {
            return w =>
            {
                w.RegexTimedOut = false;
                var result = test(w);
                w.Slots[slot] = w.RegexTimedOut ? ConditionSlot.TimedOut : result ? ConditionSlot.True : ConditionSlot.False;
                return result;
            };
        }

        return w =>
        {
            var result = test(w);
            w.Slots[slot] = result ? ConditionSlot.True : ConditionSlot.False;
            return result;
        };
    }

    private static Func<WorkingClaim, bool> Raw(FieldInfo field, FieldCondition condition)
    {
        var op = condition.Op;
        var negate = op is RuleOperator.Neq or RuleOperator.NotIn;
        var positive = op switch
        {
            RuleOperator.Neq => RuleOperator.Eq,
            RuleOperator.NotIn => RuleOperator.In,
            _ => op,
        };

        if (field.IsList)
        {
            var hasAny = field.HasAny!;
            if (op == RuleOperator.Exists)
            {
                return hasAny;
            }

            if (op == RuleOperator.Missing)
            {
                return w => !hasAny(w);
            }

            Func<WorkingClaim, bool> any;
            if (field.Kind == FieldKind.Text)
            {
                var anyText = field.AnyText!;
                var predicate = TextPredicate(positive, condition.Value!);
                any = w => anyText(w, predicate);
            }
            else
            {
                var anyNumber = field.AnyNumber!;
                var predicate = NumberPredicate(positive, condition.Value!);
                any = w => anyNumber(w, predicate);
            }

            return negate ? w => !any(w) : any;
        }

        Func<WorkingClaim, bool> present;
        Func<WorkingClaim, bool> positiveTest;
        switch (field.Kind)
        {
            case FieldKind.Text:
            {
                var get = field.Text!;
                present = w => !string.IsNullOrEmpty(get(w));
                if (op is RuleOperator.Exists or RuleOperator.Missing)
                {
                    positiveTest = present;
                    break;
                }

                var predicate = TextPredicate(positive, condition.Value!);
                positiveTest = w => get(w) is { Length: > 0 } value && predicate(w, value);
                break;
            }

            case FieldKind.Number:
            {
                var get = field.Number!;
                present = w => get(w).HasValue;
                if (op is RuleOperator.Exists or RuleOperator.Missing)
                {
                    positiveTest = present;
                    break;
                }

                var predicate = NumberPredicate(positive, condition.Value!);
                positiveTest = w => get(w) is { } value && predicate(value);
                break;
            }

            default:
            {
                var get = field.Date!;
                present = w => get(w).HasValue;
                if (op is RuleOperator.Exists or RuleOperator.Missing)
                {
                    positiveTest = present;
                    break;
                }

                var predicate = DatePredicate(positive, condition.Value!);
                positiveTest = w => get(w) is { } value && predicate(value.DayNumber);
                break;
            }
        }

        return op switch
        {
            RuleOperator.Exists => present,
            RuleOperator.Missing => w => !present(w),
            _ when negate => w => !positiveTest(w),
            _ => positiveTest,
        };
    }

    private static Func<WorkingClaim, string, bool> TextPredicate(RuleOperator op, RuleValue value)
    {
        switch (op)
        {
            case RuleOperator.Eq:
            {
                var expected = ((TextValue)value).Text;
                return (_, s) => string.Equals(s, expected, StringComparison.OrdinalIgnoreCase);
            }

            case RuleOperator.In:
            {
                var expected = ((ListValue)value).Items.Cast<TextValue>().Select(t => t.Text).ToArray();
                if (expected.Length > 8)
                {
                    var set = expected.ToHashSet(StringComparer.OrdinalIgnoreCase);
                    return (_, s) => set.Contains(s);
                }

                return (_, s) =>
                {
                    foreach (var candidate in expected)
                    {
                        if (string.Equals(s, candidate, StringComparison.OrdinalIgnoreCase))
                        {
                            return true;
                        }
                    }

                    return false;
                };
            }

            case RuleOperator.Contains:
            {
                var expected = ((TextValue)value).Text;
                return (_, s) => s.Contains(expected, StringComparison.OrdinalIgnoreCase);
            }

            case RuleOperator.StartsWith:
            {
                var expected = ((TextValue)value).Text;
                return (_, s) => s.StartsWith(expected, StringComparison.OrdinalIgnoreCase);
            }

            case RuleOperator.EndsWith:
            {
                var expected = ((TextValue)value).Text;
                return (_, s) => s.EndsWith(expected, StringComparison.OrdinalIgnoreCase);
            }

            case RuleOperator.Matches:
            {
                var regex = new Regex(((TextValue)value).Text, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, RuleSetReader.RegexTimeout);
                return (w, s) =>
                {
                    try
                    {
                        return regex.IsMatch(s);
                    }
                    catch (RegexMatchTimeoutException)
                    {
                        // A pathological pattern must not stall the pipeline: the condition is false and the trace says why.
                        w.RegexTimedOut = true;
                        return false;
                    }
                };
            }

            default:
                throw new ArgumentException($"Operator {op} does not apply to text.");
        }
    }

    private static Func<decimal, bool> NumberPredicate(RuleOperator op, RuleValue value)
    {
        if (op == RuleOperator.In)
        {
            var set = ((ListValue)value).Items.Cast<NumberValue>().Select(n => n.Number).ToArray();
            return x => Array.IndexOf(set, x) >= 0;
        }

        if (op == RuleOperator.Between)
        {
            var items = ((ListValue)value).Items;
            var low = ((NumberValue)items[0]).Number;
            var high = ((NumberValue)items[1]).Number;
            return x => x >= low && x <= high;
        }

        var v = ((NumberValue)value).Number;
        return op switch
        {
            RuleOperator.Eq => x => x == v,
            RuleOperator.Gt => x => x > v,
            RuleOperator.Gte => x => x >= v,
            RuleOperator.Lt => x => x < v,
            RuleOperator.Lte => x => x <= v,
            _ => throw new ArgumentException($"Operator {op} does not apply to numbers."),
        };
    }

    private static Func<int, bool> DatePredicate(RuleOperator op, RuleValue value)
    {
        if (op == RuleOperator.In)
        {
            var set = ((ListValue)value).Items.Cast<DateValue>().Select(d => d.Date.DayNumber).ToArray();
            return x => Array.IndexOf(set, x) >= 0;
        }

        if (op == RuleOperator.Between)
        {
            var items = ((ListValue)value).Items;
            var low = ((DateValue)items[0]).Date.DayNumber;
            var high = ((DateValue)items[1]).Date.DayNumber;
            return x => x >= low && x <= high;
        }

        var v = ((DateValue)value).Date.DayNumber;
        return op switch
        {
            RuleOperator.Eq => x => x == v,
            RuleOperator.Gt => x => x > v,
            RuleOperator.Gte => x => x >= v,
            RuleOperator.Lt => x => x < v,
            RuleOperator.Lte => x => x <= v,
            _ => throw new ArgumentException($"Operator {op} does not apply to dates."),
        };
    }
}

/// <summary>Turns actions into delegates over the working copy that record each change.</summary>
internal static class ActionCompiler
{
    public static Action<WorkingClaim> Compile(RuleAction action, string ruleId) => action switch
    {
        SetFieldAction { Field: "item.placeOfService", Value: ListValue list } => SetPlaceOfService(list, ruleId),
        SetFieldAction set => SetScalar(set.Field, ((TextValue)set.Value).Text, ruleId),
        AddModifierAction add => AddModifier(add, ruleId),
        ApplyTagAction apply => w => ApplyTag(w, apply.Tag.Trim(), ruleId),
        RemoveTagAction remove => RemoveTag(remove.Tag.Trim(), ruleId),
        HoldAction hold => w =>
        {
            ApplyTag(w, RuleSetDocument.HoldTag, ruleId);
            if (!w.Held)
            {
                w.Held = true;
                w.HoldReason = hold.Reason;
            }
        },
        _ => throw new ArgumentException($"Unsupported action {action.GetType().Name}."),
    };

    public static string Describe(RuleAction action) => action switch
    {
        SetFieldAction set => $"setField {set.Field}",
        AddModifierAction { ForCpt.IsDefaultOrEmpty: false } add => $"addModifier {add.Modifier} forCpt {string.Join(",", add.ForCpt)}",
        AddModifierAction add => $"addModifier {add.Modifier}",
        ApplyTagAction apply => $"applyTag {apply.Tag}",
        RemoveTagAction remove => $"removeTag {remove.Tag}",
        HoldAction => "hold",
        _ => action.GetType().Name,
    };

    private static Action<WorkingClaim> SetScalar(string field, string value, string ruleId)
    {
        Func<WorkingClaim, string?> get = field switch
        {
            "claim.priority" => w => w.Priority,
            "payer.id" => w => w.PayerId,
            "payer.name" => w => w.PayerName,
            "provider.npi" => w => w.ProviderNpi,
            "rendering.npi" => w => w.RenderingNpi,
            _ => throw new ArgumentException($"{field} is not writable."),
        };
        Action<WorkingClaim, string> set = field switch
        {
            "claim.priority" => (w, v) => w.Priority = v,
            "payer.id" => (w, v) => w.PayerId = v,
            "payer.name" => (w, v) => w.PayerName = v,
            "provider.npi" => (w, v) => w.ProviderNpi = v,
            _ => (w, v) => w.RenderingNpi = v,
        };
        return w =>
        {
            var before = get(w);
            if (string.Equals(before, value, StringComparison.Ordinal))
            {
                return;
            }

            set(w, value);
            w.Record(new RuleChange(field, ruleId, null, FieldSnapshot.OfText(before), FieldSnapshot.OfText(value)));
        };
    }

    private static Action<WorkingClaim> SetPlaceOfService(ListValue list, string ruleId)
    {
        var codes = list.Items.Cast<TextValue>().Select(t => t.Text).ToImmutableArray();
        return w =>
        {
            for (var i = 0; i < w.Items.Length; i++)
            {
                ref var item = ref w.Items[i];
                if (item.PlaceOfService.SequenceEqual(codes, StringComparer.Ordinal))
                {
                    continue;
                }

                var before = item.PlaceOfService;
                item.PlaceOfService = codes;
                item.Changed = true;
                w.Record(new RuleChange("item.placeOfService", ruleId, item.Source.Sequence, FieldSnapshot.OfList(before), FieldSnapshot.OfList(codes)));
            }
        };
    }

    private static Action<WorkingClaim> AddModifier(AddModifierAction add, string ruleId)
    {
        var modifier = add.Modifier;
        var forCpt = add.ForCpt.IsDefault ? [] : add.ForCpt.ToArray();
        return w =>
        {
            for (var i = 0; i < w.Items.Length; i++)
            {
                ref var item = ref w.Items[i];
                if (forCpt.Length > 0 && !HasAnyCode(item.Source, forCpt))
                {
                    continue;
                }

                if (Contains(item.Modifiers, modifier))
                {
                    continue;
                }

                var before = item.Modifiers;
                item.Modifiers = before.Add(modifier);
                item.Changed = true;
                w.Record(new RuleChange("item.modifiers", ruleId, item.Source.Sequence, FieldSnapshot.OfList(before), FieldSnapshot.OfList(item.Modifiers)));
            }
        };
    }

    private static bool HasAnyCode(Claims.ClaimItemFacts item, string[] codes)
    {
        if (item.Codes.IsDefault)
        {
            return false;
        }

        foreach (var code in item.Codes)
        {
            foreach (var wanted in codes)
            {
                if (string.Equals(code, wanted, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void ApplyTag(WorkingClaim w, string tag, string ruleId)
    {
        if (Contains(w.Tags, tag))
        {
            return;
        }

        var before = w.Tags;
        w.Tags = before.Add(tag);
        w.Record(new RuleChange("claim.tags", ruleId, null, FieldSnapshot.OfList(before), FieldSnapshot.OfList(w.Tags)));
    }

    private static Action<WorkingClaim> RemoveTag(string tag, string ruleId) => w =>
    {
        var before = w.Tags;
        var after = before.RemoveAll(t => string.Equals(t?.Trim(), tag, StringComparison.OrdinalIgnoreCase));
        if (after.Length != before.Length)
        {
            w.Tags = after;
            w.Record(new RuleChange("claim.tags", ruleId, null, FieldSnapshot.OfList(before), FieldSnapshot.OfList(after)));
        }
    };

    private static bool Contains(ImmutableArray<string> values, string value)
    {
        foreach (var candidate in values)
        {
            if (string.Equals(candidate?.Trim(), value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    internal static string Invariant(decimal value) => value.ToString(CultureInfo.InvariantCulture);
}
