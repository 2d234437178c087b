using Azure;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Claims.Storage;

/// <summary>
/// Storage could not be reached or kept failing after the client's retries (transport error, timeout, 408/429/5xx).
/// The one exception an outage surfaces as, whichever client and operation: the HTTP layer answers it with 503 +
/// Retry-After, queue handlers leave the message for a later attempt. Every other storage error stays the SDK's
/// <see cref="RequestFailedException"/> with its <c>Status</c> (404, 409 already exists, 412 ETag mismatch) and
/// <c>ErrorCode</c>.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException()
        : this("Storage is unavailable.")
    {
    }

    public StorageUnavailableException(string message)
        : base(message)
    {
    }

    public StorageUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Status = (innerException as RequestFailedException)?.Status;
    }

    /// <summary>The last HTTP status, or null when no answer arrived.</summary>
    public int? Status { get; init; }

    /// <summary>
    /// True when <paramref name="exception"/> is an outage rather than an answer: a transport failure or timeout (that
    /// <paramref name="callerToken"/> did not cause), 408, 429 or 5xx, or the AggregateException the retry policy throws
    /// once every attempt failed that way.
    /// </summary>
    public static bool IsOutage(Exception exception, CancellationToken callerToken = default) => exception switch
    {
        StorageUnavailableException => true,
        RequestFailedException failed => IsOutageStatus(failed.Status),
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(e => IsOutage(e, callerToken)),
        OperationCanceledException => !callerToken.IsCancellationRequested,
        HttpRequestException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>0 (no answer), 408, 429 and 5xx.</summary>
    public static bool IsOutageStatus(int status) => status is 0 or 408 or 429 or >= 500;
}

/// <summary>
/// Runs once per operation, around the client's retries: what is still an outage after them (an exception, or a
/// 408/429/5xx answer) becomes <see cref="StorageUnavailableException"/>. The message names the method and host only.
/// </summary>
internal sealed class OutagePolicy : HttpPipelinePolicy
{
    public static OutagePolicy Instance { get; } = new();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            ProcessNext(message, pipeline);
        }
        catch (Exception ex) when (StorageUnavailableException.IsOutage(ex, message.CancellationToken))
        {
            throw Unavailable(message, ex);
        }

        ThrowIfOutage(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        try
        {
            await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageUnavailableException.IsOutage(ex, message.CancellationToken))
        {
            throw Unavailable(message, ex);
        }

        ThrowIfOutage(message);
    }

    private static void ThrowIfOutage(HttpMessage message)
    {
        if (message.HasResponse && StorageUnavailableException.IsOutageStatus(message.Response.Status))
        {
            throw new StorageUnavailableException(
                $"Storage answered {message.Response.Status} to {message.Request.Method} on {message.Request.Uri.Host} after retries.")
            {
                Status = message.Response.Status,
            };
        }
    }

    private static StorageUnavailableException Unavailable(HttpMessage message, Exception ex) =>
        new($"Storage did not answer {message.Request.Method} on {message.Request.Uri.Host}.", ex);
}
