using Claims.Application.Claims;
using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Application.Processing;

// The orchestration's inputs, outputs and event payloads. They go through Durable's history (JSON), so they hold ids,
// statuses, numbers and times only: never PHI, never an admin's note. Ids travel as strings (the Durable data
// converter needs plain properties); the typed ids are one call away.

/// <summary>The retry policy of the submit activity, fixed when the orchestration starts (so replays see the same numbers).</summary>
public sealed record SubmitRetry(int MaxAttempts, TimeSpan FirstRetryInterval, double BackoffCoefficient, TimeSpan MaxRetryInterval)
{
    /// <summary>The numbers of <paramref name="policy"/> (docs/PIPELINE.md "Retry, back-off, escalation").</summary>
    public static SubmitRetry From(PipelinePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new SubmitRetry(policy.MaxSubmitAttempts, policy.RetryBaseDelay, policy.RetryMultiplier, policy.RetryMaxDelay);
    }
}

/// <summary>The orchestration's input: which claim, and the submit retry policy it runs with.</summary>
public sealed record ClaimPipelineInput(string Tenant, string Claim, SubmitRetry Retry);

/// <summary>How the orchestration ended: the claim's status on its row then.</summary>
public sealed record ClaimPipelineOutput(string Status);

/// <summary>
/// Input of <see cref="PipelineNames.EvaluateClaim"/>: the evaluation round (1 from intake, one more per reevaluate
/// release) and the orchestration's time when it asked (the time of the transitions it records, so a re-run writes the
/// same rows).
/// </summary>
public sealed record EvaluateClaimInput(string Tenant, string Claim, DateTimeOffset At);

/// <summary>
/// Where a claim stands after an activity, read from its row: the status, and while Held the hold's generation and
/// escalation time (and whether it was escalated); <see cref="Submission"/> is the submission generation (the
/// acknowledgment an event must be for) and, while Submitted, when the no-acknowledgment alert is due and whether it
/// was raised; while Submitting with a retry pending (the first attempt, made with the evaluation, failed
/// transiently), which attempt is next and when. <see cref="Status"/> is "Missing" for a claim that does not exist.
/// </summary>
public sealed record ClaimStep(
    string Status,
    int HoldGeneration = 0,
    DateTimeOffset? EscalationDueAt = null,
    bool Escalated = false,
    int Submission = 0,
    DateTimeOffset? AcknowledgmentDueAt = null,
    bool AcknowledgmentOverdue = false,
    int RetryAttempt = 0,
    DateTimeOffset? RetryDueAt = null)
{
    public const string Missing = "Missing";

    public bool Is(PipelineStatus status) => Status == status.ToString();

    public static ClaimStep From(ClaimRecord? record)
    {
        if (record?.PipelineJson is null)
        {
            return new ClaimStep(Missing);
        }

        var state = Core.Pipeline.PipelineJson.DeserializeState(record.PipelineJson);
        return state.Hold is { } hold && state.Status == PipelineStatus.Held
            ? new ClaimStep(state.Status.ToString(), hold.Generation, hold.EscalationDueAt, hold.Escalated, state.Submissions)
            : new ClaimStep(
                state.Status.ToString(),
                Submission: state.Submissions,
                AcknowledgmentDueAt: state.Status == PipelineStatus.Submitted ? state.AcknowledgmentDueAt : null,
                AcknowledgmentOverdue: state.AcknowledgmentOverdue,
                RetryAttempt: state.Status == PipelineStatus.Submitting ? state.Retry?.Attempt ?? 0 : 0,
                RetryDueAt: state.Status == PipelineStatus.Submitting ? state.Retry?.DueAt : null);
    }
}

/// <summary>
/// Input of <see cref="PipelineNames.SubmitClaim"/>. <paramref name="Override"/>: the claim was released with
/// override, so its authorization units are consumed first (a PASS consumed them in the evaluation).
/// <paramref name="At"/>: the orchestration's time when it asked; a retry's transitions are timed at their scheduled
/// time from the row, so every re-run of the same attempt writes the same rows.
/// </summary>
public sealed record SubmitClaimInput(string Tenant, string Claim, bool Override, DateTimeOffset At);

/// <summary>Input of <see cref="PipelineNames.EscalateHold"/>: the hold it is for and the time it was due.</summary>
public sealed record EscalateHoldInput(string Tenant, string Claim, int HoldGeneration, DateTimeOffset At);

/// <summary>Input of <see cref="PipelineNames.FailClaim"/>: a reason code (<c>[A-Za-z0-9._:-]</c>, no PHI).</summary>
public sealed record FailClaimInput(string Tenant, string Claim, string ReasonCode, DateTimeOffset At);

/// <summary>Input of <see cref="PipelineNames.CancelClaim"/>.</summary>
public sealed record CancelClaimInput(string Tenant, string Claim, DateTimeOffset At);

/// <summary>
/// Payload of the <see cref="PipelineNames.ReleaseEvent"/> event: the hold that was released (its generation) and how.
/// The claim row holds the transition already; the orchestration ignores a signal for any other hold (a duplicate or
/// late one).
/// </summary>
/// <paramref name="Submission"/> is the rejected submission for a release of a Rejected claim (0 for a hold's release).
public sealed record ReleaseSignal(int HoldGeneration, ReleaseMode Mode, int Submission = 0);

/// <summary>
/// Payload of the <see cref="PipelineNames.CancelEvent"/> event: the hold generation the claim had (0 when it was not
/// held: cancelled from Received, Evaluating or Failed).
/// </summary>
public sealed record CancelSignal(int HoldGeneration);

/// <summary>
/// An admin action recorded on the claim row with its transition, until the orchestration takes it up
/// (<see cref="Claims.ClaimRecord.PendingActionJson"/>): the sweep raises its event again if it was never delivered.
/// </summary>
public sealed record PendingAction(string Kind, ReleaseMode? Mode, int HoldGeneration, DateTimeOffset At, int Submission = 0)
{
    public const string Release = "Release";
    public const string Cancel = "Cancel";
}

/// <summary>
/// Payload of the <see cref="PipelineNames.AcknowledgmentEvent"/> event, raised by the acknowledgment inbox for each
/// claim a TA1, 999 or 277CA answers: which submission it was matched to (the row's submission generation then),
/// <paramref name="Kind"/> <c>TA1</c> / <c>999</c> / <c>277CA</c>, the outcome, codes, readable reason (code texts, no
/// PHI), the payer's claim control number (277CA REF*1K), the control numbers it answered and the file it came in.
/// The orchestration ignores one for another submission; the row ignores one it has recorded already.
/// </summary>
public sealed record AcknowledgmentSignal(
    int Submission,
    string Kind,
    AcknowledgmentOutcome Outcome,
    string Codes,
    string Reason,
    string? PayerClaimControlNumber,
    string? ControlNumbers,
    string? File);

/// <summary>Input of <see cref="PipelineNames.RecordAcknowledgment"/>: the acknowledgment and the orchestration's time.</summary>
public sealed record RecordAcknowledgmentInput(string Tenant, string Claim, AcknowledgmentSignal Acknowledgment, DateTimeOffset At);

/// <summary>Input of <see cref="PipelineNames.AcknowledgmentOverdue"/>: the submission whose acknowledgment is overdue and the time it was due.</summary>
public sealed record AcknowledgmentOverdueInput(string Tenant, string Claim, int Submission, DateTimeOffset At);

/// <summary>The submitter reported a transient failure and attempts are left: thrown so Durable's retry policy retries.</summary>
public sealed class TransientSubmitException : Exception
{
    public TransientSubmitException()
    {
    }

    public TransientSubmitException(string message)
        : base(message)
    {
    }

    public TransientSubmitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
