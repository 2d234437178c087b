using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.Notifications;

/// <summary>
/// The notifications' timers (docs/NOTIFICATIONS.md "Sweep and purge"), each tenant on its own:
/// <see cref="SweepTenantAsync"/> finds claims whose pending notification has been due for
/// <see cref="NotificationOptions.StrandedAfter"/> with no sender on it — its queue message was lost for good (moved to
/// <c>claims-notifications-poison</c>) — and queues that (subscription, claim) again; it sends nothing itself, and the
/// delivery worker keeps the per-claim order (oldest pending first, under its lease). It reads only the tenant's
/// pending markers (one partition: the recorder writes one per (subscription, claim) it queues), never the log.
/// <see cref="PurgeTenantAsync"/> deletes delivery-log rows older than <see cref="NotificationOptions.LogRetention"/>.
/// </summary>
public sealed partial class NotificationSweeper(
    SubscriptionStore subscriptions,
    NotificationItems items,
    NotificationDelivery delivery,
    TenantStore tenants,
    TimeProvider time,
    IOptions<NotificationOptions> options,
    ILogger<NotificationSweeper> logger)
{
    /// <summary>The sweep timer's work: every tenant. Returns how many (subscription, claim) were queued again.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var queued = 0;
        await foreach (var (tenant, _) in tenants.ListAsync([], cancellationToken).ConfigureAwait(false))
        {
            queued += await SweepTenantAsync(tenant, cancellationToken).ConfigureAwait(false);
        }

        return queued;
    }

    /// <summary>Queues again each (subscription, claim) of the tenant whose oldest pending notification is stranded;
    /// drops the markers of claims with nothing pending (or of deleted subscriptions). Running it twice, or on two
    /// instances, only queues a message twice: the worker handles a duplicate like any other.</summary>
    public async Task<int> SweepTenantAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var stranded = now - options.Value.StrandedAfter;
        var markers = await items.MarkersAsync(tenant, stranded, cancellationToken).ConfigureAwait(false);
        if (markers.Count == 0)
        {
            return 0;
        }

        var subs = (await subscriptions.ListAsync(tenant, cancellationToken).ConfigureAwait(false)).ToDictionary(s => s.Id, StringComparer.Ordinal);
        var queued = 0;
        var cleared = 0;
        foreach (var marker in markers)
        {
            if (!subs.TryGetValue(marker.SubscriptionId, out var sub))
            {
                // Deleted: its pending rows are never sent.
                cleared += await items.TryClearMarkerAsync(marker, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                continue;
            }

            if (!sub.Enabled)
            {
                // Switched off: re-enabling queues its pending rows; keep the marker until then.
                continue;
            }

            var oldest = await items.OldestPendingAsync(tenant, sub.Id, marker.Claim, cancellationToken).ConfigureAwait(false);
            if (oldest is null)
            {
                // Nothing pending. If-Match: a notification recorded since the marker was read marked it again, and stays.
                cleared += await items.TryClearMarkerAsync(marker, cancellationToken).ConfigureAwait(false) ? 1 : 0;
                continue;
            }

            var due = oldest.NextAttemptAt ?? oldest.CreatedAt;
            if ((oldest.LeaseUntil is { } lease && lease > now) || due > stranded)
            {
                // Being sent, waiting for its retry, or due only recently: its message is still on the way.
                continue;
            }

            await delivery.RequeueAsync(new NotificationMessage(tenant, sub.Id, marker.Claim), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            queued++;
        }

        Logs.NotificationSweeperSwept(logger, tenant.Value, markers.Count, queued, cleared);
        return queued;
    }

    /// <summary>The purge timer's work: every tenant. Returns how many rows were deleted.</summary>
    public async Task<int> PurgeAsync(CancellationToken cancellationToken)
    {
        var deleted = 0;
        await foreach (var (tenant, _) in tenants.ListAsync([], cancellationToken).ConfigureAwait(false))
        {
            deleted += await PurgeTenantAsync(tenant, cancellationToken).ConfigureAwait(false);
        }

        return deleted;
    }

    /// <summary>Deletes the tenant's delivery-log rows created and last attempted more than
    /// <see cref="NotificationOptions.LogRetention"/> ago; pending rows of existing subscriptions stay (still to be sent).</summary>
    public async Task<int> PurgeTenantAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.LogRetention;
        var existing = (await subscriptions.ListAsync(tenant, cancellationToken).ConfigureAwait(false)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var deleted = await items.PurgeAsync(tenant, cutoff, existing, cancellationToken).ConfigureAwait(false);
        Logs.NotificationSweeperPurged(logger, tenant.Value, deleted, cutoff);
        return deleted;
    }
}
