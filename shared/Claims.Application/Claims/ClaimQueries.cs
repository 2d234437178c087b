using System.Text.Json;
using System.Text.Json.Nodes;
using Claims.Core.Claims;
using Claims.Core.Pipeline;

namespace Claims.Application.Claims;

/// <summary>Read models for the claims API.</summary>
public sealed class ClaimQueries(ClaimRepository claims)
{
    /// <summary>The claim as GET /claims/{id} shows it (JSON), or null when the tenant has no such claim.</summary>
    public async Task<string?> GetAsync(TenantId tenant, ClaimId claim, CancellationToken cancellationToken)
    {
        var record = await claims.GetAsync(tenant, claim, cancellationToken).ConfigureAwait(false);
        return record is null ? null : ToJson(record).ToJsonString();
    }

    /// <summary>A hold as the claims API shows it (the claim view and the worklist), or null when not held.</summary>
    internal static JsonObject? HoldView(HoldInfo? hold) => hold is null
        ? null
        : new JsonObject
        {
            ["ruleId"] = hold.RuleId,
            ["reason"] = hold.Reason,
            ["heldAt"] = hold.HeldAt,
            ["escalationDueAt"] = hold.EscalationDueAt,
            ["escalated"] = hold.Escalated,
        };

    /// <summary>
    /// The last payer acknowledgment as the claims API shows it (the claim view and the worklist), or null when none
    /// came: status (Accepted, Rejected, Other), kind (TA1, 999, 277CA), codes, reason, when, the payer's claim control
    /// number, the control numbers it answered and the submission it was for.
    /// </summary>
    internal static JsonObject? AcknowledgmentView(AcknowledgmentInfo? ack) => ack is null
        ? null
        : new JsonObject
        {
            ["status"] = ack.Outcome.ToString(),
            ["kind"] = ack.Kind,
            ["codes"] = ack.Codes,
            ["reason"] = ack.Reason,
            ["at"] = ack.At,
            ["payerClaimControlNumber"] = ack.PayerClaimControlNumber,
            ["controlNumbers"] = ack.ControlNumbers,
            ["submission"] = ack.Submission,
        };

    internal static JsonObject ToJson(ClaimRecord record)
    {
        var state = record.PipelineJson is null ? null : PipelineJson.DeserializeState(record.PipelineJson);
        var result = record.RuleResultJson is null ? null : JsonNode.Parse(record.RuleResultJson);
        var view = new JsonObject
        {
            ["claimId"] = record.Id.Value,
            ["status"] = record.Status,
            ["receivedAt"] = record.ReceivedAt,
            ["updatedAt"] = record.UpdatedAt,
            ["submittedVia"] = record.SubmittedVia,
            ["sourceResourceId"] = record.SourceResourceId,
            ["ruleSetVersion"] = record.RuleSetVersion,
            ["tags"] = result?["tags"]?.DeepClone() ?? new JsonArray(),
            ["hold"] = HoldView(state?.Hold),
            ["attempts"] = state?.Attempts ?? 0,
            ["submissionReference"] = state?.SubmissionReference,
            ["submission"] = SubmissionView(record, state),
            ["failureReason"] = state?.FailureReason,
            ["acknowledgment"] = AcknowledgmentView(state?.Acknowledgment),
            ["acknowledgmentDueAt"] = state?.Status == PipelineStatus.Submitted ? state.AcknowledgmentDueAt : null,
            ["ruleResult"] = result,
            ["history"] = state is null ? new JsonArray() : JsonNode.Parse(JsonSerializer.Serialize(
                state.History.Select(h => new HistoryView(h.At, h.From?.ToString(), h.To.ToString(), h.Cause, h.Actor, h.Detail)),
                ClaimsJson.Default.IEnumerableHistoryView)),
        };
        return view;
    }

    /// <summary>
    /// What was sent (docs/X12.md "Integration"): format, and for an 837P the interchange, group and transaction control
    /// numbers, the patient control number (CLM01) and the file; null until the claim is being submitted. A claim sent as
    /// a FHIR document only has no submission recorded on its row: its file is the submission reference.
    /// </summary>
    private static JsonObject? SubmissionView(ClaimRecord record, Core.Pipeline.PipelineState? state)
    {
        if (X12.ClaimSubmission.FromJson(record.SubmissionJson) is { } s)
        {
            return new JsonObject
            {
                ["format"] = s.Format,
                ["interchangeControlNumber"] = s.InterchangeControlNumber is { } isa ? X12.X12InterchangeStore.Key(isa) : null,
                ["groupControlNumber"] = s.GroupControlNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["transactionControlNumber"] = s.TransactionControlNumber,
                ["patientControlNumber"] = s.PatientControlNumber,
                ["file"] = s.File,
                ["fhirFile"] = s.FhirFile,
            };
        }

        return state?.SubmissionReference is { } reference
            ? new JsonObject { ["format"] = X12.OutboundFormats.FhirBundle, ["file"] = reference }
            : null;
    }
}

/// <summary>One pipeline transition as the API shows it.</summary>
public sealed record HistoryView(DateTimeOffset At, string? From, string To, string Cause, string Actor, string? Detail);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.CamelCase)]
[System.Text.Json.Serialization.JsonSerializable(typeof(IEnumerable<HistoryView>))]
internal sealed partial class ClaimsJson : System.Text.Json.Serialization.JsonSerializerContext;
