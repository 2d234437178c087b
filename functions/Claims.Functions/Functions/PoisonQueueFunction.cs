using Claims.Application.Audit;
using Claims.Application.Processing;
using Claims.Functions.Hosting;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>
/// Queue functions &lt;Function&gt;Poison on &lt;queue&gt;-poison, run by the Functions host only (custom-handler mode;
/// see <see cref="PoisonQueueTrigger"/>): keeps and records the message the host gave up on
/// (<see cref="PoisonMessageArchive"/>). The host passes on only the poison copy's id, not how often the original
/// failed, so the record names the configured maxDequeueCount, after which the host moves a message; the poison
/// copy's insertion time (when the host moved it) is the time recorded.
/// </summary>
public sealed class PoisonQueueFunction(PoisonMessageArchive archive, IOptions<QueuesOptions> queues)
{
    public Task RunAsync(PoisonQueueTrigger trigger, QueueInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(invocation);
        using var audit = AuditContext.Begin("queue:" + trigger.PoisonQueueName, invocation.MessageId);
        var message = new PoisonedMessage(
            trigger.FunctionName,
            trigger.QueueName,
            trigger.PoisonQueueName,
            invocation.MessageId,
            queues.Value.MaxDequeueCount,
            invocation.Text,
            MovedAt: invocation.InsertedOn);
        return archive.KeepAsync(message, cancellationToken);
    }
}
