using System.Net;
using System.Net.Sockets;
using DurableTask.AzureStorage;
using DurableTask.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing.Sidecar.Grpc;
using Microsoft.DurableTask.Worker;

namespace Claims.LocalHost;

/// <summary>
/// The task hub settings the Durable extension reads from host.json <c>extensions.durableTask</c> (hubName with
/// <c>%Setting%</c>, the storageProvider's partitionCount, control-queue batch size and buffer, the longest queue polling
/// interval, the concurrency limits and extended sessions), for the local host's task hub. What host.json leaves out
/// keeps the Durable Task Framework's default, except <see cref="MaxQueuePollingInterval"/> (1 s here; the extension's
/// is 30 s).
/// </summary>
public sealed record TaskHubSettings(string HubName, int PartitionCount, int MaxConcurrentOrchestrations, int MaxConcurrentActivities, bool ExtendedSessions)
{
    public const string Section = "AzureFunctionsJobHost:extensions:durableTask";

    /// <summary>Messages fetched per control-queue poll (storageProvider.controlQueueBatchSize, 1–32).</summary>
    public int ControlQueueBatchSize { get; init; } = 32;

    /// <summary>Control-queue messages buffered in memory before polling pauses (storageProvider.controlQueueBufferThreshold).</summary>
    public int ControlQueueBufferThreshold { get; init; } = 64;

    /// <summary>The longest wait between polls of an empty control or work-item queue (storageProvider.maxQueuePollingInterval).</summary>
    public TimeSpan MaxQueuePollingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a message a worker took off a control or work-item queue stays invisible: after a crash, how
    /// long until another worker sees it (storageProvider.controlQueueVisibilityTimeout / workItemQueueVisibilityTimeout).</summary>
    public TimeSpan ControlQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    public TimeSpan WorkItemQueueVisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an idle extended session keeps its orchestration in memory (extendedSessionIdleTimeoutInSeconds).</summary>
    public TimeSpan ExtendedSessionIdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public static TaskHubSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var hub = LocalFunctions.Resolve(section["hubName"] ?? "TestHubName", configuration, "durableTask");
        return new TaskHubSettings(
            hub,
            section.GetValue("storageProvider:partitionCount", 4),
            section.GetValue("maxConcurrentOrchestratorFunctions", 10 * Environment.ProcessorCount),
            section.GetValue("maxConcurrentActivityFunctions", 10 * Environment.ProcessorCount),
            section.GetValue("extendedSessionsEnabled", false))
        {
            ControlQueueBatchSize = section.GetValue("storageProvider:controlQueueBatchSize", 32),
            ControlQueueBufferThreshold = section.GetValue("storageProvider:controlQueueBufferThreshold", 64),
            MaxQueuePollingInterval = section.GetValue("storageProvider:maxQueuePollingInterval", TimeSpan.FromSeconds(1)),
            ExtendedSessionIdleTimeout = TimeSpan.FromSeconds(section.GetValue("extendedSessionIdleTimeoutInSeconds", 30)),
            ControlQueueVisibilityTimeout = section.GetValue("storageProvider:controlQueueVisibilityTimeout", TimeSpan.FromMinutes(5)),
            WorkItemQueueVisibilityTimeout = section.GetValue("storageProvider:workItemQueueVisibilityTimeout", TimeSpan.FromMinutes(5)),
        };
    }
}

/// <summary>
/// Runs the app's orchestrator and activity functions the way the Durable extension does in Azure: on the Durable Task
/// Framework's Azure Storage backend (<see cref="AzureStorageOrchestrationService"/>: control and work-item queues,
/// History and Instances tables, leases) against the app's storage account (Azurite locally), so orchestrations survive
/// a SIGKILL. The backend is served by the gRPC sidecar shipped in Microsoft.DurableTask.InProcessTestHost
/// (<see cref="TaskHubGrpcServer"/>, on its own loopback HTTP/2 port) to the stock Durable Task gRPC worker and client —
/// the same <see cref="DurableTaskClient"/> the [DurableClient] binding gives a function in Azure.
/// </summary>
public static class LocalDurable
{
    public static IServiceCollection AddLocalDurable(this IServiceCollection services, IReadOnlyList<LocalFunction> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var orchestrators = functions.Where(f => f.TriggerType == "orchestrationTrigger").ToList();
        var activities = functions.Where(f => f.TriggerType == "activityTrigger").ToList();
        var address = new Uri($"http://127.0.0.1:{FreePort()}");
        var channel = GrpcChannel.ForAddress(address);
        services.AddSingleton(sp => new DurableSidecar(address, sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<DurableSidecar>());
        services.AddDurableTaskWorker(builder =>
        {
            builder.UseGrpc(channel);
            builder.AddTasks(registry =>
            {
                foreach (var function in orchestrators)
                {
                    var invoke = LocalFunctions.Invoker(function);
                    var (input, output) = LocalFunctions.DurableTypes(function);
                    registry.AddOrchestrator(function.Name, () => new FunctionOrchestrator(invoke, input, output));
                }

                foreach (var function in activities)
                {
                    var invoke = LocalFunctions.Invoker(function);
                    var (input, output) = LocalFunctions.DurableTypes(function);
                    registry.AddActivity(function.Name, sp => new FunctionActivity(invoke, sp, input, output));
                }
            });
        });
        services.AddDurableTaskClient(builder =>
        {
            builder.UseGrpc(channel);
            builder.RegisterDirectly();
        });
        return services;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>An orchestrator function as the Durable Task worker runs it. Its services are the root ones: an
    /// orchestrator does no I/O, so it has nothing to resolve per invocation.</summary>
    private sealed class FunctionOrchestrator(Func<Invocation, Task<object?>> invoke, Type input, Type output) : ITaskOrchestrator
    {
        public Type InputType => input;

        public Type OutputType => output;

        public Task<object?> RunAsync(TaskOrchestrationContext context, object? input) =>
            invoke(new Invocation(EmptyServices.Instance, CancellationToken.None) { Orchestration = context, Input = input });
    }

    /// <summary>An activity function as the Durable Task worker runs it, in the work item's service scope.</summary>
    private sealed class FunctionActivity(Func<Invocation, Task<object?>> invoke, IServiceProvider services, Type input, Type output) : ITaskActivity
    {
        public Type InputType => input;

        public Type OutputType => output;

        public Task<object?> RunAsync(TaskActivityContext context, object? input) =>
            invoke(new Invocation(services, CancellationToken.None) { Input = input });
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}

/// <summary>
/// The task hub's backend in this process: creates the hub on the app's storage account, then serves it on a loopback
/// HTTP/2 port to the worker and client. Start-up waits for both (retrying while storage is not reachable, for at most
/// <see cref="StartTimeout"/>), so a function that takes a DurableTaskClient finds its hub served, as in Azure.
/// </summary>
public sealed partial class DurableSidecar(Uri address, IConfiguration configuration, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    /// <summary>How long start-up waits for the storage account before it gives up.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    /// <summary>How long the app's stop waits for the backend to let go of its partitions.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private readonly ILogger logger = loggers.CreateLogger<DurableSidecar>();
    private WebApplication? sidecar;
    private StopSafeOrchestrationService? backend;

    public TaskHubSettings Settings { get; } = TaskHubSettings.Read(configuration);

    /// <summary>The backend's stop once the app stopped (it may go on after <see cref="StopAsync"/> returned: a graceful
    /// drain of the control queues it owns); completed when it never started.</summary>
    public Task BackendStopped => backend?.StopAsync() ?? Task.CompletedTask;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        var stoppingToken = timeout.Token;
        var connection = configuration[Claims.Storage.StorageConnection.ConnectionName];
        if (string.IsNullOrEmpty(connection) || !connection.Contains('=', StringComparison.Ordinal))
        {
            throw new InvalidOperationException("The local host runs the task hub on a storage connection string (AzureWebJobsStorage); identity-based settings are for Azure.");
        }

        var settings = new AzureStorageOrchestrationServiceSettings
        {
            TaskHubName = Settings.HubName,
            PartitionCount = Settings.PartitionCount,
            StorageAccountClientProvider = new StorageAccountClientProvider(connection),
            MaxConcurrentTaskOrchestrationWorkItems = Settings.MaxConcurrentOrchestrations,
            MaxConcurrentTaskActivityWorkItems = Settings.MaxConcurrentActivities,
            ExtendedSessionsEnabled = Settings.ExtendedSessions,
            ExtendedSessionIdleTimeout = Settings.ExtendedSessionIdleTimeout,
            ControlQueueBatchSize = Settings.ControlQueueBatchSize,
            ControlQueueBufferThreshold = Settings.ControlQueueBufferThreshold,
            MaxQueuePollingInterval = Settings.MaxQueuePollingInterval,
            ControlQueueVisibilityTimeout = Settings.ControlQueueVisibilityTimeout,
            WorkItemQueueVisibilityTimeout = Settings.WorkItemQueueVisibilityTimeout,
            LoggerFactory = loggers,
        };
        var service = new AzureStorageOrchestrationService(settings);
        var delay = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await service.CreateIfNotExistsAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Logs.LocalDurableWaiting(logger, Settings.HubName, ex.GetType().Name);
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, address.Port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        backend = new StopSafeOrchestrationService(service);
        builder.Services.AddSingleton<IOrchestrationService>(backend);
        builder.Services.AddSingleton<IOrchestrationServiceClient>(service);
        builder.Services.AddSingleton<TaskHubGrpcServer>();
        sidecar = builder.Build();
        sidecar.MapGrpcService<TaskHubGrpcServer>();
        await sidecar.StartAsync(stoppingToken).ConfigureAwait(false);
        Logs.LocalDurableServing(logger, Settings.HubName, Settings.PartitionCount, address.ToString());
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (sidecar is not null)
        {
            await sidecar.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        // The sidecar's own stop of the backend is fire-and-forget: give it (or make it) a moment, so the backend has
        // usually let go of its partitions and stopped polling when the app has stopped. A graceful stop drains the
        // control queues it owns and can take longer (or fail with storage down): it goes on in the background, and a
        // host that starts on the hub takes the partitions over when it ends or their leases expire.
        if (backend is not null)
        {
            var stopped = backend;
            var stop = stopped.StopAsync();
            try
            {
                await stop.WaitAsync(StopGrace, cancellationToken).ConfigureAwait(false);
                if (stopped.StopFailure is { } failure)
                {
                    Logs.LocalDurableStopFailed(logger, Settings.HubName, failure.GetType().Name);
                }
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // The stop itself never faults (StopSafeOrchestrationService keeps its failure): log that when it ends.
                Logs.LocalDurableStopGoesOn(logger, Settings.HubName, StopGrace);
                _ = stop.ContinueWith(
                    _ =>
                    {
                        if (stopped.StopFailure is { } failure)
                        {
                            Logs.LocalDurableStopFailed(logger, Settings.HubName, failure.GetType().Name);
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (sidecar is not null)
        {
            await sidecar.DisposeAsync().ConfigureAwait(false);
            sidecar = null;
        }

        // The backend itself is not disposed here: the sidecar stops its dispatchers from a shutdown callback that
        // may still be running, and disposing under it would fail that stop.
    }
}
