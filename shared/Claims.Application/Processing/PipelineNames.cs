using Claims.Core.Claims;

namespace Claims.Application.Processing;

/// <summary>
/// The names the claim pipeline's orchestration is known by: the orchestrator, its activities and the external events
/// it waits for. The function wrappers register exactly these names (one registration each).
/// </summary>
public static class PipelineNames
{
    /// <summary>The orchestrator (one instance per claim, <see cref="InstanceId"/>).</summary>
    public const string Orchestrator = "ClaimPipeline";

    /// <summary>Runs the tenant's rules on the claim and records the verdict (Held or Submitting) on the claim row.</summary>
    public const string EvaluateClaim = "EvaluateClaim";

    /// <summary>One submit attempt (called with the retry policy; a transient failure throws so Durable retries).</summary>
    public const string SubmitClaim = "SubmitClaim";

    /// <summary>The hold waited past its escalation time: one alert, one ESCALATED audit row.</summary>
    public const string EscalateHold = "EscalateHold";

    /// <summary>Submission gave up after the retry policy ran out on errors that were not submit results.</summary>
    public const string FailClaim = "FailClaim";

    /// <summary>A cancelled claim: its units are given back and the pending action cleared.</summary>
    public const string CancelClaim = "CancelClaim";

    /// <summary>Records a payer acknowledgment (TA1, 999, 277CA) on the row: Accepted, Rejected, or recorded and still Submitted.</summary>
    public const string RecordAcknowledgment = "RecordAcknowledgment";

    /// <summary>The no-acknowledgment timer fired: one AcknowledgmentOverdue alert and audit row; the claim keeps waiting.</summary>
    public const string AcknowledgmentOverdue = "AcknowledgmentOverdue";

    /// <summary>External event: a payer acknowledgment for the claim (<see cref="AcknowledgmentSignal"/>).</summary>
    public const string AcknowledgmentEvent = "Acknowledgment";

    /// <summary>External event: a held (or rejected) claim was released (<see cref="ReleaseSignal"/>).</summary>
    public const string ReleaseEvent = "Release";

    /// <summary>External event: a claim was cancelled (<see cref="CancelSignal"/>).</summary>
    public const string CancelEvent = "Cancel";

    /// <summary>Every activity name, for one registration list.</summary>
    public static IReadOnlyList<string> Activities { get; } = [EvaluateClaim, SubmitClaim, EscalateHold, FailClaim, CancelClaim, RecordAcknowledgment, AcknowledgmentOverdue];

    /// <summary>
    /// The orchestration instance of one claim: <c>claim-{tenant}-{claimId}</c>. Fixed per claim, so a start that is
    /// delivered twice finds the instance the first one created instead of making a second.
    /// </summary>
    public static string InstanceId(TenantId tenant, ClaimId claim) => $"claim-{tenant.Value}-{claim.Value}";
}
