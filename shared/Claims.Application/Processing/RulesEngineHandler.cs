using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Claims.Application.Audit;
using Claims.Application.Claims;
using Claims.Application.Rules;
using Claims.Application.Storage;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;
using Claims.Core.Rules;
using Claims.Storage;
using Microsoft.Extensions.Logging;

namespace Claims.Application.Processing;

/// <summary>
/// The RulesEngine step (queue claims-intake): load the claim and its document, score the denial risk, run the
/// tenant's active rule set, write any changed document, then hand the verdict to the pipeline runner in the same
/// invocation (docs/PIPELINE.md "One hop"): one save moves the claim to Held or Submitting with the result, trace and
/// rule-set version, and its outbox holds an audit row per change and one for the outcome; a PASS is submitted at once.
/// A repeat of the message for a claim that has moved on (or of an earlier round) does nothing; a repeat that races
/// the first delivery loses on the ETag and stores nothing.
/// </summary>
public sealed partial class RulesEngineHandler(
    ClaimRepository claims,
    RuleSetStore ruleSets,
    PipelineRunner runner,
    ClaimDocuments documentStore,
    StorageClients storage,
    TimeProvider time,
    ILogger<RulesEngineHandler> logger,
    IAuthorizationLookup? authorizations = null,
    Authorizations.AuthorizationGate? authorizationGate = null,
    ChargeBaselines? chargeBaselines = null)
{
    private readonly BlobContainerClient documents = storage.Container(StorageNames.DocumentsContainer);

    public async Task HandleAsync(EvaluateClaim message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        // Intake's snapshot of the row saves a read; if the row moved on since, the save's If-Match fails and the
        // runner reloads (a redelivery then finds the claim past Evaluating and stores nothing).
        var record = ClaimRepository.FromSnapshot(message.Tenant, message.Claim, message.Row)
            ?? await claims.GetAsync(message.Tenant, message.Claim, cancellationToken).ConfigureAwait(false);
        if (record is null || record.Status is not (nameof(PipelineStatus.Received) or nameof(PipelineStatus.Evaluating)))
        {
            LogSkipped(logger, message.Tenant.Value, message.Claim.Value, record?.Status ?? "missing");
            return;
        }

        // A message of an earlier round (redelivered after a reevaluate release) must not overwrite the newer
        // round's result; the pipeline would ignore its verdict anyway.
        if (record.PipelineJson is { } pipelineJson && PipelineJson.DeserializeState(pipelineJson).EvaluationRound != message.Round)
        {
            LogSkipped(logger, message.Tenant.Value, message.Claim.Value, "stale round");
            return;
        }

        // Always the document as received: a reevaluate round must not see this engine's own corrections.
        var startedAt = time.GetUtcNow();
        var loaded = await documentStore.LoadOriginalAsync(record, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Claim {record.Id.Value} has no document.");
        var document = loaded.Document;
        var facts = document.ToFacts(record.SubmittedVia);
        var rules = await ruleSets.GetActiveAsync(message.Tenant, cancellationToken).ConfigureAwait(false);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var preloaded = authorizationGate is null ? null : await authorizationGate.PreloadAsync(message.Tenant, facts, cancellationToken).ConfigureAwait(false);
        var usualCharges = chargeBaselines is null ? null : await chargeBaselines.GetUsualChargesAsync(message.Tenant, cancellationToken).ConfigureAwait(false);
        var result = rules.Compiled.Evaluate(facts, EvaluationContext.Create(facts, preloaded ?? authorizations, usualCharges, today));

        var documentBlob = loaded.Blob;
        var handover = loaded.BundleJson;
        if (result.Claim != facts)
        {
            // The rules changed the claim: keep the original document and write the corrected one beside it.
            documentBlob = ClaimDocuments.CorrectedName(loaded.Blob, rules.Version);
            handover = document.WithFacts(result.Claim).ToBundleJson();
            await documents.PutBlobAsync(documentBlob, new BinaryData(handover), "application/fhir+json", cancellationToken).ConfigureAwait(false);
        }

        var resultBytes = result.ToJson();
        var resultJson = System.Text.Encoding.UTF8.GetString(resultBytes);
        if (resultJson.Length > ClaimRepository.MaxInlineJsonChars)
        {
            var resultBlob = $"{message.Tenant.Value}/{message.Claim.Value}.result.json";
            await documents.PutBlobAsync(resultBlob, new BinaryData(resultBytes), "application/json", cancellationToken).ConfigureAwait(false);
            resultJson = $$"""{"blob":"{{StorageNames.DocumentsContainer}}/{{resultBlob}}"}""";
        }

        ClaimRecord WithResult(ClaimRecord r) => r with { RuleResultJson = resultJson, RuleSetVersion = rules.Version, DocumentBlob = documentBlob };

        var evaluated = new RulesEvaluated(
            time.GetUtcNow(),
            Actors.RulesEngine,
            result.IsHold ? RulesOutcome.Hold : RulesOutcome.Pass,
            rules.Version,
            result.HeldBy?.RuleId,
            result.HeldBy?.Reason,
            message.Round);
        var consumed = false;
        if (authorizationGate is not null)
        {
            // Units are consumed before a PASS reaches the pipeline (which submits at once); too few units turn it into a hold.
            (evaluated, consumed) = await authorizationGate.BeforeSubmitAsync(message.Tenant, message.Claim, facts, preloaded, evaluated, cancellationToken).ConfigureAwait(false);
        }

        var applied = await runner.ApplyEvaluationAsync(
            message.Tenant,
            record,
            startedAt,
            evaluated,
            AuditRows(message.Round, rules.Version, result, evaluated.At),
            WithResult,
            new DocumentHandover(documentBlob, handover),
            cancellationToken).ConfigureAwait(false);
        if (applied.Kind != DecisionKind.Transition)
        {
            if (consumed && applied.Claim?.Status == nameof(PipelineStatus.Cancelled))
            {
                // The claim was cancelled after this run started (its give-back ran before these units were taken):
                // a cancelled claim consumes nothing.
                await authorizationGate!.GiveBackAsync(message.Tenant, message.Claim, cancellationToken).ConfigureAwait(false);
            }

            // Another delivery of this message (or a release) moved the claim first; nothing of this run was stored.
            LogSkipped(logger, message.Tenant.Value, message.Claim.Value, applied.Claim?.Status ?? "missing");
            return;
        }

        if (evaluated.Outcome == RulesOutcome.Pass && chargeBaselines is not null && applied.Decision!.State.History.Count(h => h.To == PipelineStatus.Submitting) == 1)
        {
            // The tenant's usual charges learn from claims that pass, once per claim: only on its first entry into
            // Submitting (not again after a reevaluate release).
            chargeBaselines.Observe(message.Tenant, result.Claim);
        }

        LogEvaluated(logger, message.Tenant.Value, message.Claim.Value, evaluated.Outcome, rules.Version);
    }

    /// <summary>
    /// One audit row per change the rules made and one for the outcome. They go into the pipeline's outbox with the
    /// verdict's own rows, so they are written once the result is saved, and once only (docs/PIPELINE.md).
    /// </summary>
    private static List<WriteAudit> AuditRows(int round, string version, RuleResult result, DateTimeOffset at)
    {
        var rows = new List<WriteAudit>(result.Changes.Count + 1);
        foreach (var change in result.Changes)
        {
            var field = change.ItemSequence is { } item
                ? string.Create(CultureInfo.InvariantCulture, $"{change.Field} (item {item})")
                : change.Field;
            rows.Add(new WriteAudit(
                "rules.change", PipelineAuditResult.Success, $"{field}: {Describe(change.Before)} -> {Describe(change.After)}", at, Actors.RulesEngine, RuleId: change.RuleId));
        }

        rows.Add(new WriteAudit(
            "rules.evaluated",
            PipelineAuditResult.Success,
            string.Create(CultureInfo.InvariantCulture, $"{result.Outcome}; risk {result.Risk.Score}; {result.Changes.Count} changes; round {round}; ruleset {version}"),
            at,
            Actors.RulesEngine,
            Note: result.HeldBy?.Reason,
            RuleId: result.HeldBy?.RuleId));
        return rows;
    }

    private static string Describe(FieldSnapshot value) =>
        value.IsList ? "[" + string.Join(", ", value.List) + "]" : value.Text ?? "(none)";

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} not evaluated (status {Status})")]
    private static partial void LogSkipped(ILogger logger, string tenant, string claimId, string status);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} evaluated {Outcome} under rule set {Version}")]
    private static partial void LogEvaluated(ILogger logger, string tenant, string claimId, RulesOutcome outcome, string version);
}
