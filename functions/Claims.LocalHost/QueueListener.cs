using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Claims.Application.Processing;
using Claims.Functions.Hosting;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.LocalHost;

/// <summary>
/// The local stand-in for the Functions queue trigger, one per queue-triggered function of functions.metadata. It follows the
/// Functions semantics (QueuesOptions): fetch up to batchSize messages under a lease, fetch again when the
/// in-flight count falls to newBatchThreshold, back off exponentially while idle up to maxPollingInterval, delete
/// on success, on failure make the message visible again after visibilityTimeout, and after maxDequeueCount
/// attempts move it to &lt;queue&gt;-poison. On shutdown it stops fetching, lets in-flight messages finish for the
/// grace period, then cancels them and makes them visible at once so nothing waits out a lease.
/// </summary>
public sealed partial class QueueListener : BackgroundService
{
    private static readonly TimeSpan MinPollingInterval = TimeSpan.FromMilliseconds(100);

    private readonly string function;
    private readonly Func<Invocation, Task<object?>> invoke;
    private readonly QueueClient queue;
    private readonly QueueClient poisonQueue;
    private readonly IServiceScopeFactory scopes;
    private readonly QueuesOptions options;
    private readonly TimeProvider time;
    private readonly ILogger<QueueListener> logger;
    private readonly CancellationTokenSource abortInFlight = new();
    private readonly Dictionary<string, Task> inFlight = [];
    private readonly Lock gate = new();
    private readonly Task storageReady;

    public QueueListener(
        string function,
        string queueName,
        Func<Invocation, Task<object?>> invoke,
        StorageClients storage,
        IServiceScopeFactory scopes,
        IOptions<QueuesOptions> options,
        TimeProvider time,
        ILogger<QueueListener> logger,
        Task? storageReady = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(storage);
        this.function = function;
        this.invoke = invoke;
        queue = storage.Queue(queueName);
        poisonQueue = storage.Queue(Claims.Application.Storage.StorageNames.PoisonQueue(queueName));
        this.scopes = scopes;
        this.options = options.Value;
        this.time = time;
        this.logger = logger;
        this.storageReady = storageReady ?? Task.CompletedTask;
    }

    /// <summary>The number of messages being processed right now.</summary>
    public int InFlightCount
    {
        get
        {
            lock (gate)
            {
                return inFlight.Count;
            }
        }
    }

    public override void Dispose()
    {
        abortInFlight.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The queues exist once start-up has created them.
        try
        {
            await storageReady.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        var delay = MinPollingInterval;
        Logs.QueueListenerListening(logger, function, queue.Name);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (InFlightCount > options.EffectiveNewBatchThreshold)
                {
                    await WaitForAnyAsync(stoppingToken).ConfigureAwait(false);
                    continue;
                }

                QueueMessage[] messages = await queue.ReceiveMessagesAsync(options.BatchSize, options.MessageLease, stoppingToken).ConfigureAwait(false);
                if (messages.Length == 0)
                {
                    await Task.Delay(delay, time, stoppingToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.EffectiveMaxPollingInterval.Ticks));
                    continue;
                }

                delay = MinPollingInterval;
                foreach (var message in messages)
                {
                    Start(message);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (StorageUnavailableException ex)
            {
                Logs.QueueListenerStorageUnavailable(logger, ex, function);
                await DelayQuietlyAsync(options.EffectiveMaxPollingInterval, stoppingToken).ConfigureAwait(false);
            }
            catch (RequestFailedException ex)
            {
                Logs.QueueListenerStorageUnavailable(logger, ex, function);
                await DelayQuietlyAsync(options.EffectiveMaxPollingInterval, stoppingToken).ConfigureAwait(false);
            }
        }

        await DrainAsync().ConfigureAwait(false);
    }

    private void Start(QueueMessage message)
    {
        var task = Task.Run(() => ProcessAsync(message));
        lock (gate)
        {
            inFlight[message.MessageId] = task;
        }

        _ = task.ContinueWith(
            _ =>
            {
                lock (gate)
                {
                    inFlight.Remove(message.MessageId);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task ProcessAsync(QueueMessage message)
    {
        var token = abortInFlight.Token;
        if (message.DequeueCount > options.MaxDequeueCount)
        {
            // Delivered more often than allowed without a recorded failure (e.g. the process died each time).
            await MoveToPoisonAsync(message, message.PopReceipt, token).ConfigureAwait(false);
            return;
        }

        var lease = new LeaseRenewal(queue, message, options.MessageLease, time);
        lease.Start(token);
        Exception? failure = null;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            await invoke(new Invocation(scope.ServiceProvider, token) { Message = message }).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Shutdown cancelled it: make it visible again now so another instance picks it up.
            var receipt = await lease.StopAsync().ConfigureAwait(false);
            await TryReleaseAsync(message, receipt, TimeSpan.Zero).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        var popReceipt = await lease.StopAsync().ConfigureAwait(false);
        try
        {
            if (failure is null)
            {
                await queue.DeleteMessageAsync(message.MessageId, popReceipt, CancellationToken.None).ConfigureAwait(false);
                return;
            }

            Logs.QueueListenerInvocationFailed(logger, failure, function, message.MessageId, message.DequeueCount);
            if (message.DequeueCount >= options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(message, popReceipt, CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                await TryReleaseAsync(message, popReceipt, options.VisibilityTimeout).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is RequestFailedException or StorageUnavailableException)
        {
            // The message comes back when its lease runs out; handlers are idempotent, so a redelivery is safe.
            Logs.QueueListenerSettleFailed(logger, ex, function, message.MessageId);
        }
    }

    private async Task MoveToPoisonAsync(QueueMessage message, string popReceipt, CancellationToken cancellationToken)
    {
        // Recorded before the move: if the process dies in between, the message comes back, is moved again and the
        // record (keyed by queue and message id) is not duplicated. A failing record does not keep it out of poison.
        await RecordPoisonAsync(message, cancellationToken).ConfigureAwait(false);
        await poisonQueue.SendMessageAsync(message.Body.ToString(), timeToLive: StorageExtensions.MessageNeverExpires, cancellationToken: cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, popReceipt, cancellationToken).ConfigureAwait(false);
        Logs.QueueListenerMovedToPoison(logger, function, message.MessageId, poisonQueue.Name, message.DequeueCount);
    }

    private async Task RecordPoisonAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            if (scope.ServiceProvider.GetService<IPoisonMessageHandler>() is { } handler)
            {
                await handler.HandleAsync(
                    new PoisonedMessage(function, queue.Name, poisonQueue.Name, message.MessageId, message.DequeueCount, message.Body.ToString()),
                    cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Logs.QueueListenerPoisonRecordFailed(logger, ex, function, message.MessageId);
        }
    }

    private async Task TryReleaseAsync(QueueMessage message, string popReceipt, TimeSpan visibility)
    {
        try
        {
            await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: visibility, cancellationToken: CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RequestFailedException or StorageUnavailableException)
        {
            Logs.QueueListenerSettleFailed(logger, ex, function, message.MessageId);
        }
    }

    private async Task WaitForAnyAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (gate)
        {
            running = [.. inFlight.Values];
        }

        if (running.Length > 0)
        {
            await Task.WhenAny(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task DrainAsync()
    {
        Task[] running;
        lock (gate)
        {
            running = [.. inFlight.Values];
        }

        if (running.Length == 0)
        {
            return;
        }

        var all = Task.WhenAll(running);
        var finished = await Task.WhenAny(all, Task.Delay(options.ShutdownGracePeriod, time)).ConfigureAwait(false);
        if (finished != all)
        {
            Logs.QueueListenerCancellingInFlight(logger, function, running.Length);
            await abortInFlight.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(false);
        }
    }

    private async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>Keeps the lease on a message while it runs, renewing at half the lease, as the Functions host does.</summary>
    private sealed class LeaseRenewal(QueueClient queue, QueueMessage message, TimeSpan lease, TimeProvider time)
    {
        private readonly CancellationTokenSource stop = new();
        private string popReceipt = message.PopReceipt;
        private Task loop = Task.CompletedTask;

        public void Start(CancellationToken cancellationToken) => loop = RenewAsync(cancellationToken);

        public async Task<string> StopAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
            stop.Dispose();
            return popReceipt;
        }

        private async Task RenewAsync(CancellationToken cancellationToken)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken);
            try
            {
                while (true)
                {
                    await Task.Delay(lease / 2, time, linked.Token).ConfigureAwait(false);
                    popReceipt = (await queue.UpdateMessageAsync(message.MessageId, popReceipt, visibilityTimeout: lease, cancellationToken: linked.Token).ConfigureAwait(false)).Value.PopReceipt;
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
            catch (Exception ex) when (ex is RequestFailedException or StorageUnavailableException)
            {
                // Lost the lease; the message will be redelivered and the handler is idempotent.
            }
        }
    }
}
