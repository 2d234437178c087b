using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Functions.Functions;

namespace Claims.Functions.Hosting;

/// <summary>Every function of the app, declared once. Routes are relative to the "api" prefix.</summary>
public static class Catalog
{
    public static IReadOnlyList<FunctionDescriptor> Functions { get; } = WithPoisonFunctions(
    [
        new("FhirClaimCreate", new HttpTrigger("fhir/Claim", ["POST"], ApiRole.Ingest), Http: IntakeFunctions.PostClaim),
        new("FhirBundle", new HttpTrigger("fhir", ["POST"], ApiRole.Ingest), Http: FhirFunctions.PostBundle),
        new("FhirClaimValidate", new HttpTrigger("fhir/Claim/$validate", ["POST"], ApiRole.Ingest), Http: ValidateFunctions.ValidateClaim),
        new("FhirValidate", new HttpTrigger("fhir/$validate", ["POST"], ApiRole.Ingest), Http: ValidateFunctions.ValidateBundle),
        new("FhirMetadata", new HttpTrigger("fhir/metadata", ["GET"], Role: null), Http: FhirFunctions.Metadata),
        new("ClaimGet", new HttpTrigger("claims/{id}", ["GET"], ApiRole.Ingest), Http: ClaimsFunctions.Get),
        new("ClaimList", new HttpTrigger("claims", ["GET"], ApiRole.Admin), Http: ClaimAdminFunctions.List),
        new("ClaimRelease", new HttpTrigger("claims/{id}/release", ["POST"], ApiRole.Admin), Http: ClaimAdminFunctions.Release),
        new("ClaimCancel", new HttpTrigger("claims/{id}/cancel", ["POST"], ApiRole.Admin), Http: ClaimAdminFunctions.Cancel),
        new("AlertList", new HttpTrigger("alerts", ["GET"], ApiRole.Admin), Http: ClaimAdminFunctions.Alerts),
        new("Health", new HttpTrigger("health", ["GET"], Role: null), Http: HealthFunctions.Get),
        new("RulesGet", new HttpTrigger("rules", ["GET"], ApiRole.Admin), Http: RulesFunctions.Get),
        new("RulesPut", new HttpTrigger("rules", ["PUT"], ApiRole.Admin), Http: RulesFunctions.Put),
        new("RuleVersionsList", new HttpTrigger("rules/versions", ["GET"], ApiRole.Admin), Http: RulesFunctions.ListVersions),
        new("RuleVersionGet", new HttpTrigger("rules/versions/{version}", ["GET"], ApiRole.Admin), Http: RulesFunctions.GetVersion),
        new("RulesDryRun", new HttpTrigger("rules/dry-run", ["POST"], ApiRole.Admin), Http: RulesFunctions.DryRun),
        new("AuditList", new HttpTrigger("audit", ["GET"], ApiRole.Admin), Http: AuditFunctions.List),
        new("AuditVerify", new HttpTrigger("audit/verify", ["GET"], ApiRole.Admin), Http: AuditFunctions.Verify),
        new("OperatorTenantCreate", new HttpTrigger("operator/tenants", ["POST"], ApiRole.Operator), Http: OperatorFunctions.CreateTenant),
        new("OperatorKeyList", new HttpTrigger("operator/tenants/{tenant}/keys", ["GET"], ApiRole.Operator), Http: OperatorFunctions.ListKeys),
        new("OperatorKeyIssue", new HttpTrigger("operator/tenants/{tenant}/keys", ["POST"], ApiRole.Operator), Http: OperatorFunctions.IssueKey),
        new("OperatorKeyRevoke", new HttpTrigger("operator/tenants/{tenant}/keys/{keyId}", ["DELETE"], ApiRole.Operator), Http: OperatorFunctions.RevokeKey),
        new("OperatorSigningSecretRotate", new HttpTrigger("operator/tenants/{tenant}/signing-secret", ["POST"], ApiRole.Operator), Http: OperatorFunctions.RotateSigningSecret),
        new("OperatorSigningSecretRemove", new HttpTrigger("operator/tenants/{tenant}/signing-secret", ["DELETE"], ApiRole.Operator), Http: OperatorFunctions.RemoveSigningSecret),
        new("AuthorizationList", new HttpTrigger("authorizations", ["GET"], ApiRole.Admin), Http: AuthorizationFunctions.List),
        new("AuthorizationCreate", new HttpTrigger("authorizations", ["POST"], ApiRole.Admin), Http: AuthorizationFunctions.Create),
        new("AuthorizationGet", new HttpTrigger("authorizations/{number}", ["GET"], ApiRole.Admin), Http: AuthorizationFunctions.Get),
        new("AuthorizationPut", new HttpTrigger("authorizations/{number}", ["PUT"], ApiRole.Admin), Http: AuthorizationFunctions.Put),
        new("AuthorizationDelete", new HttpTrigger("authorizations/{number}", ["DELETE"], ApiRole.Admin), Http: AuthorizationFunctions.Delete),
        new("AuthorizationSweepNow", new HttpTrigger("admin/sweeps/authorizations", ["POST"], ApiRole.Admin), Http: AuthorizationFunctions.SweepNow),
        new("AuthorizationSweepTenant", new QueueTrigger(StorageNames.AuthorizationSweepQueue), typeof(AuthorizationSweepTenantFunction)),
        new("AuthorizationSweep", new TimerTrigger("AuthorizationSweepSchedule", "0 0 6 * * *"), typeof(AuthorizationSweepFunction)),
        new("RulesEngine", new QueueTrigger(StorageNames.IntakeQueue), typeof(RulesEngineFunction)),
        new("ClaimPipeline", new QueueTrigger(StorageNames.PipelineQueue), typeof(ClaimPipelineFunction)),
        new("StuckClaimSweep", new TimerTrigger("StuckClaimSweepSchedule", "0 */5 * * * *"), typeof(StuckClaimSweepFunction)),
        new("SignatureReplayPurge", new TimerTrigger("SignatureReplayPurgeSchedule", "0 17 * * * *"), typeof(SignatureReplayPurgeFunction)),
    ]);

    /// <summary>Adds "&lt;Name&gt;Poison" on the poison queue of every queue-triggered function (see <see cref="PoisonQueueTrigger"/>).</summary>
    private static FunctionDescriptor[] WithPoisonFunctions(FunctionDescriptor[] functions) =>
    [
        .. functions,
        .. functions
            .Where(f => f.Trigger is QueueTrigger)
            .Select(f => new FunctionDescriptor(f.Name + "Poison", new PoisonQueueTrigger(f.Name, ((QueueTrigger)f.Trigger).QueueName), typeof(PoisonQueueFunction))),
    ];
}
