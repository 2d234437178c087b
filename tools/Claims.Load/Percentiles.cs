namespace Claims.Load;

/// <summary>Latency percentiles by the nearest-rank method (the value below which p % of the samples fall).</summary>
public static class Percentiles
{
    /// <summary>The p-th percentile (0 &lt; p ≤ 100) of the samples, or null when there are none.</summary>
    public static double? Of(IReadOnlyCollection<double> samples, double p)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(p, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(p, 100);
        if (samples.Count == 0)
        {
            return null;
        }

        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <summary>"p50 / p95 / p99" in milliseconds, or "n/a".</summary>
    public static string Summary(IReadOnlyCollection<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        return samples.Count == 0
            ? "n/a"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Of(samples, 50):0.#} / {Of(samples, 95):0.#} / {Of(samples, 99):0.#} ms");
    }
}
