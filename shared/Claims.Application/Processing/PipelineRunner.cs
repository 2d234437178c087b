using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage.Rest;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>What applying one event came to.</summary>
public sealed record PipelineApplyResult(DecisionKind Kind, ClaimRecord? Claim, Decision? Decision)
{
    public static PipelineApplyResult NotFound { get; } = new(DecisionKind.Duplicate, null, null);
}

/// <summary>
/// Runs the pure pipeline decision against storage: load the claim row (with its ETag), decide, save with
/// If-Match (reload and decide again on 412), then perform the commands. The triggering message is deleted only
/// after all of that, so a crash anywhere means redelivery; a crash between save and commands is re-driven by the
/// stuck-claim sweep (docs/PIPELINE.md). Every command is idempotent (keyed by <see cref="Decision.CommandKey(int)"/>).
/// </summary>
public sealed partial class PipelineRunner(
    ClaimRepository claims,
    StorageClients storage,
    IClaimSubmitter submitter,
    AuditLog audit,
    AlertStore alerts,
    PipelinePolicy policy,
    TimeProvider time,
    ILogger<PipelineRunner> logger)
{
    private const int MaxConcurrencyRetries = 10;
    private readonly QueueClient intakeQueue = storage.Queue(StorageNames.IntakeQueue);
    private readonly QueueClient pipelineQueue = storage.Queue(StorageNames.PipelineQueue);
    private readonly BlobContainerClient documents = storage.Container(StorageNames.DocumentsContainer);

    /// <summary>Applies one event; <paramref name="mutate"/> may change other columns of the row in the same save.</summary>
    public async Task<PipelineApplyResult> ApplyAsync(
        TenantId tenant,
        ClaimId claimId,
        PipelineEvent @event,
        CancellationToken cancellationToken,
        Func<ClaimRecord, ClaimRecord>? mutate = null)
    {
        ArgumentNullException.ThrowIfNull(@event);
        for (var attempt = 0; ; attempt++)
        {
            var record = await claims.GetAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
            if (record?.PipelineJson is null)
            {
                LogClaimMissing(logger, tenant.Value, claimId.Value);
                return PipelineApplyResult.NotFound;
            }

            var state = PipelineJson.DeserializeState(record.PipelineJson);
            var decision = PipelineDecider.Decide(state, @event, policy);
            switch (decision.Kind)
            {
                case DecisionKind.Duplicate:
                case DecisionKind.Refused:
                    return new PipelineApplyResult(decision.Kind, record, decision);

                case DecisionKind.Deferred:
                    await PerformAsync(tenant, record, decision, cancellationToken).ConfigureAwait(false);
                    return new PipelineApplyResult(decision.Kind, record, decision);
            }

            var changed = record with
            {
                Status = decision.State.Status.ToString(),
                UpdatedAt = decision.State.UpdatedAt,
                RuleSetVersion = decision.State.RuleSetVersion ?? record.RuleSetVersion,
                PipelineJson = PipelineJson.Serialize(decision.State),
            };
            if (mutate is not null)
            {
                changed = mutate(changed);
            }

            try
            {
                var saved = await claims.UpdateAsync(changed, cancellationToken).ConfigureAwait(false);
                LogTransition(logger, tenant.Value, claimId.Value, state.Status, decision.State.Status);
                var final = await PerformAsync(tenant, saved, decision, cancellationToken).ConfigureAwait(false);
                return new PipelineApplyResult(decision.Kind, final, decision);
            }
            catch (ETagMismatchException) when (attempt < MaxConcurrencyRetries)
            {
                // Someone else moved the claim since we read it: decide again on the fresh state.
            }
        }
    }

    /// <summary>
    /// Re-drives a claim whose last step may have been cut short (the process died after a save and before its
    /// commands ran): Received/Evaluating go back to the rules engine, a Submitting claim with no retry pending is
    /// submitted again (the submitter is idempotent per claim), an overdue retry or escalation timer is re-sent.
    /// Anything else is left alone.
    /// </summary>
    public async Task ResumeAsync(TenantId tenant, ClaimId claimId, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
        if (record?.PipelineJson is null)
        {
            return;
        }

        var state = PipelineJson.DeserializeState(record.PipelineJson);
        var now = time.GetUtcNow();
        switch (state.Status)
        {
            case PipelineStatus.Received or PipelineStatus.Evaluating:
                await intakeQueue.SendMessageAsync(new EvaluateClaim(tenant, claimId).ToJson(), ct: cancellationToken).ConfigureAwait(false);
                break;
            case PipelineStatus.Submitting when state.Retry is { } retry:
                await SendDelayedAsync(new PipelineMessage(tenant, claimId, new RetryDue(retry.DueAt, Actors.Pipeline, retry.Attempt)), retry.DueAt, cancellationToken).ConfigureAwait(false);
                break;
            case PipelineStatus.Submitting:
                var result = await SubmitAsync(tenant, record, Math.Max(1, state.Attempts), cancellationToken).ConfigureAwait(false);
                await ApplyAsync(tenant, claimId, result, cancellationToken).ConfigureAwait(false);
                break;
            case PipelineStatus.Held when state.Hold is { Escalated: false } hold && hold.EscalationDueAt <= now:
                await ApplyAsync(tenant, claimId, new HoldEscalationDue(now, Actors.Sweep, hold.Generation), cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>Performs the commands in order; a Submit feeds its result back as the next event, at once.</summary>
    private async Task<ClaimRecord> PerformAsync(TenantId tenant, ClaimRecord record, Decision decision, CancellationToken cancellationToken)
    {
        var current = record;
        for (var i = 0; i < decision.Commands.Length; i++)
        {
            var key = decision.Kind == DecisionKind.Transition
                ? decision.CommandKey(i)
                : $"{record.Id.Value}-deferred-{decision.State.Version:D10}-{i:D2}";
            switch (decision.Commands[i])
            {
                case EvaluateRules:
                    await intakeQueue.SendMessageAsync(new EvaluateClaim(tenant, record.Id).ToJson(), ct: cancellationToken).ConfigureAwait(false);
                    break;

                case ScheduleRetry retry:
                    await SendDelayedAsync(new PipelineMessage(tenant, record.Id, new RetryDue(retry.DueAt, Actors.Pipeline, retry.Attempt)), retry.DueAt, cancellationToken).ConfigureAwait(false);
                    break;

                case ScheduleEscalation escalation:
                    await SendDelayedAsync(new PipelineMessage(tenant, record.Id, new HoldEscalationDue(escalation.DueAt, Actors.Pipeline, escalation.HoldGeneration)), escalation.DueAt, cancellationToken).ConfigureAwait(false);
                    break;

                case RaiseAlert alert:
                    await alerts.RaiseAsync(new Alert(tenant, key, alert.Kind.ToString(), alert.Text, decision.State.UpdatedAt, record.Id), cancellationToken).ConfigureAwait(false);
                    break;

                case WriteAudit write:
                    await audit.AppendAsync(
                        new AuditEntry(tenant, write.At, write.Actor, record.Id, write.Action, write.Result.ToString().ToUpperInvariant(), write.Details, RuleSetVersion: decision.State.RuleSetVersion, Note: write.Note),
                        key,
                        cancellationToken).ConfigureAwait(false);
                    break;

                case Submit submit:
                    var result = await SubmitAsync(tenant, current, submit.Attempt, cancellationToken).ConfigureAwait(false);
                    var next = await ApplyAsync(tenant, record.Id, result, cancellationToken).ConfigureAwait(false);
                    current = next.Claim ?? current;
                    break;

                default:
                    throw new InvalidOperationException($"Unknown pipeline command {decision.Commands[i].GetType().Name}.");
            }
        }

        return current;
    }

    private async Task<PipelineEvent> SubmitAsync(TenantId tenant, ClaimRecord record, int attempt, CancellationToken cancellationToken)
    {
        var document = await documents.DownloadAsync(record.DocumentBlob, cancellationToken).ConfigureAwait(false);
        if (document is null)
        {
            return new SubmitFailed(time.GetUtcNow(), Actors.Submitter, attempt, SubmitFailureKind.Permanent, "document-missing");
        }

        var outcome = await submitter.SubmitAsync(tenant, record.Id, document.Content, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        return outcome switch
        {
            SubmitOutcome.Succeeded ok => new SubmitSucceeded(now, Actors.Submitter, attempt, ok.Reference),
            SubmitOutcome.Failed failed => new SubmitFailed(now, Actors.Submitter, attempt, failed.Kind, failed.ReasonCode),
            _ => throw new InvalidOperationException("Unknown submit outcome."),
        };
    }

    private async Task SendDelayedAsync(PipelineMessage message, DateTimeOffset dueAt, CancellationToken cancellationToken)
    {
        var delay = dueAt - time.GetUtcNow();
        delay = delay < TimeSpan.Zero ? TimeSpan.Zero : delay > PipelinePolicy.MaxQueueDelay ? PipelinePolicy.MaxQueueDelay : delay;

        // The message must outlive its delay: a finite TTL shorter than the delay would drop the timer.
        await pipelineQueue.SendMessageAsync(message.ToJson(), delay, TimeSpan.MinValue, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Tenant {Tenant}: pipeline event for unknown claim {ClaimId} ignored")]
    private static partial void LogClaimMissing(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string tenant, string claimId, PipelineStatus from, PipelineStatus to);
}
