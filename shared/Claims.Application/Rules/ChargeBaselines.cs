using System.Collections.Concurrent;
using System.Collections.Frozen;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.Rules;

/// <summary>What one flush did: tenant-and-code rows written, and deltas left pending for the next flush.</summary>
public sealed record ChargeFlushResult(int Written, int Pending);

/// <summary>
/// Each tenant's usual charge per unit by CPT/HCPCS code: the data source of the CHARGE_HIGH risk factor
/// (docs/RULES.md "Risk score"). Table chargestats, partition = tenant, row = code, columns Count (Int64) and Total
/// (the exact decimal sum of per-unit charges, as an invariant string). Codes and amounts only, no patient data.
/// <para>
/// <see cref="Observe"/> adds a passed claim's charges in memory (no I/O); <see cref="FlushAsync"/>, run every
/// <see cref="ChargeBaselineOptions.FlushInterval"/> and at shutdown, merges them into the table: one partition
/// query and one entity group transaction per 100 codes per tenant, each row replaced If-Match its ETag (inserted
/// when new), the whole tenant re-read and retried when another instance wrote first. Deltas not flushed when the
/// process dies are lost, and a write whose answer was lost may be counted twice: both only nudge a mean of at
/// least <see cref="ChargeBaselineOptions.MinimumSamples"/> charges.
/// </para>
/// <see cref="GetUsualChargesAsync"/> reads a tenant's partition at most once per
/// <see cref="ChargeBaselineOptions.CacheDuration"/> per instance (a flush refreshes it too), so a warm instance
/// scores a claim without a storage call.
/// </summary>
public sealed partial class ChargeBaselines(StorageClients storage, TimeProvider time, IOptions<ChargeBaselineOptions> options, ILogger<ChargeBaselines> logger)
{
    /// <summary>Entity group transactions hold at most 100 operations.</summary>
    private const int MaxBatch = 100;

    /// <summary>Reads and merges per tenant per flush before its deltas wait for the next flush.</summary>
    private const int MaxAttempts = 5;

    // The SDK returns only the selected columns: RowKey (the code) is one of them.
    private static readonly string[] Columns = ["RowKey", "Count", "Total"];
    private static readonly IReadOnlyDictionary<string, decimal> None = FrozenDictionary<string, decimal>.Empty;

    private readonly TableClient table = storage.Table(StorageNames.ChargeStatsTable);
    private readonly ChargeTally tally = new();
    private readonly ConcurrentDictionary<TenantId, CachedBaseline> cache = new();
    private readonly SemaphoreSlim flushing = new(1, 1);

    /// <summary>Adds the per-unit charges of <paramref name="facts"/>' items to the tenant's pending deltas. No I/O.</summary>
    public void Observe(TenantId tenant, ClaimFacts facts) => tally.Observe(tenant, facts);

    /// <summary>
    /// The tenant's mean charge per unit by code (case-insensitive), only for codes with at least
    /// <see cref="ChargeBaselineOptions.MinimumSamples"/> charges. From the cache when it is younger than
    /// <see cref="ChargeBaselineOptions.CacheDuration"/>, else one partition query.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, decimal>> GetUsualChargesAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(tenant, out var cached) && now - cached.LoadedAt < options.Value.CacheDuration)
        {
            return cached.Usual;
        }

        var rows = await ReadAsync(tenant, cancellationToken).ConfigureAwait(false);
        return Remember(tenant, rows.ToDictionary(r => r.Key, r => r.Value.Stat, StringComparer.Ordinal), now);
    }

    /// <summary>
    /// Merges every pending delta into table chargestats. Deltas that cannot be written now (storage unreachable,
    /// other instances kept writing first) stay pending for the next flush. One flush at a time per instance.
    /// </summary>
    public async Task<ChargeFlushResult> FlushAsync(CancellationToken cancellationToken)
    {
        await flushing.WaitAsync(cancellationToken).ConfigureAwait(false);
        var drained = tally.Drain();
        try
        {
            var written = 0;
            foreach (var (tenant, deltas) in drained)
            {
                written += await FlushTenantAsync(tenant, deltas, cancellationToken).ConfigureAwait(false);
            }

            return new ChargeFlushResult(written, drained.Values.Sum(d => d.Count));
        }
        finally
        {
            // Whatever was not written (a failure, a cancellation, or tenants not reached) waits for the next flush.
            foreach (var (tenant, deltas) in drained)
            {
                tally.Restore(tenant, deltas);
            }

            flushing.Release();
        }
    }

    /// <summary>Writes <paramref name="deltas"/>, removing each one written; returns how many were written.</summary>
    private async Task<int> FlushTenantAsync(TenantId tenant, Dictionary<string, ChargeStat> deltas, CancellationToken cancellationToken)
    {
        var written = 0;
        try
        {
            for (var attempt = 1; deltas.Count > 0 && attempt <= MaxAttempts; attempt++)
            {
                if (attempt > 1)
                {
                    // Instances flush on their own timers; a short random pause lets the other writer finish.
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(20, 100 * attempt)), time, cancellationToken).ConfigureAwait(false);
                }

                var rows = await ReadAsync(tenant, cancellationToken).ConfigureAwait(false);
                var merged = rows.ToDictionary(r => r.Key, r => r.Value.Stat, StringComparer.Ordinal);
                foreach (var batch in deltas.Keys.Order(StringComparer.Ordinal).Chunk(MaxBatch))
                {
                    var actions = batch.Select(code => Merge(tenant, code, deltas[code], rows)).ToList();
                    try
                    {
                        await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                    }
                    catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412 or 404)
                    {
                        // Another instance inserted, replaced or removed one of these rows since the read: nothing of
                        // this batch was applied; the next attempt re-reads and merges again.
                        Logs.ChargeBaselinesConflict(logger, tenant.Value, attempt, ex.Status);
                        continue;
                    }

                    foreach (var action in actions)
                    {
                        merged[action.Entity.RowKey] = StatOf((TableEntity)action.Entity);
                        deltas.Remove(action.Entity.RowKey);
                        written++;
                    }
                }

                if (deltas.Count == 0)
                {
                    Remember(tenant, merged, time.GetUtcNow());
                }
            }

            if (deltas.Count > 0)
            {
                Logs.ChargeBaselinesDeferred(logger, tenant.Value, deltas.Count, MaxAttempts);
            }
        }
        catch (Exception ex) when (ex is StorageUnavailableException or RequestFailedException)
        {
            Logs.ChargeBaselinesFlushFailed(logger, tenant.Value, deltas.Count, ex.GetType().Name);
        }

        return written;
    }

    private static TableTransactionAction Merge(TenantId tenant, string code, ChargeStat delta, Dictionary<string, StoredStat> rows)
    {
        var entity = new TableEntity(tenant.Value, code);
        if (!rows.TryGetValue(code, out var row))
        {
            Write(entity, delta);
            return new TableTransactionAction(TableTransactionActionType.Add, entity);
        }

        // An unreadable row (edited by hand) is replaced by the delta rather than kept failing every flush.
        Write(entity, (row.Stat ?? default).Plus(delta));
        return new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, new ETag(row.ETag));
    }

    private static void Write(TableEntity entity, ChargeStat stat)
    {
        entity["Count"] = stat.Count;
        entity["Total"] = stat.TotalText;
    }

    private static ChargeStat StatOf(TableEntity entity) =>
        ChargeStat.TryRead(entity.GetInt64("Count"), entity.GetString("Total")) ?? default;

    private async Task<Dictionary<string, StoredStat>> ReadAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var rows = new Dictionary<string, StoredStat>(StringComparer.Ordinal);
        await foreach (var row in table.QueryAsync<TableEntity>(TableFilter.PartitionEq(tenant.Value), select: Columns, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var stat = ReadStat(row);
            if (stat is null)
            {
                Logs.ChargeBaselinesUnreadable(logger, tenant.Value, row.RowKey);
            }

            rows[row.RowKey] = new StoredStat(stat, row.ETag.ToString());
        }

        return rows;
    }

    private static ChargeStat? ReadStat(TableEntity row)
    {
        try
        {
            return ChargeStat.TryRead(row.GetInt64("Count"), row.GetString("Total"));
        }
        catch (InvalidCastException)
        {
            return null;
        }
    }

    private IReadOnlyDictionary<string, decimal> Remember(TenantId tenant, Dictionary<string, ChargeStat?> stats, DateTimeOffset loadedAt)
    {
        var minimum = options.Value.MinimumSamples;
        var usual = stats
            .Where(s => s.Value is { } stat && stat.Count >= minimum)
            .ToDictionary(s => s.Key, s => s.Value!.Value.Mean, StringComparer.OrdinalIgnoreCase);
        var result = usual.Count == 0 ? None : usual.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        var entry = new CachedBaseline(result, loadedAt);

        // A read that started before a flush's write must not replace what the flush cached.
        cache.AddOrUpdate(tenant, entry, (_, existing) => existing.LoadedAt > loadedAt ? existing : entry);
        return result;
    }

    private sealed record StoredStat(ChargeStat? Stat, string ETag);

    private sealed record CachedBaseline(IReadOnlyDictionary<string, decimal> Usual, DateTimeOffset LoadedAt);
}
