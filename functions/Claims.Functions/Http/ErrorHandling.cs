using Azure;
using Claims.Application.Intake;
using Claims.Storage;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Http;

/// <summary>
/// Maps exceptions that escape a function: a storage outage (or a storage error the retries could not cure) is
/// 503 + Retry-After — never a 202, never a bare 500 — and anything else is a 500 OperationOutcome with no
/// details (no stack trace, nothing from the request).
/// </summary>
public sealed partial class StorageOutageHandler(IOptions<ClaimIntakeOptions> options, ILogger<StorageOutageHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        IResult result;
        if (exception is StorageUnavailableException or RequestFailedException)
        {
            LogStorageFailure(logger, exception.GetType().Name, httpContext.Request.Path);
            result = FhirResults.Unavailable(httpContext, options.Value.RetryAfterSeconds);
        }
        else if (exception is BadHttpRequestException bad)
        {
            result = FhirResults.Problem(bad.StatusCode, "structure", "The request could not be read.");
        }
        else
        {
            LogUnhandled(logger, exception, httpContext.Request.Path);
            result = FhirResults.Problem(StatusCodes.Status500InternalServerError, "exception", "An internal error occurred; it has been logged.");
        }

        await result.ExecuteAsync(httpContext).ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Storage unavailable ({ExceptionType}) serving {Path}; answered 503")]
    private static partial void LogStorageFailure(ILogger logger, string exceptionType, string path);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Unhandled error serving {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string path);
}
