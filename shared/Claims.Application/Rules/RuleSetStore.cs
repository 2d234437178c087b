using System.Collections.Concurrent;
using System.Globalization;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Rules;
using Claims.Storage.Rest;

namespace Claims.Application.Rules;

/// <summary>A tenant's active rule set: the version, the document and its compiled form.</summary>
public sealed record ActiveRuleSet(string Version, RuleSetDocument Document, CompiledRuleSet Compiled, string? ETag);

/// <summary>
/// Rule sets per tenant (partition = tenant): row "current" points at the active version; each save also writes an
/// immutable row "v{version:D10}" holding the document. A tenant that never saved one runs the empty version "0".
/// Compiled sets are cached per tenant and version, so a claim never pays for parsing or compiling.
/// </summary>
public sealed class RuleSetStore(StorageClients storage)
{
    public const string EmptyVersion = "0";
    private const string CurrentRow = "current";
    private static readonly ConcurrentDictionary<(string Tenant, string Version), ActiveRuleSet> Compiled = new();
    private readonly TableClient table = storage.Table(StorageNames.RuleSetsTable);

    public static string VersionRow(long version) => string.Create(CultureInfo.InvariantCulture, $"v{version:D10}");

    /// <summary>The tenant's active rule set (one point read; the compiled form comes from the cache).</summary>
    public async Task<ActiveRuleSet> GetActiveAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var current = await table.GetEntityAsync(tenant.Value, CurrentRow, ct: cancellationToken).ConfigureAwait(false);
        var version = current?.GetString("Version") ?? EmptyVersion;
        if (Compiled.TryGetValue((tenant.Value, version), out var cached))
        {
            return cached with { ETag = current?.ETag };
        }

        var json = current?.GetString("Document") ?? """{"rules":[]}""";
        var parsed = RuleSetDocument.Parse(System.Text.Encoding.UTF8.GetBytes(json));
        var document = parsed.Document
            ?? throw new InvalidOperationException($"The stored rule set version {version} cannot be read.");
        var active = new ActiveRuleSet(version, document, RuleSetCompiler.Compile(document, version), current?.ETag);
        Compiled[(tenant.Value, version)] = active;
        return active;
    }
}
