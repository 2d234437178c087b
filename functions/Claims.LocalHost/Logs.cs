// Every log message of this project, by event id (STYLE.md: all event ids in one file per project, so two
// messages can never share an id). LogEventIdTests checks that the ids are unique across the projects and
// that no message is declared outside this file.
using Microsoft.Extensions.Logging;

namespace Claims.LocalHost;

/// <summary>The project's source-generated log messages.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Function {Function} listening on queue {Queue}")]
    internal static partial void QueueListenerListening(ILogger logger, string function, string queue);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Function {Function} could not reach its queue; backing off")]
    internal static partial void QueueListenerStorageUnavailable(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Function {Function} failed on message {MessageId} (attempt {DequeueCount})")]
    internal static partial void QueueListenerInvocationFailed(ILogger logger, Exception exception, string function, string messageId, long dequeueCount);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Error, Message = "Function {Function}: message {MessageId} moved to {PoisonQueue} after {DequeueCount} attempts")]
    internal static partial void QueueListenerMovedToPoison(ILogger logger, string function, string messageId, string poisonQueue, long dequeueCount);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "Function {Function}: could not settle message {MessageId}; it will be redelivered")]
    internal static partial void QueueListenerSettleFailed(ILogger logger, Exception exception, string function, string messageId);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "Function {Function}: shutdown grace period over, cancelling {Count} in-flight messages")]
    internal static partial void QueueListenerCancellingInFlight(ILogger logger, string function, int count);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Error, Message = "Function {Function}: could not record poison message {MessageId} (audit row and alert)")]
    internal static partial void QueueListenerPoisonRecordFailed(ILogger logger, Exception exception, string function, string messageId);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Timer {Function} scheduled as '{Schedule}' (UTC)")]
    internal static partial void TimerSchedulerScheduled(ILogger logger, string function, string schedule);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Information, Message = "Timer {Function} ran for {ScheduledAt:o}")]
    internal static partial void TimerSchedulerRan(ILogger logger, string function, DateTimeOffset scheduledAt);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Timer {Function} failed for {ScheduledAt:o}; the next occurrence still runs")]
    internal static partial void TimerSchedulerFailed(ILogger logger, Exception exception, string function, DateTimeOffset scheduledAt);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Error, Message = "Function {Function} failed; answered 500")]
    internal static partial void LocalTriggersFunctionFailed(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 1501, Level = LogLevel.Warning, Message = "Task hub {Hub}: storage not reachable yet ({Reason}); retrying")]
    internal static partial void LocalDurableWaiting(ILogger logger, string hub, string reason);

    [LoggerMessage(EventId = 1502, Level = LogLevel.Information, Message = "Task hub {Hub} ({Partitions} partitions) served to the Durable worker on {Address}")]
    internal static partial void LocalDurableServing(ILogger logger, string hub, int partitions, string address);

    [LoggerMessage(EventId = 1503, Level = LogLevel.Information, Message = "Task hub {Hub}: the backend is still draining its partitions after {Grace}; its stop goes on in the background")]
    internal static partial void LocalDurableStopGoesOn(ILogger logger, string hub, TimeSpan grace);

    [LoggerMessage(EventId = 1504, Level = LogLevel.Warning, Message = "Task hub {Hub}: the backend's stop failed ({Reason}); its partition leases expire on their own")]
    internal static partial void LocalDurableStopFailed(ILogger logger, string hub, string reason);
}
