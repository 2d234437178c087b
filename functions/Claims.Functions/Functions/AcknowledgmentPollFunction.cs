using Claims.Application.Audit;
using Claims.Application.X12;
using Microsoft.DurableTask.Client;

namespace Claims.Functions.Functions;

/// <summary>
/// Timer function AcknowledgmentPoll (docs/X12.md "Acknowledgment trigger"): every <c>AcknowledgmentPollSchedule</c>
/// (default every minute) the files in blob container x12-inbound are read, each record delivered to its claim's
/// orchestration, and the file moved to x12-inbound-processed (or kept aside in x12-inbound-rejected). A timer, not a
/// blob trigger: Flex Consumption does not run polling blob triggers, and Event Grid does not reach the local host.
/// </summary>
public sealed class AcknowledgmentPollFunction(AcknowledgmentInbox inbox)
{
    [Function("AcknowledgmentPoll")]
    public Task Run(
        [TimerTrigger("%AcknowledgmentPollSchedule%")] TimerInfo timer,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);

        // The started async flow keeps the context it captured; disposing restores only this caller's.
        using var audit = AuditContext.Begin("timer:AcknowledgmentPoll", TimerRuns.Id(timer));
        return inbox.PollAsync(durable, cancellationToken);
    }
}
