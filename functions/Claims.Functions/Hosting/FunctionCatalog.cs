using Claims.Application.Storage;
using Claims.Application.Tenants;

namespace Claims.Functions.Hosting;

/// <summary>How a function is triggered. The catalog is the one place triggers are declared: the local host,
/// the Azure custom-handler invocation endpoints and the generated function.json files all read it.</summary>
public abstract record FunctionTrigger;

/// <summary>An HTTP trigger. <paramref name="Route"/> is relative to the route prefix ("api"); <paramref name="Role"/> is
/// the least role a caller's key needs (null: anonymous).</summary>
public sealed record HttpTrigger(string Route, IReadOnlyList<string> Methods, ApiRole? Role) : FunctionTrigger;

/// <summary>A queue trigger on the storage account named by the AzureWebJobsStorage connection.</summary>
public sealed record QueueTrigger(string QueueName) : FunctionTrigger;

/// <summary>
/// A queue trigger on the poison queue of the queue-triggered function <paramref name="FunctionName"/>, which reads
/// <paramref name="QueueName"/>. Only the Functions host runs these (custom-handler mode): it moves a message that
/// failed maxDequeueCount times to the poison queue itself, without our code seeing it. The local host records a
/// message when it moves it, so it runs no listener on poison queues (that would record it a second time, under the
/// poison copy's id, and take it off the poison queue).
/// </summary>
public sealed record PoisonQueueTrigger(string FunctionName, string QueueName) : FunctionTrigger
{
    public string PoisonQueueName => StorageNames.PoisonQueue(QueueName);
}

/// <summary>A timer trigger whose six-field NCRONTAB schedule is read from the app setting <paramref name="ScheduleSetting"/>.</summary>
public sealed record TimerTrigger(string ScheduleSetting, string DefaultSchedule) : FunctionTrigger;

/// <summary>
/// One function: its name (the Functions host's function name and folder) and trigger. HTTP functions carry the
/// minimal-API delegate that serves them (with the role it needs); queue and timer functions the handler type
/// (an <see cref="IQueueFunction"/> or <see cref="ITimerFunction"/>) resolved per invocation.
/// </summary>
public sealed record FunctionDescriptor(string Name, FunctionTrigger Trigger, Type? HandlerType = null, Delegate? Http = null);

/// <summary>Receives one queue message. Throwing fails the invocation: the message is retried and, after
/// maxDequeueCount attempts, moved to the poison queue. Handlers must survive the same message twice.</summary>
public interface IQueueFunction
{
    Task RunAsync(QueueInvocation invocation, CancellationToken cancellationToken);
}

/// <summary>A queue message as the function sees it (locally and from the Functions host's invocation payload).</summary>
public sealed record QueueInvocation(string MessageId, string Text, long DequeueCount, DateTimeOffset? InsertedOn);

/// <summary>Runs on a timer. The timer only finds work and enqueues it (STYLE.md); it does not process claims itself.</summary>
public interface ITimerFunction
{
    Task RunAsync(DateTimeOffset scheduledAt, CancellationToken cancellationToken);
}
