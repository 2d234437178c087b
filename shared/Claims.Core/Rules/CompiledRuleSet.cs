using Claims.Core.Claims;

namespace Claims.Core.Rules;

/// <summary>
/// A rule-set version compiled for evaluation. Thread-safe and immutable: compile once per version, evaluate many
/// claims. The same claim and context always give the same result and trace.
/// </summary>
public sealed class CompiledRuleSet
{
    private readonly CompiledRule[] _rules;
    private readonly int _slotCount;

    internal CompiledRuleSet(string version, CompiledRule[] rules, int slotCount)
    {
        Version = version;
        _rules = rules;
        _slotCount = slotCount;
    }

    public string Version { get; }

    internal IReadOnlyList<CompiledRule> Rules => _rules;

    /// <summary>Runs the rules in order on a working copy of <paramref name="claim"/> (docs/RULES.md "Running a rule set").</summary>
    public RuleResult Evaluate(ClaimFacts claim, EvaluationContext context)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(context);
        var working = new WorkingClaim(claim, context.Authorization, context.Risk.Score, _slotCount);
        var serviceDay = claim.ServiceDate?.DayNumber;
        var heldBy = -1;
        for (var i = 0; i < _rules.Length; i++)
        {
            var rule = _rules[i];
            if (rule.Body is null)
            {
                working.Slots[rule.Slot] = (short)RuleRunState.Unreadable;
                continue;
            }

            if (!rule.Enabled)
            {
                working.Slots[rule.Slot] = (short)RuleRunState.Disabled;
                continue;
            }

            if (rule.EffectiveFrom is not null || rule.EffectiveTo is not null)
            {
                var skip = serviceDay is not { } day ? RuleRunState.NoServiceDate
                    : day < rule.EffectiveFrom ? RuleRunState.BeforeWindow
                    : day > rule.EffectiveTo ? RuleRunState.AfterWindow
                    : RuleRunState.Evaluated;
                if (skip != RuleRunState.Evaluated)
                {
                    working.Slots[rule.Slot] = (short)skip;
                    continue;
                }
            }

            working.Slots[rule.Slot] = (short)RuleRunState.Evaluated;
            rule.Body.Select(working)?.Run(working);
            if (working.Held)
            {
                heldBy = i;
                break;
            }
        }

        return new RuleResult(this, working, heldBy, context.Risk);
    }
}
