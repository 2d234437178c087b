// Every log message of this project, by event id (STYLE.md: all event ids in one file per project, so two
// messages can never share an id). LogEventIdTests checks that the ids are unique across the projects and
// that no message is declared outside this file.
using Claims.Core.Notifications;
using Claims.Core.Pipeline;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Claims.Application;

/// <summary>The project's source-generated log messages.</summary>
internal static partial class Logs
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} accepted")]
    internal static partial void ClaimIntakeHandlerAccepted(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Tenant {Tenant}: repeat of claim {ClaimId} answered idempotently")]
    internal static partial void ClaimIntakeHandlerReplayed(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "Tenant {Tenant}: committed {Count} staged claims")]
    internal static partial void ClaimIntakeHandlerCommitted(ILogger logger, string tenant, int count);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Tenant {Tenant}: {BundleType} Bundle with {Claims} Claims answered, {Accepted} valid")]
    internal static partial void BundleIntakeHandlerBundle(ILogger logger, string tenant, string bundleType, int claims, int accepted);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Tenant {Tenant}: pipeline step for unknown claim {ClaimId} ignored")]
    internal static partial void ClaimTransitionsClaimMissing(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} {From} -> {To}")]
    internal static partial void ClaimTransitionsTransition(ILogger logger, string tenant, string claimId, PipelineStatus from, PipelineStatus to);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Tenant {Tenant}: staged claim {ClaimId} never committed; removed")]
    internal static partial void StuckClaimSweeperStagedExpired(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Stuck-claim sweep acted on {Count} claims")]
    internal static partial void StuckClaimSweeperSwept(ILogger logger, int count);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} pending {Kind} was not taken up; its event was raised again")]
    internal static partial void StuckClaimSweeperReraised(ILogger logger, string tenant, string claimId, string kind);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Poison message {MessageId} from {Queue} recorded (audit row and alert) for tenant partition {Tenant}")]
    internal static partial void PoisonMessagesRecorded(ILogger logger, string queue, string messageId, string tenant);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "Poison message {MessageId} from {Queue} kept as {Blob}")]
    internal static partial void PoisonMessageArchiveKept(ILogger logger, string queue, string messageId, string blob);

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} pipeline step {Status}")]
    internal static partial void ClaimPipelineOrchestratorStep(ILogger logger, string tenant, string claimId, string status);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} got {Event} for hold {HoldGeneration}")]
    internal static partial void ClaimPipelineOrchestratorSignal(ILogger logger, string tenant, string claimId, string @event, int holdGeneration);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} submit gave up after its retries ({ErrorType})")]
    internal static partial void ClaimPipelineOrchestratorSubmitGaveUp(ILogger logger, string tenant, string claimId, string errorType);

    [LoggerMessage(EventId = 4304, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} got acknowledgment {Kind} {Outcome} for submission {Submission}")]
    internal static partial void ClaimPipelineOrchestratorAcknowledgment(ILogger logger, string tenant, string claimId, string kind, string outcome, int submission);

    [LoggerMessage(EventId = 4310, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} submit attempt {Attempt} failed transiently; attempt {Next} follows")]
    internal static partial void ClaimPipelineActivitiesRetrying(ILogger logger, string tenant, string claimId, int attempt, int next);

    [LoggerMessage(EventId = 4311, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} passed; its first submit attempt with the evaluation ended without a result ({Error}): the submit activity makes it")]
    internal static partial void ClaimPipelineActivitiesFirstAttemptDeferred(ILogger logger, string tenant, string claimId, string error);

    [LoggerMessage(EventId = 4401, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} pipeline started")]
    internal static partial void ClaimPipelineStarterStarted(ILogger logger, string tenant, string claimId);

    [LoggerMessage(EventId = 4402, Level = LogLevel.Debug, Message = "Tenant {Tenant}: claim {ClaimId} pipeline exists already ({Status}); not started again")]
    internal static partial void ClaimPipelineStarterAlreadyStarted(ILogger logger, string tenant, string claimId, OrchestrationRuntimeStatus status);

    [LoggerMessage(EventId = 4501, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} {Kind} recorded but its event could not be raised; the sweep raises it again")]
    internal static partial void ClaimActionsSignalFailed(ILogger logger, Exception exception, string tenant, string claimId, string kind);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} cancelled; its units could not be given back now, the orchestration gives them back")]
    internal static partial void ClaimActionsGiveBackDeferred(ILogger logger, Exception exception, string tenant, string claimId);

    [LoggerMessage(EventId = 4601, Level = LogLevel.Information, Message = "Tenant {Tenant}: acknowledgment file {File} processed, {Delivered} acknowledgment(s) delivered")]
    internal static partial void AcknowledgmentInboxProcessed(ILogger logger, string tenant, string file, int delivered);

    [LoggerMessage(EventId = 4602, Level = LogLevel.Warning, Message = "Tenant partition {Tenant}: acknowledgment file {File} kept aside ({Problems} problem(s), {Delivered} delivered)")]
    internal static partial void AcknowledgmentInboxKeptAside(ILogger logger, string tenant, string file, int problems, int delivered);

    [LoggerMessage(EventId = 4603, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} acknowledgment {Kind} {Outcome} raised for submission {Submission}")]
    internal static partial void AcknowledgmentInboxDelivered(ILogger logger, string tenant, string claimId, string kind, string outcome, int submission);

    [LoggerMessage(EventId = 4604, Level = LogLevel.Warning, Message = "Acknowledgment file {File} left in the inbox for the next run")]
    internal static partial void AcknowledgmentInboxFileFailed(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 4605, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} acknowledgment {Kind} for interchange {Isa13} answers an earlier submission than {Submission}; recorded, not raised")]
    internal static partial void AcknowledgmentInboxSuperseded(ILogger logger, string tenant, string claimId, string kind, string isa13, int submission);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} not evaluated (status {Status})")]
    internal static partial void ClaimEvaluatorSkipped(ILogger logger, string tenant, string claimId, string status);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} evaluated {Outcome} under rule set {Version}")]
    internal static partial void ClaimEvaluatorEvaluated(ILogger logger, string tenant, string claimId, RulesOutcome outcome, string version);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Tenant {Tenant}: rule set version {Version} saved ({RuleCount} rules) by key {KeyId}")]
    internal static partial void RuleSetAdminHandlerSaved(ILogger logger, string tenant, string version, int ruleCount, string keyId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Tenant {Tenant}: a draft rule set's {TestCount} tests ran without saving, {FailedCount} failed")]
    internal static partial void RuleSetAdminHandlerTestsRun(ILogger logger, string tenant, int testCount, int failedCount);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Debug, Message = "Charge baselines of tenant {Tenant}: another instance wrote first (attempt {Attempt}, status {Status}); re-reading")]
    internal static partial void ChargeBaselinesConflict(ILogger logger, string tenant, int attempt, int status);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Charge baselines of tenant {Tenant}: {Codes} codes still conflicting after {Attempts} attempts; kept for the next flush")]
    internal static partial void ChargeBaselinesDeferred(ILogger logger, string tenant, int codes, int attempts);

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Charge baselines of tenant {Tenant}: flush failed ({Reason}); {Codes} codes kept for the next flush")]
    internal static partial void ChargeBaselinesFlushFailed(ILogger logger, string tenant, int codes, string reason);

    [LoggerMessage(EventId = 5204, Level = LogLevel.Warning, Message = "Charge baselines of tenant {Tenant}: row {Code} is not a count and total; ignored, replaced at the next flush of that code")]
    internal static partial void ChargeBaselinesUnreadable(ILogger logger, string tenant, string code);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "FHIR validator ready after {Milliseconds} ms")]
    internal static partial void FhirValidatorReady(ILogger logger, long milliseconds);

    /// <summary>No payload content: the exception's type only.</summary>
    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "FHIR validator failed on a $validate resource ({ExceptionType}); answered with the intake's issues")]
    internal static partial void FhirValidatorValidatorFailed(ILogger logger, string exceptionType);

    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} would exceed the units of authorization {AuthNumber}")]
    internal static partial void AuthorizationUnitsExhausted(ILogger logger, string tenant, string claimId, string authNumber);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Authorization sweep queued {Count} tenants")]
    internal static partial void AuthorizationSweeperEnqueued(ILogger logger, int count);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Information, Message = "Tenant {Tenant}: authorization sweep reviewed {Reviewed}, changed {Changed}, raised {Alerts} alerts")]
    internal static partial void AuthorizationSweeperSwept(ILogger logger, string tenant, int reviewed, int changed, int alerts);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Tenant {Tenant}: outbound settings version {Version} saved (format {Format}) by key {KeyId}")]
    internal static partial void X12ProfileAdminHandlerSaved(ILogger logger, string tenant, long version, string format, string keyId);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} held: {ProblemCount} 837P problems")]
    internal static partial void X12OutboundHeld(ILogger logger, string tenant, string claimId, int problemCount);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Warning, Message = "Tenant {Tenant}: claim {ClaimId} not sent as an 837P: {ProblemCount} problems")]
    internal static partial void X12OutboundRefused(ILogger logger, string tenant, string claimId, int problemCount);

    [LoggerMessage(EventId = 7004, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} in interchange {Isa13} (written now: {Written})")]
    internal static partial void X12OutboundWritten(ILogger logger, string tenant, string claimId, string isa13, bool written);

    [LoggerMessage(EventId = 8001, Level = LogLevel.Debug, Message = "Tenant {Tenant}: claim {ClaimId} notification {Event} recorded for subscription {SubscriptionId}")]
    internal static partial void NotificationRecorderRecorded(ILogger logger, string tenant, string claimId, string subscriptionId, ClaimEvent @event);

    [LoggerMessage(EventId = 8010, Level = LogLevel.Information, Message = "Tenant {Tenant}: subscription {SubscriptionId} notification {WebhookId} attempt {Attempt}: {Result} -> {Verdict}")]
    internal static partial void NotificationDeliveryAttempt(ILogger logger, string tenant, string subscriptionId, string webhookId, int attempt, string result, DeliveryVerdict verdict);

    [LoggerMessage(EventId = 8011, Level = LogLevel.Information, Message = "Tenant {Tenant}: subscription {SubscriptionId} notification {Id} skipped ({Reason})")]
    internal static partial void NotificationDeliverySkipped(ILogger logger, string tenant, string subscriptionId, string id, string reason);

    [LoggerMessage(EventId = 8012, Level = LogLevel.Information, Message = "Tenant {Tenant}: subscription {SubscriptionId} is deleted or switched off; nothing sent")]
    internal static partial void NotificationDeliverySubscriptionInactive(ILogger logger, string tenant, string subscriptionId);

    [LoggerMessage(EventId = 8013, Level = LogLevel.Warning, Message = "Tenant {Tenant}: subscription {SubscriptionId} switched off, deliveries failing since {Since}")]
    internal static partial void NotificationDeliveryDisabled(ILogger logger, string tenant, string subscriptionId, string since);

    [LoggerMessage(EventId = 8020, Level = LogLevel.Information, Message = "Tenant {Tenant}: subscription {SubscriptionId} {What} by key {KeyId}")]
    internal static partial void SubscriptionAdminHandlerWritten(ILogger logger, string tenant, string subscriptionId, string what, string keyId);

    [LoggerMessage(EventId = 8030, Level = LogLevel.Information, Message = "Tenant {Tenant}: notification sweep looked at {Markers} pending markers, queued {Queued} claims again, cleared {Cleared}")]
    internal static partial void NotificationSweeperSwept(ILogger logger, string tenant, int markers, int queued, int cleared);

    [LoggerMessage(EventId = 8031, Level = LogLevel.Information, Message = "Tenant {Tenant}: purged {Deleted} delivery-log rows older than {Cutoff:o}")]
    internal static partial void NotificationSweeperPurged(ILogger logger, string tenant, int deleted, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 8040, Level = LogLevel.Information, Message = "Tenant {Tenant}: subscription {SubscriptionId} signing secret stored in Key Vault as {SecretName} version {Version}")]
    internal static partial void SubscriptionSecretsStored(ILogger logger, string tenant, string subscriptionId, string secretName, string version);

    [LoggerMessage(EventId = 8041, Level = LogLevel.Warning, Message = "Tenant {Tenant}: subscription {SubscriptionId} deleted but its Key Vault secret {SecretName} could not be deleted (HTTP {Status}); delete it by hand")]
    internal static partial void SubscriptionSecretsDeleteFailed(ILogger logger, string tenant, string subscriptionId, string secretName, int status);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Information, Message = "Worklist index for tenant {Tenant}: {Indexed} claims added")]
    internal static partial void WorklistReindexerReindexed(ILogger logger, string tenant, int indexed);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Information, Message = "Worklist index backfill for tenant {Tenant} (index version {Version}): {Indexed} claims added; recorded, not run again")]
    internal static partial void WorklistReindexerBackfilled(ILogger logger, string tenant, int indexed, int version);
}
