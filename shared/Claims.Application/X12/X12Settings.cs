using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Core.X12;
using Claims.Storage;

namespace Claims.Application.X12;

/// <summary>What the submit step sends for a tenant.</summary>
public enum OutboundFormat
{
    /// <summary><c>fhir-bundle</c>: the claim's FHIR document to the <c>outbound</c> container (the default).</summary>
    FhirBundle,

    /// <summary><c>x12-837p</c>: one 837P interchange per claim to the <c>x12-outbound</c> container.</summary>
    X12Professional,

    /// <summary><c>both</c>: the FHIR document and the 837P.</summary>
    Both,
}

/// <summary>The names of <see cref="OutboundFormat"/> as the API and the claim row write them.</summary>
public static class OutboundFormats
{
    public const string FhirBundle = "fhir-bundle";
    public const string X12Professional = "x12-837p";
    public const string Both = "both";

    public static string Name(this OutboundFormat format) => format switch
    {
        OutboundFormat.X12Professional => X12Professional,
        OutboundFormat.Both => Both,
        _ => FhirBundle,
    };

    public static bool TryParse(string? text, out OutboundFormat format)
    {
        (var ok, format) = text switch
        {
            FhirBundle => (true, OutboundFormat.FhirBundle),
            X12Professional => (true, OutboundFormat.X12Professional),
            Both => (true, OutboundFormat.Both),
            _ => (false, OutboundFormat.FhirBundle),
        };
        return ok;
    }

    /// <summary>True when the format sends an 837P.</summary>
    public static bool IncludesX12(this OutboundFormat format) => format is OutboundFormat.X12Professional or OutboundFormat.Both;

    /// <summary>True when the format sends the FHIR document.</summary>
    public static bool IncludesFhir(this OutboundFormat format) => format is OutboundFormat.FhirBundle or OutboundFormat.Both;
}

/// <summary>
/// A tenant's outbound settings: the format, the submitter profile (null until one is saved) and the settings'
/// version (0 before the first save; the ETag of GET/PUT /x12/profile).
/// </summary>
public sealed record TenantOutboundSettings(OutboundFormat Format, SubmitterProfile? Profile, long Version)
{
    public static readonly TenantOutboundSettings Default = new(OutboundFormat.FhirBundle, null, 0);
}

/// <summary>
/// The tenant's outbound settings, kept where the other tenant settings live: columns of the tenant's row in the
/// <see cref="StorageNames.TenantsTable"/> table (<c>OutboundFormat</c>, <c>X12Profile</c> as JSON,
/// <c>OutboundSettingsVersion</c>), written with a merge conditioned on the row's ETag so the other columns are
/// untouched and a concurrent save is never overwritten. Reads are cached per tenant for <see cref="CacheFor"/>
/// (the pipeline reads them per claim); a save on this instance clears its cache entry.
/// </summary>
public sealed class TenantOutboundSettingsStore(StorageClients storage, TimeProvider time)
{
    /// <summary>How long a tenant's settings are reused before they are read again (as TenantPipelinePolicies).</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    private const string Partition = TenantStore.Partition;
    private readonly TableClient table = storage.Table(StorageNames.TenantsTable);
    private readonly ConcurrentDictionary<string, (TenantOutboundSettings Settings, DateTimeOffset ReadAt)> cache = new(StringComparer.Ordinal);

    /// <summary>The tenant's settings (defaults when none were saved), read through the cache.</summary>
    public async Task<TenantOutboundSettings> GetCachedAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (cache.TryGetValue(tenant.Value, out var cached) && now - cached.ReadAt < CacheFor)
        {
            return cached.Settings;
        }

        var (settings, _) = await GetAsync(tenant, cancellationToken).ConfigureAwait(false);
        cache[tenant.Value] = (settings, now);
        return settings;
    }

    /// <summary>The tenant's settings as stored now, and the tenant row's ETag (null when the tenant has no row).</summary>
    public async Task<(TenantOutboundSettings Settings, ETag? RowETag)> GetAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var entity = await table.GetEntityOrDefaultAsync(
            Partition, tenant.Value, ["OutboundFormat", "X12Profile", "OutboundSettingsVersion"], cancellationToken).ConfigureAwait(false);
        if (entity is null)
        {
            return (TenantOutboundSettings.Default, null);
        }

        _ = OutboundFormats.TryParse(entity.GetString("OutboundFormat"), out var format);
        var profileJson = entity.GetString("X12Profile");
        var profile = profileJson is null ? null : JsonSerializer.Deserialize(profileJson, X12SettingsJson.Default.SubmitterProfile);
        return (new TenantOutboundSettings(format, profile, entity.GetInt64("OutboundSettingsVersion") ?? 0), entity.ETag);
    }

    /// <summary>
    /// Saves the format and profile as version <paramref name="current"/>.Version + 1 if the row is still as read
    /// (<paramref name="rowETag"/>; null: the tenant had no row). False when another write came first.
    /// </summary>
    public async Task<TenantOutboundSettings?> TrySaveAsync(
        TenantId tenant, TenantOutboundSettings current, ETag? rowETag, OutboundFormat format, SubmitterProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(profile);
        var saved = new TenantOutboundSettings(format, profile, current.Version + 1);
        var entity = new TableEntity(Partition, tenant.Value)
        {
            ["OutboundFormat"] = format.Name(),
            ["X12Profile"] = JsonSerializer.Serialize(profile, X12SettingsJson.Default.SubmitterProfile),
            ["OutboundSettingsVersion"] = saved.Version,
        };
        try
        {
            if (rowETag is { } etag)
            {
                await table.UpdateEntityAsync(entity, etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (RequestFailedException ex) when (ex.Status is 409 or 412)
        {
            return null;
        }

        cache.TryRemove(tenant.Value, out _);
        return saved;
    }

    /// <summary>The version as an entity tag value.</summary>
    public static string VersionText(long version) => version.ToString(CultureInfo.InvariantCulture);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SubmitterProfile))]
internal sealed partial class X12SettingsJson : JsonSerializerContext;
