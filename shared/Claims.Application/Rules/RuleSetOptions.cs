using System.ComponentModel.DataAnnotations;

namespace Claims.Application.Rules;

/// <summary>Rule-set settings (section "Rules").</summary>
public sealed class RuleSetOptions
{
    public const string Section = "Rules";

    /// <summary>
    /// How long an instance trusts its cached "current" version before re-reading the pointer row (0 = every claim).
    /// This is the staleness bound: another instance's save is used by every claim evaluated at most this long after
    /// it; the instance that saved uses it at once.
    /// </summary>
    [Range(0, 300)]
    public int CurrentCacheSeconds { get; set; } = 5;

    /// <summary>The largest PUT /rules, POST /rules/run-tests or POST /rules/dry-run body accepted (413 above).</summary>
    [Range(1024, 4 * 1024 * 1024)]
    public int MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Default and largest page size of GET /rules/versions.</summary>
    [Range(1, 1000)]
    public int MaxVersionsPageSize { get; set; } = 100;
}
