using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Application.Tenants;

/// <summary>What checking an <c>x-signature</c> header came to.</summary>
public enum SignatureCheck
{
    Valid,
    Missing,
    Malformed,
    OutsideWindow,
    Mismatch,
}

/// <summary>
/// Webhook signatures per API.md: <c>x-signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256 of "&lt;t&gt;.&lt;body&gt;"&gt;</c>,
/// keyed with the UTF-8 bytes of the tenant's signing secret exactly as issued. Several <c>v1</c> values may be sent
/// (signing with an old and a new secret during a rotation); one match is enough. Timestamps more than
/// <see cref="Window"/> away from now (either way) are refused; comparisons are constant-time.
/// </summary>
public static class WebhookSignature
{
    public const string Header = "x-signature";

    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    /// <summary>Checks the header; on <see cref="SignatureCheck.Valid"/>, <paramref name="matched"/> is the matching v1 (lowercase hex).</summary>
    public static SignatureCheck Verify(string? header, ReadOnlySpan<byte> body, string secret, DateTimeOffset now, out long timestamp, out string matched)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        timestamp = 0;
        matched = string.Empty;
        if (string.IsNullOrWhiteSpace(header))
        {
            return SignatureCheck.Missing;
        }

        long? t = null;
        var candidates = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                return SignatureCheck.Malformed;
            }

            var name = part[..eq];
            var value = part[(eq + 1)..];
            if (name == "t" && t is null && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                t = seconds;
            }
            else if (name == "v1" && value.Length == 64 && value.All(Uri.IsHexDigit) && candidates.Count < 4)
            {
                candidates.Add(Convert.FromHexString(value));
            }
        }

        if (t is null || candidates.Count == 0)
        {
            return SignatureCheck.Malformed;
        }

        timestamp = t.Value;
        if (Math.Abs(now.ToUnixTimeSeconds() - t.Value) > (long)Window.TotalSeconds)
        {
            return SignatureCheck.OutsideWindow;
        }

        var expected = Compute(secret, t.Value, body);
        var found = false;
        foreach (var candidate in candidates)
        {
            // No early exit: every candidate is compared, in constant time.
            found |= CryptographicOperations.FixedTimeEquals(candidate, expected);
        }

        if (!found)
        {
            return SignatureCheck.Mismatch;
        }

        matched = Convert.ToHexStringLower(expected);
        return SignatureCheck.Valid;
    }

    /// <summary>HMAC-SHA256 over "&lt;t&gt;.&lt;body&gt;".</summary>
    public static byte[] Compute(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var prefix = Encoding.ASCII.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var payload = new byte[prefix.Length + body.Length];
        prefix.CopyTo(payload, 0);
        body.CopyTo(payload.AsSpan(prefix.Length));
        return HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload);
    }

    /// <summary>The header value a sender would send (used by tests and the docs' example).</summary>
    public static string HeaderValue(string secret, long timestamp, ReadOnlySpan<byte> body) =>
        string.Create(CultureInfo.InvariantCulture, $"t={timestamp},v1={Convert.ToHexStringLower(Compute(secret, timestamp, body))}");
}

/// <summary>
/// Tenants' webhook signing secrets. Stored in the tenant's row (column SigningSecret) of the tenants table, which
/// is encrypted at rest by Azure Storage and readable only by the app's identity; docs/SECURITY.md describes moving
/// them to the Key Vault the Bicep creates. Lookups are cached for <see cref="ApiKeyOptions.CacheSeconds"/>.
/// </summary>
public sealed class TenantSigningSecrets(StorageClients storage, TimeProvider time, IOptions<ApiKeyOptions> options)
{
    public const string SecretPrefix = "whsec_";
    private const string Partition = TenantStore.Partition;
    private readonly TableClient table = storage.Table(StorageNames.TenantsTable);
    private readonly ConcurrentDictionary<TenantId, (string? Secret, DateTimeOffset Expires)> cache = new();

    /// <summary>The tenant's secret, or null when its webhooks are not signed.</summary>
    public async Task<string?> GetAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(tenant, out var cached) && cached.Expires > now)
        {
            return cached.Secret;
        }

        var row = await table.GetEntityOrDefaultAsync(Partition, tenant.Value, ["SigningSecret"], cancellationToken).ConfigureAwait(false);
        var secret = row?.GetString("SigningSecret") is { Length: > 0 } s ? s : null;
        if (options.Value.CacheSeconds > 0)
        {
            cache[tenant] = (secret, now.AddSeconds(options.Value.CacheSeconds));
        }

        return secret;
    }

    /// <summary>Generates a new secret for an existing tenant (shown once) or null when the tenant does not exist.</summary>
    public async Task<string?> RotateAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var secret = SecretPrefix + System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return await SetAsync(tenant, secret, cancellationToken).ConfigureAwait(false) ? secret : null;
    }

    /// <summary>Stops requiring signatures for the tenant. False when the tenant does not exist.</summary>
    public Task<bool> RemoveAsync(TenantId tenant, CancellationToken cancellationToken) => SetAsync(tenant, string.Empty, cancellationToken);

    private async Task<bool> SetAsync(TenantId tenant, string secret, CancellationToken cancellationToken)
    {
        try
        {
            await table.UpdateEntityAsync(new TableEntity(Partition, tenant.Value) { ["SigningSecret"] = secret }, ETag.All, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }

        cache.TryRemove(tenant, out _);
        return true;
    }
}

/// <summary>
/// Replay protection: each valid signature is accepted once. The first use inserts a row (partition = hour of the
/// signature's timestamp and tenant, row = the signature); a second use of the same signature finds the row and
/// is refused. A signature older than the 5-minute window is refused by the timestamp check anyway, so rows older
/// than two hours are useless and <see cref="PurgeAsync"/> deletes them.
/// </summary>
public sealed class SignatureReplayGuard(StorageClients storage)
{
    private readonly TableClient table = storage.Table(StorageNames.WebhookSignaturesTable);

    /// <summary>True the first time this signature is seen; false for a replay.</summary>
    public async Task<bool> TryRecordAsync(TenantId tenant, long timestamp, string signature, CancellationToken cancellationToken)
    {
        var hour = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(timestamp, 0, 253_402_300_799));
        var row = new TableEntity(string.Create(CultureInfo.InvariantCulture, $"{hour:yyyyMMddHH}-{tenant.Value}"), signature) { ["T"] = timestamp };
        try
        {
            await table.AddEntityAsync(row, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 409)
        {
            return false;
        }
    }

    /// <summary>Deletes the rows of hours that ended more than an hour before <paramref name="now"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cutoff = now.UtcDateTime.AddHours(-2).ToString("yyyyMMddHH", CultureInfo.InvariantCulture);
        var deleted = 0;
        await foreach (var row in table.QueryAsync<TableEntity>($"PartitionKey lt {TableFilter.Quote(cutoff)}", select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, cancellationToken).ConfigureAwait(false);
                deleted++;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // Another instance purged it first.
            }
        }

        return deleted;
    }
}
