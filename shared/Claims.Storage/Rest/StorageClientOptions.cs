namespace Claims.Storage.Rest;

/// <summary>Retry and timeout settings shared by the Table, Queue and Blob pipelines.</summary>
public sealed class StorageClientOptions
{
    /// <summary>Retries after the first attempt for 408/429/500/502/503/504 and transport errors.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Base delay of the exponential back-off.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one attempt (not of the whole operation with its retries).</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Extra policies run once per attempt, after authentication (e.g. a test counting round trips). Not bound from
    /// configuration.
    /// </summary>
    public IReadOnlyList<Azure.Core.Pipeline.HttpPipelinePolicy> PerRetryPolicies { get; init; } = [];
}
