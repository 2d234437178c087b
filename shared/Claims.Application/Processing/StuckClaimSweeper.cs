using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Storage.Rest;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// Finds claims that have not moved for longer than a threshold in a status that should move on
/// by itself (Received, Evaluating, Submitting), or that still hold an outbox in any status (a Held or Submitted
/// claim whose transition's commands — escalation timer, audit row, alert — never ran), and queues a resume message
/// for each. Held claims without an outbox are not swept: their escalation timer was sent with the hold. It only finds and enqueues; the ClaimPipeline function does the work (STYLE.md).
/// </summary>
public sealed partial class StuckClaimSweeper(StorageClients storage, TimeProvider time, ILogger<StuckClaimSweeper> logger)
{
    private static readonly string[] MovingStatuses =
        [nameof(PipelineStatus.Received), nameof(PipelineStatus.Evaluating), nameof(PipelineStatus.Submitting)];

    private readonly TableClient tenants = storage.Table(StorageNames.TenantsTable);
    private readonly TableClient claims = storage.Table(StorageNames.ClaimsTable);
    private readonly QueueClient pipelineQueue = storage.Queue(StorageNames.PipelineQueue);

    /// <summary>Queues a resume for every stuck claim; returns how many.</summary>
    public async Task<int> SweepAsync(TimeSpan threshold, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - threshold;
        var queued = 0;
        await foreach (var tenantRow in tenants.QueryAllAsync(null, ["RowKey"], cancellationToken).ConfigureAwait(false))
        {
            if (!TenantId.TryParse(tenantRow.RowKey, out var tenant))
            {
                continue;
            }

            var statusFilter = "(" + string.Join(" or ", MovingStatuses.Select(s => TableFilter.Eq("Status", s))) + ")";
            var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), statusFilter);
            await foreach (var row in claims.QueryAllAsync(filter, ["RowKey", "Status", "UpdatedAt"], cancellationToken).ConfigureAwait(false))
            {
                if (row.GetDateTimeOffset("UpdatedAt") is { } updated && updated < cutoff && ClaimId.TryParse(row.RowKey, out var claim))
                {
                    await pipelineQueue.SendMessageAsync(new PipelineMessage(tenant, claim, null).ToJson(), ct: cancellationToken).ConfigureAwait(false);
                    queued++;
                }
            }
        }

        if (queued > 0)
        {
            LogQueued(logger, queued);
        }

        return queued;
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Stuck-claim sweep queued {Count} claims to resume")]
    private static partial void LogQueued(ILogger logger, int count);
}
