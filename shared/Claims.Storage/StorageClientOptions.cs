using Azure.Core;
using Azure.Core.Pipeline;

namespace Claims.Storage;

/// <summary>
/// Retry and timeout settings (section <c>Storage</c>) applied to the Table, Queue and Blob clients' own retry options,
/// plus the pipeline policies every client gets.
/// </summary>
public sealed class StorageClientOptions
{
    public const string Section = "Storage";

    /// <summary>Retries after the first attempt for 408/429/500/502/503/504 and transport errors.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Base delay of the exponential back-off.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timeout of one attempt (not of the whole operation with its retries).</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Extra policies run once per attempt (e.g. a test or the load tool counting round trips). Not bound from
    /// configuration.
    /// </summary>
    public IList<HttpPipelinePolicy> PerRetryPolicies { get; } = [];

    /// <summary>
    /// Sets <paramref name="options"/>' retries from these settings and adds the outage policy (any outage surfaces as
    /// <see cref="StorageUnavailableException"/>) and <see cref="PerRetryPolicies"/>.
    /// </summary>
    public T ApplyTo<T>(T options, bool probe = false)
        where T : ClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.MaxRetries = probe ? 0 : MaxRetries;
        options.Retry.Delay = RetryDelay;
        options.Retry.MaxDelay = MaxRetryDelay;

        // A health probe must answer fast during an outage: one attempt, at most 5 s.
        options.Retry.NetworkTimeout = probe && NetworkTimeout > ProbeTimeout ? ProbeTimeout : NetworkTimeout;
        options.AddPolicy(OutagePolicy.Instance, HttpPipelinePosition.PerCall);
        foreach (var policy in PerRetryPolicies)
        {
            options.AddPolicy(policy, HttpPipelinePosition.PerRetry);
        }

        return options;
    }

    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
}
