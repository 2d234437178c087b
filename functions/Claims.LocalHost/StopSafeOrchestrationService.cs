using DurableTask.Core;

namespace Claims.LocalHost;

/// <summary>
/// The task hub backend as the sidecar's dispatchers see it: every call passes through, except that stopping a backend
/// the dispatchers never started (the app stopped before the worker connected) is a no-op. The sidecar stops its
/// dispatchers from an async-void shutdown callback, where <see cref="DurableTask.AzureStorage.AzureStorageOrchestrationService"/>'s
/// stop-before-start NullReferenceException would take the whole process down. Every stop shares the one stop of the
/// backend, so the sidecar can await it: a backend left running after its app stopped keeps its partition leases (another
/// host on the hub waits for them) and keeps polling its queues. That stop never faults for its callers (the sidecar's
/// async-void callback among them: DTFx's "Timed-out waiting for the partition manager to shut down" thrown there ended
/// a test process); its failure is kept in <see cref="StopFailure"/> for the app's stop to log.
/// </summary>
internal sealed class StopSafeOrchestrationService(IOrchestrationService inner) : IOrchestrationService
{
    private readonly Lock gate = new();
    private bool started;
    private Task? stopping;

    /// <summary>Why the backend's last stop failed (null: it did not, or has not ended).</summary>
    public Exception? StopFailure { get; private set; }

    public int TaskOrchestrationDispatcherCount => inner.TaskOrchestrationDispatcherCount;

    public int MaxConcurrentTaskOrchestrationWorkItems => inner.MaxConcurrentTaskOrchestrationWorkItems;

    public BehaviorOnContinueAsNew EventBehaviourForContinueAsNew => inner.EventBehaviourForContinueAsNew;

    public int TaskActivityDispatcherCount => inner.TaskActivityDispatcherCount;

    public int MaxConcurrentTaskActivityWorkItems => inner.MaxConcurrentTaskActivityWorkItems;

    public async Task StartAsync()
    {
        await inner.StartAsync().ConfigureAwait(false);
        lock (gate)
        {
            started = true;
            stopping = null;
        }
    }

    public Task StopAsync() => StopAsync(isForced: false);

    public Task StopAsync(bool isForced)
    {
        lock (gate)
        {
            if (!started)
            {
                return stopping ?? Task.CompletedTask;
            }

            started = false;
            stopping = ObserveAsync(inner.StopAsync(isForced));
            return stopping;
        }
    }

    public Task CreateAsync() => inner.CreateAsync();

    private async Task ObserveAsync(Task stop)
    {
        try
        {
            await stop.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Recorded for the app's stop to log; a failed stop lets the partition leases expire on their own.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            StopFailure = ex;
        }
    }

    public Task CreateAsync(bool recreateInstanceStore) => inner.CreateAsync(recreateInstanceStore);

    public Task CreateIfNotExistsAsync() => inner.CreateIfNotExistsAsync();

    public Task DeleteAsync() => inner.DeleteAsync();

    public Task DeleteAsync(bool deleteInstanceStore) => inner.DeleteAsync(deleteInstanceStore);

    public bool IsMaxMessageCountExceeded(int currentMessageCount, OrchestrationRuntimeState runtimeState) =>
        inner.IsMaxMessageCountExceeded(currentMessageCount, runtimeState);

    public int GetDelayInSecondsAfterOnProcessException(Exception exception) => inner.GetDelayInSecondsAfterOnProcessException(exception);

    public int GetDelayInSecondsAfterOnFetchException(Exception exception) => inner.GetDelayInSecondsAfterOnFetchException(exception);

    public Task<TaskOrchestrationWorkItem> LockNextTaskOrchestrationWorkItemAsync(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskOrchestrationWorkItemAsync(receiveTimeout, cancellationToken);

    public Task RenewTaskOrchestrationWorkItemLockAsync(TaskOrchestrationWorkItem workItem) => inner.RenewTaskOrchestrationWorkItemLockAsync(workItem);

    public Task CompleteTaskOrchestrationWorkItemAsync(
        TaskOrchestrationWorkItem workItem,
        OrchestrationRuntimeState newOrchestrationRuntimeState,
        IList<TaskMessage> outboundMessages,
        IList<TaskMessage> orchestratorMessages,
        IList<TaskMessage> timerMessages,
        TaskMessage continuedAsNewMessage,
        OrchestrationState orchestrationState) =>
        inner.CompleteTaskOrchestrationWorkItemAsync(workItem, newOrchestrationRuntimeState, outboundMessages, orchestratorMessages, timerMessages, continuedAsNewMessage, orchestrationState);

    public Task AbandonTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.AbandonTaskOrchestrationWorkItemAsync(workItem);

    public Task ReleaseTaskOrchestrationWorkItemAsync(TaskOrchestrationWorkItem workItem) => inner.ReleaseTaskOrchestrationWorkItemAsync(workItem);

    public Task<TaskActivityWorkItem> LockNextTaskActivityWorkItem(TimeSpan receiveTimeout, CancellationToken cancellationToken) =>
        inner.LockNextTaskActivityWorkItem(receiveTimeout, cancellationToken);

    public Task<TaskActivityWorkItem> RenewTaskActivityWorkItemLockAsync(TaskActivityWorkItem workItem) => inner.RenewTaskActivityWorkItemLockAsync(workItem);

    public Task CompleteTaskActivityWorkItemAsync(TaskActivityWorkItem workItem, TaskMessage responseMessage) =>
        inner.CompleteTaskActivityWorkItemAsync(workItem, responseMessage);

    public Task AbandonTaskActivityWorkItemAsync(TaskActivityWorkItem workItem) => inner.AbandonTaskActivityWorkItemAsync(workItem);
}
