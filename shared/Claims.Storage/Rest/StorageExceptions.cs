namespace Claims.Storage.Rest;

/// <summary>
/// The storage service answered with an error that retrying will not fix.
/// The message names the operation, status and error code only: never entity values or secrets.
/// </summary>
public class StorageRequestException : Exception
{
    public StorageRequestException(int status, string? errorCode, string message)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The HTTP status code of the answer.</summary>
    public int Status { get; }

    /// <summary>The service's error code (x-ms-error-code), for example <c>EntityAlreadyExists</c>.</summary>
    public string? ErrorCode { get; }
}

/// <summary>An insert found an entity with the same PartitionKey and RowKey (409).</summary>
public sealed class EntityAlreadyExistsException(int status, string? errorCode, string message)
    : StorageRequestException(status, errorCode, message);

/// <summary>The entity to update or delete does not exist (404).</summary>
public sealed class EntityNotFoundException(int status, string? errorCode, string message)
    : StorageRequestException(status, errorCode, message);

/// <summary>An If-Match / If-None-Match condition failed: someone else changed the item first (412).</summary>
public class ETagMismatchException(int status, string? errorCode, string message)
    : StorageRequestException(status, errorCode, message);

/// <summary>An upload with <see cref="BlobConditions.IfNotExists"/> found an existing blob.</summary>
public sealed class BlobAlreadyExistsException(int status, string? errorCode, string message)
    : ETagMismatchException(status, errorCode, message);

/// <summary>The message is gone or its pop receipt is stale: the lease on it was lost.</summary>
public sealed class MessageNotFoundException(int status, string? errorCode, string message)
    : StorageRequestException(status, errorCode, message);

/// <summary>An entity group transaction failed; no action in it was applied.</summary>
public sealed class TableTransactionFailedException(int failedIndex, int status, string? errorCode, string message)
    : StorageRequestException(status, errorCode, message)
{
    /// <summary>Index (0-based) of the action the service refused, or -1 when it did not say.</summary>
    public int FailedIndex { get; } = failedIndex;
}

/// <summary>
/// The storage service could not be reached or kept failing (transport error, timeout, 408/429/5xx after retries).
/// Callers map it to 503 with Retry-After.
/// </summary>
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public StorageUnavailableException(int status, string? errorCode, string message)
        : base(message)
    {
        Status = status;
        ErrorCode = errorCode;
    }

    /// <summary>The last HTTP status, or null when no answer arrived.</summary>
    public int? Status { get; }

    public string? ErrorCode { get; }
}
