using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.X12;

/// <summary>
/// One claim in an interchange: the claim, the ST02 of its transaction set as written (at least 4 digits, e.g.
/// <c>0042</c>) and its CLM01 patient control number.
/// </summary>
public sealed record InterchangeClaim(ClaimId Claim, string TransactionControlNumber, string PatientControlNumber);

/// <summary>
/// An 837P interchange the app wrote: its ISA13, its (single) functional group's GS06, the claims in it and the blob
/// (<c>x12-outbound/{tenant}/{ISA13 9 digits}.x12</c>) holding it. What a TA1 (ISA13), a 999 (GS06 + ST02) or a 277CA
/// (patient control number) leads back to.
/// </summary>
public sealed record InterchangeRecord(
    TenantId Tenant,
    long InterchangeControlNumber,
    long GroupControlNumber,
    IReadOnlyList<InterchangeClaim> Claims,
    string Blob,
    DateTimeOffset CreatedAt);

/// <summary>
/// The interchange index (table <see cref="StorageNames.X12InterchangesTable"/>: partition = tenant, row = ISA13 as 9
/// digits). The one place that knows its shape: the outbound side records an interchange before it writes the file,
/// the acknowledgment side finds it by ISA13. Every read and write is tenant-scoped.
/// </summary>
public sealed class X12InterchangeStore(StorageClients storage)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly TableClient table = storage.Table(StorageNames.X12InterchangesTable);

    /// <summary>ISA13 as written in the ISA segment and used as the row key and blob name: 9 digits.</summary>
    public static string Key(long interchangeControlNumber) => interchangeControlNumber.ToString("D9", CultureInfo.InvariantCulture);

    /// <summary>The interchange's blob name in the <see cref="StorageNames.X12OutboundContainer"/> container.</summary>
    public static string BlobName(TenantId tenant, long interchangeControlNumber) => $"{tenant.Value}/{Key(interchangeControlNumber)}.x12";

    /// <summary>The tenant's interchange with this ISA13, or null when it wrote none with it.</summary>
    public async Task<InterchangeRecord?> FindAsync(TenantId tenant, long isa13, CancellationToken cancellationToken)
    {
        if (isa13 is < 1 or > 999_999_999)
        {
            return null;
        }

        var entity = await table.GetEntityOrDefaultAsync(tenant.Value, Key(isa13), cancellationToken: cancellationToken).ConfigureAwait(false);
        return entity is null ? null : FromEntity(tenant, entity);
    }

    /// <summary>
    /// Records the interchange (before its file is written). Idempotent: a retried submit records the same interchange
    /// again and keeps the first row.
    /// </summary>
    public async Task RecordAsync(InterchangeRecord interchange, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(interchange);
        var entity = new TableEntity(interchange.Tenant.Value, Key(interchange.InterchangeControlNumber))
        {
            ["GroupControlNumber"] = interchange.GroupControlNumber,
            ["ClaimsJson"] = JsonSerializer.Serialize(interchange.Claims.Select(c => new StoredClaim(c.Claim.Value, c.TransactionControlNumber, c.PatientControlNumber)), Json),
            ["Blob"] = interchange.Blob,
            ["CreatedAt"] = interchange.CreatedAt,
        };
        try
        {
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Recorded by an earlier run of the same submit: control numbers are never reused, so it is this one.
        }
    }

    private static InterchangeRecord FromEntity(TenantId tenant, TableEntity entity)
    {
        var claims = JsonSerializer.Deserialize<List<StoredClaim>>(entity.GetString("ClaimsJson") ?? "[]", Json) ?? [];
        return new InterchangeRecord(
            tenant,
            long.Parse(entity.RowKey, CultureInfo.InvariantCulture),
            entity.GetInt64("GroupControlNumber") ?? 0,
            [.. claims.Select(c => new InterchangeClaim(ClaimId.Parse(c.Claim), c.Transaction, c.PatientControlNumber))],
            entity.GetString("Blob") ?? string.Empty,
            entity.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue);
    }

    private sealed record StoredClaim(string Claim, string Transaction, string PatientControlNumber);
}
