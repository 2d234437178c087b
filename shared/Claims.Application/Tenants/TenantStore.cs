using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.Tenants;

/// <summary>
/// A tenant's settings that the pipeline reads. <paramref name="AcknowledgmentDelay"/>: how long a submitted claim waits
/// for its acknowledgment before one AcknowledgmentOverdue alert (column <c>AcknowledgmentHours</c>, written as 48 h for a
/// new tenant; null when the row has none: the app-wide <c>Pipeline:AcknowledgmentDelay</c> applies).
/// </summary>
public sealed record TenantSettings(TenantId Tenant, string DisplayName, TimeSpan HoldEscalationDelay, TimeSpan? AcknowledgmentDelay = null)
{
    public static readonly TimeSpan DefaultHoldEscalationDelay = TimeSpan.FromHours(48);

    public static readonly TimeSpan DefaultAcknowledgmentDelay = TimeSpan.FromHours(48);
}

/// <summary>Tenants (one row each, partition "tenant").</summary>
public sealed class TenantStore(StorageClients storage, TimeProvider time)
{
    /// <summary>The partition of the tenant rows; other stores keep their tenant settings as columns of these rows.</summary>
    public const string Partition = "tenant";

    private readonly TableClient table = storage.Table(StorageNames.TenantsTable);

    /// <summary>
    /// Every tenant (each row whose key is a tenant id), with the given <paramref name="columns"/> of its row read in
    /// the same query: the sweeps' one way to visit the tenants.
    /// </summary>
    public async IAsyncEnumerable<(TenantId Tenant, TableEntity Row)> ListAsync(
        IReadOnlyList<string> columns, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(columns);
        await foreach (var row in table.QueryAsync<TableEntity>(
            TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"), select: ["RowKey", .. columns], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (TenantId.TryParse(row.RowKey, out var tenant))
            {
                yield return (tenant, row);
            }
        }
    }

    public async Task<TenantSettings?> GetAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var entity = await table.GetEntityOrDefaultAsync(Partition, tenant.Value, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (entity is null)
        {
            return null;
        }

        var hours = entity.GetDouble("HoldEscalationHours");
        var ackHours = entity.GetDouble("AcknowledgmentHours");
        return new TenantSettings(
            tenant,
            entity.GetString("DisplayName") ?? tenant.Value,
            hours is > 0 ? TimeSpan.FromHours(hours.Value) : TenantSettings.DefaultHoldEscalationDelay,
            ackHours is > 0 ? TimeSpan.FromHours(ackHours.Value) : null);
    }

    /// <summary>Creates the tenant when it does not exist; an existing tenant keeps its settings.</summary>
    public async Task EnsureAsync(TenantId tenant, string displayName, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(Partition, tenant.Value)
        {
            ["DisplayName"] = displayName,
            ["HoldEscalationHours"] = TenantSettings.DefaultHoldEscalationDelay.TotalHours,
            ["AcknowledgmentHours"] = TenantSettings.DefaultAcknowledgmentDelay.TotalHours,
            ["CreatedAt"] = time.GetUtcNow(),
        };
        try
        {
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            // Already there: seeding is idempotent.
        }
    }
}
