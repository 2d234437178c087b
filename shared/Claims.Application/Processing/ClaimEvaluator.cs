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

/// <summary>What an evaluation left: where the claim stands; after a PASS this run recorded, the row as saved and the
/// document to submit (else null).</summary>
public sealed record Evaluation(ClaimStep Step, ClaimRecord? Passed = null, ReadOnlyMemory<byte>? Document = null);

/// <summary>
/// The evaluation step of the claim pipeline (activity <see cref="PipelineNames.EvaluateClaim"/>): load the claim and
/// its document as received, score the denial risk, run the tenant's active rule set, write any corrected document,
/// consume the authorization units of a PASS (too few turn it into a hold), then record EvaluationStarted and the
/// verdict on the claim row in one save with the result, trace and rule-set version, and an audit row per change and
/// one for the outcome. A claim that is not Received or Evaluating (it moved on: a re-run of the activity, a cancel,
/// or an orchestration started again by the sweep) is left as it is and its current step returned.
/// </summary>
public sealed partial class ClaimEvaluator(
    ClaimRepository claims,
    RuleSetStore ruleSets,
    ClaimTransitions transitions,
    ClaimDocuments documentStore,
    StorageClients storage,
    TimeProvider time,
    ILogger<ClaimEvaluator> logger,
    IAuthorizationLookup? authorizations = null,
    Authorizations.AuthorizationGate? authorizationGate = null,
    ChargeBaselines? chargeBaselines = null,
    X12.X12Outbound? x12 = null)
{
    private readonly BlobContainerClient documents = storage.Container(StorageNames.DocumentsContainer);

    /// <summary>
    /// Evaluates the claim at the orchestration's time <paramref name="at"/> (the time of the transitions it records,
    /// so a re-run records the same ones) and returns where the claim stands after it; when this run recorded a PASS,
    /// also the row as saved and the document to submit (the corrected one when the rules changed the claim), so the
    /// first submit attempt can follow without reading them again.
    /// </summary>
    public async Task<Evaluation> EvaluateAsync(TenantId tenant, ClaimId claimId, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
        if (record?.PipelineJson is null || record.Status is not (nameof(PipelineStatus.Received) or nameof(PipelineStatus.Evaluating)))
        {
            Logs.ClaimEvaluatorSkipped(logger, tenant.Value, claimId.Value, record?.Status ?? "missing");
            return new Evaluation(ClaimStep.From(record));
        }

        var round = PipelineJson.DeserializeState(record.PipelineJson).EvaluationRound;

        // Always the document as received: a reevaluate round must not see this engine's own corrections.
        var loaded = await documentStore.LoadOriginalAsync(record, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Claim {record.Id.Value} has no document.");
        var document = loaded.Document;
        var facts = document.ToFacts(record.SubmittedVia);
        var rules = await ruleSets.GetActiveAsync(tenant, cancellationToken).ConfigureAwait(false);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var preloaded = authorizationGate is null ? null : await authorizationGate.PreloadAsync(tenant, facts, cancellationToken).ConfigureAwait(false);
        var usualCharges = chargeBaselines is null ? null : await chargeBaselines.GetUsualChargesAsync(tenant, cancellationToken).ConfigureAwait(false);
        var result = rules.Compiled.Evaluate(facts, EvaluationContext.Create(facts, preloaded ?? authorizations, usualCharges, today));

        var documentBlob = loaded.Blob;
        var submitted = loaded.BundleJson;
        if (result.Claim != facts)
        {
            // The rules changed the claim: keep the original document and write the corrected one beside it.
            documentBlob = ClaimDocuments.CorrectedName(loaded.Blob, rules.Version);
            var corrected = document.WithFacts(result.Claim).ToBundleJson();
            await documents.PutBlobAsync(documentBlob, new BinaryData(corrected), "application/fhir+json", cancellationToken).ConfigureAwait(false);
            submitted = corrected;
        }

        var resultBytes = result.ToJson();
        var resultJson = System.Text.Encoding.UTF8.GetString(resultBytes);
        if (resultJson.Length > ClaimRepository.MaxInlineJsonChars)
        {
            var resultBlob = $"{tenant.Value}/{claimId.Value}.result.json";
            await documents.PutBlobAsync(resultBlob, new BinaryData(resultBytes), "application/json", cancellationToken).ConfigureAwait(false);
            resultJson = $$"""{"blob":"{{StorageNames.DocumentsContainer}}/{{resultBlob}}"}""";
        }

        ClaimRecord WithResult(ClaimRecord r) => r with { RuleResultJson = resultJson, RuleSetVersion = rules.Version, DocumentBlob = documentBlob, Payer = result.Claim.PayerId };

        var evaluated = new RulesEvaluated(
            at,
            Actors.RulesEngine,
            result.IsHold ? RulesOutcome.Hold : RulesOutcome.Pass,
            rules.Version,
            result.HeldBy?.RuleId,
            result.HeldBy?.Reason,
            round);
        if (evaluated.Outcome == RulesOutcome.Pass && x12 is not null)
        {
            // Never an invalid 837 (docs/X12.md): a tenant sending 837Ps holds a claim the 837P cannot carry, before
            // its units are consumed, with every missing element as the hold's reason (release and cancel as usual).
            var prior = X12.X12Outbound.PriorAuthorization(result.Claim, (IAuthorizationLookup?)preloaded ?? authorizations, today);
            if (await x12.HoldReasonAsync(tenant, claimId, submitted, prior, cancellationToken).ConfigureAwait(false) is { } reason)
            {
                evaluated = evaluated with { Outcome = RulesOutcome.Hold, HeldByRuleId = X12.X12Outbound.HoldRuleId, HoldReason = reason };
            }
        }

        var consumed = false;
        if (authorizationGate is not null)
        {
            // Units are consumed before a PASS is recorded (the orchestration submits it next); too few units turn it
            // into a hold. Idempotent per claim, so a re-run of this activity consumes nothing more.
            (evaluated, consumed) = await authorizationGate.BeforeSubmitAsync(tenant, claimId, facts, preloaded, evaluated, cancellationToken).ConfigureAwait(false);
        }

        var applied = await transitions.ApplyAsync(
            tenant,
            claimId,
            [new EvaluationStarted(at, Actors.RulesEngine), evaluated],
            new TransitionOptions(Known: record, Mutate: WithResult, BeforeLast: AuditRows(round, rules.Version, result, at), ClearPending: true),
            cancellationToken).ConfigureAwait(false);
        if (applied.Kind != DecisionKind.Transition)
        {
            if (consumed && applied.Claim?.Status == nameof(PipelineStatus.Cancelled))
            {
                // The claim was cancelled while this ran (its give-back may have run before these units were taken):
                // a cancelled claim consumes nothing.
                await authorizationGate!.GiveBackAsync(tenant, claimId, cancellationToken).ConfigureAwait(false);
            }

            Logs.ClaimEvaluatorSkipped(logger, tenant.Value, claimId.Value, applied.Claim?.Status ?? "missing");
            return new Evaluation(ClaimStep.From(applied.Claim));
        }

        if (evaluated.Outcome == RulesOutcome.Pass && chargeBaselines is not null && applied.Decision!.State.History.Count(h => h.To == PipelineStatus.Submitting) == 1)
        {
            // The tenant's usual charges learn from claims that pass, once per claim: only on its first entry into
            // Submitting (not again after a reevaluate release).
            chargeBaselines.Observe(tenant, result.Claim);
        }

        Logs.ClaimEvaluatorEvaluated(logger, tenant.Value, claimId.Value, evaluated.Outcome, rules.Version);
        var step = ClaimStep.From(applied.Claim);
        return step.Is(PipelineStatus.Submitting) ? new Evaluation(step, applied.Claim, submitted) : new Evaluation(step);
    }

    /// <summary>
    /// One audit row per change the rules made and one for the outcome. They are written with the verdict's own rows,
    /// keyed by the transition, so a re-run of the activity writes them once (docs/PIPELINE.md).
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
}
