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
/// escalation time (and whether it was escalated). <see cref="Status"/> is "Missing" for a claim that does not exist.
/// </summary>
public sealed record ClaimStep(string Status, int HoldGeneration = 0, DateTimeOffset? EscalationDueAt = null, bool Escalated = false)
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
            ? new ClaimStep(state.Status.ToString(), hold.Generation, hold.EscalationDueAt, hold.Escalated)
            : new ClaimStep(state.Status.ToString());
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
public sealed record ReleaseSignal(int HoldGeneration, ReleaseMode Mode);

/// <summary>
/// Payload of the <see cref="PipelineNames.CancelEvent"/> event: the hold generation the claim had (0 when it was not
/// held: cancelled from Received, Evaluating or Failed).
/// </summary>
public sealed record CancelSignal(int HoldGeneration);

/// <summary>
/// An admin action recorded on the claim row with its transition, until the orchestration takes it up
/// (<see cref="Claims.ClaimRecord.PendingActionJson"/>): the sweep raises its event again if it was never delivered.
/// </summary>
public sealed record PendingAction(string Kind, ReleaseMode? Mode, int HoldGeneration, DateTimeOffset At)
{
    public const string Release = "Release";
    public const string Cancel = "Cancel";
}

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
