using System.ComponentModel.DataAnnotations;

namespace Claims.Application.Rules;

/// <summary>Charge baseline settings (section "ChargeBaselines"): the usual charges the CHARGE_HIGH risk factor reads.</summary>
public sealed class ChargeBaselineOptions
{
    public const string Section = "ChargeBaselines";

    /// <summary>
    /// How often an instance merges the charges it observed into table chargestats. Deltas not yet flushed when the
    /// process dies are lost.
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an instance trusts a tenant's baselines before reading its partition again (0 = every claim).</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>A code has a usual charge only once this many charges were observed for it.</summary>
    [Range(1, 1_000_000)]
    public int MinimumSamples { get; set; } = 20;

    /// <summary>True when the intervals are usable: a flush every 1 s to 1 h, a cache of 0 to 24 h.</summary>
    public bool HasUsableIntervals() =>
        FlushInterval >= TimeSpan.FromSeconds(1) && FlushInterval <= TimeSpan.FromHours(1)
        && CacheDuration >= TimeSpan.Zero && CacheDuration <= TimeSpan.FromHours(24);
}
