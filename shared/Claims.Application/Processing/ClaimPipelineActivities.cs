using Claims.Application.Audit;
using Claims.Application.Authorizations;
using Claims.Application.Claims;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// The claim pipeline's activities: every effect of <see cref="ClaimPipelineOrchestrator"/> happens here. Activities
/// run at least once, so each is idempotent: the claim row (the read model) moves only by the pure decision on the row
/// it reads, with If-Match; the times of what they record come from their input or the row (never a clock read), so a
/// re-run writes the same audit rows and alerts, which are kept once per key; the outbound document is created only if
/// absent; units are consumed and given back once per claim (docs/PIPELINE.md "Activities").
/// </summary>
public sealed partial class ClaimPipelineActivities(
    ClaimEvaluator evaluator,
    ClaimTransitions transitions,
    ClaimRepository claims,
    ClaimDocuments documents,
    IClaimSubmitter submitter,
    AlertStore alerts,
    ILogger<ClaimPipelineActivities> logger,
    AuthorizationGate? authorizationGate = null,
    AuthorizationUnits? authorizationUnits = null)
{
    /// <summary>
    /// <see cref="PipelineNames.EvaluateClaim"/>: rules, risk, tags, trace and audit rows; the verdict on the row. A PASS
    /// this run recorded is followed, in the same activity, by the first submit attempt, with the row and the document
    /// the evaluation already holds (a clean claim costs one activity and one orchestration episode less than with a
    /// separate submit). That attempt is recorded like any other; a transient failure leaves its retry pending on the
    /// row (the orchestration waits for it and goes on with <see cref="SubmitClaimAsync"/>) instead of failing this
    /// activity, whose retries would not submit again (a re-run finds the claim past Evaluating and returns its step).
    /// </summary>
    public async Task<ClaimStep> EvaluateClaimAsync(EvaluateClaimInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var audit = Door(PipelineNames.EvaluateClaim, input.Tenant, input.Claim);
        var evaluation = await evaluator.EvaluateAsync(TenantId.Parse(input.Tenant), ClaimId.Parse(input.Claim), input.At, cancellationToken).ConfigureAwait(false);
        if (evaluation is not { Passed: { } row, Document: { } document })
        {
            return evaluation.Step;
        }

        var state = PipelineJson.DeserializeState(row.PipelineJson!);
        try
        {
            return await AttemptAsync(new CurrentAttempt(row, [], state.Attempts, EnteredSubmitting(state)), input.At, document, throwWhenRetrying: false, cancellationToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The verdict is recorded; an attempt that failed without a result is the submit activity's to make again.
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            Logs.ClaimPipelineActivitiesFirstAttemptDeferred(logger, row.Tenant.Value, row.Id.Value, ex.GetType().Name);
            return evaluation.Step;
        }
    }

    /// <summary>
    /// <see cref="PipelineNames.SubmitClaim"/>: one submit attempt. The attempt is the row's: the first one recorded
    /// when the claim passed (or was released with override), or the retry the row is waiting for, started now at the
    /// time it was due. Success or a failure that ends it (permanent, or the last attempt) is recorded and returned; a
    /// transient failure with attempts left is recorded (retry pending) and thrown as a
    /// <see cref="TransientSubmitException"/>, so Durable's retry policy calls this again after the same back-off.
    /// </summary>
    public async Task<ClaimStep> SubmitClaimAsync(SubmitClaimInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var audit = Door(PipelineNames.SubmitClaim, input.Tenant, input.Claim);
        var tenant = TenantId.Parse(input.Tenant);
        var claim = ClaimId.Parse(input.Claim);
        if (await CurrentAttemptAsync(tenant, claim, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            // Submitted by an earlier run of this activity, or not ours to submit.
            return ClaimStep.From(await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false));
        }

        var record = current.Record;
        var at = current.RetryAt ?? input.At;
        LoadedDocument? loaded = null;
        if (input.Override)
        {
            loaded = await ConsumeForOverrideAsync(tenant, record, at, cancellationToken).ConfigureAwait(false);
        }

        loaded ??= await documents.LoadAsync(record, cancellationToken).ConfigureAwait(false);
        return await AttemptAsync(current, input.At, loaded?.BundleJson, throwWhenRetrying: true, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One submit attempt of <paramref name="current"/> with <paramref name="document"/> (null: missing, a permanent
    /// failure), recorded on the row. A transient failure with attempts left is recorded (retry pending) and, when
    /// <paramref name="throwWhenRetrying"/>, thrown as a <see cref="TransientSubmitException"/> for Durable's retry policy.
    /// </summary>
    private async Task<ClaimStep> AttemptAsync(CurrentAttempt current, DateTimeOffset now, ReadOnlyMemory<byte>? document, bool throwWhenRetrying, CancellationToken cancellationToken)
    {
        var (record, events, attempt, retryAt) = current;
        var (tenant, claim) = (record.Tenant, record.Id);
        var at = retryAt ?? now;
        var outcome = document is not { } bytes
            ? new SubmitOutcome.Failed(SubmitFailureKind.Permanent, "document-missing")
            : await submitter.SubmitAsync(SubmitRequest.For(record, bytes), cancellationToken).ConfigureAwait(false);
        events.Add(outcome switch
        {
            SubmitOutcome.Succeeded ok => new SubmitSucceeded(at, Actors.Submitter, attempt, ok.Reference),
            SubmitOutcome.Failed failed => new SubmitFailed(at, Actors.Submitter, attempt, failed.Kind, failed.ReasonCode),
            _ => throw new InvalidOperationException("Unknown submit outcome."),
        });

        var applied = await transitions.ApplyAsync(tenant, claim, events, new TransitionOptions(Known: record, ClearPending: true), cancellationToken).ConfigureAwait(false);
        var step = ClaimStep.From(applied.Claim);
        if (applied.Claim?.PipelineJson is { } json
            && PipelineJson.DeserializeState(json) is { Status: PipelineStatus.Submitting, Retry: { } next })
        {
            Logs.ClaimPipelineActivitiesRetrying(logger, tenant.Value, claim.Value, attempt, next.Attempt);
            if (!throwWhenRetrying)
            {
                return step;
            }

            throw new TransientSubmitException($"Submit attempt {attempt} of claim {claim.Value} failed transiently; attempt {next.Attempt} is due at {next.DueAt:O}.");
        }

        return step;
    }

    /// <summary>
    /// <see cref="PipelineNames.EscalateHold"/>: the hold of generation <see cref="EscalateHoldInput.HoldGeneration"/>
    /// waited past its due time: one HoldEscalated alert and one ESCALATED audit row; the claim stays Held. A second
    /// call, or one for an earlier hold, changes nothing. Returns where the claim stands (not Held when a release or
    /// cancel moved it and its event has not arrived).
    /// </summary>
    public async Task<ClaimStep> EscalateHoldAsync(EscalateHoldInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var audit = Door(PipelineNames.EscalateHold, input.Tenant, input.Claim);
        var applied = await transitions.ApplyAsync(
            TenantId.Parse(input.Tenant),
            ClaimId.Parse(input.Claim),
            [new HoldEscalationDue(input.At, Actors.Pipeline, input.HoldGeneration)],
            new TransitionOptions(),
            cancellationToken).ConfigureAwait(false);
        return ClaimStep.From(applied.Claim);
    }

    /// <summary>
    /// <see cref="PipelineNames.FailClaim"/>: the submit activity kept failing with errors that were not submit results
    /// (storage unavailable) until the retry policy ran out. The attempt in progress is recorded as failed for good:
    /// Failed, one SubmissionFailed alert.
    /// </summary>
    public async Task<ClaimStep> FailClaimAsync(FailClaimInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var audit = Door(PipelineNames.FailClaim, input.Tenant, input.Claim);
        var tenant = TenantId.Parse(input.Tenant);
        var claim = ClaimId.Parse(input.Claim);
        if (await CurrentAttemptAsync(tenant, claim, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return ClaimStep.From(await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false));
        }

        // With a retry pending, Durable did start it; it failed before it could record anything.
        var (record, events, attempt, _) = current;
        events.Add(new SubmitFailed(input.At, Actors.Pipeline, attempt, SubmitFailureKind.Permanent, input.ReasonCode));
        var applied = await transitions.ApplyAsync(tenant, claim, events, new TransitionOptions(Known: record, ClearPending: true), cancellationToken).ConfigureAwait(false);
        return ClaimStep.From(applied.Claim);
    }

    /// <summary>
    /// <see cref="PipelineNames.CancelClaim"/>: for a Cancelled claim, gives back the units it consumed (idempotent per
    /// claim) and clears the pending action. Any other status is returned as it is (a stale cancel signal).
    /// </summary>
    public async Task<ClaimStep> CancelClaimAsync(CancelClaimInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var audit = Door(PipelineNames.CancelClaim, input.Tenant, input.Claim);
        var tenant = TenantId.Parse(input.Tenant);
        var claim = ClaimId.Parse(input.Claim);
        for (var attempt = 0; ; attempt++)
        {
            var record = await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
            if (record?.Status != nameof(PipelineStatus.Cancelled))
            {
                return ClaimStep.From(record);
            }

            if (authorizationUnits is not null)
            {
                // A cancelled claim consumes nothing (docs/AUTHORIZATIONS.md).
                await authorizationUnits.ReleaseAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
            }

            if (record.PendingActionJson is null || await transitions.TryClearPendingAsync(record, cancellationToken).ConfigureAwait(false) is not null || attempt >= 10)
            {
                return ClaimStep.From(record);
            }
        }
    }

    /// <summary>
    /// <see cref="PipelineNames.RecordAcknowledgment"/>: a payer acknowledgment of the claim's current submission on
    /// the row: 277CA accepted → Accepted, a rejection → Rejected with codes and reason, anything else recorded (the claim
    /// stays Submitted). The same acknowledgment again, or one for another submission, changes nothing.
    /// </summary>
    public async Task<ClaimStep> RecordAcknowledgmentAsync(RecordAcknowledgmentInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(input.Acknowledgment);
        using var audit = Door(PipelineNames.RecordAcknowledgment, input.Tenant, input.Claim);
        var ack = input.Acknowledgment;
        var applied = await transitions.ApplyAsync(
            TenantId.Parse(input.Tenant),
            ClaimId.Parse(input.Claim),
            [new AcknowledgmentReceived(input.At, Actors.Acknowledgments, ack.Submission, ack.Kind, ack.Outcome, ack.Codes, ack.Reason, ack.PayerClaimControlNumber, ack.ControlNumbers)],
            new TransitionOptions(),
            cancellationToken).ConfigureAwait(false);
        return ClaimStep.From(applied.Claim);
    }

    /// <summary>
    /// <see cref="PipelineNames.AcknowledgmentOverdue"/>: the submission waited past its acknowledgment delay: one
    /// AcknowledgmentOverdue alert and one ESCALATED audit row; the claim stays Submitted. A second call changes nothing.
    /// </summary>
    public async Task<ClaimStep> AcknowledgmentOverdueAsync(AcknowledgmentOverdueInput input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var audit = Door(PipelineNames.AcknowledgmentOverdue, input.Tenant, input.Claim);
        var applied = await transitions.ApplyAsync(
            TenantId.Parse(input.Tenant),
            ClaimId.Parse(input.Claim),
            [new AcknowledgmentOverdue(input.At, Actors.Pipeline, input.Submission)],
            new TransitionOptions(),
            cancellationToken).ConfigureAwait(false);
        return ClaimStep.From(applied.Claim);
    }

    /// <summary>
    /// The audit context of one activity run (docs/SECURITY.md, audit rows carry their trigger and correlation id):
    /// trigger <c>activity:{name}</c>, correlation id the claim's orchestration instance, so every row the pipeline writes
    /// for a claim shares it whichever host runs the activity.
    /// </summary>
    private static IDisposable Door(string activity, string tenant, string claim) =>
        AuditContext.Begin("activity:" + activity, PipelineNames.InstanceId(TenantId.Parse(tenant), ClaimId.Parse(claim)));

    /// <summary>
    /// The submit attempt a Submitting claim is at: the row's last attempt, or — with a retry pending — that retry,
    /// started now and recorded (<see cref="RetryDue"/>) at the time it was due, so every run records the same. Null when
    /// the claim is not Submitting.
    /// </summary>
    private async Task<CurrentAttempt?> CurrentAttemptAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
        if (record?.PipelineJson is null || record.Status != nameof(PipelineStatus.Submitting))
        {
            return null;
        }

        var state = PipelineJson.DeserializeState(record.PipelineJson);
        return state.Retry is { } retry
            ? new CurrentAttempt(record, [new RetryDue(retry.DueAt, Actors.Pipeline, retry.Attempt)], retry.Attempt, retry.DueAt)
            : new CurrentAttempt(record, [], state.Attempts, EnteredSubmitting(state));
    }

    /// <summary>
    /// The time of an attempt that is not a retry: when the claim entered Submitting (its PASS, or the override release).
    /// Whichever activity makes it — the evaluation right after the PASS, or this one after that run died — records it
    /// at the same time, so the audit rows of a run that died before its row was saved are the same rows (their keys
    /// hold the time), never a second set.
    /// </summary>
    private static DateTimeOffset? EnteredSubmitting(PipelineState state) =>
        state.History.LastOrDefault(h => h.To == PipelineStatus.Submitting)?.At;

    /// <summary>The attempt the row is at; <c>RetryAt</c> is its time: a pending retry's due time, or when the claim entered Submitting.</summary>
    private sealed record CurrentAttempt(ClaimRecord Record, List<PipelineEvent> Events, int Attempt, DateTimeOffset? RetryAt);

    /// <summary>
    /// An override release consumes the claim's units before it is submitted (docs/AUTHORIZATIONS.md). When the
    /// authorization has too few left, nothing is consumed and an alert asks for the authorization to be reconciled:
    /// the admin chose to submit, so the claim is not held again. Returns the document read for it (the one submitted).
    /// </summary>
    private async Task<LoadedDocument?> ConsumeForOverrideAsync(TenantId tenant, ClaimRecord record, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (authorizationGate is null)
        {
            return null;
        }

        if (await documents.LoadAsync(record, cancellationToken).ConfigureAwait(false) is not { } loaded)
        {
            // The submit reports the missing document as a permanent failure.
            return null;
        }

        var facts = loaded.Document.ToFacts(record.SubmittedVia);
        var reservation = await authorizationGate.ConsumeAsync(tenant, record.Id, facts, cancellationToken).ConfigureAwait(false);
        if (reservation == UnitReservation.Exhausted)
        {
            // One per claim: a claim is released with override at most once (it cannot be held again after).
            await alerts.RaiseAsync(
                new Alert(
                    tenant,
                    $"{record.Id.Value}-override-units",
                    nameof(PipelineAlertKind.OverrideBeyondAuthorizationUnits),
                    $"Claim {record.Id.Value} was released with override and submitted, but its units exceed what its authorization has left; nothing was consumed. Reconcile the authorization with the payer.",
                    at,
                    record.Id),
                cancellationToken).ConfigureAwait(false);
        }

        return loaded;
    }
}
