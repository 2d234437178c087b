using Claims.Application.Claims;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;
using Claims.Core.Rules;
using Claims.Storage.Rest;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// The RulesEngine step (queue claims-intake): load the claim and its document, score the denial risk, run the
/// tenant's active rule set, store the result, trace and any changed document, move the pipeline to Evaluating,
/// then hand the outcome to the pipeline (claims-pipeline). A repeat of the message for a claim that has moved on
/// does nothing; a repeat while still Evaluating evaluates again with the same result (same claim, same version).
/// </summary>
public sealed partial class RulesEngineHandler(
    ClaimRepository claims,
    RuleSetStore ruleSets,
    PipelineRunner runner,
    StorageClients storage,
    TimeProvider time,
    ILogger<RulesEngineHandler> logger,
    IAuthorizationLookup? authorizations = null)
{
    private readonly BlobContainerClient documents = storage.Container(StorageNames.DocumentsContainer);
    private readonly QueueClient pipelineQueue = storage.Queue(StorageNames.PipelineQueue);

    public async Task HandleAsync(EvaluateClaim message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var record = await claims.GetAsync(message.Tenant, message.Claim, cancellationToken).ConfigureAwait(false);
        if (record is null || record.Status is not (nameof(PipelineStatus.Received) or nameof(PipelineStatus.Evaluating)))
        {
            LogSkipped(logger, message.Tenant.Value, message.Claim.Value, record?.Status ?? "missing");
            return;
        }

        var blob = await documents.DownloadAsync(record.DocumentBlob, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Claim {record.Id.Value} has no document blob.");
        var document = FhirIntake.ReadDocument(blob.Content);
        var facts = document.ToFacts(record.SubmittedVia);
        var rules = await ruleSets.GetActiveAsync(message.Tenant, cancellationToken).ConfigureAwait(false);
        var authorization = authorizations?.FindMatching(facts);
        var risk = RiskScorer.Score(facts, authorization, null);
        var result = rules.Compiled.Evaluate(facts, new EvaluationContext(authorization, risk));

        var documentBlob = record.DocumentBlob;
        if (result.Claim != facts)
        {
            // The rules changed the claim: keep the original document and write the corrected one beside it.
            documentBlob = $"{message.Tenant.Value}/{message.Claim.Value}.v{rules.Version}.json";
            await documents.UploadAsync(documentBlob, document.WithFacts(result.Claim).ToBundleJson(), "application/fhir+json", ct: cancellationToken).ConfigureAwait(false);
        }

        var resultJson = System.Text.Encoding.UTF8.GetString(result.ToJson());
        if (resultJson.Length > ClaimRepository.MaxInlineJsonChars)
        {
            var resultBlob = $"{message.Tenant.Value}/{message.Claim.Value}.result.json";
            await documents.UploadAsync(resultBlob, result.ToJson(), "application/json", ct: cancellationToken).ConfigureAwait(false);
            resultJson = $$"""{"blob":"{{StorageNames.DocumentsContainer}}/{{resultBlob}}"}""";
        }

        ClaimRecord WithResult(ClaimRecord r) => r with { RuleResultJson = resultJson, RuleSetVersion = rules.Version, DocumentBlob = documentBlob };

        var now = time.GetUtcNow();
        var started = await runner.ApplyAsync(message.Tenant, message.Claim, new EvaluationStarted(now, Actors.RulesEngine), cancellationToken, WithResult).ConfigureAwait(false);
        if (started.Kind != DecisionKind.Transition)
        {
            if (started.Claim is not { Status: nameof(PipelineStatus.Evaluating) } evaluating)
            {
                LogSkipped(logger, message.Tenant.Value, message.Claim.Value, started.Claim?.Status ?? "missing");
                return;
            }

            // Already Evaluating (a reevaluate release, or a redelivery): store the new result on its own.
            await claims.UpdateAsync(WithResult(evaluating), cancellationToken).ConfigureAwait(false);
        }

        var evaluated = new RulesEvaluated(
            time.GetUtcNow(),
            Actors.RulesEngine,
            result.IsHold ? RulesOutcome.Hold : RulesOutcome.Pass,
            rules.Version,
            result.HeldBy?.RuleId,
            result.HeldBy?.Reason,
            message.Round);
        await pipelineQueue.SendMessageAsync(new PipelineMessage(message.Tenant, message.Claim, evaluated).ToJson(), ct: cancellationToken).ConfigureAwait(false);
        LogEvaluated(logger, message.Tenant.Value, message.Claim.Value, evaluated.Outcome, rules.Version);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} not evaluated (status {Status})")]
    private static partial void LogSkipped(ILogger logger, string tenant, string claimId, string status);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} evaluated {Outcome} under rule set {Version}")]
    private static partial void LogEvaluated(ILogger logger, string tenant, string claimId, RulesOutcome outcome, string version);
}
