using System.Text.Json.Nodes;
using Claims.Application.Audit;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;

namespace Claims.Application.Claims;

/// <summary>A worklist page as JSON, or the problems with the query.</summary>
public sealed record WorklistResult(string? PageJson, OperationOutcome? Problems);

/// <summary>
/// The admin worklist (GET /claims?status=…) and the open alerts (GET /alerts). A page lists one summary per claim
/// (no rule trace, no history: open GET /claims/{id} for those) and a continuation token while there is more.
/// </summary>
public sealed class ClaimWorklist(ClaimRepository claims, AlertStore alerts)
{
    public const int DefaultPageSize = 50;

    public const int MaxPageSize = 200;

    // A status filter over a partition can come back with empty pages and a token; follow a few before answering.
    private const int MaxQueryHops = 5;

    /// <summary>
    /// One page of the tenant's claims in <paramref name="status"/>: a <see cref="PipelineStatus"/> name
    /// (case-insensitive); null or empty means Held, the worklist's reason to exist.
    /// </summary>
    public async Task<WorklistResult> ListAsync(
        TenantId tenant, string? status, string? pageSizeText, string? continuationToken, CancellationToken cancellationToken)
    {
        var issues = new List<OutcomeIssue>();
        var wanted = PipelineStatus.Held;
        if (!string.IsNullOrWhiteSpace(status)
            && (!Enum.TryParse(status, ignoreCase: true, out wanted) || !Enum.IsDefined(wanted) || int.TryParse(status, out _)))
        {
            issues.Add(OutcomeIssue.Error(
                "value",
                "status must be one of " + string.Join(", ", Enum.GetNames<PipelineStatus>()) + ".",
                "status"));
        }

        var pageSize = DefaultPageSize;
        if (!string.IsNullOrWhiteSpace(pageSizeText)
            && (!int.TryParse(pageSizeText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
                || pageSize is < 1 or > MaxPageSize))
        {
            issues.Add(OutcomeIssue.Error("value", $"pageSize must be a whole number from 1 to {MaxPageSize}.", "pageSize"));
        }

        if (issues.Count > 0)
        {
            return new WorklistResult(null, new OperationOutcome(issues));
        }

        var items = new JsonArray();
        var token = string.IsNullOrEmpty(continuationToken) ? null : continuationToken;
        try
        {
            for (var hop = 0; hop < MaxQueryHops && items.Count < pageSize; hop++)
            {
                var (page, next) = await claims.ListByStatusAsync(tenant, wanted.ToString(), pageSize - items.Count, token, cancellationToken).ConfigureAwait(false);
                foreach (var record in page)
                {
                    items.Add(Summary(record));
                }

                token = next;
                if (token is null)
                {
                    break;
                }
            }
        }
        catch (ArgumentException)
        {
            // The table client refuses a token it did not issue; the token names no other tenant's data either way,
            // because the query is always scoped to the caller's partition.
            return new WorklistResult(null, OperationOutcome.Single("value", "The continuation token is not valid.", "continuationToken"));
        }

        var body = new JsonObject
        {
            ["status"] = wanted.ToString(),
            ["count"] = items.Count,
            ["items"] = items,
            ["continuationToken"] = token,
        };
        return new WorklistResult(body.ToJsonString(), null);
    }

    /// <summary>The tenant's open alerts, newest first, as <c>{ "items": [...] }</c>.</summary>
    public async Task<string> OpenAlertsAsync(TenantId tenant, CancellationToken cancellationToken)
    {
        var open = await alerts.ListOpenAsync(tenant, cancellationToken).ConfigureAwait(false);
        var items = new JsonArray();
        foreach (var alert in open.OrderByDescending(a => a.RaisedAt))
        {
            items.Add(new JsonObject
            {
                ["id"] = alert.Key,
                ["kind"] = alert.Kind,
                ["text"] = alert.Text,
                ["raisedAt"] = alert.RaisedAt,
                ["claimId"] = alert.Claim?.Value,
            });
        }

        return new JsonObject { ["count"] = items.Count, ["items"] = items }.ToJsonString();
    }

    private static JsonObject Summary(ClaimRecord record)
    {
        var state = record.PipelineJson is null ? null : PipelineJson.DeserializeState(record.PipelineJson);
        return new JsonObject
        {
            ["claimId"] = record.Id.Value,
            ["status"] = record.Status,
            ["receivedAt"] = record.ReceivedAt,
            ["updatedAt"] = record.UpdatedAt,
            ["sourceResourceId"] = record.SourceResourceId,
            ["ruleSetVersion"] = record.RuleSetVersion,
            ["hold"] = ClaimQueries.HoldView(state?.Hold),
            ["attempts"] = state?.Attempts ?? 0,
            ["failureReason"] = state?.FailureReason,
            ["acknowledgment"] = ClaimQueries.AcknowledgmentView(state?.Acknowledgment),
        };
    }
}
