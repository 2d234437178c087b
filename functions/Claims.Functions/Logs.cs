// Every log message of this project, by event id (STYLE.md: all event ids in one file per project, so two
// messages can never share an id). LogEventIdTests checks that the ids are unique across the projects and
// that no message is declared outside this file.
using Microsoft.Extensions.Logging;

namespace Claims.Functions;

/// <summary>The project's source-generated log messages.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Storage not reachable yet ({Reason}); retrying")]
    internal static partial void DevTenantSeederWaiting(ILogger logger, string reason);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Information, Message = "Dev tenant {Tenant} seeded")]
    internal static partial void DevTenantSeederSeeded(ILogger logger, string tenant);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Debug, Message = "Charge baselines flushed: {Written} codes written, {Pending} kept for the next flush")]
    internal static partial void ChargeBaselineFlusherFlushed(ILogger logger, int written, int pending);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Warning, Message = "Charge baseline flush cancelled; the deltas not written are lost with the process")]
    internal static partial void ChargeBaselineFlusherCancelled(ILogger logger);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Storage unavailable ({ExceptionType}) serving {Function}; answered 503")]
    internal static partial void HttpDoorStorageFailure(ILogger logger, string exceptionType, string function);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Unhandled error serving {Function}")]
    internal static partial void HttpDoorUnhandled(ILogger logger, Exception exception, string function);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Tenant {Tenant}: webhook signature refused ({Reason}) for key {KeyId}")]
    internal static partial void HttpDoorSignatureRefused(ILogger logger, string tenant, string keyId, string reason);
}
