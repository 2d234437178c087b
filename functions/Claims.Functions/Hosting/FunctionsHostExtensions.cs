using Claims.Functions.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Hosting;

/// <summary>Wires the catalog into the process: HTTP routes, queue listeners and timers.</summary>
public static class FunctionsHostExtensions
{
    public const string RoutePrefix = "api";

    public static IServiceCollection AddFunctionsHost(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<QueuesOptions>().BindConfiguration(QueuesOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<DevTenantOptions>().BindConfiguration(DevTenantOptions.Section);
        services.AddSingleton<StorageStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageStartup>());

        // In both hosting modes, and before the queue listeners: hosted services stop in reverse order, so the last
        // flush runs after the listeners have drained their in-flight claims.
        services.AddHostedService(sp => ActivatorUtilities.CreateInstance<ChargeBaselineFlusher>(sp, sp.GetRequiredService<StorageStartup>().Ready));

        // As a custom handler the Functions host owns the queue and timer triggers: no local listener or scheduler.
        var customHandler = HostingMode.IsCustomHandler(configuration);
        foreach (var function in Catalog.Functions)
        {
            if (function.HandlerType is not null)
            {
                // One handler type serves every poison-queue function.
                services.TryAddScoped(function.HandlerType);
            }

            if (customHandler)
            {
                continue;
            }

            switch (function.Trigger)
            {
                case QueueTrigger:
                    services.AddSingleton<IHostedService>(sp => new QueueListener(
                        function,
                        sp.GetRequiredService<Claims.Storage.StorageClients>(),
                        sp.GetRequiredService<IServiceScopeFactory>(),
                        sp.GetRequiredService<IOptions<QueuesOptions>>(),
                        sp.GetRequiredService<TimeProvider>(),
                        sp.GetRequiredService<ILogger<QueueListener>>(),
                        sp.GetRequiredService<StorageStartup>().Ready));
                    break;
                case PoisonQueueTrigger:
                    // None locally: the local listener records a message when it moves it to the poison queue.
                    break;
                case TimerTrigger:
                    // Fail at start-up, not at the first tick, when a schedule setting is wrong.
                    TimerScheduler.ResolveSchedule(function, configuration);
                    services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<TimerScheduler>(sp, function));
                    break;
            }
        }

        return services;
    }

    public static WebApplication MapFunctions(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/" + RoutePrefix);
        foreach (var function in Catalog.Functions)
        {
            if (function is { Trigger: HttpTrigger http, Http: { } handler })
            {
                var endpoint = api.MapMethods("/" + http.Route, http.Methods, handler).WithName(function.Name);
                if (http.Role is { } role)
                {
                    endpoint.AddEndpointFilter(new ApiKeyFilter(role));
                }
            }
        }

        if (HostingMode.IsCustomHandler(app.Configuration))
        {
            app.MapInvocations();
        }

        return app;
    }
}
