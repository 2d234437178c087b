using System.Globalization;
using Claims.Application.Audit;
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
/// write an audit row per change and one for the outcome, then hand the outcome to the pipeline (claims-pipeline).
/// A repeat of the message for a claim that has moved on (or of an earlier round) does nothing; a repeat while still
/// Evaluating evaluates again, overwrites the result with the same one and lands on the audit rows already written.
/// </summary>
public sealed partial class RulesEngineHandler(
    ClaimRepository claims,
    RuleSetStore ruleSets,
    PipelineRunner runner,
    AuditLog audit,
    StorageClients storage,
    TimeProvider time,
    ILogger<RulesEngineHandler> logger,
    IAuthorizationLookup? authorizations = null,
    Authorizations.AuthorizationGate? authorizationGate = null)
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

        // A message of an earlier round (redelivered after a reevaluate release) must not overwrite the newer
        // round's result; the pipeline would ignore its verdict anyway.
        if (record.PipelineJson is { } pipelineJson && PipelineJson.DeserializeState(pipelineJson).EvaluationRound != message.Round)
        {
            LogSkipped(logger, message.Tenant.Value, message.Claim.Value, "stale round");
            return;
        }

        // Always the document as received: a redelivery (or a reevaluate round) must not see this engine's own
        // corrections, or it would report fewer changes than the first run and its audit rows would not line up.
        var original = OriginalDocument(record.DocumentBlob);
        var blob = await documents.DownloadAsync(original, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Claim {record.Id.Value} has no document blob.");
        var document = FhirIntake.ReadDocument(blob.Content);
        var facts = document.ToFacts(record.SubmittedVia);
        var rules = await ruleSets.GetActiveAsync(message.Tenant, cancellationToken).ConfigureAwait(false);
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var preloaded = authorizationGate is null ? null : await authorizationGate.PreloadAsync(message.Tenant, facts, cancellationToken).ConfigureAwait(false);
        var result = rules.Compiled.Evaluate(facts, EvaluationContext.Create(facts, preloaded ?? authorizations, null, today));

        var documentBlob = original;
        if (result.Claim != facts)
        {
            // The rules changed the claim: keep the original document and write the corrected one beside it.
            documentBlob = CorrectedDocument(original, rules.Version);
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
        var evaluating = started.Claim;
        if (started.Kind != DecisionKind.Transition)
        {
            // Already Evaluating (a reevaluate release, or a redelivery): store the new result on its own.
            evaluating = await StoreResultAsync(message, WithResult, cancellationToken).ConfigureAwait(false);
            if (evaluating is null)
            {
                return;
            }
        }

        await AuditAsync(message, evaluating!, rules.Version, result, cancellationToken).ConfigureAwait(false);
        var evaluated = new RulesEvaluated(
            time.GetUtcNow(),
            Actors.RulesEngine,
            result.IsHold ? RulesOutcome.Hold : RulesOutcome.Pass,
            rules.Version,
            result.HeldBy?.RuleId,
            result.HeldBy?.Reason,
            message.Round);
        if (authorizationGate is not null)
        {
            // Units are consumed before a PASS reaches the pipeline (which submits at once); too few units turn it into a hold.
            evaluated = await authorizationGate.BeforeSubmitAsync(message.Tenant, message.Claim, facts, preloaded, evaluated, cancellationToken).ConfigureAwait(false);
        }

        await pipelineQueue.SendMessageAsync(new PipelineMessage(message.Tenant, message.Claim, evaluated).ToJson(), ct: cancellationToken).ConfigureAwait(false);
        LogEvaluated(logger, message.Tenant.Value, message.Claim.Value, evaluated.Outcome, rules.Version);
    }

    /// <summary>Stores the result on a claim that is already Evaluating; null (nothing stored) once it has moved on.</summary>
    private async Task<ClaimRecord?> StoreResultAsync(EvaluateClaim message, Func<ClaimRecord, ClaimRecord> withResult, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var current = await claims.GetAsync(message.Tenant, message.Claim, cancellationToken).ConfigureAwait(false);
            if (current is not { Status: nameof(PipelineStatus.Evaluating) })
            {
                LogSkipped(logger, message.Tenant.Value, message.Claim.Value, current?.Status ?? "missing");
                return null;
            }

            try
            {
                return await claims.UpdateAsync(withResult(current), cancellationToken).ConfigureAwait(false);
            }
            catch (ETagMismatchException) when (attempt < 5)
            {
                // The pipeline (or another delivery) wrote the row since we read it: look again.
            }
        }
    }

    /// <summary>
    /// One audit row per change the rules made and one for the outcome. The keys ({claim}-r{round}-{index}) and the
    /// time (when this round's evaluation started, read from the pipeline history) are the same on every delivery
    /// of the message, so a redelivery lands on the rows already written and adds none.
    /// </summary>
    private async Task AuditAsync(EvaluateClaim message, ClaimRecord claim, string version, RuleResult result, CancellationToken cancellationToken)
    {
        var at = RoundStartedAt(claim);
        var prefix = string.Create(CultureInfo.InvariantCulture, $"{message.Claim.Value}-r{message.Round}");
        for (var i = 0; i < result.Changes.Count; i++)
        {
            var change = result.Changes[i];
            var field = change.ItemSequence is { } item
                ? string.Create(CultureInfo.InvariantCulture, $"{change.Field} (item {item})")
                : change.Field;
            var entry = new AuditEntry(
                message.Tenant, at, Actors.RulesEngine, message.Claim, "rules.change", "SUCCESS",
                $"{field}: {Describe(change.Before)} -> {Describe(change.After)}",
                RuleId: change.RuleId, RuleSetVersion: version);
            await audit.AppendAsync(entry, string.Create(CultureInfo.InvariantCulture, $"{prefix}-{i}"), cancellationToken).ConfigureAwait(false);
        }

        var outcome = new AuditEntry(
            message.Tenant, at, Actors.RulesEngine, message.Claim, "rules.evaluated", "SUCCESS",
            string.Create(CultureInfo.InvariantCulture, $"{result.Outcome}; risk {result.Risk.Score}; {result.Changes.Count} changes; round {message.Round}"),
            RuleId: result.HeldBy?.RuleId, RuleSetVersion: version, Note: result.HeldBy?.Reason);
        await audit.AppendAsync(outcome, prefix + "-result", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>"{tenant}/{claim}.json" → "{tenant}/{claim}.v{version}.json" (the document the rules corrected).</summary>
    private static string CorrectedDocument(string original, string version) =>
        original.EndsWith(".json", StringComparison.Ordinal) ? $"{original[..^5]}.v{version}.json" : $"{original}.v{version}.json";

    /// <summary>The inverse of <see cref="CorrectedDocument"/>; any other name is returned as it is.</summary>
    private static string OriginalDocument(string blob)
    {
        const string suffix = ".json";
        var marker = blob.LastIndexOf(".v", StringComparison.Ordinal);
        if (marker < 0 || !blob.EndsWith(suffix, StringComparison.Ordinal) || marker + 2 >= blob.Length - suffix.Length)
        {
            return blob;
        }

        var digits = blob.AsSpan(marker + 2, blob.Length - suffix.Length - marker - 2);
        return digits.ContainsAnyExceptInRange('0', '9') ? blob : blob[..marker] + suffix;
    }

    private static DateTimeOffset RoundStartedAt(ClaimRecord claim)
    {
        var state = PipelineJson.DeserializeState(claim.PipelineJson!);
        for (var i = state.History.Length - 1; i >= 0; i--)
        {
            if (state.History[i].To == PipelineStatus.Evaluating)
            {
                return state.History[i].At;
            }
        }

        return state.UpdatedAt;
    }

    private static string Describe(FieldSnapshot value) =>
        value.IsList ? "[" + string.Join(", ", value.List) + "]" : value.Text ?? "(none)";

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} not evaluated (status {Status})")]
    private static partial void LogSkipped(ILogger logger, string tenant, string claimId, string status);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Tenant {Tenant}: claim {ClaimId} evaluated {Outcome} under rule set {Version}")]
    private static partial void LogEvaluated(ILogger logger, string tenant, string claimId, RulesOutcome outcome, string version);
}
