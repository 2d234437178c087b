using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Application.Claims;

/// <summary>
/// One claim's row in the claims table (partition = tenant, row = claim id). Large JSON (rule result) goes to a
/// blob when it would not fit a 64 KiB table property. Holds no PHI: patient data lives only in the blobs.
/// </summary>
public sealed record ClaimRecord
{
    public required TenantId Tenant { get; init; }

    public required ClaimId Id { get; init; }

    /// <summary>The pipeline status (Received, Evaluating, Held, Submitting, Submitted, Failed, Cancelled, Accepted, Rejected); also a
    /// column of its own so the worklist can filter on it.</summary>
    public required string Status { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>ehr_webhook, api or batch_import.</summary>
    public required string SubmittedVia { get; init; }

    /// <summary>Claim.id as the sender gave it (their resource id; not PHI).</summary>
    public string? SourceResourceId { get; init; }

    /// <summary>Blob (in the raw container) holding the payload exactly as received.</summary>
    public required string RawBlob { get; init; }

    /// <summary>Blob (in the documents container) holding the claim's working FHIR document.</summary>
    public required string DocumentBlob { get; init; }

    /// <summary>The idempotency key's hash, when the claim had one.</summary>
    public string? IdempotencyKeyHash { get; init; }

    /// <summary>SHA-256 of what the key vouches for: a repeat with different content is a conflict.</summary>
    public string? ContentHash { get; init; }

    public string? RuleSetVersion { get; init; }

    /// <summary>The rules' result and trace as JSON (RULES.md "Result and trace").</summary>
    public string? RuleResultJson { get; init; }

    /// <summary>The pipeline's checkpointed state as JSON (docs/PIPELINE.md), history included.</summary>
    public string? PipelineJson { get; init; }

    /// <summary>
    /// The admin action (release or cancel) that moved the claim and that its orchestration has not yet taken up
    /// (<see cref="Processing.PendingAction"/> as JSON; docs/PIPELINE.md "Release and cancel"). Set by the HTTP request
    /// together with the transition, cleared by the activity that continues from it.
    /// </summary>
    public string? PendingActionJson { get; init; }

    /// <summary>
    /// When the current hold escalates, while the claim is Held and its hold is not yet escalated; null in every other
    /// case (<see cref="EscalationDueFrom(PipelineState)"/>). A column of its own so the stuck-claim sweep can ask the
    /// table for held claims whose escalation timer is overdue without reading every held claim's state.
    /// </summary>
    public DateTimeOffset? EscalationDueAt { get; init; }

    /// <summary>
    /// What the submit step sent and where (<see cref="X12.ClaimSubmission"/> as JSON): the outbound format and, for an
    /// 837P, the control numbers allocated for the claim before its file was written (so a retried submit reuses them).
    /// </summary>
    public string? SubmissionJson { get; init; }

    /// <summary>The payer id the rules saw (not PHI), set by evaluation; the worklist filters on it.</summary>
    public string? Payer { get; init; }

    /// <summary>
    /// The keys of the claim's worklist index rows as stored with the row (<see cref="WorklistIndex"/>, <c>since|due</c>);
    /// null when the claim has none. <see cref="ClaimRepository.UpdateAsync"/> keeps it and the rows in step.
    /// </summary>
    public string? WorklistKey { get; init; }

    /// <summary>The row's ETag when it was read; null for a row not yet stored.</summary>
    public string? ETag { get; init; }

    /// <summary>The <see cref="EscalationDueAt"/> column for a pipeline state: the hold's due time while Held and not
    /// yet escalated, the no-acknowledgment due time while Submitted and not yet alerted, else null (the sweep finds a
    /// claim whose orchestration should have fired its timer by it).</summary>
    public static DateTimeOffset? EscalationDueFrom(PipelineState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return state switch
        {
            { Status: PipelineStatus.Held, Hold: { Escalated: false } hold } => hold.EscalationDueAt,
            { Status: PipelineStatus.Submitted, AcknowledgmentOverdue: false, AcknowledgmentDueAt: { } due } => due,
            _ => null,
        };
    }
}
