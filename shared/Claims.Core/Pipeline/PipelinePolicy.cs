namespace Claims.Core.Pipeline;

/// <summary>
/// Retry, back-off and escalation policy, passed to every decision (bound from the "Pipeline" settings). Back-off for
/// the retry after failed attempt n: min(<see cref="RetryMaxDelay"/>, <see cref="RetryBaseDelay"/> ×
/// <see cref="RetryMultiplier"/>^(n−1)) — the same numbers as the Durable retry policy of the submit activity
/// (first interval, back-off coefficient, maximum interval, attempts), so the due time the row shows is when Durable
/// retries.
/// </summary>
public sealed record PipelinePolicy
{
    public static PipelinePolicy Default { get; } = new();

    /// <summary>Attempts in all, the first included.</summary>
    public int MaxSubmitAttempts { get; init; } = 5;

    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(30);

    public double RetryMultiplier { get; init; } = 2.0;

    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long a hold may wait before it is escalated (one alert per hold).</summary>
    public TimeSpan EscalationDelay { get; init; } = TimeSpan.FromHours(48);

    /// <summary>How long a submitted claim may wait for its acknowledgment before one AcknowledgmentOverdue alert.</summary>
    public TimeSpan AcknowledgmentDelay { get; init; } = TimeSpan.FromHours(48);

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

        if (EscalationDelay <= TimeSpan.Zero)
        {
            problems.Add("EscalationDelay must be positive.");
        }

        if (AcknowledgmentDelay <= TimeSpan.Zero)
        {
            problems.Add("AcknowledgmentDelay must be positive.");
        }

        if (MaxHistoryEntries < 1)
        {
            problems.Add("MaxHistoryEntries must be at least 1.");
        }

        return problems;
    }

    /// <summary>The delay before the retry that follows failed attempt <paramref name="failedAttempt"/> (1-based).</summary>
    public TimeSpan RetryDelay(int failedAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var ticks = (double)RetryBaseDelay.Ticks;
        var cap = (double)RetryMaxDelay.Ticks;
        for (var i = 1; i < failedAttempt && ticks < cap; i++)
        {
            ticks *= RetryMultiplier;
        }

        ticks = Math.Min(ticks, cap);
        return TimeSpan.FromTicks((long)ticks);
    }
}
