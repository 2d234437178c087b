using Claims.Application.Audit;
using Claims.Core.Claims;

namespace Claims.Application.Tenants;

/// <summary>
/// The operator's work on tenants: create a tenant, issue, list and revoke its keys, rotate or remove its webhook
/// signing secret. Every change is written to the tenant's execution log (actor <see cref="Actor"/>; the secrets
/// themselves never are).
/// </summary>
public sealed class TenantAdminHandler(
    TenantStore tenants,
    ApiKeyStore keys,
    TenantSigningSecrets signing,
    AuditLog audit,
    TimeProvider time)
{
    public const string Actor = "operator";

    /// <summary>Creates the tenant; true when it is new, false when it existed (its settings are kept).</summary>
    public async Task<bool> CreateTenantAsync(TenantId tenant, string displayName, CancellationToken cancellationToken)
    {
        if (await tenants.GetAsync(tenant, cancellationToken).ConfigureAwait(false) is not null)
        {
            return false;
        }

        await tenants.EnsureAsync(tenant, displayName, cancellationToken).ConfigureAwait(false);
        await AuditAsync(tenant, "tenant.created", "tenant created", "tenant", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Issues a key, or null when the tenant does not exist.</summary>
    public async Task<IssueKeyResult?> IssueKeyAsync(TenantId tenant, ApiRole role, string name, CancellationToken cancellationToken)
    {
        if (await tenants.GetAsync(tenant, cancellationToken).ConfigureAwait(false) is null)
        {
            return null;
        }

        var result = await keys.IssueAsync(tenant, role, name, cancellationToken).ConfigureAwait(false);
        if (result is IssueKeyResult.Issued issued)
        {
            var info = issued.Key.Info;
            await AuditAsync(tenant, "key.issued", $"key {info.KeyId} role {info.Role}", "key-" + info.KeyId, cancellationToken).ConfigureAwait(false);
        }

        return result;
    }

    /// <summary>The tenant's keys, or null when the tenant does not exist.</summary>
    public async Task<IReadOnlyList<ApiKeyInfo>?> ListKeysAsync(TenantId tenant, CancellationToken cancellationToken) =>
        await tenants.GetAsync(tenant, cancellationToken).ConfigureAwait(false) is null
            ? null
            : await keys.ListAsync(tenant, cancellationToken).ConfigureAwait(false);

    /// <summary>Revokes a key; false when the tenant has no such key.</summary>
    public async Task<bool> RevokeKeyAsync(TenantId tenant, string keyId, CancellationToken cancellationToken)
    {
        if (!await keys.RevokeAsync(tenant, keyId, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await AuditAsync(tenant, "key.revoked", $"key {keyId}", "revoke-" + keyId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>A new signing secret (shown once), or null when the tenant does not exist.</summary>
    public async Task<string?> RotateSigningSecretAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var secret = await signing.RotateAsync(tenant, cancellationToken).ConfigureAwait(false);
        if (secret is not null)
        {
            await AuditAsync(tenant, "signing-secret.rotated", "webhook signing secret replaced", "signing", cancellationToken).ConfigureAwait(false);
        }

        return secret;
    }

    /// <summary>Stops requiring signed webhooks; false when the tenant does not exist.</summary>
    public async Task<bool> RemoveSigningSecretAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        if (!await signing.RemoveAsync(tenant, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await AuditAsync(tenant, "signing-secret.removed", "webhook signing turned off", "signing-off", cancellationToken).ConfigureAwait(false);
        return true;
    }

    private Task AuditAsync(TenantId tenant, string action, string details, string key, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return audit.AppendAsync(
            new AuditEntry(tenant, now, Actor, null, action, AuditResults.Success, details),
            $"{key}-{Guid.NewGuid():N}",
            cancellationToken);
    }
}
