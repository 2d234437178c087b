using Claims.Core.Claims;

namespace Claims.Core.Pipeline;

/// <summary>
/// Retry, back-off and escalation policy, passed to every decision (bind it from configuration in the runner).
/// Back-off for the retry after failed attempt n: min(<see cref="RetryMaxDelay"/>,
/// <see cref="RetryBaseDelay"/> × <see cref="RetryMultiplier"/>^(n−1)), then shortened by up to
/// <see cref="RetryJitter"/> of itself by a fraction derived from the claim id and n (so it stays deterministic).
/// </summary>
public sealed record PipelinePolicy
{
    public static PipelinePolicy Default { get; } = new();

    /// <summary>The longest visibility delay an Azure queue message may have.</summary>
    public static TimeSpan MaxQueueDelay { get; } = TimeSpan.FromDays(7);

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxSubmitAttempts { get; init; } = 5;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(30);

    public double RetryMultiplier { get; init; } = 2.0;

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>0 (default: exact delays) to 1. Spreads retries of claims that failed together in an outage.</summary>
    public double RetryJitter { get; init; }

    /// <summary>How long a hold may wait before it is escalated (one alert per hold).</summary>
    public TimeSpan EscalationDelay { get; init; } = TimeSpan.FromHours(48);

    /// <summary>Bounds the serialized state under the 64 KiB table string property limit; the audit log keeps everything.</summary>
    public int MaxHistoryEntries { get; init; } = 100;

    /// <summary>Every problem with this policy; empty when it is usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (MaxSubmitAttempts < 1)
        {
            problems.Add("MaxSubmitAttempts must be at least 1.");
        }

        if (RetryBaseDelay <= TimeSpan.Zero)
        {
            problems.Add("RetryBaseDelay must be positive.");
        }

        if (!(RetryMultiplier >= 1.0) || double.IsInfinity(RetryMultiplier))
        {
            problems.Add("RetryMultiplier must be a finite number of at least 1.");
        }

        if (RetryMaxDelay < RetryBaseDelay)
        {
            problems.Add("RetryMaxDelay must not be shorter than RetryBaseDelay.");
        }

        if (RetryMaxDelay > MaxQueueDelay)
        {
            problems.Add("RetryMaxDelay must not exceed 7 days, the longest a queue message can be delayed.");
        }

        if (!(RetryJitter is >= 0.0 and <= 1.0))
        {
            problems.Add("RetryJitter must be between 0 and 1.");
        }

        if (EscalationDelay <= TimeSpan.Zero)
        {
            problems.Add("EscalationDelay must be positive.");
        }

        if (MaxHistoryEntries < 1)
        {
            problems.Add("MaxHistoryEntries must be at least 1.");
        }

        return problems;
    }

    /// <summary>The delay before the retry that follows failed attempt <paramref name="failedAttempt"/> (1-based).</summary>
    public TimeSpan RetryDelay(ClaimId claim, int failedAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var ticks = (double)RetryBaseDelay.Ticks;
        var cap = (double)RetryMaxDelay.Ticks;
        for (var i = 1; i < failedAttempt && ticks < cap; i++)
        {
            ticks *= RetryMultiplier;
        }

        ticks = Math.Min(ticks, cap);
        if (RetryJitter > 0)
        {
            // Derived from the claim id, not a random source, so the same input always gives the same delay.
            ticks -= ticks * RetryJitter * (StableHash(claim.Value ?? string.Empty, failedAttempt) / 4294967296.0);
        }

        return TimeSpan.FromTicks((long)ticks);
    }

    // FNV-1a: string.GetHashCode is randomized per process and would break determinism across runner instances.
    private static uint StableHash(string text, int salt)
    {
        var hash = 2166136261u;
        foreach (var ch in text)
        {
            hash = (hash ^ ch) * 16777619u;
        }

        for (var shift = 0; shift < 32; shift += 8)
        {
            hash = (hash ^ (uint)((salt >> shift) & 0xFF)) * 16777619u;
        }

        return hash;
    }
}
