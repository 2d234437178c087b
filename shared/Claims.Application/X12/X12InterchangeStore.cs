using System.Globalization;
using System.Text.Json;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.X12;

/// <summary>One claim of an interchange we sent: its ST02 and its CLM01 (patient control number).</summary>
public sealed record InterchangeClaim(ClaimId Claim, string TransactionControlNumber, string PatientControlNumber);

/// <summary>
/// An 837P interchange we sent: its ISA13 and GS06, the claims it carried, the blob it was written to and when. What a
/// TA1 (ISA13) and a 999 (GS06 + ST02) lead back to.
/// </summary>
public sealed record InterchangeRecord(
    TenantId Tenant, long InterchangeControlNumber, long GroupControlNumber, IReadOnlyList<InterchangeClaim> Claims, string Blob, DateTimeOffset CreatedAt);

/// <summary>
/// The interchanges sent, per tenant (table <see cref="StorageNames.X12InterchangesTable"/>: partition = tenant, row =
/// ISA13 as 9 digits). Minimal table-backed version for the inbound side; the outbound side writes the rows.
/// </summary>
public sealed class X12InterchangeStore(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.X12InterchangesTable);

    /// <summary>The row key of an ISA13: 9 digits.</summary>
    public static string RowKey(long isa13) => isa13.ToString("D9", CultureInfo.InvariantCulture);

    /// <summary>The interchange with ISA13 <paramref name="isa13"/> the tenant sent, or null.</summary>
    public async Task<InterchangeRecord?> FindAsync(TenantId tenant, long isa13, CancellationToken cancellationToken)
    {
        if (isa13 is < 1 or > 999_999_999)
        {
            return null;
        }

        var entity = await table.GetEntityOrDefaultAsync(tenant.Value, RowKey(isa13), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (entity is null)
        {
            return null;
        }

        var claims = JsonSerializer.Deserialize<List<StoredClaim>>(entity.GetString("Claims") ?? "[]") ?? [];
        return new InterchangeRecord(
            tenant,
            isa13,
            entity.GetInt64("GroupControlNumber") ?? 0,
            [.. claims.Where(c => ClaimId.TryParse(c.Claim, out _)).Select(c => new InterchangeClaim(ClaimId.Parse(c.Claim), c.Transaction, c.PatientControlNumber))],
            entity.GetString("Blob") ?? string.Empty,
            entity.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue);
    }

    /// <summary>Writes (or replaces) the interchange's row.</summary>
    public async Task SaveAsync(InterchangeRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var entity = new TableEntity(record.Tenant.Value, RowKey(record.InterchangeControlNumber))
        {
            ["GroupControlNumber"] = record.GroupControlNumber,
            ["Claims"] = JsonSerializer.Serialize(record.Claims.Select(c => new StoredClaim(c.Claim.Value, c.TransactionControlNumber, c.PatientControlNumber)).ToList()),
            ["Blob"] = record.Blob,
            ["CreatedAt"] = record.CreatedAt,
        };
        await table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private sealed record StoredClaim(string Claim, string Transaction, string PatientControlNumber);
}
