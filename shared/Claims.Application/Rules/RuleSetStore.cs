using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Rules;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Application.Rules;

/// <summary>A tenant's active rule set: the version, the document and its compiled form.</summary>
public sealed record ActiveRuleSet(string Version, RuleSetDocument Document, CompiledRuleSet Compiled, string? ETag);

/// <summary>One saved version of a tenant's rule set: who saved it, when, and the document as stored.</summary>
public sealed record StoredRuleSet(long Version, DateTimeOffset SavedAt, string SavedBy, int RuleCount, int TestCount, byte[] Json)
{
    public string VersionText => Version.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A version as the history lists it (no document).</summary>
public sealed record RuleSetVersionInfo(string Version, DateTimeOffset SavedAt, string SavedBy, int RuleCount, int TestCount);

/// <summary>One page of the version history, newest first; <paramref name="ContinuationToken"/> is null on the last page.</summary>
public sealed record RuleSetVersionPage(IReadOnlyList<RuleSetVersionInfo> Items, string? ContinuationToken);

/// <summary>
/// Rule sets per tenant (table rulesets, partition = tenant). Row "v{version:D10}" holds each saved version
/// (immutable); row "current" is a copy of the active version's row. A save adds the new version row and replaces
/// "current" (If-Match its ETag) in one entity group transaction, so both move together or neither does.
/// A document over one table property (30,000 characters) is written first to an immutable blob
/// (container rulesets, a fresh name per attempt) that the rows point at.
/// A tenant that has no rule set yet gets the starter rule set as version 1 on its first read.
/// Compiled sets are cached per tenant and version; the "current" pointer is re-read at most every
/// <see cref="RuleSetOptions.CurrentCacheSeconds"/> per instance (a save on this instance is seen at once).
/// </summary>
public sealed class RuleSetStore(StorageClients storage, TimeProvider time, IOptions<RuleSetOptions> options)
{
    public const string StarterActor = "system:starter";
    internal const int MaxInlineChars = 30_000;
    private const string CurrentRow = "current";
    private readonly TableClient table = storage.Table(StorageNames.RuleSetsTable);
    private readonly BlobContainerClient blobs = storage.Container(StorageNames.RuleSetsContainer);
    private readonly ConcurrentDictionary<string, CachedActive> active = new(StringComparer.Ordinal);

    public static string VersionRow(long version) => string.Create(CultureInfo.InvariantCulture, $"v{version:D10}");

    /// <summary>
    /// The tenant's active rule set for evaluating a claim: from the cache when it was checked within the TTL,
    /// otherwise one small point read of "current" (and, on a new version, one read of the document and a compile).
    /// </summary>
    public async Task<ActiveRuleSet> GetActiveAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ttl = TimeSpan.FromSeconds(options.Value.CurrentCacheSeconds);
        if (active.TryGetValue(tenant.Value, out var cached) && now - cached.CheckedAt < ttl)
        {
            return cached.RuleSet;
        }

        var pointer = await table.GetEntityOrDefaultAsync(tenant.Value, CurrentRow, ["Version"], cancellationToken).ConfigureAwait(false);
        if (cached is not null && pointer is not null && pointer.GetString("Version") == cached.RuleSet.Version)
        {
            active[tenant.Value] = cached with { CheckedAt = now };
            return cached.RuleSet;
        }

        var stored = await GetCurrentAsync(tenant, cancellationToken).ConfigureAwait(false);
        return Remember(tenant, stored.Current, stored.ETag, now);
    }

    /// <summary>The tenant's current version (creating version 1 from the starter set when there is none) and the row's ETag.</summary>
    public async Task<(StoredRuleSet Current, string ETag)> GetCurrentAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var row = await table.GetEntityOrDefaultAsync(tenant.Value, CurrentRow, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (row is not null)
            {
                return (await ReadAsync(row, cancellationToken).ConfigureAwait(false), row.ETag.ToString());
            }

            if (attempt > 0)
            {
                throw new InvalidOperationException($"Tenant {tenant.Value}: the starter rule set was saved but no current row can be read.");
            }

            // Two first reads may race: both add version 1 and "current"; the loser's transaction fails as a whole and
            // it reads the winner's rows, so every instance agrees on version 1.
            var starter = StarterRuleSet.Load();
            await TrySaveAsync(tenant, previousVersion: 0, currentETag: null, starter, StarterActor, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One saved version, or null when the tenant has no such version.</summary>
    public async Task<StoredRuleSet?> GetVersionAsync(TenantId tenant, long version, CancellationToken cancellationToken)
    {
        if (version < 1)
        {
            return null;
        }

        var row = await table.GetEntityOrDefaultAsync(tenant.Value, VersionRow(version), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row is null ? null : await ReadAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A page of the version history, newest first. Versions are dense (1, 2, 3 … — every save adds exactly one), so a
    /// page is one row-key range below the continuation point.
    /// </summary>
    public async Task<RuleSetVersionPage> ListVersionsAsync(TenantId tenant, int pageSize, string? continuationToken, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        long below;
        if (continuationToken is null)
        {
            var (current, _) = await GetCurrentAsync(tenant, cancellationToken).ConfigureAwait(false);
            below = current.Version + 1;
        }
        else if (!long.TryParse(continuationToken, NumberStyles.None, CultureInfo.InvariantCulture, out below) || below < 1)
        {
            throw new ArgumentException("The continuation token is not one this API issued.", nameof(continuationToken));
        }

        var from = Math.Max(1, below - pageSize);
        var filter = TableFilter.And(TableFilter.PartitionEq(tenant.Value), TableFilter.RowKeyRange(VersionRow(from), VersionRow(below)));
        var items = new List<RuleSetVersionInfo>();
        string[] select = ["Version", "SavedAt", "SavedBy", "RuleCount", "TestCount"];
        await foreach (var row in table.QueryAsync<TableEntity>(filter, select: select, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            items.Add(new RuleSetVersionInfo(
                row.GetString("Version") ?? string.Empty,
                row.GetDateTimeOffset("SavedAt") ?? DateTimeOffset.MinValue,
                row.GetString("SavedBy") ?? string.Empty,
                row.GetInt32("RuleCount") ?? 0,
                row.GetInt32("TestCount") ?? 0));
        }

        items.Reverse();
        return new RuleSetVersionPage(items, from > 1 ? from.ToString(CultureInfo.InvariantCulture) : null);
    }

    /// <summary>
    /// Saves <paramref name="document"/> as version <paramref name="previousVersion"/> + 1 if "current" still has
    /// <paramref name="currentETag"/> (null: only if the tenant has no rule set). Returns the saved version, or null
    /// when someone else saved first (nothing was written to the table).
    /// </summary>
    public async Task<StoredRuleSet?> TrySaveAsync(
        TenantId tenant, long previousVersion, string? currentETag, RuleSetDocument document, string savedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        var version = previousVersion + 1;
        var stored = new StoredRuleSet(
            version, time.GetUtcNow(), savedBy, document.Rules.Count, document.Tests.Count, document.ToJson(version.ToString(CultureInfo.InvariantCulture)));
        var text = Encoding.UTF8.GetString(stored.Json);
        string? blobName = null;
        if (text.Length > MaxInlineChars)
        {
            // A fresh name per attempt: a save that loses the race leaves an unreferenced blob, never a changed one.
            blobName = string.Create(CultureInfo.InvariantCulture, $"{tenant.Value}/{VersionRow(version)}-{Guid.NewGuid():N}.json");
            _ = await blobs.UploadIfNotExistsAsync(blobName, new BinaryData(stored.Json), "application/json", cancellationToken).ConfigureAwait(false);
        }

        var versionRow = ToEntity(tenant, VersionRow(version), stored, blobName is null ? text : null, blobName);
        var currentRow = ToEntity(tenant, CurrentRow, stored, blobName is null ? text : null, blobName);
        TableTransactionAction[] actions =
        [
            new(TableTransactionActionType.Add, versionRow),
            currentETag is null
                ? new(TableTransactionActionType.Add, currentRow)
                : new(TableTransactionActionType.UpdateReplace, currentRow, new ETag(currentETag)),
        ];
        string? savedETag;
        try
        {
            var responses = await table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            savedETag = responses.Value[1].Headers.ETag?.ToString();
        }
        catch (TableTransactionFailedException ex) when (ex.Status is 409 or 412)
        {
            return null;
        }

        var compiled = RuleSetCompiler.Compile(document, stored.VersionText);
        active[tenant.Value] = new CachedActive(new ActiveRuleSet(stored.VersionText, document, compiled, savedETag), time.GetUtcNow());
        return stored;
    }

    private ActiveRuleSet Remember(TenantId tenant, StoredRuleSet stored, string etag, DateTimeOffset now)
    {
        var parsed = RuleSetDocument.Parse(stored.Json);
        var document = parsed.Document
            ?? throw new InvalidOperationException($"Tenant {tenant.Value}: the stored rule set version {stored.VersionText} is not JSON.");
        var ruleSet = new ActiveRuleSet(stored.VersionText, document, RuleSetCompiler.Compile(document, stored.VersionText), etag);
        active.AddOrUpdate(
            tenant.Value,
            new CachedActive(ruleSet, now),
            (_, existing) => VersionNumber(existing.RuleSet.Version) > stored.Version ? existing : new CachedActive(ruleSet, now));
        return ruleSet;
    }

    private async Task<StoredRuleSet> ReadAsync(TableEntity row, CancellationToken cancellationToken)
    {
        byte[] json;
        if (row.GetString("Document") is { } inline)
        {
            json = Encoding.UTF8.GetBytes(inline);
        }
        else
        {
            var name = row.GetString("DocumentBlob")
                ?? throw new InvalidOperationException($"Rule-set row {row.PartitionKey}/{row.RowKey} has no document.");
            var blob = await blobs.DownloadOrDefaultAsync(name, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Rule-set row {row.PartitionKey}/{row.RowKey} points at a missing blob.");
            json = blob.ToArray();
        }

        return new StoredRuleSet(
            VersionNumber(row.GetString("Version")),
            row.GetDateTimeOffset("SavedAt") ?? DateTimeOffset.MinValue,
            row.GetString("SavedBy") ?? string.Empty,
            row.GetInt32("RuleCount") ?? 0,
            row.GetInt32("TestCount") ?? 0,
            json);
    }

    private static TableEntity ToEntity(TenantId tenant, string rowKey, StoredRuleSet stored, string? inline, string? blobName)
    {
        var entity = new TableEntity(tenant.Value, rowKey)
        {
            ["Version"] = stored.VersionText,
            ["SavedAt"] = stored.SavedAt,
            ["SavedBy"] = stored.SavedBy,
            ["RuleCount"] = stored.RuleCount,
            ["TestCount"] = stored.TestCount,
        };
        if (inline is not null)
        {
            entity["Document"] = inline;
        }
        else
        {
            entity["DocumentBlob"] = blobName;
        }

        return entity;
    }

    private static long VersionNumber(string? version) =>
        long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : 0;

    private sealed record CachedActive(ActiveRuleSet RuleSet, DateTimeOffset CheckedAt);
}
