using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Functions.Functions;

namespace Claims.Functions.Hosting;

/// <summary>Every function of the app, declared once. Routes are relative to the "api" prefix.</summary>
public static class Catalog
{
    public static IReadOnlyList<FunctionDescriptor> Functions { get; } =
    [
        new("FhirClaimCreate", new HttpTrigger("fhir/Claim", ["POST"], ApiRole.Ingest), Http: IntakeFunctions.PostClaim),
        new("FhirBundle", new HttpTrigger("fhir", ["POST"], ApiRole.Ingest), Http: FhirFunctions.PostBundle),
        new("FhirMetadata", new HttpTrigger("fhir/metadata", ["GET"], Role: null), Http: FhirFunctions.Metadata),
        new("ClaimGet", new HttpTrigger("claims/{id}", ["GET"], ApiRole.Ingest), Http: ClaimsFunctions.Get),
        new("Health", new HttpTrigger("health", ["GET"], Role: null), Http: HealthFunctions.Get),
        new("RulesEngine", new QueueTrigger(StorageNames.IntakeQueue), typeof(RulesEngineFunction)),
        new("ClaimPipeline", new QueueTrigger(StorageNames.PipelineQueue), typeof(ClaimPipelineFunction)),
        new("StuckClaimSweep", new TimerTrigger("StuckClaimSweepSchedule", "0 */5 * * * *"), typeof(StuckClaimSweepFunction)),
    ];
}
