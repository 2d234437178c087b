namespace Claims.Core.Rules;

/// <summary>The state a rule slot records during one evaluation.</summary>
internal enum RuleRunState : short
{
    NotReached = 0,
    Evaluated = 1,
    Disabled = 2,
    BeforeWindow = 3,
    AfterWindow = 4,
    NoServiceDate = 5,
    Unreadable = 6,
}

/// <summary>What a condition slot records: 0 not evaluated (short-circuited), then false, true, or a regex timeout.</summary>
internal static class ConditionSlot
{
    public const short NotEvaluated = 0;
    public const short False = 1;
    public const short True = 2;
    public const short TimedOut = 3;
}

/// <summary>What a conditional-outcome slot records: 0 not reached, 1 then, 2+i elseIf[i], -1 else, -2 no branch.</summary>
internal static class BranchSlot
{
    public const short NotReached = 0;
    public const short Then = 1;
    public const short Else = -1;
    public const short None = -2;
}

/// <summary>A compiled condition: its evaluation delegate and what the trace shows about it.</summary>
internal sealed class CompiledCondition
{
    public required int Slot { get; init; }

    /// <summary>always, field, and, or, not.</summary>
    public required string Kind { get; init; }

    public string? Field { get; init; }

    public string? Op { get; init; }

    public CompiledCondition[] Children { get; init; } = [];

    /// <summary>Evaluates the condition and records its result in the working copy's slot.</summary>
    public Func<WorkingClaim, bool> Evaluate { get; set; } = null!;
}

/// <summary>A compiled outcome: <see cref="Select"/> finds the action list a claim reaches, or null.</summary>
internal abstract class CompiledOutcome
{
    public abstract CompiledActions? Select(WorkingClaim claim);
}

/// <summary>An action list: delegates plus the descriptions the trace shows.</summary>
internal sealed class CompiledActions : CompiledOutcome
{
    public required Action<WorkingClaim>[] Actions { get; init; }

    public required string[] Descriptions { get; init; }

    public override CompiledActions? Select(WorkingClaim claim) => this;

    public void Run(WorkingClaim claim)
    {
        foreach (var action in Actions)
        {
            action(claim);
        }
    }
}

/// <summary>An if/then/elseIf/else: the first branch whose condition holds wins.</summary>
internal sealed class CompiledConditional : CompiledOutcome
{
    public required int Slot { get; init; }

    public required CompiledCondition If { get; init; }

    public required CompiledOutcome Then { get; init; }

    public required (CompiledCondition If, CompiledOutcome Then)[] ElseIf { get; init; }

    public CompiledOutcome? Else { get; init; }

    public override CompiledActions? Select(WorkingClaim claim)
    {
        if (If.Evaluate(claim))
        {
            claim.Slots[Slot] = BranchSlot.Then;
            return Then.Select(claim);
        }

        for (var i = 0; i < ElseIf.Length; i++)
        {
            if (ElseIf[i].If.Evaluate(claim))
            {
                claim.Slots[Slot] = (short)(2 + i);
                return ElseIf[i].Then.Select(claim);
            }
        }

        if (Else is not null)
        {
            claim.Slots[Slot] = BranchSlot.Else;
            return Else.Select(claim);
        }

        claim.Slots[Slot] = BranchSlot.None;
        return null;
    }
}

/// <summary>A compiled rule (or an unreadable one, which only reports itself in the trace).</summary>
internal sealed class CompiledRule
{
    public required string Id { get; init; }

    public required int Slot { get; init; }

    public bool Enabled { get; init; }

    public string? Problem { get; init; }

    public int? EffectiveFrom { get; init; }

    public int? EffectiveTo { get; init; }

    public DateOnly? EffectiveFromDate { get; init; }

    public DateOnly? EffectiveToDate { get; init; }

    public CompiledConditional? Body { get; init; }
}
