using System.Collections.Concurrent;
using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Notifications;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Application.Notifications;

/// <summary>
/// One tenant's subscription to claim status notifications (docs/NOTIFICATIONS.md). <see cref="Secret"/> signs every
/// delivery; <see cref="PreviousSecret"/> signs too until <see cref="PreviousSecretExpiresAt"/> (a rotation's overlap).
/// With Key Vault (<see cref="KeyVaultSubscriptionSecrets"/>) the row keeps only the secrets' versions, and the values
/// are there only after <see cref="SubscriptionStore.GetWithSecretsAsync"/> (or when just made).
/// </summary>
public sealed record Subscription
{
    public required TenantId Tenant { get; init; }

    public required string Id { get; init; }

    public required Uri Url { get; init; }

    public required IReadOnlyList<ClaimEvent> Events { get; init; }

    /// <summary>Only claims whose Claim.identifier system is this URI; null = every claim.</summary>
    public string? SourceSystem { get; init; }

    public string? Description { get; init; }

    /// <summary>False when an admin switched it off or it was switched off after failing for a day.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The current secret's value; null when read without secrets from a row that keeps only its version.</summary>
    public string? Secret { get; init; }

    public string? PreviousSecret { get; init; }

    /// <summary>The Key Vault version of <see cref="Secret"/>; null when kept in the row (locally) or not stored yet.</summary>
    public string? SecretVersion { get; init; }

    /// <summary>The Key Vault version of <see cref="PreviousSecret"/>.</summary>
    public string? PreviousSecretVersion { get; init; }

    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }

    public long Version { get; init; } = 1;

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Since when deliveries have failed with no success after; null while healthy.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    public DateTimeOffset? DisabledAt { get; init; }

    /// <summary><c>admin</c> or <c>failing</c>.</summary>
    public string? DisabledReason { get; init; }

    public ETag ETag { get; init; }

    /// <summary>The secrets that sign a delivery at <paramref name="now"/>: the current one, and the previous one during the overlap.</summary>
    public IReadOnlyList<string> SigningSecrets(DateTimeOffset now)
    {
        var secret = Secret is { Length: > 0 } s ? s : throw new InvalidOperationException($"Subscription {Id} was read without its secrets.");
        return PreviousSecret is { Length: > 0 } previous && PreviousSecretExpiresAt is { } until && now < until ? [secret, previous] : [secret];
    }

    public bool Wants(ClaimEvent @event) => Enabled && Events.Contains(@event);
}

/// <summary>
/// The subscriptions table (partition = tenant, row = subscription id). The signing secrets go through
/// <see cref="ISubscriptionSecrets"/>: in Azure one Key Vault secret per subscription and only its versions in the row;
/// locally columns of the row (docs/NOTIFICATIONS.md "Secrets").
/// The pipeline's recorder reads a tenant's list through a short cache (<see cref="NotificationOptions.CacheSeconds"/>).
/// </summary>
public sealed class SubscriptionStore(StorageClients storage, ISubscriptionSecrets secrets, TimeProvider time, IOptions<NotificationOptions> options)
{
    private readonly TableClient table = storage.Table(StorageNames.SubscriptionsTable);
    private readonly ConcurrentDictionary<TenantId, (IReadOnlyList<Subscription> List, DateTimeOffset Expires)> cache = new();

    public static string NewId() => "sub" + Guid.NewGuid().ToString("N")[..20];

    public static bool IsId(string? id) => id is { Length: > 3 and <= 40 } && id.StartsWith("sub", StringComparison.Ordinal) && id.All(char.IsAsciiLetterOrDigit);

    public async Task<Subscription?> GetAsync(TenantId tenant, string id, CancellationToken cancellationToken)
    {
        if (!IsId(id))
        {
            return null;
        }

        var row = await table.GetEntityOrDefaultAsync(tenant.Value, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : FromEntity(tenant, row);
    }

    /// <summary>The subscription with its signing secrets' values (what a delivery needs; from Key Vault in Azure).</summary>
    public async Task<Subscription?> GetWithSecretsAsync(TenantId tenant, string id, CancellationToken cancellationToken)
    {
        var subscription = await GetAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        return subscription is null ? null : await secrets.LoadAsync(subscription, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<Subscription>> ListAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var list = new List<Subscription>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableFilter.PartitionEq(tenant.Value), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(FromEntity(tenant, row));
        }

        return list;
    }

    /// <summary>The tenant's subscriptions, cached for <see cref="NotificationOptions.CacheSeconds"/> (what the pipeline reads).</summary>
    public async Task<IReadOnlyList<Subscription>> ListCachedAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(tenant, out var cached) && cached.Expires > now)
        {
            return cached.List;
        }

        var list = await ListAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (options.Value.CacheSeconds > 0)
        {
            cache[tenant] = (list, now.AddSeconds(options.Value.CacheSeconds));
        }

        return list;
    }

    /// <summary>Adds a new subscription; false when the id is taken.</summary>
    public async Task<bool> TryAddAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var stored = await secrets.StoreAsync(subscription, cancellationToken).ConfigureAwait(false);
        try
        {
            await table.AddEntityAsync(ToEntity(stored), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }

        cache.TryRemove(subscription.Tenant, out _);
        return true;
    }

    /// <summary>Replaces the row if it is still as read (<see cref="Subscription.ETag"/>); null when it changed or is gone.</summary>
    public async Task<Subscription?> TryReplaceAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var stored = await secrets.StoreAsync(subscription, cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await table.UpdateEntityAsync(ToEntity(stored), stored.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            cache.TryRemove(subscription.Tenant, out _);
            return stored with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(TenantId tenant, string id, CancellationToken cancellationToken)
    {
        if (!IsId(id))
        {
            return false;
        }

        try
        {
            await table.DeleteEntityAsync(tenant.Value, id, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }

        cache.TryRemove(tenant, out _);
        await secrets.DeleteAsync(tenant, id, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Records the outcome of a delivery on the subscription's health (no version change).
    /// Returns the subscription as written.</summary>
    public async Task<Subscription?> RecordHealthAsync(Subscription subscription, bool succeeded, DateTimeOffset now, TimeSpan disableAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        Subscription changed;
        if (succeeded)
        {
            if (subscription.FailingSince is null)
            {
                return subscription;
            }

            changed = subscription with { FailingSince = null };
        }
        else if (subscription.FailingSince is null)
        {
            changed = subscription with { FailingSince = now };
        }
        else if (subscription.Enabled && DeliveryPolicy.ShouldDisable(subscription.FailingSince, now, disableAfter))
        {
            changed = subscription with { Enabled = false, DisabledAt = now, DisabledReason = "failing" };
        }
        else
        {
            return subscription;
        }

        // Replace, not Merge: a Merge cannot clear a column (null values are not sent). A row from before Key Vault
        // was configured has its secrets moved into the vault here.
        changed = await secrets.StoreAsync(changed, cancellationToken).ConfigureAwait(false);
        var entity = ToEntity(changed);
        try
        {
            var response = await table.UpdateEntityAsync(entity, subscription.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            cache.TryRemove(subscription.Tenant, out _);
            return changed with { ETag = response.Headers.ETag ?? default };
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Edited or deleted meanwhile: the next delivery reads it again.
            return null;
        }
    }

    private TableEntity ToEntity(Subscription s) => new(s.Tenant.Value, s.Id)
    {
        ["Url"] = s.Url.AbsoluteUri,
        ["Events"] = string.Join(',', s.Events),
        ["SourceSystem"] = s.SourceSystem,
        ["Description"] = s.Description,
        ["Enabled"] = s.Enabled,
        ["Secret"] = secrets.InRow ? s.Secret : null,
        ["PreviousSecret"] = secrets.InRow ? s.PreviousSecret : null,
        ["SecretVersion"] = s.SecretVersion,
        ["PreviousSecretVersion"] = s.PreviousSecretVersion,
        ["PreviousSecretExpiresAt"] = s.PreviousSecretExpiresAt,
        ["Version"] = s.Version,
        ["CreatedAt"] = s.CreatedAt,
        ["UpdatedAt"] = s.UpdatedAt,
        ["FailingSince"] = s.FailingSince,
        ["DisabledAt"] = s.DisabledAt,
        ["DisabledReason"] = s.DisabledReason,
    };

    private static Subscription FromEntity(TenantId tenant, TableEntity e) => new()
    {
        Tenant = tenant,
        Id = e.RowKey,
        Url = new Uri(e.GetString("Url")!, UriKind.Absolute),
        Events = [.. (e.GetString("Events") ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(n => NotificationEvents.TryParse(n, out var v) ? (ClaimEvent?)v : null).OfType<ClaimEvent>()],
        SourceSystem = e.GetString("SourceSystem"),
        Description = e.GetString("Description"),
        Enabled = e.GetBoolean("Enabled") ?? true,
        Secret = e.GetString("Secret"),
        PreviousSecret = e.GetString("PreviousSecret"),
        SecretVersion = e.GetString("SecretVersion"),
        PreviousSecretVersion = e.GetString("PreviousSecretVersion"),
        PreviousSecretExpiresAt = e.GetDateTimeOffset("PreviousSecretExpiresAt"),
        Version = e.GetInt64("Version") ?? 1,
        CreatedAt = e.GetDateTimeOffset("CreatedAt") ?? default,
        UpdatedAt = e.GetDateTimeOffset("UpdatedAt") ?? default,
        FailingSince = e.GetDateTimeOffset("FailingSince"),
        DisabledAt = e.GetDateTimeOffset("DisabledAt"),
        DisabledReason = e.GetString("DisabledReason"),
        ETag = e.ETag,
    };

    public static string VersionText(long version) => version.ToString(CultureInfo.InvariantCulture);
}
