using Claims.Functions.Hosting;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.LocalHost;

/// <summary>Wires each function of functions.metadata to what triggers it locally.</summary>
public static partial class LocalTriggers
{
    /// <summary>Everything the Functions host puts in front of a route.</summary>
    public const string RoutePrefix = "api";

    /// <summary>A queue listener per queue function and a scheduler per timer function, created when the host starts
    /// (so settings from every configuration source count). Functions on a poison queue get no listener: the local
    /// listener records a message when it moves it there (see PoisonQueueFunction). A disabled function gets none.</summary>
    public static IServiceCollection AddLocalTriggers(this IServiceCollection services, IReadOnlyList<LocalFunction> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        foreach (var function in functions)
        {
            switch (function.TriggerType)
            {
                case "queueTrigger":
                    if (function.Setting("connection") is { Length: > 0 } connection && connection != StorageConnection.ConnectionName)
                    {
                        throw new NotSupportedException($"Function {function.Name}: the local host reads queues on {StorageConnection.ConnectionName} only, not {connection}.");
                    }

                    var queueInvoke = LocalFunctions.Invoker(function);
                    services.AddSingleton<IHostedService>(sp =>
                    {
                        var configuration = sp.GetRequiredService<IConfiguration>();
                        var queueName = LocalFunctions.Resolve(function.Setting("queueName") ?? "", configuration, function.Name);
                        return IsDisabled(function, configuration) || queueName.EndsWith("-poison", StringComparison.Ordinal)
                            ? new NotListening()
                            : new QueueListener(
                                function.Name,
                                queueName,
                                queueInvoke,
                                sp.GetRequiredService<StorageClients>(),
                                sp.GetRequiredService<IServiceScopeFactory>(),
                                sp.GetRequiredService<IOptions<QueuesOptions>>(),
                                sp.GetRequiredService<TimeProvider>(),
                                sp.GetRequiredService<ILogger<QueueListener>>(),
                                sp.GetRequiredService<StorageStartup>().Ready);
                    });
                    break;
                case "timerTrigger":
                    var schedule = function.Setting("schedule") ?? "";
                    var timerInvoke = LocalFunctions.Invoker(function);
                    services.AddSingleton<IHostedService>(sp =>
                    {
                        var configuration = sp.GetRequiredService<IConfiguration>();
                        if (IsDisabled(function, configuration))
                        {
                            return new NotListening();
                        }

                        // Fail at start-up, not at the first tick, when a schedule setting is missing or wrong.
                        TimerScheduler.ResolveSchedule(function.Name, schedule, configuration);
                        return ActivatorUtilities.CreateInstance<TimerScheduler>(sp, function.Name, schedule, timerInvoke);
                    });
                    break;
                case "httpTrigger":
                case "orchestrationTrigger":
                case "activityTrigger":
                    // HTTP: mapped by MapLocalHttpFunctions; Durable: registered with the worker by AddLocalDurable.
                    break;
                default:
                    throw new NotSupportedException($"Function {function.Name}: the local host does not run {function.TriggerType} functions.");
            }
        }

        return services;
    }

    /// <summary>Maps every HTTP function on /api/{route} with its methods, as the Functions host routes them.</summary>
    public static WebApplication MapLocalHttpFunctions(this WebApplication app, IReadOnlyList<LocalFunction> functions)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(functions);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(LocalTriggers));
        foreach (var function in functions.Where(f => f.TriggerType == "httpTrigger" && !IsDisabled(f, app.Configuration)))
        {
            var invoke = LocalFunctions.Invoker(function);
            var route = "/" + RoutePrefix + "/" + (function.Setting("route") ?? function.Name);
            var methods = function.Trigger["methods"]?.AsArray().Select(m => ((string)m!).ToUpperInvariant()).ToArray();
            RequestDelegate serve = async context =>
            {
                object? result;
                try
                {
                    result = await invoke(new Invocation(context.RequestServices, context.RequestAborted) { Http = context }).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // What the Functions host does with a function that throws: a bare 500.
                    Logs.LocalTriggersFunctionFailed(logger, ex, function.Name);
                    context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                    return;
                }

                switch (result)
                {
                    case IResult httpResult:
                        await httpResult.ExecuteAsync(context).ConfigureAwait(false);
                        break;
                    case null:
                        context.Response.StatusCode = StatusCodes.Status204NoContent;
                        break;
                    default:
                        throw new NotSupportedException($"Function {function.Name} returned {result.GetType().Name}; the local host executes IResult.");
                }
            };
            var endpoint = methods is { Length: > 0 } ? app.MapMethods(route, methods, serve) : app.Map(route, serve);
            endpoint.WithName(function.Name);
        }

        return app;
    }

    /// <summary>The Functions host's switch for one function: app setting <c>AzureWebJobs.&lt;name&gt;.Disabled</c>
    /// (<c>AzureWebJobs__&lt;name&gt;__Disabled</c> where dots cannot be used) set to true.</summary>
    public static bool IsDisabled(LocalFunction function, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(configuration);
        var value = configuration[$"AzureWebJobs.{function.Name}.Disabled"] ?? configuration[$"AzureWebJobs:{function.Name}:Disabled"];
        return bool.TryParse(value, out var disabled) && disabled;
    }

    /// <summary>What a disabled function or a poison-queue function runs locally: nothing.</summary>
    private sealed class NotListening : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
