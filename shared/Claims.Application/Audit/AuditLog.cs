using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Application.Audit;

/// <summary>
/// One execution-log row. Details hold ids, codes and numbers only — never PHI. <paramref name="Trigger"/>,
/// <paramref name="CorrelationId"/> and <paramref name="DurationMs"/> default to the ambient <see cref="AuditContext"/>.
/// </summary>
public sealed record AuditEntry(
    TenantId Tenant,
    DateTimeOffset At,
    string Actor,
    ClaimId? Claim,
    string Action,
    string Result,
    string Details,
    string? RuleId = null,
    string? RuleSetVersion = null,
    string? Note = null,
    string? CorrelationId = null,
    string? Trigger = null,
    long? DurationMs = null);

/// <summary>One entry to append and its idempotency key (the same step written twice lands on the same row).</summary>
public sealed record AuditAppend(AuditEntry Entry, string IdempotencyKey);

/// <summary>A partition's chain head as last seen: the last Seq and Hash and the head row's ETag.</summary>
internal sealed record ChainHead(long Seq, string Hash, ETag ETag)
{
    public static ChainHead? From(TableEntity? head) =>
        head is null ? null : new ChainHead(head.GetInt64("Seq") ?? 0, head.GetString("Hash") ?? string.Empty, head.ETag);
}

/// <summary>The result column's only values.</summary>
public static class AuditResults
{
    public const string Success = "SUCCESS";
    public const string Failed = "FAILED";
    public const string Escalated = "ESCALATED";

    public static bool IsValid(string? value) => value is Success or Failed or Escalated;
}

/// <summary>
/// The append-only execution log (table "audit"); this class has no update or delete path.
/// <para>
/// Partition = <c>{tenant}-{yyyyMMdd}-{shard}</c>: per tenant, per UTC day, spread over <see cref="AuditOptions.Shards"/>
/// shards (a claim's rows always land in the shard its id hashes to; rows without a claim by their idempotency key).
/// Row key = inverted ticks then the entry's idempotency key, so a partition reads newest first and the same step
/// written twice (a redelivered message) lands on the same row instead of a second one.
/// </para>
/// <para>
/// Tamper evidence: each partition is a hash chain. Every row carries <c>Seq</c> (1, 2, …), <c>PrevHash</c> and
/// <c>Hash</c> = SHA-256 over its canonical content and <c>PrevHash</c>; the partition's head row (<c>~head</c>) holds
/// the last <c>Seq</c> and <c>Hash</c>. An append reads the head and writes the new row together with the head
/// (If-Match on the head's ETag) in one entity group transaction, so concurrent appenders serialize: the loser gets
/// 412 and retries on the new head. <see cref="VerifyAsync"/> walks the chains.
/// </para>
/// </summary>
public sealed partial class AuditLog(StorageClients storage, IOptions<AuditOptions> options, TimeProvider time)
{
    /// <summary>Row key of each partition's chain head. '~' sorts after every entry's digit-led row key.</summary>
    public const string HeadRowKey = "~head";

    private const int MaxAppendAttempts = 50;
    private const int MaxCachedHeads = 4096;
    private readonly ConcurrentDictionary<string, ChainHead> heads = new(StringComparer.Ordinal);
    private readonly TableClient table = storage.Table(StorageNames.AuditTable);
    private readonly AuditOptions settings = options.Value;

    public static string PartitionFor(TenantId tenant, DateTimeOffset at, int shard) =>
        PartitionFor(tenant, DateOnly.FromDateTime(at.UtcDateTime), shard);

    public static string PartitionFor(TenantId tenant, DateOnly day, int shard) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant.Value}-{day:yyyyMMdd}-{shard:D2}");

    /// <summary>The shard a claim's rows (or, without a claim, an idempotency key's row) land in.</summary>
    public static int ShardFor(string key, int shards)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return (int)(BitConverter.ToUInt32(hash) % (uint)shards);
    }

    /// <summary>
    /// Writes the entry once per <paramref name="idempotencyKey"/>, chained to the previous row of its partition.
    /// </summary>
    /// <exception cref="ArgumentException">The result is not SUCCESS, FAILED or ESCALATED.</exception>
    public Task AppendAsync(AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken) =>
        AppendManyAsync([new AuditAppend(entry, idempotencyKey)], cancellationToken);

    /// <summary>
    /// Writes the entries in order, each once per idempotency key: all the rows of one partition (a claim's rows of
    /// one day) go in one entity group transaction with the partition's head. The head is taken from a cache of the
    /// last head this instance wrote or read; a stale one costs a 412, a fresh read and a second try, nothing more.
    /// </summary>
    /// <exception cref="ArgumentException">A result is not SUCCESS, FAILED or ESCALATED, or a key is empty.</exception>
    public async Task AppendManyAsync(IReadOnlyList<AuditAppend> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var ambient = AuditContext.Current;
        var partitions = new List<(string Partition, List<TableEntity> Rows)>();
        foreach (var (entry, idempotencyKey) in entries)
        {
            ArgumentNullException.ThrowIfNull(entry);
            ArgumentException.ThrowIfNullOrEmpty(idempotencyKey);
            if (!AuditResults.IsValid(entry.Result))
            {
                throw new ArgumentException($"Audit result '{entry.Result}' is not SUCCESS, FAILED or ESCALATED.", nameof(entries));
            }

            var shard = ShardFor(entry.Claim?.Value ?? idempotencyKey, settings.Shards);
            var partition = PartitionFor(entry.Tenant, entry.At, shard);
            var row = ToRow(entry, partition, string.Create(CultureInfo.InvariantCulture, $"{Invert(entry.At):D19}-{idempotencyKey}"), ambient);
            var group = partitions.FindIndex(p => p.Partition == partition);
            if (group < 0)
            {
                partitions.Add((partition, [row]));
            }
            else if (partitions[group].Rows.TrueForAll(r => r.RowKey != row.RowKey))
            {
                partitions[group].Rows.Add(row);
            }
        }

        foreach (var (partition, rows) in partitions)
        {
            // An entity group transaction holds at most 100 entities: the head plus 99 rows.
            for (var offset = 0; offset < rows.Count; offset += 99)
            {
                await AppendToPartitionAsync(partition, rows.GetRange(offset, Math.Min(99, rows.Count - offset)), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task AppendToPartitionAsync(string partition, List<TableEntity> rows, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var head = heads.TryGetValue(partition, out var cached)
                ? cached
                : ChainHead.From(await table.GetEntityOrDefaultAsync(partition, HeadRowKey, cancellationToken: cancellationToken).ConfigureAwait(false));
            var seq = head?.Seq ?? 0;
            var previous = head?.Hash ?? AuditChain.Genesis(partition);
            var actions = new List<TableTransactionAction>(rows.Count + 1);
            foreach (var row in rows)
            {
                row["Seq"] = ++seq;
                row["PrevHash"] = previous;
                previous = AuditChain.Hash(row);
                row["Hash"] = previous;
                actions.Add(new(TableTransactionActionType.Add, row));
            }

            var newHead = new TableEntity(partition, HeadRowKey) { ["Seq"] = seq, ["Hash"] = previous, ["LastRowKey"] = rows[^1].RowKey };
            actions.Add(head is null
                ? new(TableTransactionActionType.Add, newHead)
                : new(TableTransactionActionType.UpdateReplace, newHead, head.ETag));
            try
            {
                var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                Remember(partition, responses.Value[^1].Headers.ETag is { } etag ? new ChainHead(seq, previous, etag) : null);
                return;
            }
            catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
            {
                // Either another appender (another instance, or a cached head gone stale) moved the head first: chain
                // onto the new head. Or a row exists (409): an earlier delivery of the same step wrote it; the log has
                // it, rows are never replaced, so only the rows not yet there are written.
                heads.TryRemove(partition, out _);
                var missing = rows;
                if (ex.FailedTransactionActionIndex != actions.Count - 1)
                {
                    // Not (known to be) the head alone: find out which rows an earlier delivery already wrote.
                    missing = new List<TableEntity>(rows.Count);
                    foreach (var row in rows)
                    {
                        if (await table.GetEntityOrDefaultAsync(partition, row.RowKey, ["Seq"], cancellationToken).ConfigureAwait(false) is null)
                        {
                            missing.Add(row);
                        }
                    }
                }

                if (missing.Count == 0)
                {
                    return;
                }

                if (attempt >= MaxAppendAttempts)
                {
                    throw;
                }

                rows = missing;
                if (attempt > 1)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 * Math.Min(attempt, 10))), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private TableEntity ToRow(AuditEntry entry, string partition, string rowKey, AuditContext? ambient)
    {
        var content = new (string Name, object? Value)[]
        {
            ("At", entry.At.ToUniversalTime()),
            ("Actor", entry.Actor),
            ("ClaimId", entry.Claim?.Value),
            ("Action", entry.Action),
            ("Result", entry.Result),
            ("Details", entry.Details),
            ("RuleId", entry.RuleId),
            ("RuleSetVersion", entry.RuleSetVersion),
            ("Note", entry.Note),
            ("CorrelationId", entry.CorrelationId ?? ambient?.CorrelationId),
            ("Trigger", entry.Trigger ?? ambient?.Trigger),
            ("DurationMs", entry.DurationMs ?? ambient?.ElapsedMilliseconds),
            ("WrittenAt", time.GetUtcNow()),
        };
        var row = new TableEntity(partition, rowKey);
        foreach (var (name, value) in content)
        {
            if (value is not null)
            {
                row[name] = value;
            }
        }

        return row;
    }

    private void Remember(string partition, ChainHead? head)
    {
        if (head is null)
        {
            return;
        }

        // Partitions are per tenant and day: yesterday's heads are dead weight, so the cache is simply bounded.
        if (heads.Count >= MaxCachedHeads)
        {
            heads.Clear();
        }

        heads[partition] = head;
    }

    /// <summary>The tenant's entries for one claim (newest first), scanning the given days.</summary>
    public async Task<IReadOnlyList<TableEntity>> ForClaimAsync(TenantId tenant, ClaimId claim, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        var shard = ShardFor(claim.Value, settings.Shards);
        for (var day = DateOnly.FromDateTime(to.UtcDateTime); day >= DateOnly.FromDateTime(from.UtcDateTime); day = day.AddDays(-1))
        {
            var filter = TableFilter.And(TableFilter.PartitionEq(PartitionFor(tenant, day, shard)), TableFilter.Eq("ClaimId", claim.Value));
            await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    internal static long Invert(DateTimeOffset at) => DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks;
}

/// <summary>The hash chain of one audit partition.</summary>
public static class AuditChain
{
    /// <summary>The columns a row's hash covers, in this order (besides PartitionKey, RowKey, Seq and PrevHash).</summary>
    public static IReadOnlyList<string> HashedColumns { get; } =
        ["At", "Actor", "ClaimId", "Action", "Result", "Details", "RuleId", "RuleSetVersion", "Note", "CorrelationId", "Trigger", "DurationMs", "WrittenAt"];

    /// <summary>The PrevHash of a partition's first row.</summary>
    public static string Genesis(string partition) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("claims-audit-genesis|" + partition)));

    /// <summary>SHA-256 (hex) over the row's canonical JSON: keys, Seq, PrevHash and every hashed column in order.</summary>
    public static string Hash(TableEntity row)
    {
        ArgumentNullException.ThrowIfNull(row);
        using var buffer = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            writer.WriteStringValue(row.PartitionKey);
            writer.WriteStringValue(row.RowKey);
            writer.WriteStringValue(Canonical(row["Seq"]));
            writer.WriteStringValue(Canonical(row["PrevHash"]));
            foreach (var column in HashedColumns)
            {
                writer.WriteStringValue(column);
                var value = Canonical(row[column]);
                if (value is null)
                {
                    writer.WriteNullValue();
                }
                else
                {
                    writer.WriteStringValue(value);
                }
            }

            writer.WriteEndArray();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }

    // Times are hashed to the millisecond: what every Table endpoint (Azure and Azurite) round-trips exactly.
    private static string? Canonical(object? value) => value switch
    {
        null => null,
        string s => s,
        DateTimeOffset d => d.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc)).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };
}
