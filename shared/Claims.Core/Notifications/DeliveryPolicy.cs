using System.Globalization;

namespace Claims.Core.Notifications;

/// <summary>What one attempt to post a notification came to, as the sender saw it.</summary>
/// <param name="StatusCode">The HTTP status of the answer; null when there was none (timeout, connection error).</param>
/// <param name="TimedOut">No answer within the delivery timeout.</param>
/// <param name="ConnectionFailed">DNS, connect, TLS or a connection dropped before an answer.</param>
/// <param name="AddressRefused">The callback host resolved to an address the SSRF guard refuses.</param>
/// <param name="RetryAfter">The answer's Retry-After, as a delay from now.</param>
public sealed record AttemptResult(int? StatusCode, bool TimedOut = false, bool ConnectionFailed = false, bool AddressRefused = false, TimeSpan? RetryAfter = null)
{
    public static AttemptResult Status(int statusCode, TimeSpan? retryAfter = null) => new(statusCode, RetryAfter: retryAfter);

    public static AttemptResult Timeout { get; } = new(null, TimedOut: true);

    public static AttemptResult ConnectionError { get; } = new(null, ConnectionFailed: true);

    public static AttemptResult Refused { get; } = new(null, AddressRefused: true);

    /// <summary>A short code for the delivery log (no PHI): <c>http-503</c>, <c>timeout</c>, <c>connection</c>, <c>address-refused</c>.</summary>
    public string Code => StatusCode is { } s ? string.Create(CultureInfo.InvariantCulture, $"http-{s}")
        : TimedOut ? "timeout" : AddressRefused ? "address-refused" : "connection";
}

/// <summary>What to do with a notification after an attempt.</summary>
public enum DeliveryVerdict
{
    /// <summary>2xx: done.</summary>
    Delivered,

    /// <summary>Try again at <see cref="DeliveryDecision.NextAttemptAt"/>.</summary>
    Retry,

    /// <summary>A 4xx other than 408/429 (or a 1xx/3xx, or a refused address): the receiver will not take it; no more retries.</summary>
    Rejected,

    /// <summary>Retryable, but the next attempt would fall outside the retry window: no more retries.</summary>
    Expired,
}

/// <summary>The verdict and, for <see cref="DeliveryVerdict.Retry"/>, when to try again.</summary>
public sealed record DeliveryDecision(DeliveryVerdict Verdict, DateTimeOffset? NextAttemptAt = null);

/// <summary>
/// The retry schedule of notification deliveries (docs/NOTIFICATIONS.md "Retries"). Pure.
/// Delay after failed attempt n = <see cref="Delays"/>[n-1] (the last delay repeats), or the answer's Retry-After when
/// that is longer; no attempt is started more than <see cref="Window"/> after the first.
/// </summary>
public sealed record DeliveryPolicy(IReadOnlyList<TimeSpan> Delays, TimeSpan Window)
{
    /// <summary>The default delays: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then every 8 h within 24 h.</summary>
    public const string DefaultSchedule = "00:00:05,00:00:30,00:02:00,00:10:00,00:30:00,01:00:00,02:00:00,04:00:00,08:00:00";

    public static DeliveryPolicy Default { get; } = new(ParseSchedule(DefaultSchedule)!, TimeSpan.FromHours(24));

    /// <summary>Whether an answer (or the lack of one) is worth another attempt: 5xx, 408, 429, timeouts, connection errors.</summary>
    public static bool IsRetryable(AttemptResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.StatusCode switch
        {
            null => !result.AddressRefused,
            408 or 429 => true,
            >= 500 and <= 599 => true,
            _ => false,
        };
    }

    public static bool IsSuccess(AttemptResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.StatusCode is >= 200 and <= 299;
    }

    /// <summary>The delay after failed attempt <paramref name="attempt"/> (1-based), before Retry-After.</summary>
    public TimeSpan DelayAfter(int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        return Delays[Math.Min(attempt, Delays.Count) - 1];
    }

    /// <summary>Decides after attempt <paramref name="attempt"/> (1-based) ended at <paramref name="now"/>; the
    /// notification's first attempt was at <paramref name="firstAttemptAt"/>.</summary>
    public DeliveryDecision Decide(AttemptResult result, int attempt, DateTimeOffset firstAttemptAt, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (IsSuccess(result))
        {
            return new DeliveryDecision(DeliveryVerdict.Delivered);
        }

        if (!IsRetryable(result))
        {
            return new DeliveryDecision(DeliveryVerdict.Rejected);
        }

        var delay = DelayAfter(attempt);
        if (result.RetryAfter is { } retryAfter && retryAfter > delay)
        {
            delay = retryAfter;
        }

        var next = now + delay;
        return next > firstAttemptAt + Window
            ? new DeliveryDecision(DeliveryVerdict.Expired)
            : new DeliveryDecision(DeliveryVerdict.Retry, next);
    }

    /// <summary>Whether a subscription whose deliveries have failed since <paramref name="failingSince"/> (with no
    /// success after) is to be switched off at <paramref name="now"/>.</summary>
    public static bool ShouldDisable(DateTimeOffset? failingSince, DateTimeOffset now, TimeSpan disableAfter) =>
        failingSince is { } since && now - since >= disableAfter;

    /// <summary>A comma-separated list of positive TimeSpans (<c>hh:mm:ss</c>); null when empty or malformed.</summary>
    public static IReadOnlyList<TimeSpan>? ParseSchedule(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var delays = new List<TimeSpan>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!TimeSpan.TryParse(part, CultureInfo.InvariantCulture, out var delay) || delay <= TimeSpan.Zero)
            {
                return null;
            }

            delays.Add(delay);
        }

        return delays.Count == 0 ? null : delays;
    }
}
