using Azure.Storage.Queues.Models;
using Claims.Application.Audit;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>
/// Queue functions &lt;Function&gt;Poison on &lt;queue&gt;-poison: keep and record the message the Functions host gave
/// up on after maxDequeueCount attempts (<see cref="PoisonMessageArchive"/>). In Azure the host moves such a message
/// to the poison queue itself, without our code seeing it; functions/Claims.LocalHost records a message when it moves
/// it and so runs no listener on poison queues. The host passes on only the poison copy, not how often the original
/// failed, so the record names the configured maxDequeueCount; the copy's insertion time (when the host moved it) is
/// the time recorded.
/// </summary>
public sealed class PoisonQueueFunction(PoisonMessageArchive archive, IOptions<QueuesOptions> queues)
{
    [Function("RulesEnginePoison")]
    public Task RulesEngine([QueueTrigger(StorageNames.IntakeQueue + PoisonSuffix)] QueueMessage message, CancellationToken cancellationToken) =>
        KeepAsync("RulesEngine", StorageNames.IntakeQueue, message, cancellationToken);

    [Function("AuthorizationSweepTenantPoison")]
    public Task AuthorizationSweepTenant([QueueTrigger(StorageNames.AuthorizationSweepQueue + PoisonSuffix)] QueueMessage message, CancellationToken cancellationToken) =>
        KeepAsync("AuthorizationSweepTenant", StorageNames.AuthorizationSweepQueue, message, cancellationToken);

    [Function("NotificationDeliveryPoison")]
    public Task NotificationDelivery([QueueTrigger(StorageNames.NotificationsQueue + PoisonSuffix)] QueueMessage message, CancellationToken cancellationToken) =>
        KeepAsync("NotificationDelivery", StorageNames.NotificationsQueue, message, cancellationToken);

    /// <summary>What the Functions host appends to a queue's name for its poison queue.</summary>
    public const string PoisonSuffix = "-poison";

    private Task KeepAsync(string function, string queue, QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var poisonQueue = StorageNames.PoisonQueue(queue);
        using var audit = AuditContext.Begin("queue:" + poisonQueue, message.MessageId);
        return archive.KeepAsync(
            new PoisonedMessage(function, queue, poisonQueue, message.MessageId, queues.Value.MaxDequeueCount, message.MessageText, MovedAt: message.InsertedOn),
            cancellationToken);
    }
}
