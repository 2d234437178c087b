using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Claims.Core.Claims;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Http;

/// <summary>Settings "RateLimit": a token bucket per tenant and instance (OWASP API4).</summary>
public sealed class RateLimitOptions
{
    public const string Section = "RateLimit";

    /// <summary>Requests a tenant may make per second, sustained (per instance).</summary>
    [Range(1, 100_000)]
    public int PermitsPerSecond { get; set; } = 50;

    /// <summary>Requests a tenant may make in a burst above the sustained rate (the bucket's size).</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 200;
}

/// <summary>
/// One token bucket per tenant (System.Threading.RateLimiting, the primitive under ASP.NET Core's rate-limiting
/// middleware). It runs in <see cref="HttpDoor"/> rather than as the middleware because the tenant is known only
/// once the key is checked, and that happens per endpoint. Over the limit: 429 with Retry-After.
/// </summary>
public sealed class TenantRateLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> limiter;

    public TenantRateLimiter(IOptions<RateLimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        limiter = PartitionedRateLimiter.Create<string, string>(tenant => RateLimitPartition.GetTokenBucketLimiter(
            tenant,
            _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Burst,
                TokensPerPeriod = settings.PermitsPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    /// <summary>Null when the request may go on; else the 429 answer with Retry-After.</summary>
    public IResult? TryAcquire(HttpContext context, TenantId tenant)
    {
        ArgumentNullException.ThrowIfNull(context);
        using var lease = limiter.AttemptAcquire(tenant.Value);
        if (lease.IsAcquired)
        {
            return null;
        }

        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return FhirResults.Problem(StatusCodes.Status429TooManyRequests, "throttled", "Too many requests for this tenant; retry after the Retry-After interval.");
    }

    public void Dispose() => limiter.Dispose();
}
