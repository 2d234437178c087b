using Claims.Application;
using Claims.Functions.Http;
using Claims.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Claims.Functions.Hosting;

/// <summary>
/// Everything the functions need, registered once: Program.cs (the isolated worker Azure runs) and
/// functions/Claims.LocalHost (which runs the same function classes on a developer machine and in CI) both call it,
/// so the two hosts cannot drift apart.
/// </summary>
public static class FunctionAppServices
{
    public static IServiceCollection AddClaimsFunctionApp(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddClaimsStorage();
        services.AddClaimsApplication();
        services.AddOptions<QueuesOptions>().BindConfiguration(QueuesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DevTenantOptions>().BindConfiguration(DevTenantOptions.Section);
        services.AddSingleton<StorageStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageStartup>());

        // Registered before a host adds its queue listeners: hosted services stop in reverse order, so the last flush
        // runs after the listeners have drained their in-flight claims.
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<ChargeBaselineFlusher>(sp, sp.GetRequiredService<StorageStartup>().Ready));
        services.AddSecurityHost();
        services.AddScoped<HttpDoor>();
        services.AddSingleton<ConsoleAssets>();
        return services;
    }
}
