using Claims.Application.Processing;
using Claims.Core.Claims;
using Claims.Functions.Hosting;

namespace Claims.Functions.Functions;

/// <summary>Queue function RulesEngine (claims-intake): reads the message, calls the rules engine handler.</summary>
public sealed class RulesEngineFunction(RulesEngineHandler handler) : IQueueFunction
{
    public Task RunAsync(QueueInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);

        // An unreadable message fails every attempt and so ends in claims-intake-poison.
        var message = EvaluateClaim.TryParse(invocation.Text)
            ?? throw new FormatException($"Message {invocation.MessageId} is not an EvaluateClaim message.");
        if (invocation.DequeueCount > 1)
        {
            // A redelivery's row snapshot is likely stale (the first delivery may have moved the claim on): read the
            // row, so a claim past Evaluating is skipped before anything is evaluated or consumed.
            message = message with { Row = null };
        }
        using var audit = Claims.Application.Audit.AuditContext.Begin("queue:" + Claims.Application.Storage.StorageNames.IntakeQueue, invocation.MessageId);
        return handler.HandleAsync(message, cancellationToken);
    }
}

/// <summary>Queue function ClaimPipeline (claims-pipeline): one pipeline event, applied by the runner.</summary>
public sealed class ClaimPipelineFunction(PipelineRunner runner) : IQueueFunction
{
    public Task RunAsync(QueueInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var message = PipelineMessage.TryParse(invocation.Text)
            ?? throw new FormatException($"Message {invocation.MessageId} is not a pipeline message.");
        using var audit = Claims.Application.Audit.AuditContext.Begin("queue:" + Claims.Application.Storage.StorageNames.PipelineQueue, invocation.MessageId);
        return message.Event is null
            ? runner.ResumeAsync(message.Tenant, message.Claim, cancellationToken)
            : runner.ApplyAsync(message.Tenant, message.Claim, message.Event, cancellationToken);
    }
}

/// <summary>Timer function StuckClaimSweep: finds claims that stopped moving and queues them to resume.</summary>
public sealed class StuckClaimSweepFunction(StuckClaimSweeper sweeper, Microsoft.Extensions.Options.IOptions<PipelineOptions> options) : ITimerFunction
{
    public Task RunAsync(DateTimeOffset scheduledAt, CancellationToken cancellationToken)
    {
        // The started async flow keeps the context it captured; disposing restores only this caller's.
        using var audit = Claims.Application.Audit.AuditContext.Begin("timer:StuckClaimSweep", scheduledAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        return sweeper.SweepAsync(options.Value.StuckAfter, cancellationToken);
    }
}
