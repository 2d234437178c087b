using Azure.Storage.Queues.Models;
using Claims.Application.Audit;
using Claims.Application.Authorizations;
using Claims.Application.Processing;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>Queue function RulesEngine (claims-intake): reads the message, calls the rules engine handler.</summary>
public sealed class RulesEngineFunction(RulesEngineHandler handler)
{
    [Function("RulesEngine")]
    public Task Run([QueueTrigger(StorageNames.IntakeQueue)] QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // An unreadable message fails every attempt and so ends in claims-intake-poison.
        var evaluate = EvaluateClaim.TryParse(message.MessageText)
            ?? throw new FormatException($"Message {message.MessageId} is not an EvaluateClaim message.");
        if (message.DequeueCount > 1)
        {
            // A redelivery's row snapshot is likely stale (the first delivery may have moved the claim on): read the
            // row, so a claim past Evaluating is skipped before anything is evaluated or consumed.
            evaluate = evaluate with { Row = null };
        }

        using var audit = AuditContext.Begin("queue:" + StorageNames.IntakeQueue, message.MessageId);
        return handler.HandleAsync(evaluate, cancellationToken);
    }
}

/// <summary>Queue function ClaimPipeline (claims-pipeline): one pipeline event, applied by the runner.</summary>
public sealed class ClaimPipelineFunction(PipelineRunner runner)
{
    [Function("ClaimPipeline")]
    public Task Run([QueueTrigger(StorageNames.PipelineQueue)] QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var pipeline = PipelineMessage.TryParse(message.MessageText)
            ?? throw new FormatException($"Message {message.MessageId} is not a pipeline message.");
        using var audit = AuditContext.Begin("queue:" + StorageNames.PipelineQueue, message.MessageId);
        return pipeline.Event is null
            ? runner.ResumeAsync(pipeline.Tenant, pipeline.Claim, cancellationToken)
            : runner.ApplyAsync(pipeline.Tenant, pipeline.Claim, pipeline.Event, cancellationToken);
    }
}

/// <summary>Timer function StuckClaimSweep: finds claims that stopped moving and queues them to resume.</summary>
public sealed class StuckClaimSweepFunction(StuckClaimSweeper sweeper, IOptions<PipelineOptions> options)
{
    [Function("StuckClaimSweep")]
    public Task Run([TimerTrigger("%StuckClaimSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);

        // The started async flow keeps the context it captured; disposing restores only this caller's.
        using var audit = AuditContext.Begin("timer:StuckClaimSweep", TimerRuns.Id(timer));
        return sweeper.SweepAsync(options.Value.StuckAfter, cancellationToken);
    }
}

/// <summary>Timer function AuthorizationSweep: enqueues one sweep per tenant on authorizations-sweep (it does no sweeping itself).</summary>
public sealed class AuthorizationSweepFunction(AuthorizationSweeper sweeper)
{
    [Function("AuthorizationSweep")]
    public Task Run([TimerTrigger("%AuthorizationSweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        return sweeper.EnqueueTenantsAsync(cancellationToken);
    }
}

/// <summary>Queue function AuthorizationSweepTenant (authorizations-sweep): sweeps one tenant.</summary>
public sealed class AuthorizationSweepTenantFunction(AuthorizationSweeper sweeper)
{
    [Function("AuthorizationSweepTenant")]
    public Task Run([QueueTrigger(StorageNames.AuthorizationSweepQueue)] QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sweep = AuthorizationSweepMessage.TryParse(message.MessageText)
            ?? throw new FormatException($"Message {message.MessageId} is not an authorization sweep message.");
        return sweeper.SweepTenantAsync(TenantId.Parse(sweep.Tenant), cancellationToken);
    }
}

/// <summary>Timer function SignatureReplayPurge: deletes replay-protection rows too old to matter.</summary>
public sealed class SignatureReplayPurgeFunction(Claims.Application.Tenants.SignatureReplayGuard guard, TimeProvider time)
{
    [Function("SignatureReplayPurge")]
    public async Task Run([TimerTrigger("%SignatureReplayPurgeSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        using var scope = AuditContext.Begin("timer:SignatureReplayPurge", TimerRuns.Id(timer));
        await guard.PurgeAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The correlation id of one timer run: the occurrence it runs for. While a timer function runs, the host's
/// <see cref="ScheduleStatus.Next"/> is that occurrence (it moves on once the run completes); without a status (the
/// schedule monitor off), the time of the run.</summary>
internal static class TimerRuns
{
    public static string Id(TimerInfo timer) =>
        (timer.ScheduleStatus?.Next is { } next && next != default ? new DateTimeOffset(DateTime.SpecifyKind(next, DateTimeKind.Utc)) : DateTimeOffset.UtcNow)
            .ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
