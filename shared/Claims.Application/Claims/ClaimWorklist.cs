using System.Text.Json.Nodes;
using Claims.Application.Audit;
using Claims.Core.Claims;
using Claims.Core.Fhir;
using Claims.Core.Pipeline;
using Claims.Storage;

namespace Claims.Application.Claims;

/// <summary>A worklist page as JSON, or the problems with the query.</summary>
public sealed record WorklistResult(string? PageJson, OperationOutcome? Problems);

/// <summary>The worklist's query parameters as given (validated by <see cref="ClaimWorklist.ListAsync(TenantId, WorklistQuery, DateTimeOffset, CancellationToken)"/>).</summary>
public sealed record WorklistQuery(
    string? Status,
    string? PageSize,
    string? ContinuationToken,
    string? Sort = null,
    string? Rule = null,
    string? Payer = null,
    string? Tag = null,
    string? MinAgeHours = null);

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

    /// <summary>Largest number of index rows read to count a status's claims per rule (the first page's <c>countsByRule</c>).</summary>
    public const int MaxCountedRows = 5000;

    /// <summary>
    /// One page of the tenant's claims in <paramref name="status"/>: a <see cref="PipelineStatus"/> name
    /// (case-insensitive); null or empty means Held, the worklist's reason to exist.
    /// </summary>
    public Task<WorklistResult> ListAsync(
        TenantId tenant, string? status, string? pageSizeText, string? continuationToken, CancellationToken cancellationToken) =>
        ListAsync(tenant, new WorklistQuery(status, pageSizeText, continuationToken), DateTimeOffset.UtcNow, cancellationToken);

    /// <summary>
    /// One page of the worklist (docs/API.md "Worklist"). Held, Failed and Rejected read the worklist index
    /// (<see cref="WorklistIndex"/>): oldest first by the time the claim entered the status (<c>sort=since</c>, the
    /// default) or by escalation due (<c>sort=escalationDue</c>), filtered by <c>rule</c>, <c>payer</c>, <c>tag</c> and
    /// <c>minAgeHours</c>; the first page also counts the status's claims per rule. Other statuses page in claim-id order
    /// without filters, as before.
    /// </summary>
    public async Task<WorklistResult> ListAsync(TenantId tenant, WorklistQuery query, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        var issues = new List<OutcomeIssue>();
        var wanted = PipelineStatus.Held;
        if (!string.IsNullOrWhiteSpace(query.Status)
            && (!Enum.TryParse(query.Status, ignoreCase: true, out wanted) || !Enum.IsDefined(wanted) || int.TryParse(query.Status, out _)))
        {
            issues.Add(OutcomeIssue.Error(
                "value",
                "status must be one of " + string.Join(", ", Enum.GetNames<PipelineStatus>()) + ".",
                "status"));
        }

        var pageSize = DefaultPageSize;
        if (!string.IsNullOrWhiteSpace(query.PageSize)
            && (!int.TryParse(query.PageSize, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
                || pageSize is < 1 or > MaxPageSize))
        {
            issues.Add(OutcomeIssue.Error("value", $"pageSize must be a whole number from 1 to {MaxPageSize}.", "pageSize"));
        }

        var sort = string.IsNullOrWhiteSpace(query.Sort) ? "since" : query.Sort.Trim();
        if (sort is not ("since" or "escalationDue"))
        {
            issues.Add(OutcomeIssue.Error("value", "sort must be since (oldest first) or escalationDue.", "sort"));
        }

        int? minAgeHours = null;
        if (!string.IsNullOrWhiteSpace(query.MinAgeHours))
        {
            if (int.TryParse(query.MinAgeHours, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var hours) && hours <= 24 * 3650)
            {
                minAgeHours = hours;
            }
            else
            {
                issues.Add(OutcomeIssue.Error("value", "minAgeHours must be a whole number of hours (0 or more).", "minAgeHours"));
            }
        }

        foreach (var (name, value) in new[] { ("rule", query.Rule), ("payer", query.Payer), ("tag", query.Tag) })
        {
            if (value is { Length: > 128 } || (value is not null && value.Any(char.IsControl)))
            {
                issues.Add(OutcomeIssue.Error("value", $"{name} must be at most 128 printable characters.", name));
            }
        }

        var indexed = WorklistIndex.Statuses.Contains(wanted.ToString());
        var filtered = sort != "since" || minAgeHours is not null || !string.IsNullOrEmpty(query.Rule) || !string.IsNullOrEmpty(query.Payer) || !string.IsNullOrEmpty(query.Tag);
        if (filtered && !indexed && issues.Count == 0)
        {
            issues.Add(OutcomeIssue.Error("value", "sort, rule, payer, tag and minAgeHours apply to the Held, Failed and Rejected worklists only.", "status"));
        }

        if (issues.Count > 0)
        {
            return new WorklistResult(null, new OperationOutcome(issues));
        }

        var token = string.IsNullOrEmpty(query.ContinuationToken) ? null : query.ContinuationToken;
        try
        {
            return indexed
                ? await ListIndexedAsync(tenant, wanted.ToString(), sort, query, minAgeHours, pageSize, token, now, cancellationToken).ConfigureAwait(false)
                : await ListScannedAsync(tenant, wanted.ToString(), pageSize, token, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            // The table client refuses a token it did not issue; the token names no other tenant's data either way,
            // because the query is always scoped to the caller's partition.
            return new WorklistResult(null, OperationOutcome.Single("value", "The continuation token is not valid.", "continuationToken"));
        }
    }

    private async Task<WorklistResult> ListIndexedAsync(
        TenantId tenant, string status, string sort, WorklistQuery query, int? minAgeHours, int pageSize, string? token, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var prefix = sort == "since" ? WorklistIndex.SincePrefix : WorklistIndex.DuePrefix;
        var from = WorklistIndex.RangeStart(prefix, status);
        var to = WorklistIndex.RangeEnd(prefix, status);
        var extra = new List<string>();
        if (!string.IsNullOrEmpty(query.Rule))
        {
            extra.Add(TableFilter.Eq("Rule", query.Rule));
        }

        if (!string.IsNullOrEmpty(query.Payer))
        {
            extra.Add(TableFilter.Eq("Payer", query.Payer));
        }

        if (minAgeHours is { } hours)
        {
            var cutoff = now - TimeSpan.FromHours(hours);
            if (sort == "since")
            {
                // Oldest first: the age bound is the end of the key range.
                to = WorklistIndex.At(prefix, status, cutoff.AddTicks(1));
            }
            else
            {
                extra.Add(TableFilter.Lt("Since", cutoff.AddTicks(1)));
            }
        }

        var extraFilter = extra.Count == 0 ? null : TableFilter.And([.. extra]);
        var ids = new List<ClaimId>();
        for (var hop = 0; hop < MaxQueryHops && ids.Count < pageSize; hop++)
        {
            // Never more rows than the page still needs: a row the tag filter drops is skipped, one it keeps is listed,
            // so the token after the last row read never skips a claim.
            var (rows, next) = await claims.ListIndexAsync(tenant, from, to, extraFilter, pageSize - ids.Count, token, cancellationToken).ConfigureAwait(false);
            ids.AddRange(rows.Where(r => string.IsNullOrEmpty(query.Tag) || r.Tags.Contains("," + query.Tag + ",", StringComparison.Ordinal)).Select(r => r.Claim));
            token = next;
            if (token is null)
            {
                break;
            }
        }

        var records = await Task.WhenAll(ids.Select(id => claims.GetAsync(tenant, id, cancellationToken))).ConfigureAwait(false);
        var items = new JsonArray();
        foreach (var record in records)
        {
            // The index is written with the row, so a mismatch is only a row that moved on after the index was read.
            if (record is not null && record.Status == status)
            {
                items.Add(Summary(record));
            }
        }

        var body = new JsonObject
        {
            ["status"] = status,
            ["sort"] = sort,
            ["count"] = items.Count,
            ["items"] = items,
            ["continuationToken"] = token,
        };
        if (query.ContinuationToken is null or "")
        {
            body["countsByRule"] = await CountByRuleAsync(tenant, status, cancellationToken).ConfigureAwait(false);
        }

        return new WorklistResult(body.ToJsonString(), null);
    }

    /// <summary>The status's claims per rule that holds them (<c>""</c> for none), from its index rows' rule column only.</summary>
    private async Task<JsonObject> CountByRuleAsync(TenantId tenant, string status, CancellationToken cancellationToken)
    {
        var counts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        string? token = null;
        var read = 0;
        do
        {
            var (rows, next) = await claims.ListIndexAsync(
                tenant, WorklistIndex.RangeStart(WorklistIndex.SincePrefix, status), WorklistIndex.RangeEnd(WorklistIndex.SincePrefix, status), null, 1000, token, cancellationToken).ConfigureAwait(false);
            foreach (var row in rows)
            {
                counts[row.Rule] = counts.GetValueOrDefault(row.Rule) + 1;
            }

            read += rows.Count;
            token = next;
        }
        while (token is not null && read < MaxCountedRows);

        var result = new JsonObject();
        foreach (var (rule, count) in counts)
        {
            result[rule] = count;
        }

        return result;
    }

    private async Task<WorklistResult> ListScannedAsync(TenantId tenant, string status, int pageSize, string? token, CancellationToken cancellationToken)
    {
        var items = new JsonArray();
        for (var hop = 0; hop < MaxQueryHops && items.Count < pageSize; hop++)
        {
            var (page, next) = await claims.ListByStatusAsync(tenant, status, pageSize - items.Count, token, cancellationToken).ConfigureAwait(false);
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

        var body = new JsonObject
        {
            ["status"] = status,
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
            ["payer"] = record.Payer,
            ["tags"] = WorklistIndex.For(record) is { } index ? new JsonArray([.. index.Tags.Select(t => (JsonNode?)t)]) : new JsonArray(),
            ["since"] = WorklistIndex.For(record)?.Since,
            ["hold"] = ClaimQueries.HoldView(state?.Hold),
            ["attempts"] = state?.Attempts ?? 0,
            ["failureReason"] = state?.FailureReason,
            ["acknowledgment"] = ClaimQueries.AcknowledgmentView(state?.Acknowledgment),
        };
    }
}
