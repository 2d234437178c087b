using System.Globalization;
using Azure.Storage.Queues;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Core.Pipeline;
using Claims.Storage;
using Hl7.Fhir.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.Notifications;

/// <summary>
/// The delivery worker behind the <c>claims-notifications</c> queue (docs/NOTIFICATIONS.md "Delivery"). One message =
/// one (subscription, claim): it sends that claim's pending notifications oldest first, one at a time, so a claim's
/// notifications arrive in order. A notification whose retry is due later, or that another sender holds (lease),
/// puts a delayed message back on the queue and ends; the delivery row is updated before that message is sent, so a
/// crash anywhere only means the queue delivers the current message again.
/// </summary>
public sealed partial class NotificationDelivery(
    SubscriptionStore subscriptions,
    NotificationItems items,
    ClaimRepository claims,
    ClaimDocuments documents,
    NotificationSender sender,
    AlertStore alerts,
    AuditLog audit,
    StorageClients storage,
    TimeProvider time,
    IOptions<NotificationOptions> options,
    ILogger<NotificationDelivery> logger)
{
    /// <summary>The actor of what the delivery writes (audit rows, alerts).</summary>
    public const string Actor = "system:notifications";

    private static readonly TimeSpan UncommittedRecheck = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MaxQueueDelay = TimeSpan.FromDays(6);

    private readonly QueueClient queue = storage.Queue(StorageNames.NotificationsQueue);

    /// <summary>Delivers what is pending for the message's (subscription, claim).</summary>
    public async System.Threading.Tasks.Task DeliverAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var policy = options.Value.ToPolicy();
        var sub = await subscriptions.GetWithSecretsAsync(message.Tenant, message.SubscriptionId, cancellationToken).ConfigureAwait(false);
        if (sub is null || !sub.Enabled)
        {
            // Deleted or switched off: its pending rows stay pending (re-enabling queues them again).
            Logs.NotificationDeliverySubscriptionInactive(logger, message.Tenant.Value, message.SubscriptionId);
            return;
        }

        for (var sent = 0; sent < options.Value.MaxPerMessage; sent++)
        {
            var item = await items.OldestPendingAsync(message.Tenant, sub.Id, message.Claim, cancellationToken).ConfigureAwait(false);
            if (item is null)
            {
                return;
            }

            var now = time.GetUtcNow();
            if (item.LeaseUntil is { } lease && lease > now)
            {
                await RequeueAsync(message, lease - now + TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                return;
            }

            if (item.NextAttemptAt is { } due && due > now)
            {
                await RequeueAsync(message, due - now, cancellationToken).ConfigureAwait(false);
                return;
            }

            var body = item.Body;
            if (body is null)
            {
                var (verdict, built) = await BuildAsync(sub, item, now, cancellationToken).ConfigureAwait(false);
                if (verdict == BuildVerdict.NotYet)
                {
                    await RequeueAsync(message, UncommittedRecheck, cancellationToken).ConfigureAwait(false);
                    return;
                }

                if (verdict != BuildVerdict.Built)
                {
                    var skipped = item with { State = NotificationStates.Skipped, LastResult = verdict.ToString().ToLowerInvariant() };
                    if (await items.TryUpdateAsync(skipped, cancellationToken).ConfigureAwait(false) is null)
                    {
                        await RequeueAsync(message, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                        return;
                    }

                    Logs.NotificationDeliverySkipped(logger, message.Tenant.Value, sub.Id, item.Id, skipped.LastResult!);
                    continue;
                }

                body = built!;
            }

            // Take the lease (If-Match): a second sender of the same claim waits for it, so order holds.
            var leased = await items.TryUpdateAsync(
                item with { Body = body, LeaseUntil = now + options.Value.Lease, FirstAttemptAt = item.FirstAttemptAt ?? now },
                cancellationToken).ConfigureAwait(false);
            if (leased is null)
            {
                await RequeueAsync(message, TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                return;
            }

            var result = await sender.PostAsync(sub.Url, leased.MessageId, sub.SigningSecrets(now), body, now, cancellationToken).ConfigureAwait(false);
            var ended = time.GetUtcNow();
            var attempt = leased.Attempts + 1;
            var decision = policy.Decide(result, attempt, leased.FirstAttemptAt!.Value, ended);
            var recorded = leased with
            {
                Attempts = attempt,
                LastAttemptAt = now,
                LastResult = result.Code,
                LeaseUntil = null,
                State = decision.Verdict switch
                {
                    DeliveryVerdict.Delivered => NotificationStates.Delivered,
                    DeliveryVerdict.Rejected => NotificationStates.Rejected,
                    DeliveryVerdict.Expired => NotificationStates.Expired,
                    _ => NotificationStates.Pending,
                },
                NextAttemptAt = decision.NextAttemptAt,
                DeliveredAt = decision.Verdict == DeliveryVerdict.Delivered ? ended : null,
            };

            // Our lease: nobody else wrote the row meanwhile unless the lease ran out; then the other sender's write wins.
            _ = await items.TryUpdateAsync(recorded, cancellationToken).ConfigureAwait(false);
            Logs.NotificationDeliveryAttempt(logger, message.Tenant.Value, sub.Id, leased.MessageId, attempt, result.Code, decision.Verdict);

            sub = await RecordHealthAsync(sub, decision.Verdict == DeliveryVerdict.Delivered, ended, cancellationToken).ConfigureAwait(false);
            if (sub is null || !sub.Enabled)
            {
                return;
            }

            if (decision.Verdict == DeliveryVerdict.Retry)
            {
                await RequeueAsync(message, decision.NextAttemptAt!.Value - ended, cancellationToken).ConfigureAwait(false);
                return;
            }
        }

        // More than one message's share: carry on in a new message (lets other claims' deliveries in between).
        await RequeueAsync(message, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues delivery for every claim with a pending notification of the subscription (after re-enabling, or a send-again).</summary>
    public async System.Threading.Tasks.Task QueuePendingAsync(TenantId tenant, string subscriptionId, CancellationToken cancellationToken)
    {
        foreach (var claim in await items.ClaimsPendingAsync(tenant, subscriptionId, cancellationToken).ConfigureAwait(false))
        {
            await QueueAsync(new NotificationMessage(tenant, subscriptionId, claim), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Queues the message now, after a pending marker (as the recorder does), so the sweep finds the claim
    /// again should the message be lost.</summary>
    public async System.Threading.Tasks.Task QueueAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        await items.MarkPendingAsync(message.Tenant, message.SubscriptionId, message.Claim, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        await RequeueAsync(message, TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
    }

    public async System.Threading.Tasks.Task RequeueAsync(NotificationMessage message, TimeSpan delay, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var visibility = delay <= TimeSpan.Zero ? TimeSpan.Zero : delay > MaxQueueDelay ? MaxQueueDelay : delay;
        await queue.SendMessageAsync(message.ToJson(), visibility, StorageExtensions.MessageNeverExpires, cancellationToken).ConfigureAwait(false);
    }

    private enum BuildVerdict
    {
        Built,
        NotYet,
        NotCommitted,
        ClaimGone,
        SourceFilter,
    }

    /// <summary>Builds the body once the claim row shows the transition; decides a skip otherwise.</summary>
    private async Task<(BuildVerdict Verdict, string? Body)> BuildAsync(Subscription sub, NotificationItem item, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var row = await claims.GetAsync(item.Tenant, item.Claim, cancellationToken).ConfigureAwait(false);
        if (row?.PipelineJson is null)
        {
            return (BuildVerdict.ClaimGone, null);
        }

        var state = PipelineJson.DeserializeState(row.PipelineJson);
        if (!Committed(state, item))
        {
            return state.Version < item.Version && now - item.CreatedAt < options.Value.UncommittedGrace
                ? (BuildVerdict.NotYet, null)
                : (BuildVerdict.NotCommitted, null);
        }

        var document = await documents.LoadAsync(row, cancellationToken).ConfigureAwait(false);
        var claim = document?.Document.Claim;
        var identifier = claim?.Identifier.FirstOrDefault(i => !string.IsNullOrEmpty(i.Value));
        if (sub.SourceSystem is { } source && !string.Equals(identifier?.System, source, StringComparison.Ordinal))
        {
            return (BuildVerdict.SourceFilter, null);
        }

        var notice = new ClaimNotice(
            item.Claim.Value,
            item.Tenant.Value,
            item.Event,
            item.To.ToString(),
            null,
            identifier?.System,
            identifier?.Value ?? row.SourceResourceId ?? item.Claim.Value,
            item.SubmissionReference,
            item.ReasonCode,
            item.Reason,
            claim?.Type?.Coding.FirstOrDefault()?.Code,
            claim?.Patient?.Reference,
            InsurerOf(claim),
            item.At);
        return (BuildVerdict.Built, ClaimNotificationPayload.Serialize(notice));
    }

    /// <summary>Whether the saved claim row has the item's transition. Every transition adds one to the version and
    /// appends one history entry, so the entry of version v is <c>History[v - HistoryDropped]</c>; it must lead to the
    /// item's status (a transition decided at that version but never saved — it lost a 412 race — does not). A version
    /// older than the capped history is taken as saved (it cannot be checked any more).</summary>
    internal static bool Committed(PipelineState state, NotificationItem item)
    {
        if (state.Version < item.Version)
        {
            return false;
        }

        var index = item.Version - state.HistoryDropped;
        if (index < 0)
        {
            return true;
        }

        return index < state.History.Length && state.History[(int)index].To == item.To;
    }

    private static string? InsurerOf(Claim? claim) =>
        claim?.Insurer is { } insurer ? insurer.Display ?? insurer.Identifier?.Value ?? insurer.Reference : null;

    private async Task<Subscription?> RecordHealthAsync(Subscription sub, bool succeeded, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var disableAfter = options.Value.DisableAfter;
        var after = await subscriptions.RecordHealthAsync(sub, succeeded, now, disableAfter, cancellationToken).ConfigureAwait(false);
        if (after is null)
        {
            // Changed meanwhile (an admin edit): read it again.
            return await subscriptions.GetWithSecretsAsync(sub.Tenant, sub.Id, cancellationToken).ConfigureAwait(false);
        }

        if (sub.Enabled && !after.Enabled)
        {
            var since = sub.FailingSince!.Value.ToString("O", CultureInfo.InvariantCulture);
            var key = "subscription-disabled-" + sub.Id + "-" + sub.FailingSince.Value.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            await alerts.RaiseAsync(
                new Alert(sub.Tenant, key, "SubscriptionDisabled", $"Notification subscription {sub.Id} was switched off: its deliveries have failed since {since}.", now),
                cancellationToken).ConfigureAwait(false);
            await audit.AppendAsync(
                new AuditEntry(sub.Tenant, now, Actor, null, "notifications.subscription.disabled", "FAILED", $"subscription {sub.Id} failing since {since}"),
                key,
                cancellationToken).ConfigureAwait(false);
            Logs.NotificationDeliveryDisabled(logger, sub.Tenant.Value, sub.Id, since);
        }

        return after;
    }
}
