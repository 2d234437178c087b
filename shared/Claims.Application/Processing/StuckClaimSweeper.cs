using System.Text.Json;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// What Durable does not cover (docs/PIPELINE.md "The sweep"). Per tenant, one table query finds the claims that were
/// not updated for longer than the threshold and
/// <list type="bullet">
/// <item>are Received, Evaluating or Submitting: intake committed the claim but its claims-intake message never
/// arrived, or the orchestration ended without finishing (its activities ran out of retries) — the orchestration is
/// started, or started again when its instance failed, was terminated or completed without the row following;</item>
/// <item>still hold a pending admin action (release or cancel) that their orchestration never took up — its event is
/// raised again (a duplicate is ignored), or the orchestration started again when it has none or it ended;</item>
/// <item>are Held with the escalation overdue by more than the threshold: the orchestration that would escalate it is
/// gone (failed or terminated) — started again, it escalates;</item>
/// <item>were staged by a transaction Bundle that never committed and are older than <see cref="PipelineOptions.StagedExpiry"/>:
/// removed (claim row and idempotency key on both ETags, so a commit racing it wins; its document blob; one audit row
/// <c>intake.staged.expired</c>).</item>
/// </list>
/// A claim whose orchestration is running is left to it. Each tenant's worklist index is also brought up to
/// <see cref="WorklistIndex.Version"/> once (<see cref="WorklistReindexer.EnsureCurrentAsync"/>), so claims held before
/// an upgrade reach the worklist without anyone calling POST /admin/worklist/reindex.
/// </summary>
public sealed partial class StuckClaimSweeper(
    StorageClients storage,
    ClaimRepository repository,
    ClaimDocuments documentStore,
    AuditLog audit,
    ClaimPipelineStarter starter,
    TimeProvider time,
    ILogger<StuckClaimSweeper> logger,
    Microsoft.Extensions.Options.IOptions<PipelineOptions> options,
    WorklistReindexer reindexer,
    TenantStore tenants)
{
    private static readonly string[] MovingStatuses =
        [nameof(PipelineStatus.Received), nameof(PipelineStatus.Evaluating), nameof(PipelineStatus.Submitting)];

    private readonly TableClient claims = storage.Table(StorageNames.ClaimsTable);

    /// <summary>Sweeps every tenant; returns how many claims it acted on.</summary>
    public async Task<int> SweepAsync(DurableTaskClient client, TimeSpan threshold, CancellationToken cancellationToken)
    {
        var acted = 0;
        await foreach (var (tenant, row) in tenants.ListAsync([WorklistReindexer.VersionColumn], cancellationToken).ConfigureAwait(false))
        {
            acted += await SweepTenantAsync(client, tenant, threshold, cancellationToken).ConfigureAwait(false);

            // Read with the tenant row above, so a tenant already current costs nothing more.
            await reindexer.EnsureCurrentAsync(tenant, row.GetInt32(WorklistReindexer.VersionColumn), cancellationToken).ConfigureAwait(false);
        }

        if (acted > 0)
        {
            Logs.StuckClaimSweeperSwept(logger, acted);
        }

        return acted;
    }

    /// <summary>Sweeps one tenant (see the type); returns how many claims it acted on.</summary>
    public async Task<int> SweepTenantAsync(DurableTaskClient client, TenantId tenant, TimeSpan threshold, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var now = time.GetUtcNow();
        var cutoff = now - threshold;
        var moving = string.Join(" or ", MovingStatuses.Select(s => TableFilter.Eq("Status", s)));
        var stale = TableFilter.And($"{moving} or PendingAction gt ''", TableFilter.Lt("UpdatedAt", cutoff));
        // Held with its escalation overdue, or Submitted with its no-acknowledgment alert overdue: the orchestration
        // that would fire the timer is gone (a running one is left alone below).
        var overdueHold = TableFilter.And(
            $"{TableFilter.Eq("Status", nameof(PipelineStatus.Held))} or {TableFilter.Eq("Status", nameof(PipelineStatus.Submitted))}",
            TableFilter.Lt("EscalationDueAt", cutoff));
        var abandoned = TableFilter.And(
            TableFilter.Eq("Status", Intake.ClaimIntakeHandler.StagedStatus),
            TableFilter.Lt("UpdatedAt", now - options.Value.StagedExpiry));
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), $"({stale}) or ({overdueHold}) or ({abandoned})");
        var acted = 0;
        await foreach (var row in claims.QueryAsync<TableEntity>(filter, select: ["RowKey", "Status", "PendingAction"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!ClaimId.TryParse(row.RowKey, out var claim))
            {
                continue;
            }

            var status = row.GetString("Status");
            if (status == Intake.ClaimIntakeHandler.StagedStatus)
            {
                acted += await ExpireStagedAsync(tenant, claim, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                continue;
            }

            if (row.GetString("PendingAction") is { } pendingJson && JsonSerializer.Deserialize(pendingJson, PendingActionJson.Default.PendingAction) is { } pending)
            {
                acted++;
                if (await starter.StartOrReplaceEndedAsync(client, tenant, claim, replaceCompleted: true, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                // The orchestration is there: raise the action's event again (it ignores one it has had).
                var instance = PipelineNames.InstanceId(tenant, claim);
                if (pending.Kind == PendingAction.Release)
                {
                    await client.RaiseEventAsync(instance, PipelineNames.ReleaseEvent, new ReleaseSignal(pending.HoldGeneration, pending.Mode ?? ReleaseMode.Reevaluate, pending.Submission), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await client.RaiseEventAsync(instance, PipelineNames.CancelEvent, new CancelSignal(pending.HoldGeneration), cancellationToken).ConfigureAwait(false);
                }

                Logs.StuckClaimSweeperReraised(logger, tenant.Value, claim.Value, pending.Kind);
                continue;
            }

            // An instance that completed while its row still says the claim is moving (or Held) ended on a step the row
            // never showed (e.g. a claim that was still Staged when it ran): start it again, it follows the row.
            if (await starter.StartOrReplaceEndedAsync(client, tenant, claim, replaceCompleted: true, cancellationToken).ConfigureAwait(false))
            {
                acted++;
            }
        }

        return acted;
    }

    private async Task<bool> ExpireStagedAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        if (await repository.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false) is not { } staged
            || staged.Status != Intake.ClaimIntakeHandler.StagedStatus
            || !await repository.DeleteStagedAsync(staged, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await documentStore.DeleteOwnAsync(staged, cancellationToken).ConfigureAwait(false);
        await audit.AppendAsync(
            new AuditEntry(staged.Tenant, time.GetUtcNow(), Actors.Sweep, staged.Id, "intake.staged.expired", AuditResults.Success,
                string.Create(System.Globalization.CultureInfo.InvariantCulture, $"staged {staged.ReceivedAt:O} by a transaction Bundle that never committed; removed")),
            "staged-expired-" + staged.Id.Value,
            cancellationToken).ConfigureAwait(false);
        Logs.StuckClaimSweeperStagedExpired(logger, staged.Tenant.Value, staged.Id.Value);
        return true;
    }
}
