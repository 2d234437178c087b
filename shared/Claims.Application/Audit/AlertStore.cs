using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;

namespace Claims.Application.Audit;

/// <summary>An alert for a tenant's admins (escalated holds, failed submissions, expiring authorizations).</summary>
public sealed record Alert(TenantId Tenant, string Key, string Kind, string Text, DateTimeOffset RaisedAt, ClaimId? Claim = null);

/// <summary>Open alerts, one row per alert key in the tenant's partition: raising the same alert twice keeps one.</summary>
public sealed class AlertStore(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.AlertsTable);

    /// <summary>Raises the alert unless one with the same key exists; true when it was new.</summary>
    public async Task<bool> RaiseAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var row = new TableEntity(alert.Tenant.Value, alert.Key)
        {
            ["Kind"] = alert.Kind,
            ["Text"] = alert.Text,
            ["RaisedAt"] = alert.RaisedAt,
            ["Open"] = true,
        };
        if (alert.Claim is { } claim)
        {
            row["ClaimId"] = claim.Value;
        }

        try
        {
            await table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<IReadOnlyList<Alert>> ListOpenAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>();
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), "Open eq true");
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            alerts.Add(new Alert(
                tenant,
                row.RowKey,
                row.GetString("Kind") ?? string.Empty,
                row.GetString("Text") ?? string.Empty,
                row.GetDateTimeOffset("RaisedAt") ?? DateTimeOffset.MinValue,
                ClaimId.TryParse(row.GetString("ClaimId"), out var claim) ? claim : null));
        }

        return alerts;
    }
}
