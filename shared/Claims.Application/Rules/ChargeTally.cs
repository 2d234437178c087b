using System.Globalization;
using Claims.Core.Claims;

namespace Claims.Application.Rules;

/// <summary>How many per-unit charges were seen for a code and their sum.</summary>
internal readonly record struct ChargeStat(long Count, decimal Total)
{
    /// <summary>The mean charge per unit.</summary>
    public decimal Mean => Total / Count;

    public ChargeStat Plus(ChargeStat other) => new(Count + other.Count, Total + other.Total);

    /// <summary>The stored form of <see cref="Total"/>: the exact decimal, invariant culture.</summary>
    public string TotalText => Total.ToString(CultureInfo.InvariantCulture);

    /// <summary>Reads a stored row's columns; null when they are missing or not a count and sum of charges.</summary>
    public static ChargeStat? TryRead(long? count, string? total) =>
        count is > 0 && decimal.TryParse(total, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var sum)
            ? new ChargeStat(count.Value, sum)
            : null;
}

/// <summary>The per-unit charges a claim contributes to its tenant's baselines.</summary>
internal static class ChargeSamples
{
    /// <summary>
    /// Per-unit charges above this are not observed: no real service costs more, and the bound keeps a hostile claim
    /// from overflowing a code's decimal sum.
    /// </summary>
    public const decimal MaxPerUnit = 1_000_000_000m;

    /// <summary>The longest code kept; CPT and HCPCS codes have 5 characters.</summary>
    public const int MaxCodeLength = 16;

    /// <summary>
    /// One sample per item that has a positive charge, per distinct code of the item: the charge per unit (charge ÷
    /// units when units &gt; 0, else the charge, as <see cref="Core.Rules.RiskScorer"/> compares it). Codes are
    /// upper-cased; a code that is not letters, digits, '.' or '-' (at most <see cref="MaxCodeLength"/>) is skipped.
    /// </summary>
    public static List<(string Code, decimal PerUnit)> From(ClaimFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var samples = new List<(string, decimal)>();
        if (facts.Items.IsDefault)
        {
            return samples;
        }

        foreach (var item in facts.Items)
        {
            if (item.Charge is not { } charge || charge <= 0 || item.Codes.IsDefaultOrEmpty)
            {
                continue;
            }

            var perUnit = item.Units is > 0 and { } units ? charge / units : charge;
            if (perUnit > MaxPerUnit)
            {
                continue;
            }

            var seen = new List<string>(item.Codes.Length);
            foreach (var raw in item.Codes)
            {
                if (Normalize(raw) is { } code && !seen.Contains(code))
                {
                    seen.Add(code);
                    samples.Add((code, perUnit));
                }
            }
        }

        return samples;
    }

    /// <summary>The code as a row key (trimmed, upper case), or null when it is not a plausible billing code.</summary>
    public static string? Normalize(string? code)
    {
        var trimmed = code?.Trim();
        if (string.IsNullOrEmpty(trimmed) || trimmed.Length > MaxCodeLength)
        {
            return null;
        }

        foreach (var c in trimmed)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '-'))
            {
                return null;
            }
        }

        return trimmed.ToUpperInvariant();
    }
}

/// <summary>
/// Charges observed on this instance and not yet flushed, per tenant and code. Thread-safe; no I/O.
/// </summary>
internal sealed class ChargeTally
{
    private readonly Lock gate = new();
    private Dictionary<TenantId, Dictionary<string, ChargeStat>> pending = [];

    /// <summary>How many tenant-and-code deltas wait for a flush.</summary>
    public int PendingCount
    {
        get
        {
            lock (gate)
            {
                return pending.Values.Sum(codes => codes.Count);
            }
        }
    }

    public void Observe(TenantId tenant, ClaimFacts facts)
    {
        var samples = ChargeSamples.From(facts);
        if (samples.Count == 0)
        {
            return;
        }

        lock (gate)
        {
            var codes = CodesOf(tenant);
            foreach (var (code, perUnit) in samples)
            {
                codes[code] = codes.GetValueOrDefault(code).Plus(new ChargeStat(1, perUnit));
            }
        }
    }

    /// <summary>Takes every pending delta; what a flush cannot write goes back through <see cref="Restore"/>.</summary>
    public Dictionary<TenantId, Dictionary<string, ChargeStat>> Drain()
    {
        lock (gate)
        {
            var taken = pending;
            pending = [];
            return taken;
        }
    }

    /// <summary>Adds deltas a flush could not write back to the pending ones (observations since the drain included).</summary>
    public void Restore(TenantId tenant, IEnumerable<KeyValuePair<string, ChargeStat>> deltas)
    {
        ArgumentNullException.ThrowIfNull(deltas);
        lock (gate)
        {
            var codes = CodesOf(tenant);
            foreach (var (code, delta) in deltas)
            {
                codes[code] = codes.GetValueOrDefault(code).Plus(delta);
            }

            if (codes.Count == 0)
            {
                pending.Remove(tenant);
            }
        }
    }

    private Dictionary<string, ChargeStat> CodesOf(TenantId tenant)
    {
        if (!pending.TryGetValue(tenant, out var codes))
        {
            codes = new Dictionary<string, ChargeStat>(StringComparer.Ordinal);
            pending[tenant] = codes;
        }

        return codes;
    }
}
