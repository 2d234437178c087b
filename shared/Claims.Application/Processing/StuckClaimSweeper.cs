using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// Finds claims that stopped moving and queues a resume message for each; the ClaimPipeline function does the work
/// (<see cref="PipelineRunner.ResumeAsync"/>; STYLE.md: the timer finds and enqueues). Per tenant, one table query
/// finds:
/// <list type="bullet">
/// <item>Received, Evaluating or Submitting claims not updated for longer than the threshold;</item>
/// <item>claims in any status that still hold an outbox and were not updated for longer than the threshold (a
/// transition's commands — escalation timer, audit row, alert — never ran because the process died after the save);</item>
/// <item>Held claims whose escalation is overdue by more than the threshold (column
/// <see cref="ClaimRecord.EscalationDueAt"/> before now − threshold): the timer message was lost (deleted by an
/// operator, expired). The column is set only while a claim is Held and not yet escalated, so an escalated, released
/// or cancelled claim never matches: a held claim is queued until its escalation lands, not on every sweep.</item>
/// <item>claims a transaction Bundle staged and never committed, older than <see cref="PipelineOptions.StagedExpiry"/>:
/// the resume removes them (<see cref="PipelineRunner.ResumeAsync"/>).</item>
/// </list>
/// Rows written before the EscalationDueAt column existed lack it; <see cref="BackfillTenantAsync"/> sets it once per
/// tenant (docs/PIPELINE.md, "The runner as built").
/// </summary>
public sealed partial class StuckClaimSweeper(
    StorageClients storage,
    ClaimRepository repository,
    TimeProvider time,
    ILogger<StuckClaimSweeper> logger,
    Microsoft.Extensions.Options.IOptions<PipelineOptions> options)
{
    /// <summary>Set on the tenant's row once its held claims carry the EscalationDueAt column.</summary>
    public const string BackfilledColumn = "EscalationDueBackfilledAt";

    // The tenant rows' partition (TenantStore); WebhookSigning merges its column into the same row.
    private const string TenantPartition = "tenant";

    private static readonly string[] MovingStatuses =
        [nameof(PipelineStatus.Received), nameof(PipelineStatus.Evaluating), nameof(PipelineStatus.Submitting)];

    private readonly TableClient tenants = storage.Table(StorageNames.TenantsTable);
    private readonly TableClient claims = storage.Table(StorageNames.ClaimsTable);
    private readonly QueueClient pipelineQueue = storage.Queue(StorageNames.PipelineQueue);

    /// <summary>Queues a resume for every stuck claim of every tenant (backfilling a tenant first if needed); returns how many.</summary>
    public async Task<int> SweepAsync(TimeSpan threshold, CancellationToken cancellationToken)
    {
        var queued = 0;
        await foreach (var tenantRow in tenants.QueryAsync<TableEntity>((string?)null, select: ["RowKey", BackfilledColumn], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!TenantId.TryParse(tenantRow.RowKey, out var tenant))
            {
                continue;
            }

            if (tenantRow.GetDateTimeOffset(BackfilledColumn) is null)
            {
                await BackfillTenantAsync(tenant, cancellationToken).ConfigureAwait(false);
            }

            queued += await SweepTenantAsync(tenant, threshold, cancellationToken).ConfigureAwait(false);
        }

        if (queued > 0)
        {
            LogQueued(logger, queued);
        }

        return queued;
    }

    /// <summary>Queues a resume for each of the tenant's stuck claims (see the type); returns how many.</summary>
    public async Task<int> SweepTenantAsync(TenantId tenant, TimeSpan threshold, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - threshold;
        var moving = string.Join(" or ", MovingStatuses.Select(s => TableFilter.Eq("Status", s)));
        var stale = TableFilter.And($"{moving} or Outbox gt ''", TableFilter.Lt("UpdatedAt", cutoff));
        var overdueHold = TableFilter.And(TableFilter.Eq("Status", nameof(PipelineStatus.Held)), TableFilter.Lt("EscalationDueAt", cutoff));
        var abandoned = TableFilter.And(
            TableFilter.Eq("Status", Intake.ClaimIntakeHandler.StagedStatus),
            TableFilter.Lt("UpdatedAt", time.GetUtcNow() - options.Value.StagedExpiry));
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), $"({stale}) or ({overdueHold}) or ({abandoned})");
        var queued = 0;
        await foreach (var row in claims.QueryAsync<TableEntity>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (ClaimId.TryParse(row.RowKey, out var claim))
            {
                await pipelineQueue.SendMessageAsync(new PipelineMessage(tenant, claim, null).ToJson(), cancellationToken).ConfigureAwait(false);
                queued++;
            }
        }

        return queued;
    }

    /// <summary>
    /// The one-off migration for rows written before the EscalationDueAt column existed: every Held row of the tenant
    /// without the column has its pipeline state read and, when its hold is not yet escalated, the column set (merge,
    /// If-Match; a row that changed meanwhile was saved with the column). Then the tenant's row is marked
    /// (<see cref="BackfilledColumn"/>) so later sweeps skip this; rows saved since carry the column. Escalated held
    /// claims also lack the column, which is why the mark is needed rather than the column's absence. Returns how
    /// many rows it set.
    /// </summary>
    public async Task<int> BackfillTenantAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.Eq("Status", nameof(PipelineStatus.Held)));
        var without = new List<ClaimId>();
        await foreach (var row in claims.QueryAsync<TableEntity>(filter, select: ["RowKey", "EscalationDueAt"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.GetDateTimeOffset("EscalationDueAt") is null && ClaimId.TryParse(row.RowKey, out var claim))
            {
                without.Add(claim);
            }
        }

        var set = 0;
        foreach (var claim in without)
        {
            if (await repository.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false) is { PipelineJson: { } json } record
                && ClaimRecord.EscalationDueFrom(PipelineJson.DeserializeState(json)) is { } due
                && await repository.TrySetEscalationDueAtAsync(record, due, cancellationToken).ConfigureAwait(false))
            {
                set++;
            }
        }

        var mark = new TableEntity(TenantPartition, tenant.Value) { [BackfilledColumn] = time.GetUtcNow() };
        try
        {
            await tenants.UpdateEntityAsync(mark, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Not a tenant row of TenantStore's: nothing to mark, and none is created.
        }
        LogBackfilled(logger, tenant.Value, without.Count, set);
        return set;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Stuck-claim sweep queued {Count} claims to resume")]
    private static partial void LogQueued(ILogger logger, int count);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Tenant {Tenant}: EscalationDueAt backfill found {Without} held claims without the column and set it on {Set}")]
    private static partial void LogBackfilled(ILogger logger, string tenant, int without, int set);
}
