using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Azure;
using Azure.Security.KeyVault.Secrets;
using Claims.Core.Claims;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application.Notifications;

/// <summary>
/// Where the subscriptions' signing secrets are kept (docs/NOTIFICATIONS.md "Secrets"). <see cref="SubscriptionStore"/>
/// calls it around every row it writes or reads for signing: <see cref="StoreAsync"/> before a write (a secret that is
/// not stored yet is stored, and the subscription comes back with what its row must reference), <see cref="LoadAsync"/>
/// when a delivery needs the secrets, <see cref="DeleteAsync"/> after the row is deleted. Key Vault in Azure
/// (<see cref="KeyVaultSubscriptionSecrets"/>, when <c>KeyVault:VaultUri</c> is set); the row's columns locally
/// (<see cref="TableSubscriptionSecrets"/>).
/// </summary>
public interface ISubscriptionSecrets
{
    /// <summary>True when the secret values are columns of the subscription's row (no Key Vault).</summary>
    bool InRow { get; }

    Task<Subscription> StoreAsync(Subscription subscription, CancellationToken cancellationToken);

    Task<Subscription> LoadAsync(Subscription subscription, CancellationToken cancellationToken);

    Task DeleteAsync(TenantId tenant, string subscriptionId, CancellationToken cancellationToken);
}

/// <summary>Local runs (no Key Vault): the secrets are the <c>Secret</c> / <c>PreviousSecret</c> columns of the row, so
/// they are written, read and deleted with it and there is nothing else to do here.</summary>
public sealed class TableSubscriptionSecrets : ISubscriptionSecrets
{
    public bool InRow => true;

    public Task<Subscription> StoreAsync(Subscription subscription, CancellationToken cancellationToken) => Task.FromResult(subscription);

    public Task<Subscription> LoadAsync(Subscription subscription, CancellationToken cancellationToken) => Task.FromResult(subscription);

    public Task DeleteAsync(TenantId tenant, string subscriptionId, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>
/// Azure: one Key Vault secret per subscription, <see cref="SecretName"/>; each secret the subscription ever had is a
/// version of it. The row keeps only the versions (<see cref="Subscription.SecretVersion"/>,
/// <see cref="Subscription.PreviousSecretVersion"/>), so during a rotation's overlap both values are read by version.
/// Values are cached for <see cref="NotificationOptions.SecretCacheDuration"/> (a version never changes). A row written
/// before Key Vault was configured (values in columns, no version) is moved into the vault on its next write. Needs
/// Key Vault Secrets Officer on the vault for the app's identity (set, get, delete). Never logs a value.
/// </summary>
public sealed partial class KeyVaultSubscriptionSecrets(
    SecretClient client, TimeProvider time, IOptions<NotificationOptions> options, ILogger<KeyVaultSubscriptionSecrets> logger) : ISubscriptionSecrets
{
    private readonly ConcurrentDictionary<(string Name, string Version), (string Value, DateTimeOffset Expires)> cache = new();

    public bool InRow => false;

    /// <summary>
    /// <c>subscription-{tenant}-{id}-{hash}</c>: tenant ids are <c>[A-Za-z0-9-]{1,64}</c> and subscription ids
    /// <c>sub</c> + up to 37 letters or digits, so the name is letters, digits and dashes, at most 127 characters (Key
    /// Vault's limits). Key Vault names ignore case and ours do not: the 8 hex digits of SHA-256 over the exact
    /// <c>{tenant}/{id}</c> keep two tenants that differ only in case apart.
    /// </summary>
    public static string SecretName(TenantId tenant, string subscriptionId)
    {
        if (!SubscriptionStore.IsId(subscriptionId) || tenant.Value is null)
        {
            throw new ArgumentException("Not a subscription id.", nameof(subscriptionId));
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tenant.Value + "/" + subscriptionId)))[..8];
        var name = "subscription-" + tenant.Value + "-" + subscriptionId + "-" + hash;
        return VaultName().IsMatch(name) ? name : throw new ArgumentException($"'{name}' is not a valid Key Vault secret name.", nameof(subscriptionId));
    }

    public async Task<Subscription> StoreAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var name = SecretName(subscription.Tenant, subscription.Id);
        var stored = subscription;

        // The previous one first: each value becomes a version, and which is which is kept by the row, not by order.
        if (stored.PreviousSecret is { Length: > 0 } previous && stored.PreviousSecretVersion is null)
        {
            stored = stored with { PreviousSecretVersion = await SetAsync(name, stored, previous, cancellationToken).ConfigureAwait(false) };
        }

        if (stored.Secret is { Length: > 0 } secret && stored.SecretVersion is null)
        {
            stored = stored with { SecretVersion = await SetAsync(name, stored, secret, cancellationToken).ConfigureAwait(false) };
        }

        return stored;
    }

    public async Task<Subscription> LoadAsync(Subscription subscription, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var name = SecretName(subscription.Tenant, subscription.Id);
        var now = time.GetUtcNow();
        var secret = subscription.Secret
            ?? (subscription.SecretVersion is { } version ? await GetAsync(name, version, now, cancellationToken).ConfigureAwait(false) : null);

        // The previous secret only while it still signs.
        var previous = subscription.PreviousSecret
            ?? (subscription.PreviousSecretVersion is { } previousVersion && subscription.PreviousSecretExpiresAt is { } until && now < until
                ? await GetAsync(name, previousVersion, now, cancellationToken).ConfigureAwait(false)
                : null);
        return subscription with { Secret = secret, PreviousSecret = previous };
    }

    public async Task DeleteAsync(TenantId tenant, string subscriptionId, CancellationToken cancellationToken)
    {
        var name = SecretName(tenant, subscriptionId);
        foreach (var key in cache.Keys.Where(k => k.Name == name))
        {
            cache.TryRemove(key, out _);
        }

        try
        {
            // Soft delete (the vault has purge protection): the name is never used again, ids are random.
            _ = await client.StartDeleteSecretAsync(name, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            // Never stored (created and deleted before a write reached the vault), or deleted already.
        }
        catch (RequestFailedException ex)
        {
            // The row is gone already; the secret stays in the vault until someone deletes it (the name says whose it is).
            Logs.SubscriptionSecretsDeleteFailed(logger, tenant.Value, subscriptionId, name, ex.Status);
        }
    }

    private async Task<string> SetAsync(string name, Subscription subscription, string value, CancellationToken cancellationToken)
    {
        var secret = new KeyVaultSecret(name, value);
        secret.Properties.ContentType = "text/plain; whsec";
        secret.Properties.Tags["tenant"] = subscription.Tenant.Value;
        secret.Properties.Tags["subscription"] = subscription.Id;
        var response = await client.SetSecretAsync(secret, cancellationToken).ConfigureAwait(false);
        var version = response.Value.Properties.Version;
        cache[(name, version)] = (value, time.GetUtcNow() + options.Value.SecretCacheDuration);
        Logs.SubscriptionSecretsStored(logger, subscription.Tenant.Value, subscription.Id, name, version);
        return version;
    }

    private async Task<string> GetAsync(string name, string version, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue((name, version), out var cached) && cached.Expires > now)
        {
            return cached.Value;
        }

        var response = await client.GetSecretAsync(name, version, cancellationToken).ConfigureAwait(false);
        var value = response.Value.Value;
        if (options.Value.SecretCacheDuration > TimeSpan.Zero)
        {
            cache[(name, version)] = (value, now + options.Value.SecretCacheDuration);
        }

        return value;
    }

    [GeneratedRegex("^[0-9A-Za-z-]{1,127}$")]
    private static partial Regex VaultName();
}
