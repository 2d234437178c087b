using System.Globalization;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage.Rest;

namespace Claims.Application.Audit;

/// <summary>One execution-log row. Details hold ids, codes and numbers only — never PHI.</summary>
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
    string? CorrelationId = null);

/// <summary>
/// The append-only execution log. Partition = tenant and UTC day, so one busy tenant spreads over a partition per
/// day; row key = inverted ticks then the entry's idempotency key, so a partition reads newest first and the same
/// step written twice (a redelivered message) lands on the same row instead of a second one.
/// </summary>
public sealed class AuditLog(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.AuditTable);

    public static string PartitionFor(TenantId tenant, DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"{tenant.Value}-{at.UtcDateTime:yyyyMMdd}");

    /// <summary>Writes the entry once per <paramref name="idempotencyKey"/>.</summary>
    public async Task AppendAsync(AuditEntry entry, string idempotencyKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var inverted = DateTimeOffset.MaxValue.UtcTicks - entry.At.UtcTicks;
        var row = new TableEntity(PartitionFor(entry.Tenant, entry.At), string.Create(CultureInfo.InvariantCulture, $"{inverted:D19}-{idempotencyKey}"))
        {
            ["At"] = entry.At,
            ["Actor"] = entry.Actor,
            ["Action"] = entry.Action,
            ["Result"] = entry.Result,
            ["Details"] = entry.Details,
        };
        if (entry.Claim is { } claim)
        {
            row["ClaimId"] = claim.Value;
        }

        SetIfPresent(row, "RuleId", entry.RuleId);
        SetIfPresent(row, "RuleSetVersion", entry.RuleSetVersion);
        SetIfPresent(row, "Note", entry.Note);
        SetIfPresent(row, "CorrelationId", entry.CorrelationId);
        try
        {
            await table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
        }
        catch (EntityAlreadyExistsException)
        {
            // Written by an earlier delivery of the same step: the log already has it, and rows are never replaced.
        }
    }

    /// <summary>The tenant's entries for one claim (newest first), scanning the given days.</summary>
    public async Task<IReadOnlyList<TableEntity>> ForClaimAsync(TenantId tenant, ClaimId claim, DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var rows = new List<TableEntity>();
        for (var day = to.UtcDateTime.Date; day >= from.UtcDateTime.Date; day = day.AddDays(-1))
        {
            var filter = TableFilter.And(TableFilter.PartitionEq(PartitionFor(tenant, day)), TableFilter.Eq("ClaimId", claim.Value));
            await foreach (var row in table.QueryAllAsync(filter, ct: cancellationToken).ConfigureAwait(false))
            {
                rows.Add(row);
            }
        }

        return rows;
    }

    private static void SetIfPresent(TableEntity row, string name, string? value)
    {
        if (value is not null)
        {
            row[name] = value;
        }
    }
}
