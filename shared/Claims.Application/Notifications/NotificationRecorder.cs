using Azure.Storage.Queues;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Core.Pipeline;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Notifications;

/// <summary>One transition of a claim row, as <see cref="Processing.ClaimTransitions"/> decided it.</summary>
public sealed record ClaimTransition(PipelineEvent Event, PipelineState From, PipelineState To);

/// <summary>
/// The pipeline's side of notifications: for each transition a subscription asked for, one row in the notifications
/// table (keyed by claim, the pipeline version after the transition and the event, so a replayed activity writes nothing
/// new), a pending marker and one message on <c>claims-notifications</c> per subscription (the marker lets
/// <see cref="NotificationSweeper"/> find the claim again if the message is lost). Called by <see cref="Processing.ClaimTransitions"/>
/// <em>before</em> it saves the row, like the transition's audit rows: a crash in between leaves rows the delivery
/// checks against the claim row (only transitions the row has are sent). Nothing is sent here: the delivery runs on its
/// own queue, outside the claim's path. A tenant with no subscription costs no storage call (the list is cached).
/// </summary>
public sealed partial class NotificationRecorder(
    SubscriptionStore subscriptions, NotificationItems items, StorageClients storage, TimeProvider time, ILogger<NotificationRecorder> logger)
{
    private readonly QueueClient queue = storage.Queue(StorageNames.NotificationsQueue);

    public async Task RecordAsync(TenantId tenant, ClaimId claim, IReadOnlyList<ClaimTransition> transitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transitions);
        var events = transitions
            .Select(t => (t, e: NotificationEvents.For(t.Event, t.From, t.To)))
            .Where(x => x.e is not null)
            .Select(x => (x.t, Event: x.e!.Value))
            .ToList();
        if (events.Count == 0)
        {
            return;
        }

        var subs = await subscriptions.ListCachedAsync(tenant, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var touched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sub in subs)
        {
            foreach (var (t, e) in events.Where(x => sub.Wants(x.Event)))
            {
                var (code, reason) = NotificationEvents.ReasonOf(e, t.To);
                var item = new NotificationItem
                {
                    Tenant = tenant,
                    SubscriptionId = sub.Id,
                    Claim = claim,
                    Version = t.To.Version,
                    Event = e,
                    To = t.To.Status,
                    At = t.To.UpdatedAt,
                    ReasonCode = code,
                    Reason = reason,
                    SubmissionReference = t.To.SubmissionReference,
                    CreatedAt = now,
                };
                await items.TryAddAsync(item, cancellationToken).ConfigureAwait(false);
                touched.Add(sub.Id);
                Logs.NotificationRecorderRecorded(logger, tenant.Value, claim.Value, sub.Id, e);
            }
        }

        foreach (var id in touched)
        {
            // The marker first: a message lost for good (poison) leaves the marker, and the sweep queues the claim again.
            await items.MarkPendingAsync(tenant, id, claim, now, cancellationToken).ConfigureAwait(false);
            await queue.SendMessageAsync(new NotificationMessage(tenant, id, claim).ToJson(), cancellationToken).ConfigureAwait(false);
        }
    }
}
