using Azure;
using Azure.Storage.Queues;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>The claim document a caller already holds (blob name and content), so the submitter need not download it.</summary>
public sealed record DocumentHandover(string Blob, ReadOnlyMemory<byte> Content);

/// <summary>What applying one event came to.</summary>
public sealed record PipelineApplyResult(DecisionKind Kind, ClaimRecord? Claim, Decision? Decision)
{
    public static PipelineApplyResult NotFound { get; } = new(DecisionKind.Duplicate, null, null);
}

/// <summary>
/// Runs the pure pipeline decision against storage with the outbox protocol of docs/PIPELINE.md: load the claim
/// row (with its ETag); if the row still holds an outbox, a previous run died after its save, so perform those
/// commands and clear the outbox first; decide; save the new state together with its commands (the outbox) with
/// If-Match (reload and decide again on 412); perform the commands; clear the outbox. The triggering message is
/// deleted only after all of that. Every command is idempotent (keyed by <see cref="Decision.CommandKey(PipelineState, int)"/>),
/// so performing an outbox twice is harmless.
/// </summary>
public sealed partial class PipelineRunner(
    ClaimRepository claims,
    ClaimDocuments documentStore,
    StorageClients storage,
    IClaimSubmitter submitter,
    AuditLog audit,
    AlertStore alerts,
    TenantPipelinePolicies policies,
    TimeProvider time,
    ILogger<PipelineRunner> logger,
    Authorizations.AuthorizationUnits? authorizationUnits = null,
    Authorizations.AuthorizationGate? authorizationGate = null)
{
    private const int MaxConcurrencyRetries = 10;
    private readonly QueueClient intakeQueue = storage.Queue(StorageNames.IntakeQueue);
    private readonly QueueClient pipelineQueue = storage.Queue(StorageNames.PipelineQueue);

    /// <summary>Applies one event; <paramref name="mutate"/> may change other columns of the row in the same save.</summary>
    public Task<PipelineApplyResult> ApplyAsync(
        TenantId tenant,
        ClaimId claimId,
        PipelineEvent @event,
        CancellationToken cancellationToken,
        Func<ClaimRecord, ClaimRecord>? mutate = null)
    {
        ArgumentNullException.ThrowIfNull(@event);
        return ApplyAsync(tenant, claimId, [@event], new ApplyContext(Mutate: mutate), cancellationToken);
    }

    /// <summary>
    /// The rules engine's hand-over (docs/PIPELINE.md "One hop"): applies <see cref="EvaluationStarted"/> and the
    /// verdict in one save, with the rules' audit rows in the same outbox, starting from the row the engine read
    /// (<paramref name="known"/>; a stale one costs a 412 and a reload). A PASS is submitted at once, with
    /// <paramref name="document"/> (the document the engine just read or corrected) instead of a second download.
    /// </summary>
    public Task<PipelineApplyResult> ApplyEvaluationAsync(
        TenantId tenant,
        ClaimRecord known,
        DateTimeOffset startedAt,
        RulesEvaluated verdict,
        IReadOnlyList<WriteAudit> rulesAudit,
        Func<ClaimRecord, ClaimRecord> mutate,
        DocumentHandover? document,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(verdict);
        return ApplyAsync(
            tenant,
            known.Id,
            [new EvaluationStarted(startedAt, verdict.Actor), verdict],
            new ApplyContext(Known: known, Mutate: mutate, BeforeLast: rulesAudit, Document: document),
            cancellationToken);
    }

    // PerformingVersion: the version whose outbox the caller is performing right now (a Submit's result applied
    // inline); that outbox is not replayed, the new transition's save replaces it, and Carried (its audit rows, not
    // yet written) go into the new outbox. Known: the row as the caller just read or saved it (with its ETag), used
    // instead of a first read. BeforeLast: commands of the caller's own (the rules' audit rows) placed before the
    // last event's commands.
    private sealed record ApplyContext(
        long? PerformingVersion = null,
        ClaimRecord? Known = null,
        Func<ClaimRecord, ClaimRecord>? Mutate = null,
        IReadOnlyList<PipelineCommand>? Carried = null,
        IReadOnlyList<PipelineCommand>? BeforeLast = null,
        DocumentHandover? Document = null);

    private async Task<PipelineApplyResult> ApplyAsync(
        TenantId tenant,
        ClaimId claimId,
        IReadOnlyList<PipelineEvent> events,
        ApplyContext context,
        CancellationToken cancellationToken)
    {
        // The tenant's escalation delay matters only to a HOLD verdict; other events cost no settings read.
        var eventPolicies = new PipelinePolicy[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            eventPolicies[i] = await policies.ForAsync(tenant, events[i], cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; ; attempt++)
        {
            var record = attempt == 0 && context.Known is not null
                ? context.Known
                : await claims.GetAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
            if (record?.PipelineJson is null)
            {
                LogClaimMissing(logger, tenant.Value, claimId.Value);
                return PipelineApplyResult.NotFound;
            }

            var state = PipelineJson.DeserializeState(record.PipelineJson);
            if (record.OutboxJson is not null && state.Version != context.PerformingVersion)
            {
                LogReplayingOutbox(logger, tenant.Value, claimId.Value, state.Version);
                record = await PerformAndClearAsync(tenant, record, state, PipelineJson.DeserializeCommands(record.OutboxJson), null, cancellationToken).ConfigureAwait(false);
                if (record is null)
                {
                    continue;
                }

                state = PipelineJson.DeserializeState(record.PipelineJson!);
            }

            // Each event is decided on the state the previous one left; only transitions count towards the save.
            var from = state;
            var fresh = new List<PipelineCommand>();
            Decision? last = null;
            var transitioned = false;
            for (var i = 0; i < events.Count; i++)
            {
                if (i == events.Count - 1 && context.BeforeLast is { Count: > 0 } before)
                {
                    fresh.AddRange(before);
                }

                last = PipelineDecider.Decide(state, events[i], eventPolicies[i]);
                if (last.Kind == DecisionKind.Transition)
                {
                    fresh.AddRange(last.Commands);
                    state = last.State;
                    transitioned = true;
                }
                else if (last.Kind == DecisionKind.Deferred && events.Count == 1)
                {
                    // A deferral only re-arms a timer; a second timer message is harmless, so no outbox.
                    await PerformAsync(tenant, record, last.State, last.Commands, deferred: true, null, cancellationToken).ConfigureAwait(false);
                    return new PipelineApplyResult(last.Kind, record, last);
                }
            }

            if (!transitioned)
            {
                return new PipelineApplyResult(last!.Kind, record, last);
            }

            var decision = Decision.Transition(state, [.. fresh.Select((c, i) => c with { Key = Decision.CommandKey(state, i) })]);
            var outbox = context.Carried is { Count: > 0 } carried ? [.. carried, .. decision.Commands] : decision.Commands;
            var changed = record with
            {
                Status = decision.State.Status.ToString(),
                UpdatedAt = decision.State.UpdatedAt,
                RuleSetVersion = decision.State.RuleSetVersion ?? record.RuleSetVersion,
                PipelineJson = PipelineJson.Serialize(decision.State),
                OutboxJson = outbox.IsEmpty ? null : PipelineJson.Serialize(outbox),
                EscalationDueAt = ClaimRecord.EscalationDueFrom(decision.State),
            };
            if (context.Mutate is not null)
            {
                changed = context.Mutate(changed);
            }

            ClaimRecord saved;
            try
            {
                saved = await claims.UpdateAsync(changed, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConcurrencyRetries)
            {
                // Someone else moved the claim since we read it: decide again on the fresh state.
                continue;
            }

            LogTransition(logger, tenant.Value, claimId.Value, from.Status, decision.State.Status);
            var final = await PerformAndClearAsync(tenant, saved, decision.State, outbox, context.Document, cancellationToken).ConfigureAwait(false);
            return new PipelineApplyResult(decision.Kind, final ?? saved, decision);
        }
    }

    /// <summary>
    /// Re-drives a claim whose last step may have been cut short (the process died after a save and before its
    /// commands ran): Received/Evaluating go back to the rules engine, a Submitting claim with no retry pending is
    /// submitted again (the submitter is idempotent per claim), an overdue retry or escalation timer is re-sent.
    /// Before that, a row that still holds an outbox (in any status) has it performed and cleared.
    /// Anything else is left alone.
    /// </summary>
    public async Task ResumeAsync(TenantId tenant, ClaimId claimId, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
        if (record?.PipelineJson is null)
        {
            return;
        }

        if (record.Status == Intake.ClaimIntakeHandler.StagedStatus)
        {
            // The sweep sends a staged claim only once it is older than Pipeline:StagedExpiry: its transaction never
            // committed and the client did not retry. Remove it (a commit racing this wins on the ETag).
            await ExpireStagedAsync(record, cancellationToken).ConfigureAwait(false);
            return;
        }

        var state = PipelineJson.DeserializeState(record.PipelineJson);
        if (record.OutboxJson is not null)
        {
            // The last transition's commands may never have run (the process died after the save). No further event
            // may come for a Held or Submitted claim, so the sweep is what performs them.
            LogReplayingOutbox(logger, tenant.Value, claimId.Value, state.Version);
            record = await PerformAndClearAsync(tenant, record, state, PipelineJson.DeserializeCommands(record.OutboxJson), null, cancellationToken).ConfigureAwait(false);
            if (record?.PipelineJson is null)
            {
                // Someone else moved the claim meanwhile: they perform their own commands.
                return;
            }

            state = PipelineJson.DeserializeState(record.PipelineJson);
        }

        var now = time.GetUtcNow();
        switch (state.Status)
        {
            case PipelineStatus.Received or PipelineStatus.Evaluating:
                await intakeQueue.SendMessageAsync(new EvaluateClaim(tenant, claimId, state.EvaluationRound).ToJson(), cancellationToken).ConfigureAwait(false);
                break;
            case PipelineStatus.Submitting when state.Retry is { } retry:
                await SendDelayedAsync(new PipelineMessage(tenant, claimId, new RetryDue(retry.DueAt, Actors.Pipeline, retry.Attempt)), retry.DueAt, cancellationToken).ConfigureAwait(false);
                break;
            case PipelineStatus.Submitting:
                var result = await SubmitAsync(tenant, record, Math.Max(1, state.Attempts), null, cancellationToken).ConfigureAwait(false);
                await ApplyAsync(tenant, claimId, result, cancellationToken).ConfigureAwait(false);
                break;
            case PipelineStatus.Held when state.Hold is { Escalated: false } hold && hold.EscalationDueAt <= now:
                await ApplyAsync(tenant, claimId, new HoldEscalationDue(now, Actors.Sweep, hold.Generation), cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    private async Task ExpireStagedAsync(ClaimRecord staged, CancellationToken cancellationToken)
    {
        if (!await claims.DeleteStagedAsync(staged, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await documentStore.DeleteOwnAsync(staged, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        await audit.AppendAsync(
            new AuditEntry(staged.Tenant, now, Actors.Sweep, staged.Id, "intake.staged.expired", AuditResults.Success,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"staged {staged.ReceivedAt:O} by a transaction Bundle that never committed; removed")),
            "staged-expired-" + staged.Id.Value,
            cancellationToken).ConfigureAwait(false);
        LogStagedExpired(logger, staged.Tenant.Value, staged.Id.Value);
    }

    /// <summary>
    /// Performs a transition's commands, then clears the outbox with If-Match. Returns the row as it is after that,
    /// or null when someone else changed the row meanwhile (they replay or replace the outbox; the caller reloads).
    /// When a Submit fed its result back, that result's own save replaced the outbox already.
    /// </summary>
    private async Task<ClaimRecord?> PerformAndClearAsync(
        TenantId tenant, ClaimRecord record, PipelineState state, IReadOnlyList<PipelineCommand> commands, DocumentHandover? document, CancellationToken cancellationToken)
    {
        var (current, resaved) = await PerformAsync(tenant, record, state, commands, deferred: false, document, cancellationToken).ConfigureAwait(false);
        if (resaved || current.OutboxJson is null)
        {
            return current;
        }

        try
        {
            return await claims.UpdateAsync(current with { OutboxJson = null }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return null;
        }
    }

    /// <summary>
    /// Performs the commands: queue sends and alerts in order, then the audit rows in one append (one entity group
    /// transaction per partition), except when the outbox holds a Submit. Submit goes last: it feeds its result back
    /// as the next event at once, and that event's save replaces the outbox, so every other command must be done by
    /// then — but the audit rows need not be: they are carried into the next outbox and written with its own rows
    /// in one append.
    /// </summary>
    private async Task<(ClaimRecord Current, bool Resaved)> PerformAsync(
        TenantId tenant, ClaimRecord record, PipelineState state, IReadOnlyList<PipelineCommand> commands, bool deferred, DocumentHandover? document, CancellationToken cancellationToken)
    {
        var audits = new List<WriteAudit>();
        Submit? submit = null;
        for (var i = 0; i < commands.Count; i++)
        {
            var key = commands[i].Key ?? (deferred
                ? $"{record.Id.Value}-deferred-{state.Version:D10}-{i:D2}"
                : Decision.CommandKey(state, i));
            switch (commands[i])
            {
                case EvaluateRules evaluate:
                    await intakeQueue.SendMessageAsync(new EvaluateClaim(tenant, record.Id, evaluate.Round).ToJson(), cancellationToken).ConfigureAwait(false);
                    break;

                case ScheduleRetry retry:
                    await SendDelayedAsync(new PipelineMessage(tenant, record.Id, new RetryDue(retry.DueAt, Actors.Pipeline, retry.Attempt)), retry.DueAt, cancellationToken).ConfigureAwait(false);
                    break;

                case ScheduleEscalation escalation:
                    await SendDelayedAsync(new PipelineMessage(tenant, record.Id, new HoldEscalationDue(escalation.DueAt, Actors.Pipeline, escalation.HoldGeneration)), escalation.DueAt, cancellationToken).ConfigureAwait(false);
                    break;

                case RaiseAlert alert:
                    await alerts.RaiseAsync(new Alert(tenant, key, alert.Kind.ToString(), alert.Text, state.UpdatedAt, record.Id), cancellationToken).ConfigureAwait(false);
                    break;

                case WriteAudit write:
                    audits.Add(write with { Key = key });
                    break;

                case ReleaseUnits:
                    // A cancelled claim consumes nothing: give back what it consumed when it passed (docs/AUTHORIZATIONS.md).
                    if (authorizationUnits is not null)
                    {
                        await authorizationUnits.ReleaseAsync(tenant, record.Id, cancellationToken).ConfigureAwait(false);
                    }

                    break;

                case ConsumeUnits when authorizationGate is not null:
                    // The document read for the consumption is the one the Submit of this outbox sends.
                    document ??= await ConsumeForOverrideAsync(tenant, record, key, state, cancellationToken).ConfigureAwait(false);
                    break;

                case ConsumeUnits:
                    break;

                case Submit s:
                    submit = s;
                    break;

                default:
                    throw new InvalidOperationException($"Unknown pipeline command {commands[i].GetType().Name}.");
            }
        }

        if (submit is not null)
        {
            var result = await SubmitAsync(tenant, record, submit.Attempt, document, cancellationToken).ConfigureAwait(false);
            var next = await ApplyAsync(
                tenant,
                record.Id,
                [result],
                new ApplyContext(PerformingVersion: state.Version, Known: record, Carried: audits),
                cancellationToken).ConfigureAwait(false);
            if (next.Kind == DecisionKind.Transition && next.Claim is not null)
            {
                // The next transition's save carried this outbox's audit rows, and it has written them.
                return (next.Claim, true);
            }
        }

        await audit.AppendManyAsync(
            audits.ConvertAll(write => new AuditAppend(
                new AuditEntry(tenant, write.At, write.Actor, record.Id, write.Action, write.Result.ToString().ToUpperInvariant(), write.Details, RuleId: write.RuleId, RuleSetVersion: state.RuleSetVersion, Note: write.Note),
                write.Key!)),
            cancellationToken).ConfigureAwait(false);
        return (record, false);
    }

    /// <summary>
    /// An override release consumes the claim's units before it is submitted (docs/AUTHORIZATIONS.md). When the
    /// authorization has too few left, nothing is consumed and an alert asks for the authorization to be reconciled:
    /// the admin chose to submit, so the claim is not held again.
    /// </summary>
    private async Task<DocumentHandover?> ConsumeForOverrideAsync(TenantId tenant, ClaimRecord record, string key, PipelineState state, CancellationToken cancellationToken)
    {
        if (await documentStore.LoadAsync(record, cancellationToken).ConfigureAwait(false) is not { } loaded)
        {
            // The submit reports the missing document as a permanent failure.
            return null;
        }

        var facts = loaded.Document.ToFacts(record.SubmittedVia);
        var reservation = await authorizationGate!.ConsumeAsync(tenant, record.Id, facts, cancellationToken).ConfigureAwait(false);
        if (reservation == Authorizations.UnitReservation.Exhausted)
        {
            await alerts.RaiseAsync(
                new Alert(
                    tenant,
                    key,
                    nameof(PipelineAlertKind.OverrideBeyondAuthorizationUnits),
                    $"Claim {record.Id.Value} was released with override and submitted, but its units exceed what its authorization has left; nothing was consumed. Reconcile the authorization with the payer.",
                    state.UpdatedAt,
                    record.Id),
                cancellationToken).ConfigureAwait(false);
        }

        return new DocumentHandover(loaded.Blob, loaded.BundleJson);
    }

    private async Task<PipelineEvent> SubmitAsync(TenantId tenant, ClaimRecord record, int attempt, DocumentHandover? handover, CancellationToken cancellationToken)
    {
        ReadOnlyMemory<byte>? document = handover is not null && handover.Blob == record.DocumentBlob
            ? handover.Content
            : (await documentStore.LoadAsync(record, cancellationToken).ConfigureAwait(false))?.BundleJson;
        if (document is null)
        {
            return new SubmitFailed(time.GetUtcNow(), Actors.Submitter, attempt, SubmitFailureKind.Permanent, "document-missing");
        }

        var outcome = await submitter.SubmitAsync(tenant, record.Id, document.Value, cancellationToken).ConfigureAwait(false);
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

        // Whole seconds, rounded up (the service counts in seconds; a timer must not fire early). The message must outlive
        // its delay: a finite TTL shorter than the delay would drop the timer.
        delay = TimeSpan.FromSeconds(Math.Ceiling(delay.TotalSeconds));
        await pipelineQueue.SendMessageAsync(message.ToJson(), delay, StorageExtensions.MessageNeverExpires, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Tenant {Tenant}: pipeline event for unknown claim {ClaimId} ignored")]
    private static partial void LogClaimMissing(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} had an unfinished outbox at version {Version}; performing it again")]
    private static partial void LogReplayingOutbox(ILogger logger, string tenant, string claimId, long version);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Tenant {Tenant}: staged claim {ClaimId} never committed; removed")]
    private static partial void LogStagedExpired(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} {From} -> {To}")]
    private static partial void LogTransition(ILogger logger, string tenant, string claimId, PipelineStatus from, PipelineStatus to);
}
