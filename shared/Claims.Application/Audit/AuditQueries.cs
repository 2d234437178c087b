using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.Audit;

/// <summary>A GET /audit request, already scoped to the caller's tenant. Times are inclusive.</summary>
public sealed record AuditQuery(
    TenantId Tenant,
    DateTimeOffset From,
    DateTimeOffset To,
    ClaimId? Claim = null,
    string? RuleId = null,
    string? Result = null,
    int PageSize = 50,
    string? ContinuationToken = null);

/// <summary>One execution-log entry as GET /audit shows it.</summary>
public sealed record AuditRecord(
    DateTimeOffset At,
    string Actor,
    string? ClaimId,
    string Action,
    string Result,
    string Details,
    string? RuleId,
    string? RuleSetVersion,
    string? Trigger,
    long? DurationMs,
    string? CorrelationId,
    string? Note,
    string Partition,
    long? Seq,
    string? Hash);

/// <summary>A page of entries, newest first; <paramref name="ContinuationToken"/> is null on the last page.</summary>
public sealed record AuditPage(IReadOnlyList<AuditRecord> Entries, string? ContinuationToken);

/// <summary>What a chain check found: OK, or the first broken link.</summary>
public sealed record AuditVerification(bool Ok, int PartitionsChecked, long RowsChecked, AuditBreak? FirstBreak);

/// <summary>
/// The first broken link: the partition, the sequence number where the chain breaks, the row key when a row is
/// there, and what is wrong (a row's content was altered, a row is missing, the head does not match).
/// </summary>
public sealed record AuditBreak(string Partition, long Sequence, string? RowKey, string Problem);

/// <summary>Reading and verifying the execution log. Every read is confined to the query's tenant partitions.</summary>
public sealed partial class AuditLog
{
    // A page stops after this many partition scans even when it is not full: a long window of empty days must not
    // make one request cost thousands of storage calls. The token then points at the next day to scan.
    private const int MaxPartitionScansPerPage = 96;

    /// <summary>
    /// One page of the tenant's entries, newest first. Paging walks days from <c>To</c> back to <c>From</c>; within
    /// a day it merges the shards by row key (inverted ticks, so row-key order is time order across shards). The
    /// continuation token is (day, last row key returned): the next page resumes strictly after it.
    /// </summary>
    /// <exception cref="ArgumentException">The continuation token was not issued by this method.</exception>
    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var firstDay = DateOnly.FromDateTime(query.From.UtcDateTime);
        var day = DateOnly.FromDateTime(query.To.UtcDateTime);
        string? after = null;
        if (query.ContinuationToken is { } token)
        {
            (day, after) = DecodeToken(token);
        }

        var shards = query.Claim is { } claim
            ? [ShardFor(claim.Value, settings.Shards)]
            : Enumerable.Range(0, settings.Shards).ToArray();
        var pageSize = Math.Clamp(query.PageSize, 1, settings.MaxPageSize);
        var entries = new List<AuditRecord>(pageSize);
        var scans = 0;
        for (; day >= firstDay; day = day.AddDays(-1), after = null)
        {
            if (scans + shards.Length > MaxPartitionScansPerPage && scans > 0)
            {
                return new AuditPage(entries, EncodeToken(day, null));
            }

            var wanted = pageSize - entries.Count;
            var found = new List<TableEntity>();
            foreach (var shard in shards)
            {
                scans++;
                var filter = Filter(query, PartitionFor(query.Tenant, day, shard), after);
                string? next = null;
                var fromShard = 0;
                do
                {
                    var page = await table.QueryPageAsync(filter, null, wanted + 1, next, cancellationToken).ConfigureAwait(false);
                    found.AddRange(page.Values);
                    fromShard += page.Values.Count;
                    next = page.ContinuationToken;
                }
                while (next is not null && fromShard <= wanted);
            }

            found.Sort((a, b) => string.CompareOrdinal(a.RowKey, b.RowKey));
            entries.AddRange(found.Take(wanted).Select(ToRecord));
            if (found.Count > wanted)
            {
                return new AuditPage(entries, EncodeToken(day, found[wanted - 1].RowKey));
            }

            if (entries.Count == pageSize)
            {
                return new AuditPage(entries, day > firstDay ? EncodeToken(day.AddDays(-1), null) : null);
            }
        }

        return new AuditPage(entries, null);
    }

    /// <summary>
    /// Walks every chain of the tenant between the two days (inclusive) and reports the first break: a row whose
    /// hash does not match its content, a PrevHash that is not the previous row's hash, a missing sequence number
    /// (a deleted row), or a head that does not name the last row (the newest rows deleted, or the head itself).
    /// </summary>
    public async Task<AuditVerification> VerifyAsync(TenantId tenant, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var partitions = 0;
        long rows = 0;
        for (var day = DateOnly.FromDateTime(from.UtcDateTime); day <= DateOnly.FromDateTime(to.UtcDateTime); day = day.AddDays(1))
        {
            for (var shard = 0; shard < settings.Shards; shard++)
            {
                var partition = PartitionFor(tenant, day, shard);
                var links = new List<(long? Seq, string RowKey, string? PrevHash, string? Hash, string Computed)>();
                TableEntity? head = null;
                await foreach (var row in table.QueryAsync<TableEntity>(TableFilter.PartitionEq(partition), cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    if (row.RowKey == HeadRowKey)
                    {
                        head = row;
                        continue;
                    }

                    links.Add((row.GetInt64("Seq"), row.RowKey, row.GetString("PrevHash"), row.GetString("Hash"), AuditChain.Hash(row)));
                }

                if (head is null && links.Count == 0)
                {
                    continue;
                }

                partitions++;
                rows += links.Count;
                if (Check(partition, head, links) is { } broken)
                {
                    return new AuditVerification(false, partitions, rows, broken);
                }
            }
        }

        return new AuditVerification(true, partitions, rows, null);
    }

    private static AuditBreak? Check(string partition, TableEntity? head, List<(long? Seq, string RowKey, string? PrevHash, string? Hash, string Computed)> links)
    {
        if (links.FirstOrDefault(l => l.Seq is null) is { RowKey: not null } unchained)
        {
            return new AuditBreak(partition, 0, unchained.RowKey, "row carries no sequence number (not part of the chain)");
        }

        links.Sort((a, b) => a.Seq!.Value.CompareTo(b.Seq!.Value));
        var previous = AuditChain.Genesis(partition);
        long expected = 1;
        foreach (var link in links)
        {
            if (link.Seq != expected)
            {
                return new AuditBreak(partition, expected, null, link.Seq < expected
                    ? "sequence number appears twice"
                    : "row missing (deleted)");
            }

            if (link.PrevHash != previous)
            {
                return new AuditBreak(partition, expected, link.RowKey, "previous-hash link broken");
            }

            if (link.Hash != link.Computed)
            {
                return new AuditBreak(partition, expected, link.RowKey, "row content altered (hash mismatch)");
            }

            previous = link.Hash;
            expected++;
        }

        if (head is null)
        {
            return new AuditBreak(partition, expected, null, "chain head missing (deleted)");
        }

        var headSeq = head.GetInt64("Seq") ?? 0;
        if (headSeq != expected - 1)
        {
            return new AuditBreak(partition, expected, null, headSeq > expected - 1 ? "newest rows missing (deleted)" : "chain head behind its rows");
        }

        return head.GetString("Hash") == previous
            ? null
            : new AuditBreak(partition, headSeq, head.GetString("LastRowKey"), "chain head does not match the last row");
    }

    private static string Filter(AuditQuery query, string partition, string? after)
    {
        // Row key = inverted ticks: At <= To is RowKey >= inv(To); At >= From is RowKey < inv(From) + 1. The upper
        // bound is all digits, so it also keeps the chain head ('~head') out.
        var newest = string.Create(CultureInfo.InvariantCulture, $"{Invert(query.To):D19}");
        var oldest = string.Create(CultureInfo.InvariantCulture, $"{Invert(query.From) + 1:D19}");
        var parts = new List<string>
        {
            TableFilter.PartitionEq(partition),
            after is null ? $"RowKey ge {TableFilter.Quote(newest)}" : $"RowKey gt {TableFilter.Quote(string.CompareOrdinal(after, newest) > 0 ? after : newest)}",
            $"RowKey lt {TableFilter.Quote(oldest)}",
        };
        if (query.Claim is { } claim)
        {
            parts.Add(TableFilter.Eq("ClaimId", claim.Value));
        }

        if (query.RuleId is { } ruleId)
        {
            parts.Add(TableFilter.Eq("RuleId", ruleId));
        }

        if (query.Result is { } result)
        {
            parts.Add(TableFilter.Eq("Result", result));
        }

        return TableFilter.And([.. parts]);
    }

    private static AuditRecord ToRecord(TableEntity row) => new(
        row.GetDateTimeOffset("At") ?? DateTimeOffset.MinValue,
        row.GetString("Actor") ?? string.Empty,
        row.GetString("ClaimId"),
        row.GetString("Action") ?? string.Empty,
        row.GetString("Result") ?? string.Empty,
        row.GetString("Details") ?? string.Empty,
        row.GetString("RuleId"),
        row.GetString("RuleSetVersion"),
        row.GetString("Trigger"),
        row.GetInt64("DurationMs"),
        row.GetString("CorrelationId"),
        row.GetString("Note"),
        row.PartitionKey,
        row.GetInt64("Seq"),
        row.GetString("Hash"));

    private static string EncodeToken(DateOnly day, string? after) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{day:yyyyMMdd}|{after}")));

    private static (DateOnly Day, string? After) DecodeToken(string token)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            if (bar == 8
                && DateOnly.TryParseExact(text[..8], "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day)
                && text[(bar + 1)..] is var after)
            {
                return (day, after.Length == 0 ? null : after);
            }
        }
        catch (FormatException)
        {
            // falls through to the refusal below
        }

        throw new ArgumentException("The continuation token is not one this endpoint issued.", nameof(token));
    }
}
