using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Claims.Application.Audit;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Authorizations;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Authorizations;

/// <summary>One status change the sweep made.</summary>
public sealed record AuthorizationStatusChange(string AuthNumber, string From, string To);

/// <summary>One alert the sweep raised (only alerts that were new).</summary>
public sealed record AuthorizationAlertRaised(string AuthNumber, string Kind, string Key);

/// <summary>What one tenant's sweep did: the authorizations it reviewed, the changes, the new alerts, the storage calls.</summary>
public sealed record AuthorizationSweepResult(
    DateOnly Day,
    int Reviewed,
    IReadOnlyList<AuthorizationStatusChange> Changes,
    IReadOnlyList<AuthorizationAlertRaised> Alerts,
    long StorageCalls);

/// <summary>The message on <c>authorizations-sweep</c>: sweep one tenant.</summary>
public sealed record AuthorizationSweepMessage(string Tenant)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, string> { ["tenant"] = Tenant });

    public static AuthorizationSweepMessage? TryParse(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("tenant", out var t)
                && t.GetString() is { } tenant
                && TenantId.TryParse(tenant, out _)
                ? new AuthorizationSweepMessage(tenant)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The authorization sweep (docs/AUTHORIZATIONS.md). <see cref="EnqueueTenantsAsync"/> is what the timer does: one
/// message per tenant on <c>authorizations-sweep</c>, nothing else. <see cref="SweepTenantAsync"/> is what the queue
/// function (and POST /admin/sweeps/authorizations) does: read the tenant's expiry index up to today, review each due
/// authorization (status, alerts, next review day), raise each alert once (the alert key is stable), then save the
/// new status and move the index row with If-Match. A second run, or a second instance at the same time, finds the
/// index row moved (or loses the If-Match and then finds it moved) and changes nothing again.
/// </summary>
public sealed partial class AuthorizationSweeper(
    AuthorizationStore store,
    AlertStore alerts,
    AuditLog audit,
    StorageClients storage,
    TimeProvider time,
    ILogger<AuthorizationSweeper> logger,
    TenantStore tenants)
{
    private const int MaxAttempts = 20;
    private readonly QueueClient queue = storage.Queue(StorageNames.AuthorizationSweepQueue);

    /// <summary>The timer's work: one sweep message per tenant. Returns how many.</summary>
    public async Task<int> EnqueueTenantsAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        await foreach (var (tenant, _) in tenants.ListAsync([], cancellationToken).ConfigureAwait(false))
        {
            await queue.SendMessageAsync(new AuthorizationSweepMessage(tenant.Value).ToJson(), cancellationToken).ConfigureAwait(false);
            count++;
        }

        Logs.AuthorizationSweeperEnqueued(logger, count);
        return count;
    }

    /// <summary>Sweeps one tenant for today (UTC, from the injected clock).</summary>
    public async Task<AuthorizationSweepResult> SweepTenantAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var callsBefore = store.Calls;
        var now = time.GetUtcNow();
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        var work = new Queue<string>(await store.DueAsync(tenant, today, cancellationToken).ConfigureAwait(false));
        var seen = new HashSet<string>(work, StringComparer.Ordinal);
        var forced = new HashSet<string>(StringComparer.Ordinal);
        var changes = new List<AuthorizationStatusChange>();
        var raised = new List<AuthorizationAlertRaised>();
        var reviewed = 0;
        while (work.TryDequeue(out var number))
        {
            var renewedSiblings = await ReviewOneAsync(tenant, number, forced.Contains(number), now, today, changes, raised, cancellationToken).ConfigureAwait(false);
            reviewed++;
            foreach (var sibling in renewedSiblings.Where(seen.Add))
            {
                forced.Add(sibling);
                // A newer authorization started today: the older ones of its series become RENEWED now, not on their
                // own next review day.
                work.Enqueue(sibling);
            }
        }

        var result = new AuthorizationSweepResult(today, reviewed, changes, raised, store.Calls - callsBefore);
        Logs.AuthorizationSweeperSwept(logger, tenant.Value, reviewed, changes.Count, raised.Count);
        return result;
    }

    private async Task<IReadOnlyList<string>> ReviewOneAsync(
        TenantId tenant,
        string number,
        bool renewing,
        DateTimeOffset now,
        DateOnly today,
        List<AuthorizationStatusChange> changes,
        List<AuthorizationAlertRaised> raised,
        CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var current = await store.GetAsync(tenant, number, cancellationToken).ConfigureAwait(false);
            if (current is null)
            {
                return [];
            }

            var siblings = await store.ForPatientAsync(tenant, current.Value.PatientIdentifier, cancellationToken).ConfigureAwait(false);
            var review = AuthorizationReviewer.Review(current.Value, today, siblings, AuthorizationReviewPolicy.Default);
            var renews = siblings
                .Where(s => s.Status is not (Core.Rules.AuthorizationStatuses.Renewed or Core.Rules.AuthorizationStatuses.Expired)
                    && AuthorizationReviewer.IsRenewedBy(s, current.Value, today))
                .Select(s => s.AuthNumber)
                .ToList();
            var scheduled = current.ReviewKey is null ? (DateOnly?)null : AuthorizationUnits.ReviewDay(current.ReviewKey);
            var due = renewing
                ? review.Authorization.Status == Core.Rules.AuthorizationStatuses.Renewed && review.StatusChanged
                : scheduled is not null && scheduled <= today;
            if (!due)
            {
                // Reviewed already (by an earlier run or another instance): nothing to do twice.
                return renews;
            }

            var newAlerts = new List<AuthorizationAlertRaised>();
            foreach (var alert in review.Alerts)
            {
                // Raised before the save: after a crash in between, the next run raises it again and the key keeps one.
                if (await alerts.RaiseAsync(new Alert(tenant, alert.Key, alert.Kind.ToString(), alert.Text, now), cancellationToken).ConfigureAwait(false))
                {
                    newAlerts.Add(new AuthorizationAlertRaised(number, alert.Kind.ToString(), alert.Key));
                }
            }

            var updated = newAlerts.Count > 0 ? review.Authorization with { LastAlertSent = now } : review.Authorization;
            try
            {
                await store.ReplaceAsync(tenant, current, updated, review.NextReview, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex) when (ex.Status == 412)
            {
                // Consumed or reviewed meanwhile: review the fresh row (alerts already raised stay single).
                raised.AddRange(newAlerts);
                continue;
            }

            raised.AddRange(newAlerts);
            if (review.StatusChanged)
            {
                changes.Add(new AuthorizationStatusChange(number, review.PreviousStatus, updated.Status));
                await audit.AppendAsync(
                    new AuditEntry(
                        tenant,
                        now,
                        Actors.Sweep,
                        null,
                        "authorization.status",
                        AuditResults.Success,
                        string.Create(CultureInfo.InvariantCulture, $"authorization {number}; {review.PreviousStatus} -> {updated.Status} on {AuthorizationJson.Date(today)}")),
                    string.Create(CultureInfo.InvariantCulture, $"authorization.status-{number}-{updated.Status}-{updated.ExpirationDate:yyyyMMdd}"),
                    cancellationToken).ConfigureAwait(false);
            }

            return renews;
        }

        throw new InvalidOperationException("Authorization review kept losing concurrent updates.");
    }
}
