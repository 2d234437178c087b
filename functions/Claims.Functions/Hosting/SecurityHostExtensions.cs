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
