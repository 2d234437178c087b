using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Intake;
using Claims.Application.Processing;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Claims.Application;

/// <summary>Registers the application layer.</summary>
public static class ServiceCollectionExtensions
{
    public static IServiceCollection AddClaimsApplication(this IServiceCollection services)
    {
        services.AddOptions<ClaimIntakeOptions>().BindConfiguration(ClaimIntakeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PipelineOptions>().BindConfiguration(PipelineOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.ToPolicy().Validate().Count == 0, "Pipeline settings are not a usable policy (see PipelinePolicy.Validate).")
            .ValidateOnStart();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<PipelineOptions>>().Value.ToPolicy());
        services.AddSingleton<StorageInitializer>();
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section)
            .Validate(o => string.IsNullOrWhiteSpace(o.ApiKeyHash) || (o.ApiKeyHash.Trim().Length == 64 && o.ApiKeyHash.Trim().All(Uri.IsHexDigit)), "Operator:ApiKeyHash must be the 64-digit hex SHA-256 of the operator key.")
            .ValidateOnStart();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<OperatorKey>();
        services.AddSingleton<TenantSigningSecrets>();
        services.AddSingleton<SignatureReplayGuard>();
        services.AddSingleton<TenantAdminHandler>();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<ClaimRepository>();
        services.AddSingleton<ClaimDocuments>();
        services.AddSingleton<ClaimQueries>();
        services.AddSingleton<ClaimActions>();
        services.AddSingleton<ClaimWorklist>();
        services.AddSingleton<WorklistReindexer>();
        services.AddOptions<RuleSetOptions>().BindConfiguration(RuleSetOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RuleSetStore>();
        services.AddSingleton<RuleSetAdminHandler>();
        services.AddOptions<ChargeBaselineOptions>().BindConfiguration(ChargeBaselineOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.HasUsableIntervals(), "ChargeBaselines: FlushInterval must be 1 s to 1 h and CacheDuration 0 to 24 h.")
            .ValidateOnStart();
        services.AddSingleton<ChargeBaselines>();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<AlertStore>();
        services.AddSingleton<ClaimIntakeHandler>();
        services.AddSingleton<BundleIntakeHandler>();
        services.AddSingleton<TenantPipelinePolicies>();
        services.AddOptions<Notifications.NotificationOptions>().BindConfiguration(Notifications.NotificationOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.IsUsable(), "Notifications: RetrySchedule must be positive hh:mm:ss delays, DeliveryTimeout 0-2 min, RetryWindow up to 6 days, SecretOverlap up to 7 days, StrandedAfter and LogRetention positive, SecretCacheDuration up to 1 h.")
            .ValidateOnStart();
        services.AddSingleton<Notifications.ISubscriptionSecrets>(sp =>
        {
            // In Azure the Bicep sets KeyVault__VaultUri: the secrets go to the vault, reached with the app's identity.
            var configuration = sp.GetRequiredService<IConfiguration>();
            return configuration["KeyVault:VaultUri"] is { Length: > 0 } vault
                ? new Notifications.KeyVaultSubscriptionSecrets(
                    new Azure.Security.KeyVault.Secrets.SecretClient(new Uri(vault, UriKind.Absolute), global::Claims.Storage.StorageConnection.AppCredential(configuration)),
                    sp.GetRequiredService<TimeProvider>(),
                    sp.GetRequiredService<IOptions<Notifications.NotificationOptions>>(),
                    sp.GetRequiredService<ILogger<Notifications.KeyVaultSubscriptionSecrets>>())
                : new Notifications.TableSubscriptionSecrets();
        });
        services.AddSingleton<Notifications.SubscriptionStore>();
        services.AddSingleton<Notifications.NotificationItems>();
        services.AddSingleton<Notifications.NotificationRecorder>();
        services.AddSingleton<Notifications.NotificationSender>();
        services.AddSingleton<Notifications.NotificationDelivery>();
        services.AddSingleton<Notifications.SubscriptionAdminHandler>();
        services.AddSingleton<Notifications.NotificationSweeper>();
        services.AddSingleton<ClaimTransitions>();
        services.AddSingleton<ClaimEvaluator>();
        services.AddSingleton<ClaimPipelineActivities>();
        services.AddSingleton<ClaimPipelineStarter>();
        services.AddSingleton<IPoisonMessageHandler, PoisonMessageRecorder>();
        services.AddSingleton<PoisonMessageArchive>();
        services.AddSingleton<Authorizations.AuthorizationStore>();
        services.AddSingleton<Authorizations.AuthorizationAdminHandler>();
        services.AddSingleton<Authorizations.AuthorizationUnits>();
        services.AddSingleton<Authorizations.AuthorizationGate>();
        services.AddSingleton<Authorizations.AuthorizationSweeper>();
        services.AddSingleton<StuckClaimSweeper>();
        services.AddSingleton<X12.X12InterchangeStore>();
        services.AddSingleton<X12.X12ControlNumbers>();
        services.AddSingleton<X12.TenantOutboundSettingsStore>();
        services.AddSingleton<X12.X12ProfileAdminHandler>();
        services.AddSingleton<OutboundBlobSubmitter>();
        services.AddSingleton<X12.X12Outbound>();
        services.AddSingleton<X12.X12ClaimFiles>();
        services.AddSingleton<IClaimSubmitter>(sp => sp.GetRequiredService<X12.X12Outbound>());
        services.AddOptions<X12.AcknowledgmentInboxOptions>().BindConfiguration(X12.AcknowledgmentInboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<X12.AcknowledgmentInbox>();
        services.AddSingleton<Validation.FhirValidator>();
        services.AddHostedService(sp => sp.GetRequiredService<Validation.FhirValidator>());
        services.AddSingleton<Validation.FhirValidationHandler>();
        return services;
    }
}
