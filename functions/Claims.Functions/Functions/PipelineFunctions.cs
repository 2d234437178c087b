using Azure.Storage.Queues.Models;
using Claims.Application.Audit;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>
/// The claim pipeline (docs/PIPELINE.md): the claims-intake queue starts one orchestration per claim
/// (<see cref="ClaimPipelineStarter"/>, fixed instance id, so a redelivery starts nothing); the orchestrator
/// <see cref="ClaimPipelineOrchestrator"/> and its activities (<see cref="ClaimPipelineActivities"/>) do the rest; the
/// sweep covers what Durable does not. Each function binds its trigger and calls one method in shared/.
/// </summary>
public sealed class PipelineFunctions(ClaimPipelineActivities activities, ClaimPipelineStarter starter)
{
    [Function("RulesEngine")]
    public async Task RulesEngine(
        [QueueTrigger(StorageNames.IntakeQueue)] QueueMessage message,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // An unreadable message fails every attempt and so ends in claims-intake-poison.
        var start = Claims.Core.Claims.EvaluateClaim.TryParse(message.MessageText)
            ?? throw new FormatException($"Message {message.MessageId} is not an EvaluateClaim message.");
        using var audit = AuditContext.Begin("queue:" + StorageNames.IntakeQueue, message.MessageId);
        await starter.StartAsync(durable, start.Tenant, start.Claim, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The input binds as the parameter beside the context (typed, so the worker deserializes it as such).</summary>
    [Function(PipelineNames.Orchestrator)]
    public static Task<ClaimPipelineOutput> ClaimPipeline([OrchestrationTrigger] TaskOrchestrationContext context, ClaimPipelineInput input) =>
        ClaimPipelineOrchestrator.RunAsync(context, input);

    [Function(PipelineNames.EvaluateClaim)]
    public Task<ClaimStep> EvaluateClaim([ActivityTrigger] EvaluateClaimInput input, CancellationToken cancellationToken) =>
        activities.EvaluateClaimAsync(input, cancellationToken);

    /// <summary>Throws <see cref="TransientSubmitException"/> on a transient failure with attempts left: the orchestrator's retry policy retries it.</summary>
    [Function(PipelineNames.SubmitClaim)]
    public Task<ClaimStep> SubmitClaim([ActivityTrigger] SubmitClaimInput input, CancellationToken cancellationToken) =>
        activities.SubmitClaimAsync(input, cancellationToken);

    [Function(PipelineNames.EscalateHold)]
    public Task<ClaimStep> EscalateHold([ActivityTrigger] EscalateHoldInput input, CancellationToken cancellationToken) =>
        activities.EscalateHoldAsync(input, cancellationToken);

    [Function(PipelineNames.FailClaim)]
    public Task<ClaimStep> FailClaim([ActivityTrigger] FailClaimInput input, CancellationToken cancellationToken) =>
        activities.FailClaimAsync(input, cancellationToken);

    [Function(PipelineNames.CancelClaim)]
    public Task<ClaimStep> CancelClaim([ActivityTrigger] CancelClaimInput input, CancellationToken cancellationToken) =>
        activities.CancelClaimAsync(input, cancellationToken);

    [Function(PipelineNames.RecordAcknowledgment)]
    public Task<ClaimStep> RecordAcknowledgment([ActivityTrigger] RecordAcknowledgmentInput input, CancellationToken cancellationToken) =>
        activities.RecordAcknowledgmentAsync(input, cancellationToken);

    [Function(PipelineNames.AcknowledgmentOverdue)]
    public Task<ClaimStep> AcknowledgmentOverdue([ActivityTrigger] AcknowledgmentOverdueInput input, CancellationToken cancellationToken) =>
        activities.AcknowledgmentOverdueAsync(input, cancellationToken);
}

/// <summary>
/// Timer function StuckClaimSweep: what Durable does not cover — a claim whose start never arrived, an orchestration
/// that ended early, a release or cancel whose event was lost, a staged Bundle claim that never committed.
/// </summary>
public sealed class StuckClaimSweepFunction(StuckClaimSweeper sweeper, IOptions<PipelineOptions> options)
{
    [Function("StuckClaimSweep")]
    public Task Run(
        [TimerTrigger("%StuckClaimSweepSchedule%")] TimerInfo timer,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);

        // The started async flow keeps the context it captured; disposing restores only this caller's.
        using var audit = AuditContext.Begin("timer:StuckClaimSweep", TimerRuns.Id(timer));
        return sweeper.SweepAsync(durable, options.Value.StuckAfter, cancellationToken);
    }
}
