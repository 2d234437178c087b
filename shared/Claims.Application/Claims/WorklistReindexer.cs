using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Audit;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Claims;

/// <summary>
/// Puts a tenant's Held, Failed and Rejected claims that have no worklist index rows yet (saved before the index
/// existed) into the index (docs/API.md "Worklist"). Each such claim is saved again unchanged through
/// <see cref="ClaimRepository.UpdateAsync"/>, which writes its index rows in the row's own transaction with If-Match; a
/// claim that changed meanwhile was indexed by that change and is skipped. Idempotent, so it is also resumable: a run
/// cut short is simply run again and indexes only what is still missing.
/// <para>
/// Nobody has to call it after an upgrade: the stuck-claim sweep (timer StuckClaimSweep, every 5 minutes) calls
/// <see cref="EnsureCurrentAsync"/> for every tenant, which runs the backfill once for a tenant whose row does not yet
/// record <see cref="WorklistIndex.Version"/>, then records it there (<c>WorklistIndexVersion</c>). POST
/// /admin/worklist/reindex runs it at once for the caller's tenant.
/// </para>
/// </summary>
public sealed partial class WorklistReindexer(ClaimRepository claims, StorageClients storage, AuditLog audit, TimeProvider time, ILogger<WorklistReindexer> logger)
{
    /// <summary>The tenants-table column recording the index version a tenant's claims were backfilled to.</summary>
    public const string VersionColumn = "WorklistIndexVersion";


    private const int PageSize = 200;

    private readonly TableClient tenants = storage.Table(StorageNames.TenantsTable);

    /// <summary>
    /// Backfills the tenant's index when <paramref name="indexedVersion"/> (its row's <see cref="VersionColumn"/>; null
    /// when absent) is older than <see cref="WorklistIndex.Version"/>, then records the version; returns how many claims
    /// were indexed (0 when it was current).
    /// </summary>
    public async Task<int> EnsureCurrentAsync(TenantId tenant, int? indexedVersion, CancellationToken cancellationToken)
    {
        if (indexedVersion >= WorklistIndex.Version)
        {
            return 0;
        }

        var indexed = await ReindexAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (indexed > 0)
        {
            var details = string.Create(CultureInfo.InvariantCulture, $"{indexed} claims saved before the worklist index added to it (index version {WorklistIndex.Version})");
            await audit.AppendAsync(
                new AuditEntry(tenant, time.GetUtcNow(), "system:worklist-index", null, "worklist.backfilled", "SUCCESS", details),
                string.Create(CultureInfo.InvariantCulture, $"worklist-index-v{WorklistIndex.Version}"),
                cancellationToken).ConfigureAwait(false);
        }

        Logs.WorklistReindexerBackfilled(logger, tenant.Value, indexed, WorklistIndex.Version);
        return indexed;
    }

    /// <summary>Indexes what is missing, then records <see cref="WorklistIndex.Version"/> on the tenant's row; returns how many claims were indexed.</summary>
    public async Task<int> ReindexAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var indexed = 0;
        foreach (var status in WorklistIndex.Statuses)
        {
            string? token = null;
            do
            {
                var (page, next) = await claims.ListByStatusAsync(tenant, status, PageSize, token, cancellationToken).ConfigureAwait(false);
                foreach (var record in page.Where(r => r.WorklistKey is null && WorklistIndex.For(r) is not null))
                {
                    try
                    {
                        await claims.UpdateAsync(record, cancellationToken).ConfigureAwait(false);
                        indexed++;
                    }
                    catch (RequestFailedException ex) when (ex.Status == 412)
                    {
                        // Saved by someone else since the page was read: that save wrote the index rows.
                    }
                }

                token = next;
            }
            while (token is not null);
        }

        try
        {
            // Merge: only this column; the tenant's settings are left as they are.
            await tenants.UpdateEntityAsync(
                new TableEntity(TenantStore.Partition, tenant.Value) { [VersionColumn] = WorklistIndex.Version },
                ETag.All,
                TableUpdateMode.Merge,
                cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // No tenant row (a tenant known only by its keys): nothing to record; the sweep only visits tenant rows.
        }

        Logs.WorklistReindexerReindexed(logger, tenant.Value, indexed);
        return indexed;
    }
}
