using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Application.Tenants;

/// <summary>
/// What a key may do: <c>ingest</c> (EHR webhooks, read own claims) or <c>admin</c> (everything for its tenant).
/// <c>Operator</c> is not a tenant key role: it marks the operator endpoints, which take the operator key
/// (setting Operator:ApiKeyHash) instead.
/// </summary>
public enum ApiRole
{
    Ingest,
    Admin,
    Operator,
}

/// <summary>The caller a valid key identifies. <paramref name="KeyId"/> names the key in audit rows; the key itself is never kept.</summary>
public sealed record Caller(TenantId Tenant, ApiRole Role, string KeyId)
{
    public bool CanAdminister => Role == ApiRole.Admin;
}

/// <summary>Settings "ApiKeys".</summary>
public sealed class ApiKeyOptions
{
    public const string Section = "ApiKeys";

    /// <summary>
    /// Seconds a verified key stays cached in one instance. A revocation takes effect at once on the instance that
    /// revoked it and within this many seconds everywhere else (docs/SECURITY.md).
    /// </summary>
    [Range(0, 300)]
    public int CacheSeconds { get; set; } = 30;
}

/// <summary>A key as the operator sees it: never the secret.</summary>
public sealed record ApiKeyInfo(string KeyId, ApiRole Role, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
{
    public bool Active => RevokedAt is null;
}

/// <summary>A newly issued key: <paramref name="Key"/> is shown this once and stored nowhere.</summary>
public sealed record IssuedApiKey(ApiKeyInfo Info, string Key);

/// <summary>What issuing a key came to.</summary>
public abstract record IssueKeyResult
{
    public sealed record Issued(IssuedApiKey Key) : IssueKeyResult;

    /// <summary>The role already has <see cref="ApiKeyStore.MaxActiveKeysPerRole"/> active keys: revoke one first.</summary>
    public sealed record TooManyActiveKeys(ApiRole Role) : IssueKeyResult;
}

/// <summary>
/// Tenant API keys, stored as salted hashes (table "apikeys").
/// <para>
/// Issued keys look like <c>cf_&lt;keyId&gt;_&lt;secret&gt;</c>: 16 hex digits of key id, then 32 random bytes
/// (base64url). The lookup row (partition "key", row = key id) holds the tenant, role, a per-key random salt and
/// PBKDF2-HMAC-SHA256(secret, salt); a presented key is one point read plus a constant-time compare. Keys that are
/// not in that format (the Dev:* seeded keys and test keys, arbitrary strings) are looked up by a 64-bit SHA-256
/// prefix ("legacy-…" rows) and verified the same way with more PBKDF2 iterations, because they may be guessable.
/// </para>
/// <para>
/// Each tenant partition ("tenant-{id}") holds one history row per key ("key-{keyId}") and the active slots
/// ("slot-{role}-1", "slot-{role}-2"): issuing a key inserts a free slot and its history row in one transaction,
/// so at most two keys per role are active however many operators issue at once; revoking frees the slot.
/// </para>
/// </summary>
public sealed class ApiKeyStore(StorageClients storage, TimeProvider time, IOptions<ApiKeyOptions> options)
{
    public const int MaxActiveKeysPerRole = 2;
    public const string Prefix = "cf_";
    private const string LookupPartition = "key";
    private const string LegacyPrefix = "legacy-";

    // Issued secrets carry 256 random bits: one PBKDF2 round (an HMAC-SHA256 with the salt) is as strong as many and
    // keeps a flood of wrong secrets cheap. Free-form keys may be weak, so they get the slow setting.
    private const int IssuedIterations = 1;
    private const int FreeFormIterations = 100_000;

    private readonly TableClient table = storage.Table(StorageNames.ApiKeysTable);
    private readonly ConcurrentDictionary<string, CachedCaller> cache = new(StringComparer.Ordinal);

    /// <summary>The lookup row key for a presented key, or null when it cannot be one of ours.</summary>
    public static string? LookupRowKey(string presentedKey)
    {
        ArgumentNullException.ThrowIfNull(presentedKey);
        if (TryParseIssued(presentedKey, out var keyId, out _))
        {
            return keyId;
        }

        return LegacyPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)))[..16];
    }

    /// <summary>The caller for a presented key, or null when the key is unknown, wrong or revoked.</summary>
    public async Task<Caller?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presentedKey) || presentedKey.Length > 512)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var cacheKey = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presentedKey)));
        if (cache.TryGetValue(cacheKey, out var cached) && cached.Expires > now)
        {
            return cached.Caller;
        }

        var rowKey = LookupRowKey(presentedKey)!;
        var entity = await table.GetEntityOrDefaultAsync(LookupPartition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (entity is null
            || entity.GetDateTimeOffset("RevokedAt") is not null
            || !Matches(entity, presentedKey)
            || !TenantId.TryParse(entity.GetString("TenantId"), out var tenant)
            || !Enum.TryParse<ApiRole>(entity.GetString("Role"), ignoreCase: false, out var role)
            || role == ApiRole.Operator)
        {
            return null;
        }

        var caller = new Caller(tenant, role, entity.GetString("KeyId") ?? rowKey);
        var seconds = options.Value.CacheSeconds;
        if (seconds > 0)
        {
            if (cache.Count > 10_000)
            {
                cache.Clear();
            }

            cache[cacheKey] = new CachedCaller(caller, now.AddSeconds(seconds));
        }

        return caller;
    }

    /// <summary>Issues a new key for the tenant and role (at most two active per role).</summary>
    public async Task<IssueKeyResult> IssueAsync(TenantId tenant, ApiRole role, string name, CancellationToken cancellationToken)
    {
        RequireTenantRole(role);
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var key = Prefix + keyId + "_" + secret;
        var info = await AddAsync(tenant, role, keyId, keyId, secret, name, IssuedIterations, cancellationToken).ConfigureAwait(false);
        return info is null ? new IssueKeyResult.TooManyActiveKeys(role) : new IssueKeyResult.Issued(new IssuedApiKey(info, key));
    }

    /// <summary>
    /// Registers a free-form key under <paramref name="keyId"/> (dev seeding, tests). Idempotent: the same key for
    /// the same tenant and role is left as it is; a different key under the same id replaces (revokes) the old one,
    /// so changing a Dev:* setting rotates the seeded key.
    /// </summary>
    /// <exception cref="InvalidOperationException">The key belongs to another tenant or role, was revoked, or the role has two other active keys.</exception>
    public async Task RegisterAsync(TenantId tenant, ApiRole role, string key, string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        RequireTenantRole(role);
        var rowKey = LookupRowKey(key)!;
        var existing = await table.GetEntityOrDefaultAsync(LookupPartition, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (existing is not null && Matches(existing, key))
        {
            if (existing.GetString("TenantId") != tenant.Value || existing.GetString("Role") != role.ToString())
            {
                throw new InvalidOperationException($"Key {keyId} is already registered to another tenant or role.");
            }

            if (existing.GetDateTimeOffset("RevokedAt") is not null)
            {
                throw new InvalidOperationException($"Key {keyId} was revoked; configure a new key.");
            }

            return;
        }

        if (existing is not null)
        {
            throw new InvalidOperationException($"Key {keyId} collides with another registered key; choose another key.");
        }

        var previous = await table.GetEntityOrDefaultAsync(TenantPartition(tenant), "key-" + keyId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (previous is not null && previous.GetDateTimeOffset("RevokedAt") is null)
        {
            await RevokeAsync(tenant, keyId, cancellationToken).ConfigureAwait(false);
        }

        var secret = TryParseIssued(key, out _, out var issuedSecret) ? issuedSecret : key;
        if (await AddAsync(tenant, role, keyId, rowKey, secret, keyId, FreeFormIterations, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new InvalidOperationException($"Role {role} of tenant {tenant.Value} already has {MaxActiveKeysPerRole} active keys; revoke one first.");
        }
    }

    /// <summary>The tenant's keys, active and revoked (never their secrets).</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>> ListAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var keys = new List<ApiKeyInfo>();
        var filter = TableFilter.And(TableFilter.PartitionEq(TenantPartition(tenant)), TableFilter.RowKeyRange("key-", "key."));
        await foreach (var row in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (ToInfo(row) is { } info)
            {
                keys.Add(info);
            }
        }

        return [.. keys.OrderBy(k => k.CreatedAt)];
    }

    /// <summary>
    /// Revokes a key of the tenant: it stops authenticating at once on this instance and within
    /// <see cref="ApiKeyOptions.CacheSeconds"/> elsewhere, and its role slot is freed. Returns false for a key id the
    /// tenant does not have. Revoking twice is fine.
    /// </summary>
    public async Task<bool> RevokeAsync(TenantId tenant, string keyId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        var partition = TenantPartition(tenant);
        var history = await table.GetEntityOrDefaultAsync(partition, "key-" + keyId, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (history?.GetString("LookupRowKey") is not { } lookupRowKey || ToInfo(history) is not { } info)
        {
            return false;
        }

        var now = time.GetUtcNow();

        // The lookup row first: that is what stops the key working. Then the history, then the slot.
        var lookup = await table.GetEntityOrDefaultAsync(LookupPartition, lookupRowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (lookup is not null && lookup.GetString("TenantId") == tenant.Value && lookup.GetDateTimeOffset("RevokedAt") is null)
        {
            await table.UpdateEntityAsync(new TableEntity(LookupPartition, lookupRowKey) { ["RevokedAt"] = now }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }

        foreach (var entry in cache.Where(e => e.Value.Caller.Tenant == tenant && e.Value.Caller.KeyId == keyId).ToList())
        {
            cache.TryRemove(entry.Key, out _);
        }

        if (history.GetDateTimeOffset("RevokedAt") is null)
        {
            await table.UpdateEntityAsync(new TableEntity(partition, history.RowKey) { ["RevokedAt"] = now }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }

        for (var slot = 1; slot <= MaxActiveKeysPerRole; slot++)
        {
            var slotRow = await table.GetEntityOrDefaultAsync(partition, SlotRowKey(info.Role, slot), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (slotRow?.GetString("KeyId") == keyId && slotRow.GetString("LookupRowKey") == lookupRowKey)
            {
                try
                {
                    await table.DeleteEntityAsync(partition, slotRow.RowKey, slotRow.ETag, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is RequestFailedException { Status: 404 or 412 })
                {
                    // Freed (and maybe reused) meanwhile by another revocation of the same key.
                }
            }
        }

        return true;
    }

    private async Task<ApiKeyInfo?> AddAsync(
        TenantId tenant, ApiRole role, string keyId, string lookupRowKey, string secret, string name, int iterations, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var partition = TenantPartition(tenant);
        var history = new TableEntity(partition, "key-" + keyId)
        {
            ["KeyId"] = keyId,
            ["Role"] = role.ToString(),
            ["Name"] = name,
            ["LookupRowKey"] = lookupRowKey,
            ["CreatedAt"] = now,
        };
        var reserved = false;
        for (var slot = 1; slot <= MaxActiveKeysPerRole && !reserved; slot++)
        {
            var slotRow = new TableEntity(partition, SlotRowKey(role, slot)) { ["KeyId"] = keyId, ["LookupRowKey"] = lookupRowKey, ["CreatedAt"] = now };
            try
            {
                await table.SubmitTransactionAsync(
                    [new(TableTransactionActionType.Add, slotRow), new(TableTransactionActionType.UpsertReplace, history)],
                    cancellationToken).ConfigureAwait(false);
                reserved = true;
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409)
            {
                // Slot taken: try the next one.
            }
        }

        if (!reserved)
        {
            return null;
        }

        var salt = RandomNumberGenerator.GetBytes(16);
        await table.AddEntityAsync(
            new TableEntity(LookupPartition, lookupRowKey)
            {
                ["KeyId"] = keyId,
                ["TenantId"] = tenant.Value,
                ["Role"] = role.ToString(),
                ["Salt"] = Convert.ToBase64String(salt),
                ["Iterations"] = iterations,
                ["Hash"] = Convert.ToBase64String(Derive(secret, salt, iterations)),
                ["CreatedAt"] = now,
            },
            cancellationToken).ConfigureAwait(false);
        return new ApiKeyInfo(keyId, role, name, now, null);
    }

    private static bool Matches(TableEntity entity, string presentedKey)
    {
        if (entity.GetString("Salt") is not { } saltText || entity.GetString("Hash") is not { } hashText || entity.GetInt32("Iterations") is not (> 0 and var iterations))
        {
            return false;
        }

        var secret = TryParseIssued(presentedKey, out _, out var issuedSecret) ? issuedSecret : presentedKey;
        var expected = Convert.FromBase64String(hashText);
        return CryptographicOperations.FixedTimeEquals(Derive(secret, Convert.FromBase64String(saltText), iterations), expected);
    }

    private static byte[] Derive(string secret, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(secret), salt, iterations, HashAlgorithmName.SHA256, 32);

    private static bool TryParseIssued(string key, out string keyId, out string secret)
    {
        keyId = secret = string.Empty;
        if (key.Length < Prefix.Length + 16 + 1 + 32 || !key.StartsWith(Prefix, StringComparison.Ordinal) || key[Prefix.Length + 16] != '_')
        {
            return false;
        }

        var id = key.AsSpan(Prefix.Length, 16);
        foreach (var c in id)
        {
            if (c is not (>= '0' and <= '9' or >= 'a' and <= 'f'))
            {
                return false;
            }
        }

        keyId = id.ToString();
        secret = key[(Prefix.Length + 17)..];
        return true;
    }

    private static ApiKeyInfo? ToInfo(TableEntity row) =>
        row.GetString("KeyId") is { } keyId && Enum.TryParse<ApiRole>(row.GetString("Role"), out var role)
            ? new ApiKeyInfo(keyId, role, row.GetString("Name") ?? keyId, row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.MinValue, row.GetDateTimeOffset("RevokedAt"))
            : null;

    private static void RequireTenantRole(ApiRole role)
    {
        if (role is not (ApiRole.Ingest or ApiRole.Admin))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "Tenant keys are ingest or admin.");
        }
    }

    private static string TenantPartition(TenantId tenant) => "tenant-" + tenant.Value;

    private static string SlotRowKey(ApiRole role, int slot) =>
        "slot-" + role.ToString().ToLowerInvariant() + "-" + slot.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Base64UrlEncode(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private sealed record CachedCaller(Caller Caller, DateTimeOffset Expires);
}
