using System.Collections.Immutable;
using Claims.Core.Claims;

namespace Claims.Core.Pipeline;

/// <summary>
/// Where one claim is in the pipeline: the read model the claim row stores (as JSON, see <see cref="PipelineJson"/>) and
/// hands to <see cref="PipelineDecider.Decide(PipelineState, PipelineEvent, PipelinePolicy)"/>. Holds no PHI except
/// the tenant-authored hold reason.
/// </summary>
public sealed record PipelineState
{
    public required ClaimId Claim { get; init; }

    public required PipelineStatus Status { get; init; }

    /// <summary>Goes up by one on every transition; with a command's index it makes the command's idempotency key.</summary>
    public long Version { get; init; }

    /// <summary>Time of the last transition (the event's time, not a clock read).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Submit attempts started so far (the attempt of the last submit started).</summary>
    public int Attempts { get; init; }

    /// <summary>The attempt Durable's retry policy will start next, while Submitting between attempts.</summary>
    public PendingRetry? Retry { get; init; }

    /// <summary>The current hold, while Held.</summary>
    public HoldInfo? Hold { get; init; }

    /// <summary>How many holds this claim has had; the next hold gets this plus one as its generation.</summary>
    public int HoldGenerations { get; init; }

    /// <summary>Which evaluation a verdict must belong to: 1 for intake's, +1 per reevaluate release.</summary>
    public int EvaluationRound { get; init; } = 1;

    /// <summary>The rule-set version of the last evaluation.</summary>
    public string? RuleSetVersion { get; init; }

    /// <summary>The submitter's reference once submitted.</summary>
    public string? SubmissionReference { get; init; }

    /// <summary>How many times the claim was submitted (one more per SubmitSucceeded): the generation an acknowledgment is for.</summary>
    public int Submissions { get; init; }

    /// <summary>When the no-acknowledgment alert is due, while Submitted and not yet alerted.</summary>
    public DateTimeOffset? AcknowledgmentDueAt { get; init; }

    /// <summary>Whether the no-acknowledgment alert was raised for the current submission.</summary>
    public bool AcknowledgmentOverdue { get; init; }

    /// <summary>The last acknowledgment recorded for the current submission (kept while Rejected and after a resubmission until the next one).</summary>
    public AcknowledgmentInfo? Acknowledgment { get; init; }

    /// <summary>The last failure's kind and reason code (e.g. <c>Permanent:payer-rejected</c>).</summary>
    public string? FailureReason { get; init; }

    /// <summary>The newest transitions, oldest first, at most <see cref="PipelinePolicy.MaxHistoryEntries"/>.</summary>
    public ImmutableArray<PipelineHistoryEntry> History { get; init; } = [];

    /// <summary>How many of the oldest history entries were dropped to stay within the table property limit.</summary>
    public int HistoryDropped { get; init; }

    /// <summary>The state of a claim that was just stored (its orchestration evaluates it next).</summary>
    public static PipelineState Start(ClaimId claim, DateTimeOffset receivedAt, string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(claim.Value, nameof(claim));
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return new PipelineState
        {
            Claim = claim,
            Status = PipelineStatus.Received,
            UpdatedAt = receivedAt,
            History = [new PipelineHistoryEntry(receivedAt, null, PipelineStatus.Received, PipelineCauses.Received, actor)],
        };
    }

    public bool Equals(PipelineState? other) =>
        other is not null
        && Claim == other.Claim
        && Status == other.Status
        && Version == other.Version
        && UpdatedAt == other.UpdatedAt
        && Attempts == other.Attempts
        && Retry == other.Retry
        && Hold == other.Hold
        && HoldGenerations == other.HoldGenerations
        && EvaluationRound == other.EvaluationRound
        && RuleSetVersion == other.RuleSetVersion
        && SubmissionReference == other.SubmissionReference
        && FailureReason == other.FailureReason
        && Submissions == other.Submissions
        && AcknowledgmentDueAt == other.AcknowledgmentDueAt
        && AcknowledgmentOverdue == other.AcknowledgmentOverdue
        && Acknowledgment == other.Acknowledgment
        && HistoryDropped == other.HistoryDropped
        && History.AsSpan().SequenceEqual(other.History.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Claim, Status, Version, UpdatedAt, Attempts, History.Length);
}

/// <summary>
/// A hold: which rule, why, since when, and whether it has been escalated. Generation is 1 for the claim's first
/// hold, 2 for the next (after a reevaluate release held it again); escalation timers carry it.
/// </summary>
public sealed record HoldInfo(
    string RuleId,
    string? Reason,
    DateTimeOffset HeldAt,
    int Generation,
    DateTimeOffset EscalationDueAt,
    bool Escalated);

/// <summary>
/// A payer acknowledgment as recorded on the row: kind (TA1, 999, 277CA), outcome, codes, readable reason, when, the
/// payer's claim control number (277CA REF*1K) and the submission it answered.
/// </summary>
public sealed record AcknowledgmentInfo(
    string Kind,
    AcknowledgmentOutcome Outcome,
    string Codes,
    string Reason,
    DateTimeOffset At,
    int Submission,
    string? PayerClaimControlNumber = null,
    string? ControlNumbers = null);

/// <summary>A retry the pipeline is waiting for.</summary>
public sealed record PendingRetry(int Attempt, DateTimeOffset DueAt);

/// <summary>
/// One transition. <paramref name="From"/> is null for the first entry. <paramref name="Cause"/> is one of
/// <see cref="PipelineCauses"/>; <paramref name="Detail"/> holds ids, codes and numbers only (no PHI, no notes).
/// </summary>
public sealed record PipelineHistoryEntry(
    DateTimeOffset At,
    PipelineStatus? From,
    PipelineStatus To,
    string Cause,
    string Actor,
    string? Detail = null);

/// <summary>The <see cref="PipelineHistoryEntry.Cause"/> values.</summary>
public static class PipelineCauses
{
    public const string Received = "received";
    public const string EvaluationStarted = "evaluation-started";
    public const string RulesPassed = "rules-passed";
    public const string RulesHeld = "rules-held";
    public const string ReleasedReevaluate = "released-reevaluate";
    public const string ReleasedOverride = "released-override";
    public const string Cancelled = "cancelled";
    public const string HoldEscalated = "hold-escalated";
    public const string SubmitSucceeded = "submit-succeeded";
    public const string SubmitFailedRetrying = "submit-failed-retrying";
    public const string SubmitFailed = "submit-failed";
    public const string RetryStarted = "retry-started";
    public const string Acknowledged = "acknowledged";
    public const string AcknowledgmentAccepted = "acknowledgment-accepted";
    public const string AcknowledgmentRejected = "acknowledgment-rejected";
    public const string AcknowledgmentOverdue = "acknowledgment-overdue";
    public const string ReleasedAfterRejection = "released-after-rejection";
}
