using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Application.Audit;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Notifications;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.Notifications;

/// <summary>What a subscription write came to.</summary>
public abstract record SubscriptionResult
{
    private SubscriptionResult()
    {
    }

    /// <summary>Saved; <paramref name="Secret"/> is set on create and rotate only (shown once).</summary>
    public sealed record Saved(Subscription Subscription, string? Secret = null) : SubscriptionResult;

    public sealed record NotFound : SubscriptionResult;

    /// <summary>If-Match names a version that is not current: HTTP 412.</summary>
    public sealed record Stale(long CurrentVersion) : SubscriptionResult;

    /// <summary>Not a JSON object: HTTP 400.</summary>
    public sealed record Malformed(OperationOutcome Outcome) : SubscriptionResult;

    /// <summary>Every problem of the document: HTTP 422.</summary>
    public sealed record Invalid(OperationOutcome Outcome) : SubscriptionResult;
}

/// <summary>
/// The admin API of notification subscriptions (/subscriptions): create, list, get, replace (If-Match), delete,
/// rotate the signing secret, and send a delivery again. Every write is audited (<c>notifications.subscription.*</c>)
/// with the key id; secrets are never audited or logged.
/// </summary>
public sealed partial class SubscriptionAdminHandler(
    SubscriptionStore store,
    NotificationItems items,
    NotificationDelivery delivery,
    AuditLog audit,
    TimeProvider time,
    IOptions<NotificationOptions> options,
    ILogger<SubscriptionAdminHandler> logger)
{
    private static readonly string[] Known = ["url", "events", "sourceSystem", "description", "enabled"];

    /// <summary>What a document names, once valid.</summary>
    private sealed record Draft(Uri Url, IReadOnlyList<ClaimEvent> Events, string? SourceSystem, string? Description, bool Enabled);

    public Task<Subscription?> GetAsync(TenantId tenant, string id, CancellationToken cancellationToken) => store.GetAsync(tenant, id, cancellationToken);

    public Task<IReadOnlyList<Subscription>> ListAsync(TenantId tenant, CancellationToken cancellationToken) => store.ListAsync(tenant, cancellationToken);

    public async Task<SubscriptionResult> CreateAsync(TenantId tenant, ReadOnlyMemory<byte> body, string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var (draft, problem) = await ReadAsync(body, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var existing = await store.ListAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (existing.Count >= options.Value.MaxSubscriptions)
        {
            return new SubscriptionResult.Invalid(OperationOutcome.Single("business-rule", $"A tenant may have at most {options.Value.MaxSubscriptions} subscriptions."));
        }

        var now = time.GetUtcNow();
        var secret = StandardWebhook.NewSecret();
        var subscription = new Subscription
        {
            Tenant = tenant,
            Id = SubscriptionStore.NewId(),
            Url = draft!.Url,
            Events = draft.Events,
            SourceSystem = draft.SourceSystem,
            Description = draft.Description,
            Enabled = draft.Enabled,
            Secret = secret,
            Version = 1,
            CreatedAt = now,
            UpdatedAt = now,
            DisabledAt = draft.Enabled ? null : now,
            DisabledReason = draft.Enabled ? null : "admin",
        };
        if (!await store.TryAddAsync(subscription, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A new subscription id was already taken.");
        }

        await AuditAsync(subscription, keyId, "created", now, cancellationToken).ConfigureAwait(false);
        Logs.SubscriptionAdminHandlerWritten(logger, tenant.Value, subscription.Id, "created", keyId);
        return new SubscriptionResult.Saved((await store.GetAsync(tenant, subscription.Id, cancellationToken).ConfigureAwait(false))!, secret);
    }

    public async Task<SubscriptionResult> ReplaceAsync(
        TenantId tenant, string id, IReadOnlyCollection<string> expectedVersions, ReadOnlyMemory<byte> body, string keyId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(expectedVersions);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        var current = await store.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return new SubscriptionResult.NotFound();
        }

        if (!expectedVersions.Contains("*") && !expectedVersions.Contains(SubscriptionStore.VersionText(current.Version)))
        {
            return new SubscriptionResult.Stale(current.Version);
        }

        var (draft, problem) = await ReadAsync(body, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var reenabled = draft!.Enabled && !current.Enabled;
        var changed = current with
        {
            Url = draft.Url,
            Events = draft.Events,
            SourceSystem = draft.SourceSystem,
            Description = draft.Description,
            Enabled = draft.Enabled,
            DisabledAt = draft.Enabled ? null : current.DisabledAt ?? now,
            DisabledReason = draft.Enabled ? null : current.Enabled ? "admin" : current.DisabledReason,
            FailingSince = reenabled ? null : current.FailingSince,
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        var saved = await store.TryReplaceAsync(changed, cancellationToken).ConfigureAwait(false);
        if (saved is null)
        {
            var fresh = await store.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
            return fresh is null ? new SubscriptionResult.NotFound() : new SubscriptionResult.Stale(fresh.Version);
        }

        await AuditAsync(saved, keyId, reenabled ? "enabled" : "updated", now, cancellationToken).ConfigureAwait(false);
        Logs.SubscriptionAdminHandlerWritten(logger, tenant.Value, id, reenabled ? "enabled" : "updated", keyId);
        if (reenabled)
        {
            await delivery.QueuePendingAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        }

        return new SubscriptionResult.Saved(saved);
    }

    public async Task<bool> DeleteAsync(TenantId tenant, string id, string keyId, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        if (current is null || !await store.DeleteAsync(tenant, id, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await AuditAsync(current, keyId, "deleted", time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        Logs.SubscriptionAdminHandlerWritten(logger, tenant.Value, id, "deleted", keyId);
        return true;
    }

    /// <summary>A new secret (shown once); the previous one keeps signing for <paramref name="overlap"/> (default
    /// <see cref="NotificationOptions.SecretOverlap"/>; zero = at once replaced).</summary>
    public async Task<SubscriptionResult> RotateSecretAsync(TenantId tenant, string id, TimeSpan? overlap, string keyId, CancellationToken cancellationToken)
    {
        var current = await store.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        if (current is null)
        {
            return new SubscriptionResult.NotFound();
        }

        var keep = overlap ?? options.Value.SecretOverlap;
        if (keep < TimeSpan.Zero || keep > TimeSpan.FromDays(7))
        {
            return new SubscriptionResult.Invalid(OperationOutcome.Single("value", "'overlapHours' must be 0 to 168.", "overlapHours"));
        }

        var now = time.GetUtcNow();
        var secret = StandardWebhook.NewSecret();
        var changed = current with
        {
            Secret = secret,
            SecretVersion = null,
            PreviousSecret = keep > TimeSpan.Zero ? current.Secret : null,
            PreviousSecretVersion = keep > TimeSpan.Zero ? current.SecretVersion : null,
            PreviousSecretExpiresAt = keep > TimeSpan.Zero ? now + keep : null,
            Version = current.Version + 1,
            UpdatedAt = now,
        };
        var saved = await store.TryReplaceAsync(changed, cancellationToken).ConfigureAwait(false);
        if (saved is null)
        {
            var fresh = await store.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
            return fresh is null ? new SubscriptionResult.NotFound() : new SubscriptionResult.Stale(fresh.Version);
        }

        await AuditAsync(saved, keyId, "secret-rotated", now, cancellationToken).ConfigureAwait(false);
        Logs.SubscriptionAdminHandlerWritten(logger, tenant.Value, id, "secret-rotated", keyId);
        return new SubscriptionResult.Saved(saved, secret);
    }

    /// <summary>Puts one delivery back to pending (attempts and window start again) and queues it; null when unknown.</summary>
    public async Task<NotificationItem?> ResendAsync(TenantId tenant, string id, string deliveryId, string keyId, CancellationToken cancellationToken)
    {
        if (await store.GetAsync(tenant, id, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        for (var attempt = 0; attempt < 5; attempt++)
        {
            var item = await items.GetAsync(tenant, id, deliveryId, cancellationToken).ConfigureAwait(false);
            if (item is null)
            {
                return null;
            }

            var now = time.GetUtcNow();
            var reset = item with { State = NotificationStates.Pending, Attempts = 0, FirstAttemptAt = null, NextAttemptAt = null, LeaseUntil = null, DeliveredAt = null };
            if (await items.TryUpdateAsync(reset, cancellationToken).ConfigureAwait(false) is not { } saved)
            {
                continue;
            }

            await delivery.QueueAsync(new NotificationMessage(tenant, id, item.Claim), cancellationToken).ConfigureAwait(false);
            await audit.AppendAsync(
                new AuditEntry(tenant, now, keyId, item.Claim, "notifications.delivery.resent", "SUCCESS", $"subscription {id} delivery {deliveryId} (was {item.State})"),
                "notification-resend-" + id + "-" + deliveryId + "-" + now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture),
                cancellationToken).ConfigureAwait(false);
            Logs.SubscriptionAdminHandlerWritten(logger, tenant.Value, id, "delivery-resent", keyId);
            return saved;
        }

        throw new InvalidOperationException("The delivery kept changing; try again.");
    }

    /// <summary>The subscription as the API shows it; the secret never (only the create and rotate answers carry it).</summary>
    public static JsonObject ToJson(Subscription s, string? secret = null)
    {
        ArgumentNullException.ThrowIfNull(s);
        var json = new JsonObject
        {
            ["id"] = s.Id,
            ["url"] = s.Url.AbsoluteUri,
            ["events"] = new JsonArray([.. s.Events.Select(e => (JsonNode)JsonValue.Create(e.ToString()))]),
            ["sourceSystem"] = s.SourceSystem,
            ["description"] = s.Description,
            ["enabled"] = s.Enabled,
            ["disabledReason"] = s.DisabledReason,
            ["disabledAt"] = s.DisabledAt,
            ["failingSince"] = s.FailingSince,
            ["previousSecretExpiresAt"] = s.PreviousSecretExpiresAt,
            ["version"] = SubscriptionStore.VersionText(s.Version),
            ["createdAt"] = s.CreatedAt,
            ["updatedAt"] = s.UpdatedAt,
        };
        if (secret is not null)
        {
            json["secret"] = secret;
        }

        return json;
    }

    private async Task<(Draft? Draft, SubscriptionResult? Problem)> ReadAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return (null, new SubscriptionResult.Malformed(OperationOutcome.Single("structure", "The body is not valid JSON.")));
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, new SubscriptionResult.Malformed(OperationOutcome.Single("structure", "The body must be a JSON object (url, events, sourceSystem, description, enabled).")));
            }

            var issues = new List<OutcomeIssue>();
            foreach (var property in root.EnumerateObject().Where(p => !Known.Contains(p.Name, StringComparer.Ordinal)))
            {
                issues.Add(OutcomeIssue.Error("invalid", $"Unknown property '{property.Name}'.", property.Name));
            }

            var url = await ReadUrlAsync(root, issues, cancellationToken).ConfigureAwait(false);
            var events = ReadEvents(root, issues);
            var source = OptionalText(root, "sourceSystem", 512, issues);
            if (source is not null && !Uri.TryCreate(source, UriKind.Absolute, out _))
            {
                issues.Add(OutcomeIssue.Error("value", "'sourceSystem' must be an absolute URI (the system of the EHR's Claim.identifier).", "sourceSystem"));
            }

            var description = OptionalText(root, "description", 200, issues);
            var enabled = true;
            if (root.TryGetProperty("enabled", out var e) && e.ValueKind != JsonValueKind.Null)
            {
                if (e.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    enabled = e.GetBoolean();
                }
                else
                {
                    issues.Add(OutcomeIssue.Error("value", "'enabled' must be true or false.", "enabled"));
                }
            }

            return issues.Count > 0 || url is null || events is null
                ? (null, new SubscriptionResult.Invalid(new OperationOutcome(issues)))
                : (new Draft(url, events, source, description, enabled), null);
        }
    }

    private async Task<Uri?> ReadUrlAsync(JsonElement root, List<OutcomeIssue> issues, CancellationToken cancellationToken)
    {
        if (!root.TryGetProperty("url", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            issues.Add(OutcomeIssue.Error("required", "'url' is required: the https URL notifications are posted to.", "url"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || !Uri.TryCreate(value.GetString(), UriKind.Absolute, out var url)
            || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp) || url.GetLeftPart(UriPartial.Authority).Length == 0
            || value.GetString()!.Length > 2048)
        {
            issues.Add(OutcomeIssue.Error("value", "'url' must be an absolute https URL of at most 2048 characters.", "url"));
            return null;
        }

        if (!string.IsNullOrEmpty(url.UserInfo) || !string.IsNullOrEmpty(url.Fragment))
        {
            issues.Add(OutcomeIssue.Error("value", "'url' may not carry user info or a fragment.", "url"));
            return null;
        }

        var loopback = options.Value.LoopbackAllowed;
        if (!NotificationSender.SchemeAllowed(url, loopback))
        {
            issues.Add(OutcomeIssue.Error("value", loopback
                ? "'url' must be https (http only to a loopback host while running locally)."
                : "'url' must be https.", "url"));
            return null;
        }

        try
        {
            var addresses = await NotificationSender.ResolveAsync(url.IdnHost, cancellationToken).ConfigureAwait(false);
            if (!CallbackAddresses.AreAllowed(addresses, loopback))
            {
                issues.Add(OutcomeIssue.Error("security", "'url' resolves to a private, loopback, link-local or otherwise reserved address; notifications go to public addresses only.", "url"));
                return null;
            }
        }
        catch (SocketException)
        {
            issues.Add(OutcomeIssue.Error("value", "'url''s host does not resolve.", "url"));
            return null;
        }

        return url;
    }

    private static List<ClaimEvent>? ReadEvents(JsonElement root, List<OutcomeIssue> issues)
    {
        var names = string.Join(", ", NotificationEvents.All);
        if (!root.TryGetProperty("events", out var value) || value.ValueKind == JsonValueKind.Null)
        {
            issues.Add(OutcomeIssue.Error("required", $"'events' is required: a non-empty list of {names}.", "events"));
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            issues.Add(OutcomeIssue.Error("value", $"'events' must be a non-empty list of {names}.", "events"));
            return null;
        }

        var events = new List<ClaimEvent>();
        var i = 0;
        var ok = true;
        foreach (var item in value.EnumerateArray())
        {
            var path = string.Create(CultureInfo.InvariantCulture, $"events[{i++}]");
            if (item.ValueKind != JsonValueKind.String || !NotificationEvents.TryParse(item.GetString(), out var e))
            {
                issues.Add(OutcomeIssue.Error("code-invalid", $"'{path}' must be one of {names}.", path));
                ok = false;
                continue;
            }

            if (events.Contains(e))
            {
                issues.Add(OutcomeIssue.Error("value", $"'{path}': {e} is listed twice.", path));
                ok = false;
                continue;
            }

            events.Add(e);
        }

        return ok ? events : null;
    }

    private static string? OptionalText(JsonElement root, string name, int maxLength, List<OutcomeIssue> issues)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()) || value.GetString()!.Length > maxLength)
        {
            issues.Add(OutcomeIssue.Error("value", $"'{name}' must be a non-empty string of at most {maxLength} characters.", name));
            return null;
        }

        return value.GetString();
    }

    private Task AuditAsync(Subscription s, string keyId, string what, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Ids, the URL's host and the events only: never the secret, never the full URL (it may carry a token).
        var details = string.Create(
            CultureInfo.InvariantCulture,
            $"subscription {s.Id} version {s.Version}: host {s.Url.Host}, events {string.Join(',', s.Events)}, source {s.SourceSystem ?? "any"}, {(s.Enabled ? "enabled" : "off")}");
        return audit.AppendAsync(
            new AuditEntry(s.Tenant, now, keyId, null, "notifications.subscription." + what, "SUCCESS", details),
            "subscription-" + s.Id + "-v" + SubscriptionStore.VersionText(s.Version) + "-" + what,
            cancellationToken);
    }
}
