using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Core.Pipeline;
using Claims.Storage;

namespace Claims.Application.Notifications;

/// <summary>The states of a notification in the delivery log.</summary>
public static class NotificationStates
{
    /// <summary>Not yet delivered: waiting for its first attempt, its next retry, or its turn behind an older one of the same claim.</summary>
    public const string Pending = "pending";

    public const string Delivered = "delivered";

    /// <summary>The receiver answered a 4xx other than 408/429 (or the address was refused): not retried.</summary>
    public const string Rejected = "rejected";

    /// <summary>Retryable failures until the retry window (24 h) ran out: not retried.</summary>
    public const string Expired = "expired";

    /// <summary>Not sent: the claim's source system did not match, the transition was never saved, or the claim is gone.</summary>
    public const string Skipped = "skipped";
}

/// <summary>
/// One notification for one subscription: a claim transition the subscription asked for. Row key
/// <c>{claimId}-{version:D10}-{event}-{status}</c> (the claim's pipeline version after the transition and the status it
/// led to), so a replayed activity writes the same row, two writers racing for the same version write two rows (the
/// delivery sends the one the saved row has), and a claim's notifications sort in the order they happened.
/// </summary>
public sealed record NotificationItem
{
    public required TenantId Tenant { get; init; }

    public required string SubscriptionId { get; init; }

    public required ClaimId Claim { get; init; }

    public required long Version { get; init; }

    public required ClaimEvent Event { get; init; }

    /// <summary>The claim's status after the transition (the history entry the delivery checks the row for).</summary>
    public required PipelineStatus To { get; init; }

    /// <summary>The transition's time (the event's).</summary>
    public required DateTimeOffset At { get; init; }

    public string? ReasonCode { get; init; }

    public string? Reason { get; init; }

    public string? SubmissionReference { get; init; }

    public string State { get; init; } = NotificationStates.Pending;

    public int Attempts { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? FirstAttemptAt { get; init; }

    public DateTimeOffset? NextAttemptAt { get; init; }

    public DateTimeOffset? LastAttemptAt { get; init; }

    /// <summary>The last attempt's result code (<see cref="AttemptResult.Code"/>) or why it was skipped.</summary>
    public string? LastResult { get; init; }

    public DateTimeOffset? DeliveredAt { get; init; }

    /// <summary>While a sender is posting it: until when (another sender waits).</summary>
    public DateTimeOffset? LeaseUntil { get; init; }

    /// <summary>The body, fixed at the first attempt so every retry sends the same bytes.</summary>
    public string? Body { get; init; }

    public ETag ETag { get; init; }

    public string Id => RowKeyOf(Claim, Version, Event, To);

    /// <summary>The <c>webhook-id</c>: the same for every attempt of this notification (receivers deduplicate on it).</summary>
    public string MessageId => "msg_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(NotificationItems.PartitionOf(Tenant, SubscriptionId) + "/" + Id)))[..32];

    public static string RowKeyOf(ClaimId claim, long version, ClaimEvent @event, PipelineStatus to) =>
        string.Create(CultureInfo.InvariantCulture, $"{claim.Value}-{version:D10}-{@event}-{to}");
}

/// <summary>
/// The notifications table: partition <c>{tenant}_{subscription}</c>, row <see cref="NotificationItem.Id"/>. It is the
/// outbox and the delivery log at once.
/// </summary>
public sealed class NotificationItems(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.NotificationsTable);

    public static string PartitionOf(TenantId tenant, string subscriptionId) => tenant.Value + "_" + subscriptionId;

    /// <summary>Adds the item unless a row with its key exists (a replayed transition); true when it was new.</summary>
    public async Task<bool> TryAddAsync(NotificationItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        try
        {
            await table.AddEntityAsync(ToEntity(item), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    public async Task<NotificationItem?> GetAsync(TenantId tenant, string subscriptionId, string id, CancellationToken cancellationToken)
    {
        var row = await table.GetEntityOrDefaultAsync(PartitionOf(tenant, subscriptionId), id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : FromEntity(tenant, subscriptionId, row);
    }

    /// <summary>The claim's oldest pending notification for the subscription (row keys sort by version).</summary>
    public async Task<NotificationItem?> OldestPendingAsync(TenantId tenant, string subscriptionId, ClaimId claim, CancellationToken cancellationToken)
    {
        var filter = TableFilter.PartitionEq(PartitionOf(tenant, subscriptionId))
            + " and RowKey gt " + TableFilter.Quote(claim.Value + "-")
            + " and RowKey lt " + TableFilter.Quote(claim.Value + ".")
            + " and " + TableFilter.Eq("State", NotificationStates.Pending);
        await foreach (var row in table.QueryAsync<TableEntity>(filter, maxPerPage: 1, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            return FromEntity(tenant, subscriptionId, row);
        }

        return null;
    }

    /// <summary>Every claim of the subscription with a pending notification (for re-enabling a subscription).</summary>
    public async Task<IReadOnlyList<ClaimId>> ClaimsPendingAsync(TenantId tenant, string subscriptionId, CancellationToken cancellationToken)
    {
        var claims = new HashSet<ClaimId>();
        var filter = TableFilter.PartitionEq(PartitionOf(tenant, subscriptionId)) + " and " + TableFilter.Eq("State", NotificationStates.Pending);
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["RowKey", "ClaimId"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (ClaimId.TryParse(row.GetString("ClaimId"), out var claim))
            {
                claims.Add(claim);
            }
        }

        return [.. claims];
    }

    /// <summary>The partition of the tenant's pending markers: one row per (subscription, claim) that has had a
    /// notification recorded or queued again, until the sweep finds nothing pending for it. '_' is not part of a tenant
    /// id and <c>pending</c> is not a subscription id, so it is no subscription's partition.</summary>
    public static string MarkerPartitionOf(TenantId tenant) => tenant.Value + "_pending";

    /// <summary>Notes that (subscription, claim) has pending work (a Replace upsert: the row's ETag and Timestamp move
    /// every time, so the sweep's If-Match delete of a marker it read loses to a newer mark).</summary>
    public async Task MarkPendingAsync(TenantId tenant, string subscriptionId, ClaimId claim, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var marker = new TableEntity(MarkerPartitionOf(tenant), subscriptionId + "_" + claim.Value)
        {
            ["SubscriptionId"] = subscriptionId,
            ["ClaimId"] = claim.Value,
            ["MarkedAt"] = now,
        };
        await table.UpsertEntityAsync(marker, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The tenant's pending markers last written before <paramref name="before"/> (one partition).</summary>
    public async Task<IReadOnlyList<PendingMarker>> MarkersAsync(TenantId tenant, DateTimeOffset before, CancellationToken cancellationToken)
    {
        var markers = new List<PendingMarker>();
        var filter = TableFilter.And(TableFilter.PartitionEq(MarkerPartitionOf(tenant)), TableFilter.Lt("MarkedAt", before));
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.GetString("SubscriptionId") is { } sub && SubscriptionStore.IsId(sub) && ClaimId.TryParse(row.GetString("ClaimId"), out var claim))
            {
                markers.Add(new PendingMarker(tenant, sub, claim, row.ETag));
            }
        }

        return markers;
    }

    /// <summary>Deletes the marker if nobody marked it again since it was read; false when it changed (or is gone).</summary>
    public async Task<bool> TryClearMarkerAsync(PendingMarker marker, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(marker);
        try
        {
            await table.DeleteEntityAsync(MarkerPartitionOf(marker.Tenant), marker.SubscriptionId + "_" + marker.Claim.Value, marker.ETag, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>
    /// Deletes the tenant's delivery-log rows created and last attempted before <paramref name="cutoff"/>, except
    /// pending rows of subscriptions that still exist (<paramref name="keepPendingOf"/>): they are still to be sent.
    /// One range query over the tenant's partitions (<c>{tenant}_…</c>), deletes in batches of up to 100 per partition.
    /// Returns how many rows were deleted.
    /// </summary>
    public async Task<int> PurgeAsync(TenantId tenant, DateTimeOffset cutoff, IReadOnlySet<string> keepPendingOf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keepPendingOf);
        var prefix = tenant.Value + "_";
        var filter = TableFilter.And(
            "PartitionKey ge " + TableFilter.Quote(prefix),
            "PartitionKey lt " + TableFilter.Quote(tenant.Value + "`"),
            TableFilter.Lt("CreatedAt", cutoff));
        var deleted = 0;
        var batch = new List<TableTransactionAction>();
        string? batchPartition = null;
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "RowKey", "State", "LastAttemptAt"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var subscriptionId = row.PartitionKey[prefix.Length..];
            if (!SubscriptionStore.IsId(subscriptionId)
                || (row.GetDateTimeOffset("LastAttemptAt") is { } last && last >= cutoff)
                || (row.GetString("State") == NotificationStates.Pending && keepPendingOf.Contains(subscriptionId)))
            {
                continue;
            }

            if (batchPartition != row.PartitionKey || batch.Count == 100)
            {
                deleted += await DeleteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                batchPartition = row.PartitionKey;
            }

            batch.Add(new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(row.PartitionKey, row.RowKey) { ETag = ETag.All }));
        }

        return deleted + await DeleteBatchAsync(batch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Deletes one partition's batch in one transaction; when that fails (a row deleted meanwhile by another
    /// instance fails the whole transaction), one by one. Empties the list.</summary>
    private async Task<int> DeleteBatchAsync(List<TableTransactionAction> batch, CancellationToken cancellationToken)
    {
        if (batch.Count == 0)
        {
            return 0;
        }

        var deleted = 0;
        try
        {
            await table.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
            deleted = batch.Count;
        }
        catch (TableTransactionFailedException)
        {
            foreach (var action in batch)
            {
                try
                {
                    await table.DeleteEntityAsync(action.Entity.PartitionKey, action.Entity.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                    deleted++;
                }
                catch (RequestFailedException ex) when (ex.Status == 404)
                {
                    // Deleted meanwhile.
                }
            }
        }

        batch.Clear();
        return deleted;
    }

    /// <summary>Replaces the item if it is still as read; null when someone else changed it meanwhile.</summary>
    public async Task<NotificationItem?> TryUpdateAsync(NotificationItem item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(item);
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(item), item.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return item with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    /// <summary>One page of the subscription's delivery log, in claim then transition order.</summary>
    public async Task<(IReadOnlyList<NotificationItem> Items, string? ContinuationToken)> PageAsync(
        TenantId tenant, string subscriptionId, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        var page = await table.QueryPageAsync(TableFilter.PartitionEq(PartitionOf(tenant, subscriptionId)), null, pageSize, continuationToken, cancellationToken).ConfigureAwait(false);
        return ([.. page.Values.Select(r => FromEntity(tenant, subscriptionId, r))], page.ContinuationToken);
    }

    /// <summary>The item as the delivery log shows it (no body, no secrets).</summary>
    public static JsonObject ToJson(NotificationItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new JsonObject
        {
            ["id"] = item.Id,
            ["webhookId"] = item.MessageId,
            ["claimId"] = item.Claim.Value,
            ["event"] = item.Event.ToString(),
            ["status"] = item.To.ToString(),
            ["at"] = item.At,
            ["state"] = item.State,
            ["attempts"] = item.Attempts,
            ["lastResult"] = item.LastResult,
            ["firstAttemptAt"] = item.FirstAttemptAt,
            ["lastAttemptAt"] = item.LastAttemptAt,
            ["nextAttemptAt"] = item.State == NotificationStates.Pending ? item.NextAttemptAt : null,
            ["deliveredAt"] = item.DeliveredAt,
        };
    }

    private static TableEntity ToEntity(NotificationItem i) => new(PartitionOf(i.Tenant, i.SubscriptionId), i.Id)
    {
        ["ClaimId"] = i.Claim.Value,
        ["Version"] = i.Version,
        ["Event"] = i.Event.ToString(),
        ["To"] = i.To.ToString(),
        ["At"] = i.At,
        ["ReasonCode"] = i.ReasonCode,
        ["Reason"] = i.Reason,
        ["SubmissionReference"] = i.SubmissionReference,
        ["State"] = i.State,
        ["Attempts"] = i.Attempts,
        ["CreatedAt"] = i.CreatedAt,
        ["FirstAttemptAt"] = i.FirstAttemptAt,
        ["NextAttemptAt"] = i.NextAttemptAt,
        ["LastAttemptAt"] = i.LastAttemptAt,
        ["LastResult"] = i.LastResult,
        ["DeliveredAt"] = i.DeliveredAt,
        ["LeaseUntil"] = i.LeaseUntil,
        ["Body"] = i.Body,
    };

    private static NotificationItem FromEntity(TenantId tenant, string subscriptionId, TableEntity e) => new()
    {
        Tenant = tenant,
        SubscriptionId = subscriptionId,
        Claim = ClaimId.Parse(e.GetString("ClaimId")!),
        Version = e.GetInt64("Version") ?? 0,
        Event = Enum.Parse<ClaimEvent>(e.GetString("Event")!),
        To = Enum.Parse<PipelineStatus>(e.GetString("To")!),
        At = e.GetDateTimeOffset("At") ?? default,
        ReasonCode = e.GetString("ReasonCode"),
        Reason = e.GetString("Reason"),
        SubmissionReference = e.GetString("SubmissionReference"),
        State = e.GetString("State") ?? NotificationStates.Pending,
        Attempts = e.GetInt32("Attempts") ?? 0,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        FirstAttemptAt = e.GetDateTimeOffset("FirstAttemptAt"),
        NextAttemptAt = e.GetDateTimeOffset("NextAttemptAt"),
        LastAttemptAt = e.GetDateTimeOffset("LastAttemptAt"),
        LastResult = e.GetString("LastResult"),
        DeliveredAt = e.GetDateTimeOffset("DeliveredAt"),
        LeaseUntil = e.GetDateTimeOffset("LeaseUntil"),
        Body = e.GetString("Body"),
        ETag = e.ETag,
    };
}

/// <summary>A pending marker: (subscription, claim) had a notification recorded or queued again (<see cref="NotificationItems.MarkPendingAsync"/>).</summary>
public sealed record PendingMarker(TenantId Tenant, string SubscriptionId, ClaimId Claim, ETag ETag);

/// <summary>The delivery queue's message: deliver what is pending for one claim and one subscription, oldest first.</summary>
public sealed record NotificationMessage(TenantId Tenant, string SubscriptionId, ClaimId Claim)
{
    public string ToJson() => new JsonObject { ["tenant"] = Tenant.Value, ["subscription"] = SubscriptionId, ["claimId"] = Claim.Value }.ToJsonString();

    public static NotificationMessage? TryParse(string? text)
    {
        try
        {
            return text is not null && JsonNode.Parse(text) is JsonObject o
                && TenantId.TryParse(o["tenant"]?.GetValue<string>(), out var tenant)
                && o["subscription"]?.GetValue<string>() is { } sub && SubscriptionStore.IsId(sub)
                && ClaimId.TryParse(o["claimId"]?.GetValue<string>(), out var claim)
                ? new NotificationMessage(tenant, sub, claim)
                : null;
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
