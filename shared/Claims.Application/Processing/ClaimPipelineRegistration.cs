using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Application.Processing;

/// <summary>
/// The pipeline's one registration list for a Durable Task worker that is not the Functions host (the local host's
/// worker, the in-memory test host): the orchestrator with its input and output types (without them GetInput sees a
/// JsonElement) and each activity once (a name registered twice breaks the worker and the DurableTask analyzer).
/// In Azure the [Function] wrappers are the registration instead.
/// </summary>
public static class ClaimPipelineRegistration
{
    /// <summary>Registers the orchestrator and the activities; the activities are resolved from <paramref name="services"/> when first called.</summary>
    public static DurableTaskRegistry AddClaimPipeline(this DurableTaskRegistry registry, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(services);
        ClaimPipelineActivities Activities() => services.GetRequiredService<ClaimPipelineActivities>();

        registry.AddOrchestratorFunc<ClaimPipelineInput, ClaimPipelineOutput>(PipelineNames.Orchestrator, ClaimPipelineOrchestrator.RunAsync);
        registry.AddActivityFunc<EvaluateClaimInput, ClaimStep>(PipelineNames.EvaluateClaim, (_, input) => Activities().EvaluateClaimAsync(input));
        registry.AddActivityFunc<SubmitClaimInput, ClaimStep>(PipelineNames.SubmitClaim, (_, input) => Activities().SubmitClaimAsync(input));
        registry.AddActivityFunc<EscalateHoldInput, ClaimStep>(PipelineNames.EscalateHold, (_, input) => Activities().EscalateHoldAsync(input));
        registry.AddActivityFunc<FailClaimInput, ClaimStep>(PipelineNames.FailClaim, (_, input) => Activities().FailClaimAsync(input));
        registry.AddActivityFunc<CancelClaimInput, ClaimStep>(PipelineNames.CancelClaim, (_, input) => Activities().CancelClaimAsync(input));
        registry.AddActivityFunc<RecordAcknowledgmentInput, ClaimStep>(PipelineNames.RecordAcknowledgment, (_, input) => Activities().RecordAcknowledgmentAsync(input));
        registry.AddActivityFunc<AcknowledgmentOverdueInput, ClaimStep>(PipelineNames.AcknowledgmentOverdue, (_, input) => Activities().AcknowledgmentOverdueAsync(input));
        return registry;
    }
}
