using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// Starts a claim's orchestration (<see cref="PipelineNames.Orchestrator"/>) under its fixed instance id. A start for a
/// claim whose instance exists, in any state, starts nothing: a redelivered claims-intake message is harmless. Used by
/// the claims-intake queue function and by the sweep.
/// </summary>
public sealed partial class ClaimPipelineStarter(PipelinePolicy policy, ILogger<ClaimPipelineStarter> logger)
{
    /// <summary>Statuses under which a start with the same instance id must fail rather than replace the instance.</summary>
    private static readonly OrchestrationRuntimeStatus[] AnyStatus =
    [
        OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Running,
        OrchestrationRuntimeStatus.Suspended,
        OrchestrationRuntimeStatus.Completed,
        OrchestrationRuntimeStatus.Failed,
        OrchestrationRuntimeStatus.Terminated,
    ];

    private static readonly OrchestrationRuntimeStatus[] Live =
    [
        OrchestrationRuntimeStatus.Pending,
        OrchestrationRuntimeStatus.Running,
        OrchestrationRuntimeStatus.Suspended,
    ];

    /// <summary>The orchestration's input for a claim: its ids and the submit retry policy of the app's settings.</summary>
    public ClaimPipelineInput InputFor(TenantId tenant, ClaimId claim) => new(tenant.Value, claim.Value, SubmitRetry.From(policy));

    /// <summary>Schedules the claim's orchestration unless its instance exists; true when this call scheduled it.</summary>
    public Task<bool> StartAsync(DurableTaskClient client, TenantId tenant, ClaimId claim, CancellationToken cancellationToken) =>
        ScheduleAsync(client, tenant, claim, replaceEnded: false, replaceCompleted: false, cancellationToken);

    /// <summary>
    /// For the sweep: schedules the claim's orchestration when it has none, or when its instance has ended
    /// (failed, terminated, or — with <paramref name="replaceCompleted"/> — completed) while the row says the claim
    /// still needs it; the new instance picks up from the row. True when this call scheduled one.
    /// </summary>
    public Task<bool> StartOrReplaceEndedAsync(DurableTaskClient client, TenantId tenant, ClaimId claim, bool replaceCompleted, CancellationToken cancellationToken) =>
        ScheduleAsync(client, tenant, claim, replaceEnded: true, replaceCompleted, cancellationToken);

    private async Task<bool> ScheduleAsync(DurableTaskClient client, TenantId tenant, ClaimId claim, bool replaceEnded, bool replaceCompleted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var instanceId = PipelineNames.InstanceId(tenant, claim);
        var existing = await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false);
        var ended = existing?.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated
            || (replaceCompleted && existing?.RuntimeStatus == OrchestrationRuntimeStatus.Completed);
        if (existing is not null && !(replaceEnded && ended))
        {
            Logs.ClaimPipelineStarterAlreadyStarted(logger, tenant.Value, claim.Value, existing.RuntimeStatus);
            return false;
        }

        var options = new StartOrchestrationOptions(instanceId).WithDedupeStatuses(existing is null ? AnyStatus : Live);
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(PipelineNames.Orchestrator, InputFor(tenant, claim), options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Another start (a second delivery of the same message) created it between the read and this call: the
            // backend refuses the duplicate, and that is the answer we want. Anything else is a real failure.
            if (await client.GetInstanceAsync(instanceId, getInputsAndOutputs: false, cancellationToken).ConfigureAwait(false) is { } raced
                && (existing is null || raced.CreatedAt != existing.CreatedAt))
            {
                Logs.ClaimPipelineStarterAlreadyStarted(logger, tenant.Value, claim.Value, raced.RuntimeStatus);
                return false;
            }

            throw;
        }

        Logs.ClaimPipelineStarterStarted(logger, tenant.Value, claim.Value);
        return true;
    }
}
