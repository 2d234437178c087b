namespace Claims.Core.Pipeline;

/// <summary>
/// Something that happened to a claim's pipeline. Every event carries its own time and actor so that
/// <see cref="PipelineDecider.Decide(PipelineState, PipelineEvent, PipelinePolicy)"/> never reads a clock.
/// <paramref name="Actor"/> is an id, never a name or other PHI: <c>system:rules-engine</c>, <c>system:pipeline</c>,
/// <c>system:submitter</c>, or the admin's key id.
/// </summary>
public abstract record PipelineEvent(DateTimeOffset At, string Actor);

/// <summary>The rules engine picked the claim up from <c>claims-intake</c>.</summary>
public sealed record EvaluationStarted(DateTimeOffset At, string Actor) : PipelineEvent(At, Actor);

/// <summary>
/// The rules engine finished. For <see cref="RulesOutcome.Hold"/>, <paramref name="HeldByRuleId"/> is required and
/// <paramref name="HoldReason"/> is the rule's (tenant-authored) reason. <paramref name="Round"/> echoes
/// the state's <see cref="PipelineState.EvaluationRound"/> the evaluation started from (1 for intake's, one more per
/// reevaluate release), so a verdict of an earlier round is recognised as stale.
/// </summary>
public sealed record RulesEvaluated(
    DateTimeOffset At,
    string Actor,
    RulesOutcome Outcome,
    string RuleSetVersion,
    string? HeldByRuleId = null,
    string? HoldReason = null,
    int Round = 1) : PipelineEvent(At, Actor);

/// <summary>An admin released a hold. <paramref name="Note"/> is free text: it goes to the audit row only.</summary>
public sealed record Released(DateTimeOffset At, string Actor, ReleaseMode Mode, string? Note = null)
    : PipelineEvent(At, Actor);

/// <summary>An admin cancelled the claim. <paramref name="Note"/> goes to the audit row only.</summary>
public sealed record Cancelled(DateTimeOffset At, string Actor, string? Note = null) : PipelineEvent(At, Actor);

/// <summary>
/// The orchestration's escalation timer fired. <paramref name="HoldGeneration"/> is the hold it was armed for: a timer
/// left over from an earlier hold is ignored, and so is one before the due time.
/// </summary>
public sealed record HoldEscalationDue(DateTimeOffset At, string Actor, int HoldGeneration) : PipelineEvent(At, Actor);

/// <summary>The submitter accepted attempt <paramref name="Attempt"/>.</summary>
public sealed record SubmitSucceeded(DateTimeOffset At, string Actor, int Attempt, string? SubmissionReference)
    : PipelineEvent(At, Actor);

/// <summary>
/// Attempt <paramref name="Attempt"/> failed. <paramref name="ReasonCode"/> is a short machine code
/// (<c>[A-Za-z0-9._:-]{1,64}</c>, no PHI); anything else is recorded as <c>unrecognized-code</c>.
/// </summary>
public sealed record SubmitFailed(DateTimeOffset At, string Actor, int Attempt, SubmitFailureKind Kind, string ReasonCode)
    : PipelineEvent(At, Actor);

/// <summary>Durable's retry policy started attempt <paramref name="Attempt"/> (recorded by the submit activity at the time it was due).</summary>
public sealed record RetryDue(DateTimeOffset At, string Actor, int Attempt) : PipelineEvent(At, Actor);

/// <summary>
/// A payer acknowledgment for submission <paramref name="Submission"/> (<see cref="PipelineState.Submissions"/> when it
/// was matched): <paramref name="Kind"/> <c>TA1</c>, <c>999</c> or <c>277CA</c>, its outcome, codes and readable reason
/// (code texts only, no PHI), the payer's claim control number (277CA REF*1K) and the control numbers it answered.
/// One for another submission, or the same one again, changes nothing.
/// </summary>
public sealed record AcknowledgmentReceived(
    DateTimeOffset At,
    string Actor,
    int Submission,
    string Kind,
    AcknowledgmentOutcome Outcome,
    string Codes,
    string Reason,
    string? PayerClaimControlNumber = null,
    string? ControlNumbers = null) : PipelineEvent(At, Actor);

/// <summary>The orchestration's no-acknowledgment timer fired for submission <paramref name="Submission"/>.</summary>
public sealed record AcknowledgmentOverdue(DateTimeOffset At, string Actor, int Submission) : PipelineEvent(At, Actor);
