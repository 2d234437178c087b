using System.Text.Json.Serialization;

namespace Claims.Core.Pipeline;

/// <summary>
/// An effect the runner performs after it has saved the new state. Every command must be safe to perform twice
/// (the runner replays its outbox after a crash): see docs/PIPELINE.md for the idempotency key of each.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "$command")]
[JsonDerivedType(typeof(EvaluateRules), "EvaluateRules")]
[JsonDerivedType(typeof(Submit), "Submit")]
[JsonDerivedType(typeof(ScheduleRetry), "ScheduleRetry")]
[JsonDerivedType(typeof(ScheduleEscalation), "ScheduleEscalation")]
[JsonDerivedType(typeof(RaiseAlert), "RaiseAlert")]
[JsonDerivedType(typeof(WriteAudit), "WriteAudit")]
[JsonDerivedType(typeof(ReleaseUnits), "ReleaseUnits")]
[JsonDerivedType(typeof(ConsumeUnits), "ConsumeUnits")]
public abstract record PipelineCommand
{
    /// <summary>
    /// The command's idempotency key once the runner has put it in an outbox (<see cref="Decision.CommandKey(PipelineState, int)"/>
    /// of the transition that produced it). The decider never sets it; an outbox may carry commands of an earlier
    /// transition (audit rows performed together with the next one's), so each stored command names its own key.
    /// Stored outboxes without keys (written before keys were stored) take the key of their position.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }
}

/// <summary>
/// Enqueue the claim to the rules engine (<c>claims-intake</c>) after a reevaluate release. The message carries
/// <paramref name="Round"/> and the engine echoes it in <see cref="RulesEvaluated.Round"/>.
/// </summary>
public sealed record EvaluateRules(int Round) : PipelineCommand;

/// <summary>
/// Call the submitter for attempt <paramref name="Attempt"/> and feed its result back as
/// <see cref="SubmitSucceeded"/> or <see cref="SubmitFailed"/> with the same attempt number.
/// </summary>
public sealed record Submit(int Attempt) : PipelineCommand;

/// <summary>Enqueue <see cref="RetryDue"/>(<paramref name="Attempt"/>) to <c>claims-pipeline</c> with visibility delay <paramref name="Delay"/>.</summary>
public sealed record ScheduleRetry(int Attempt, TimeSpan Delay, DateTimeOffset DueAt) : PipelineCommand;

/// <summary>
/// Enqueue <see cref="HoldEscalationDue"/>(<paramref name="HoldGeneration"/>) to <c>claims-pipeline</c>, visible at
/// <paramref name="DueAt"/> or after the longest delay a queue allows (7 days), whichever comes first.
/// </summary>
public sealed record ScheduleEscalation(DateTimeOffset DueAt, int HoldGeneration) : PipelineCommand;

/// <summary>
/// Give back the authorization units the claim consumed, if any (a cancelled claim consumes nothing;
/// docs/AUTHORIZATIONS.md). Idempotent per claim: the consumption row records what was taken, and giving back removes it.
/// </summary>
public sealed record ReleaseUnits : PipelineCommand;

/// <summary>
/// Consume the claim's units from its matching authorization before an override release submits it (a PASS has
/// consumed already, in the rules engine). Idempotent per claim. Units the authorization no longer has are not
/// consumed (unitsUsed never exceeds unitsAuthorized): the admin chose to submit anyway, so the runner raises an alert
/// to reconcile the authorization instead of holding the claim again.
/// </summary>
public sealed record ConsumeUnits : PipelineCommand;

/// <summary>What an alert is about.</summary>
public enum PipelineAlertKind
{
    /// <summary>A hold waited longer than the escalation delay.</summary>
    HoldEscalated,

    /// <summary>Submission failed for good (permanent failure or all attempts used).</summary>
    SubmissionFailed,

    /// <summary>The submitter reported success for a claim that had been cancelled after failing: reconcile by hand.</summary>
    SubmittedAfterCancel,

    /// <summary>An override release submitted a claim whose units exceed what its authorization has left.</summary>
    OverrideBeyondAuthorizationUnits,
}

/// <summary>Raise an admin alert (GET /alerts). <paramref name="Text"/> names ids and codes only, never PHI.</summary>
public sealed record RaiseAlert(PipelineAlertKind Kind, string Text) : PipelineCommand;

/// <summary>The result column of an audit row.</summary>
public enum PipelineAuditResult
{
    Success,
    Failed,
    Escalated,
}

/// <summary>
/// Append a row to the execution log. <paramref name="Details"/> holds ids, codes and numbers only;
/// <paramref name="Note"/> is the admin's free text from a release or cancel (or a hold reason), stored on the audit
/// row and nowhere else; <paramref name="RuleId"/> names the rule a rules-engine row is about.
/// </summary>
public sealed record WriteAudit(
    string Action,
    PipelineAuditResult Result,
    string Details,
    DateTimeOffset At,
    string Actor,
    string? Note = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RuleId = null) : PipelineCommand;

/// <summary>The <see cref="WriteAudit.Action"/> values the pipeline writes.</summary>
public static class PipelineAuditActions
{
    public const string EvaluationStarted = "pipeline.evaluation-started";
    public const string Pass = "pipeline.pass";
    public const string Hold = "pipeline.hold";
    public const string HoldEscalated = "pipeline.hold.escalated";
    public const string ReleaseReevaluate = "pipeline.release.reevaluate";
    public const string ReleaseOverride = "pipeline.release.override";
    public const string Cancel = "pipeline.cancel";
    public const string Submit = "pipeline.submit";
    public const string SubmitRetry = "pipeline.submit.retry";
}
