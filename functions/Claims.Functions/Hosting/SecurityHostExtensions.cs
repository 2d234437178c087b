using Claims.Application.Audit;
using Claims.Application.Tenants;
using Claims.Functions.Http;

namespace Claims.Functions.Hosting;

/// <summary>Registers the HTTP-side security services: the per-tenant rate limiter.</summary>
public static class SecurityHostExtensions
{
    public static IServiceCollection AddSecurityHost(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TenantRateLimiter>();
        return services;
    }
}

/// <summary>Timer function SignatureReplayPurge: deletes replay-protection rows too old to matter.</summary>
public sealed class SignatureReplayPurgeFunction(SignatureReplayGuard guard, TimeProvider time) : ITimerFunction
{
    public async Task RunAsync(DateTimeOffset scheduledAt, CancellationToken cancellationToken)
    {
        using var scope = AuditContext.Begin("timer:SignatureReplayPurge", scheduledAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        await guard.PurgeAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }
}
