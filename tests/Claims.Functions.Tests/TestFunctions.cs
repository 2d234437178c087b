using Claims.Application.Tenants;
using Claims.LocalHost;

namespace Claims.Functions.Tests;

/// <summary>An HTTP function as a test probes it: route (under /api), methods, and the least role its key needs.</summary>
public sealed record HttpRoute(string Name, string Route, IReadOnlyList<string> Methods, ApiRole? Role);

/// <summary>
/// The app's functions as the Functions host sees them (the functions.metadata the Worker SDK generated), and the
/// API contract's roles (docs/API.md): which key each HTTP function takes. A function added without a role here fails
/// <c>FunctionMetadataTests</c>, so the security tests cannot silently skip it.
/// </summary>
internal static class TestFunctions
{
    public static IReadOnlyList<LocalFunction> All { get; } = LocalFunctions.Load(Path.Combine(AppContext.BaseDirectory, LocalFunctions.MetadataFile));

    public static IReadOnlyDictionary<string, ApiRole?> Roles { get; } = new Dictionary<string, ApiRole?>
    {
        ["FhirClaimCreate"] = ApiRole.Ingest,
        ["FhirBundle"] = ApiRole.Ingest,
        ["FhirClaimValidate"] = ApiRole.Ingest,
        ["FhirValidate"] = ApiRole.Ingest,
        ["FhirMetadata"] = null,
        ["ClaimGet"] = ApiRole.Ingest,
        ["ClaimList"] = ApiRole.Admin,
        ["ClaimRelease"] = ApiRole.Admin,
        ["ClaimCancel"] = ApiRole.Admin,
        ["AlertList"] = ApiRole.Admin,
        ["Health"] = null,
        ["Console"] = null,
        ["WorklistReindex"] = ApiRole.Admin,
        ["RulesGet"] = ApiRole.Admin,
        ["RulesPut"] = ApiRole.Admin,
        ["RuleVersionsList"] = ApiRole.Admin,
        ["RuleVersionGet"] = ApiRole.Admin,
        ["RulesDryRun"] = ApiRole.Admin,
        ["RulesRunTests"] = ApiRole.Admin,
        ["X12ProfileGet"] = ApiRole.Admin,
        ["X12ProfilePut"] = ApiRole.Admin,
        ["ClaimX12Get"] = ApiRole.Admin,
        ["AuditList"] = ApiRole.Admin,
        ["AuditVerify"] = ApiRole.Admin,
        ["OperatorTenantCreate"] = ApiRole.Operator,
        ["OperatorKeyList"] = ApiRole.Operator,
        ["OperatorKeyIssue"] = ApiRole.Operator,
        ["OperatorKeyRevoke"] = ApiRole.Operator,
        ["OperatorSigningSecretRotate"] = ApiRole.Operator,
        ["OperatorSigningSecretRemove"] = ApiRole.Operator,
        ["AuthorizationList"] = ApiRole.Admin,
        ["AuthorizationCreate"] = ApiRole.Admin,
        ["AuthorizationGet"] = ApiRole.Admin,
        ["AuthorizationPut"] = ApiRole.Admin,
        ["AuthorizationDelete"] = ApiRole.Admin,
        ["AuthorizationSweepNow"] = ApiRole.Admin,
        ["SubscriptionCreate"] = ApiRole.Admin,
        ["SubscriptionList"] = ApiRole.Admin,
        ["SubscriptionGet"] = ApiRole.Admin,
        ["SubscriptionPut"] = ApiRole.Admin,
        ["SubscriptionDelete"] = ApiRole.Admin,
        ["SubscriptionRotateSecret"] = ApiRole.Admin,
        ["SubscriptionDeliveries"] = ApiRole.Admin,
        ["SubscriptionResend"] = ApiRole.Admin,
    };

    public static IReadOnlyList<HttpRoute> Http { get; } = All
        .Where(f => f.TriggerType == "httpTrigger")
        .Select(f => new HttpRoute(
            f.Name,
            f.Setting("route")!,
            f.Trigger["methods"]!.AsArray().Select(m => ((string)m!).ToUpperInvariant()).ToList(),
            Roles.TryGetValue(f.Name, out var role) ? role : throw new InvalidOperationException($"No role for {f.Name} in TestFunctions.Roles.")))
        .ToList();
}
