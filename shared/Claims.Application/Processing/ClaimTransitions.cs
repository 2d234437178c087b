using Azure;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>What applying events to a claim row came to; <see cref="From"/> is the state before the last event.</summary>
public sealed record TransitionResult(DecisionKind Kind, ClaimRecord? Claim, Decision? Decision, PipelineState? From)
{
    public static TransitionResult NotFound { get; } = new(DecisionKind.Duplicate, null, null, null);
}

/// <summary>How <see cref="ClaimTransitions.ApplyAsync"/> writes one step.</summary>
/// <param name="Known">The row as the caller just read it (ETag included), used instead of a first read.</param>
/// <param name="Mutate">Other columns changed in the same save (the rules' result).</param>
/// <param name="BeforeLast">Audit rows of the caller's placed before the last event's own (the rules' rows).</param>
/// <param name="EffectsFirst">
/// Activities (true): the transition's audit rows and alerts are written before the row is saved. Their keys come
/// from the transition (claim, version, index) and their times from the events, which the activity takes from its input
/// or the row, so an activity run again after a crash decides the same transition and writes the same rows, which the
/// audit log and the alert store keep once; once the row is saved, a re-run finds a duplicate and writes nothing.
/// Admin actions (false): the row is saved first, then the rows are written (the request's note cannot be replayed).
/// </param>
/// <param name="Pending">The pending action to record with the transition (an admin action), or null.</param>
/// <param name="ClearPending">Whether the save clears the row's pending action (the activity has taken it up).</param>
public sealed record TransitionOptions(
    ClaimRecord? Known = null,
    Func<ClaimRecord, ClaimRecord>? Mutate = null,
    IReadOnlyList<WriteAudit>? BeforeLast = null,
    bool EffectsFirst = true,
    Func<PipelineState, PendingAction>? Pending = null,
    bool ClearPending = false);

/// <summary>
/// Moves a claim's row (the read model: status, hold, history, attempts) by the pure pipeline decision
/// (<see cref="PipelineDecider"/>) and writes the transition's audit rows and alerts; saves with If-Match and, on
/// 412, reads the row again and decides again. The scheduling the decision used to ask for (submit, retries, timers,
/// evaluation rounds) is the orchestration's business now (<see cref="ClaimPipelineOrchestrator"/>); the units are the
/// activities' (<see cref="ClaimPipelineActivities"/>).
/// </summary>
public sealed partial class ClaimTransitions(
    ClaimRepository claims,
    AuditLog audit,
    AlertStore alerts,
    TenantPipelinePolicies policies,
    ILogger<ClaimTransitions> logger,
    Notifications.NotificationRecorder? notifications = null)
{
    private const int MaxConcurrencyRetries = 10;

    public async Task<TransitionResult> ApplyAsync(
        TenantId tenant, ClaimId claimId, IReadOnlyList<PipelineEvent> events, TransitionOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(options);
        var eventPolicies = new PipelinePolicy[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            // Only a HOLD verdict reads the tenant's escalation delay; other events cost no settings read.
            eventPolicies[i] = await policies.ForAsync(tenant, events[i], cancellationToken).ConfigureAwait(false);
        }

        for (var attempt = 0; ; attempt++)
        {
            var record = attempt == 0 && options.Known is not null
                ? options.Known
                : await claims.GetAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
            if (record?.PipelineJson is null)
            {
                Logs.ClaimTransitionsClaimMissing(logger, tenant.Value, claimId.Value);
                return TransitionResult.NotFound;
            }

            var state = PipelineJson.DeserializeState(record.PipelineJson);
            var start = state;
            var from = state;
            var effects = new List<PipelineCommand>();
            var moves = new List<Notifications.ClaimTransition>();
            Decision? last = null;
            var transitioned = false;
            for (var i = 0; i < events.Count; i++)
            {
                if (i == events.Count - 1 && options.BeforeLast is { Count: > 0 } before)
                {
                    effects.AddRange(before);
                }

                from = state;
                last = PipelineDecider.Decide(state, events[i], eventPolicies[i]);
                if (last.Kind == DecisionKind.Transition)
                {
                    effects.AddRange(last.Commands.Where(c => c is WriteAudit or RaiseAlert));
                    moves.Add(new Notifications.ClaimTransition(events[i], state, last.State));
                    state = last.State;
                    transitioned = true;
                }
            }

            if (!transitioned)
            {
                if (options.ClearPending && record.PendingActionJson is not null)
                {
                    var cleared = await TryClearPendingAsync(record, cancellationToken).ConfigureAwait(false);
                    if (cleared is null && attempt < MaxConcurrencyRetries)
                    {
                        continue;
                    }

                    record = cleared ?? record;
                }

                return new TransitionResult(last!.Kind, record, last, from);
            }

            var keyed = effects.Select((c, i) => c with { Key = Decision.CommandKey(state, i) }).ToList();
            var changed = record with
            {
                Status = state.Status.ToString(),
                UpdatedAt = state.UpdatedAt,
                RuleSetVersion = state.RuleSetVersion ?? record.RuleSetVersion,
                PipelineJson = PipelineJson.Serialize(state),
                EscalationDueAt = ClaimRecord.EscalationDueFrom(state),
                PendingActionJson = options.Pending is not null
                    ? System.Text.Json.JsonSerializer.Serialize(options.Pending(from), PendingActionJson.Default.PendingAction)
                    : options.ClearPending ? null : record.PendingActionJson,
            };
            if (options.Mutate is not null)
            {
                changed = options.Mutate(changed);
            }

            if (options.EffectsFirst)
            {
                await PerformAsync(tenant, claimId, state, keyed, cancellationToken).ConfigureAwait(false);
            }

            // Before the save in both modes (docs/NOTIFICATIONS.md "Pipeline"): the rows are keyed by the transition, and
            // the delivery sends only those whose transition the saved row has, so a save that fails (412, crash) sends nothing.
            if (notifications is not null)
            {
                await notifications.RecordAsync(tenant, claimId, moves, cancellationToken).ConfigureAwait(false);
            }

            ClaimRecord saved;
            try
            {
                saved = await claims.UpdateAsync(changed, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 412 && attempt < MaxConcurrencyRetries)
            {
                // Someone else wrote the row since it was read: decide again on the fresh state.
                continue;
            }

            if (!options.EffectsFirst)
            {
                await PerformAsync(tenant, claimId, state, keyed, cancellationToken).ConfigureAwait(false);
            }

            Logs.ClaimTransitionsTransition(logger, tenant.Value, claimId.Value, start.Status, state.Status);
            return new TransitionResult(DecisionKind.Transition, saved, Decision.Transition(state, [.. keyed]), from);
        }
    }

    /// <summary>Clears the row's pending action (If-Match); null when the row changed meanwhile (read it again).</summary>
    public async Task<ClaimRecord?> TryClearPendingAsync(ClaimRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            return await claims.UpdateAsync(record with { PendingActionJson = null }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 412)
        {
            return null;
        }
    }

    /// <summary>Alerts in order, then every audit row in one append (one entity group transaction per partition).</summary>
    private async Task PerformAsync(TenantId tenant, ClaimId claim, PipelineState state, IReadOnlyList<PipelineCommand> effects, CancellationToken cancellationToken)
    {
        foreach (var alert in effects.OfType<RaiseAlert>())
        {
            await alerts.RaiseAsync(new Alert(tenant, alert.Key!, alert.Kind.ToString(), alert.Text, state.UpdatedAt, claim), cancellationToken).ConfigureAwait(false);
        }

        var rows = effects.OfType<WriteAudit>().Select(write => new AuditAppend(
            new AuditEntry(tenant, write.At, write.Actor, claim, write.Action, write.Result.ToString().ToUpperInvariant(), write.Details, RuleId: write.RuleId, RuleSetVersion: state.RuleSetVersion, Note: write.Note),
            write.Key!)).ToList();
        if (rows.Count > 0)
        {
            await audit.AppendManyAsync(rows, cancellationToken).ConfigureAwait(false);
        }
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(
    PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase,
    UseStringEnumConverter = true)]
[System.Text.Json.Serialization.JsonSerializable(typeof(PendingAction))]
internal sealed partial class PendingActionJson : System.Text.Json.Serialization.JsonSerializerContext;
