using System.ComponentModel.DataAnnotations;

namespace Claims.Functions.Hosting;

/// <summary>
/// The Azure Functions queue-trigger settings (host.json <c>extensions.queues</c>), which the local host honours
/// the same way the Functions host does. Defaults are the Functions defaults except maxPollingInterval.
/// </summary>
public sealed class QueuesOptions
{
    public const string Section = "AzureFunctionsJobHost:extensions:queues";

    /// <summary>Messages fetched at once (1..32).</summary>
    [Range(1, 32)]
    public int BatchSize { get; set; } = 16;

    /// <summary>A new batch is fetched when the in-flight count falls to this; null = batchSize/2 × cores.</summary>
    [Range(0, 1000)]
    public int? NewBatchThreshold { get; set; }

    /// <summary>How long a failed message stays invisible before it is retried.</summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>Upper bound of the idle polling back-off (at least 100 ms).</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts before a message moves to &lt;queue&gt;-poison.</summary>
    [Range(1, 1000)]
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>The lease taken on a fetched message while it runs; renewed at half-time, as the Functions host does.</summary>
    public TimeSpan MessageLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long shutdown waits for in-flight messages before cancelling them and making them visible again.</summary>
    public TimeSpan ShutdownGracePeriod { get; set; } = TimeSpan.FromSeconds(20);

    public int EffectiveNewBatchThreshold => NewBatchThreshold ?? Math.Max(1, BatchSize / 2 * Environment.ProcessorCount);

    public TimeSpan EffectiveMaxPollingInterval =>
        MaxPollingInterval < TimeSpan.FromMilliseconds(100) ? TimeSpan.FromMilliseconds(100) : MaxPollingInterval;
}
