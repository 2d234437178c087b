namespace Claims.Core.Pipeline;

/// <summary>
/// An effect of a transition that the activity applying it writes: an audit row or an alert. The scheduling of the
/// pipeline (evaluate, submit, retries, escalation timers) and the authorization units are the orchestration's and its
/// activities' business, not the decision's. Each must be safe to write twice (an activity runs at least once): it is
/// written under its <see cref="Key"/>.
/// </summary>
public abstract record PipelineCommand
{
    /// <summary>
    /// The effect's idempotency key: <see cref="Decision.CommandKey(PipelineState, int)"/> of the transition that produced
    /// it, set by the writer (the decider never sets it).
    /// </summary>
    public string? Key { get; init; }
}

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

    /// <summary>A submitted claim has had no acknowledgment for longer than the tenant's acknowledgment delay.</summary>
    AcknowledgmentOverdue,

    /// <summary>An acknowledgment file did not parse, or had a record that matched no claim: kept aside in x12-inbound-rejected.</summary>
    AcknowledgmentFileRejected,
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
    string? RuleId = null) : PipelineCommand;

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
    public const string Acknowledgment = "pipeline.acknowledgment";
    public const string AcknowledgmentAccepted = "pipeline.acknowledgment.accepted";
    public const string AcknowledgmentRejected = "pipeline.acknowledgment.rejected";
    public const string AcknowledgmentOverdue = "pipeline.acknowledgment.overdue";
    public const string ReleaseAfterRejection = "pipeline.release.rejected";
}
