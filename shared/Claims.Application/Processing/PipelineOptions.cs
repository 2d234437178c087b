using System.ComponentModel.DataAnnotations;
using Claims.Core.Pipeline;

namespace Claims.Application.Processing;

/// <summary>Pipeline settings (section "Pipeline"): retry, back-off, escalation and the stuck-claim threshold.</summary>
public sealed class PipelineOptions
{
    public const string Section = "Pipeline";

    [Range(1, 100)]
    public int MaxSubmitAttempts { get; set; } = 5;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan EscalationDelay { get; set; } = TimeSpan.FromHours(48);

    /// <summary>How long a submitted claim waits for its acknowledgment before one alert (a tenant's <c>AcknowledgmentHours</c> wins).</summary>
    public TimeSpan AcknowledgmentDelay { get; set; } = TimeSpan.FromHours(48);

    /// <summary>A claim in Received, Evaluating or Submitting that has not moved for this long is resumed by the sweep.</summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A claim staged by a transaction Bundle that never committed (the client got an error and did not retry) is
    /// removed by the sweep after this long: its rows, its document blob; the Bundle's raw payload stays.
    /// </summary>
    public TimeSpan StagedExpiry { get; set; } = TimeSpan.FromDays(1);

    public PipelinePolicy ToPolicy() => PipelinePolicy.Default with
    {
        MaxSubmitAttempts = MaxSubmitAttempts,
        RetryBaseDelay = RetryBaseDelay,
        RetryMaxDelay = RetryMaxDelay,
        EscalationDelay = EscalationDelay,
        AcknowledgmentDelay = AcknowledgmentDelay,
    };
}
