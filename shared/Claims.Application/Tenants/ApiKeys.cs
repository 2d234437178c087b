using System.Security.Cryptography;
using System.Text;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage.Rest;

namespace Claims.Application.Tenants;

/// <summary>What a key may do: <c>ingest</c> (EHR webhooks, read own claims) or <c>admin</c> (everything for its tenant).</summary>
public enum ApiRole
{
    Ingest,
    Admin,
}

/// <summary>The caller a valid key identifies. <paramref name="KeyId"/> names the key in audit rows; the key itself is never kept.</summary>
public sealed record Caller(TenantId Tenant, ApiRole Role, string KeyId)
{
    public bool CanAdminister => Role == ApiRole.Admin;
}

/// <summary>
/// API keys, stored only as SHA-256 hashes (row key = hash, so a lookup is one point read). Keys are high-entropy
/// random strings, which is what makes an unsalted fast hash adequate here; the salted-hash scheme and
/// rotation tooling belong to the security work (docs/SECURITY.md).
/// </summary>
public sealed class ApiKeyStore(StorageClients storage, TimeProvider time)
{
    private const string Partition = "key";
    private readonly TableClient table = storage.Table(StorageNames.ApiKeysTable);

    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <summary>The caller for a presented key, or null when the key is unknown or revoked.</summary>
    public async Task<Caller?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presentedKey) || presentedKey.Length > 512)
        {
            return null;
        }

        var entity = await table.GetEntityAsync(Partition, Hash(presentedKey), ct: cancellationToken).ConfigureAwait(false);
        if (entity is null || entity.GetDateTimeOffset("RevokedAt") is not null)
        {
            return null;
        }

        return TenantId.TryParse(entity.GetString("TenantId"), out var tenant)
            && Enum.TryParse<ApiRole>(entity.GetString("Role"), ignoreCase: true, out var role)
            ? new Caller(tenant, role, entity.GetString("KeyId") ?? "unknown")
            : null;
    }

    /// <summary>Registers a key (idempotent: the same key for the same tenant and role is left as it is).</summary>
    public async Task RegisterAsync(TenantId tenant, ApiRole role, string key, string keyId, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(Partition, Hash(key))
        {
            ["TenantId"] = tenant.Value,
            ["Role"] = role.ToString(),
            ["KeyId"] = keyId,
            ["CreatedAt"] = time.GetUtcNow(),
        };
        try
        {
            await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (EntityAlreadyExistsException)
        {
            var existing = await table.GetEntityAsync(Partition, entity.RowKey, ct: cancellationToken).ConfigureAwait(false);
            if (existing?.GetString("TenantId") != tenant.Value || existing.GetString("Role") != role.ToString())
            {
                throw new InvalidOperationException($"Key {keyId} is already registered to another tenant or role.");
            }
        }
    }
}
