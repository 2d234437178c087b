using System.Collections.Immutable;
using Claims.Core.Fhir;

namespace Claims.Core.Pipeline;

/// <summary>What the writer of the claim row does with a <see cref="Decision"/>.</summary>
public enum DecisionKind
{
    /// <summary>Save <see cref="Decision.State"/> with If-Match and perform <see cref="Decision.Commands"/> (its audit rows and alerts).</summary>
    Transition,

    /// <summary>Already handled or stale (redelivery, old timer, result after the claim moved on): save nothing, do nothing.</summary>
    Duplicate,

    /// <summary>Not allowed: save nothing, do nothing, answer with <see cref="Decision.Reason"/>.</summary>
    Refused,
}

/// <summary>Why a request was refused; the HTTP layer maps it to a status code.</summary>
public enum RefusalCode
{
    /// <summary>Not allowed in the claim's current status (HTTP 409).</summary>
    Conflict,

    /// <summary>The event itself is malformed (HTTP 400 for a request; a bug when it comes from our own code).</summary>
    InvalidEvent,
}

/// <summary>
/// The result of <see cref="PipelineDecider.Decide(PipelineState, PipelineEvent, PipelinePolicy)"/>.
/// <see cref="State"/> is the new state for a transition and the unchanged state otherwise; <see cref="Reason"/>
/// says why for every kind but a transition (ids and statuses only, no PHI).
/// </summary>
public sealed record Decision(
    DecisionKind Kind,
    PipelineState State,
    ImmutableArray<PipelineCommand> Commands,
    string? Reason = null,
    RefusalCode? Refusal = null)
{
    public static Decision Transition(PipelineState state, ImmutableArray<PipelineCommand> commands) =>
        new(DecisionKind.Transition, state, commands);

    public static Decision Duplicate(PipelineState state, string reason) =>
        new(DecisionKind.Duplicate, state, [], reason);

    public static Decision Refused(PipelineState state, RefusalCode code, string reason) =>
        new(DecisionKind.Refused, state, [], reason, code);

    /// <summary>
    /// The idempotency key of the command at <paramref name="index"/>: <c>{claim}-{version:D10}-{index:D2}</c>.
    /// Unique per claim and transition, the same when an activity runs again and decides the same transition. Only
    /// transitions have keys.
    /// </summary>
    public string CommandKey(int index)
    {
        if (Kind != DecisionKind.Transition)
        {
            throw new InvalidOperationException("Only a transition's commands have idempotency keys.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Commands.Length);
        return CommandKey(State, index);
    }

    /// <inheritdoc cref="CommandKey(int)"/>
    public static string CommandKey(PipelineState state, int index)
    {
        ArgumentNullException.ThrowIfNull(state);
        return string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{state.Claim.Value}-{state.Version:D10}-{index:D2}");
    }

    /// <summary>The FHIR OperationOutcome for a refusal (code <c>business-rule</c> for a conflict, <c>invalid</c> otherwise).</summary>
    public OperationOutcome? ToOperationOutcome() => Kind != DecisionKind.Refused
        ? null
        : OperationOutcome.Single(Refusal == RefusalCode.Conflict ? "business-rule" : "invalid", Reason ?? "Refused.");

    public bool Equals(Decision? other) =>
        other is not null
        && Kind == other.Kind
        && State.Equals(other.State)
        && Reason == other.Reason
        && Refusal == other.Refusal
        && Commands.AsSpan().SequenceEqual(other.Commands.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Kind, State, Commands.Length, Reason, Refusal);
}
