using System.Globalization;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Claims.Core.Pipeline;

namespace Claims.Application.Claims;

/// <summary>
/// The worklist's index (docs/API.md "Worklist"): for a claim in a worklist status (Held, Failed, Rejected) two small
/// rows in the claims table, in the claim's own tenant partition, written in the same entity group transaction as the
/// claim row (<see cref="ClaimRepository.UpdateAsync"/>), so the index is never out of step with the claims:
/// <list type="bullet">
/// <item><c>w-{status}-{since ticks}-{claim id}</c>: oldest first by the time the claim entered the status (the hold's
/// start for Held);</item>
/// <item><c>x-{status}-{escalation due ticks}-{claim id}</c>: by escalation due (the hold's; for Failed and Rejected the
/// same time as the first row).</item>
/// </list>
/// A worklist page is a row-key range query over one of these families (the table's own order), with the rule and
/// payer filters evaluated by the table service on the rows of that status only, never a scan of every claim. Index
/// rows carry no <c>Status</c>, <c>UpdatedAt</c> or <c>EscalationDueAt</c> column, so the status queries and the
/// stuck-claim sweep never see them; they hold no PHI (rule id, payer id, tags).
/// </summary>
public static class WorklistIndex
{
    /// <summary>
    /// The version of the index's layout. A tenant whose row in the tenants table records an older
    /// <c>WorklistIndexVersion</c> (or none: its claims predate the index) is backfilled by the stuck-claim sweep
    /// (<see cref="WorklistReindexer.EnsureCurrentAsync"/>). Raise it when the rows change shape.
    /// </summary>
    public const int Version = 1;

    public const string SincePrefix = "w-";

    public const string DuePrefix = "x-";

    /// <summary>The statuses a claim is indexed in.</summary>
    public static IReadOnlySet<string> Statuses { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(PipelineStatus.Held), nameof(PipelineStatus.Failed), nameof(PipelineStatus.Rejected),
    };

    /// <summary>True for a row key of an index row (not a claim, not an idempotency key).</summary>
    public static bool IsIndexRow(string rowKey) =>
        rowKey.StartsWith(SincePrefix, StringComparison.Ordinal) || rowKey.StartsWith(DuePrefix, StringComparison.Ordinal);

    /// <summary>The first row key of a status's range in one family.</summary>
    public static string RangeStart(string prefix, string status) => $"{prefix}{status}-";

    /// <summary>The row key just past a status's range in one family.</summary>
    public static string RangeEnd(string prefix, string status) => $"{prefix}{status}.";

    /// <summary>The row key at a time within a status's range (a bound for the age filter).</summary>
    public static string At(string prefix, string status, DateTimeOffset at) => $"{prefix}{status}-{Ticks(at)}";

    /// <summary>
    /// The index rows a claim row should have (the <c>since</c> row and the <c>due</c> row), or null when its status is
    /// not a worklist status. Derived from the row alone, so the same row always gives the same keys.
    /// </summary>
    public static IndexRows? For(ClaimRecord claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (!Statuses.Contains(claim.Status) || claim.PipelineJson is null)
        {
            return null;
        }

        var state = PipelineJson.DeserializeState(claim.PipelineJson);
        var since = state.Status == PipelineStatus.Held && state.Hold is { } hold
            ? hold.HeldAt
            : state.History.LastOrDefault(h => h.To.ToString() == claim.Status)?.At ?? claim.UpdatedAt;
        var due = state.Status == PipelineStatus.Held && state.Hold is { } h2 ? h2.EscalationDueAt : since;
        var id = claim.Id.Value;
        return new IndexRows(
            $"{SincePrefix}{claim.Status}-{Ticks(since)}-{id}",
            $"{DuePrefix}{claim.Status}-{Ticks(due)}-{id}",
            state.Hold?.RuleId ?? string.Empty,
            claim.Payer ?? string.Empty,
            Tags(claim.RuleResultJson),
            since);
    }

    /// <summary>The two keys as the claim row's <c>WorklistKey</c> column keeps them (<c>since|due</c>).</summary>
    public static string Column(IndexRows rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return rows.SinceKey + "|" + rows.DueKey;
    }

    /// <summary>The keys a <c>WorklistKey</c> column names.</summary>
    public static IEnumerable<string> KeysOf(string? column) =>
        string.IsNullOrEmpty(column) ? [] : column.Split('|', StringSplitOptions.RemoveEmptyEntries);

    internal static IEnumerable<TableEntity> Entities(ClaimRecord claim, IndexRows rows)
    {
        foreach (var key in new[] { rows.SinceKey, rows.DueKey })
        {
            yield return new TableEntity(claim.Tenant.Value, key)
            {
                ["ClaimId"] = claim.Id.Value,
                ["Rule"] = rows.Rule,
                ["Payer"] = rows.Payer,
                ["Tags"] = "," + string.Join(",", rows.Tags) + ",",
                ["Since"] = rows.Since,
            };
        }
    }

    private static string Ticks(DateTimeOffset at) => at.UtcTicks.ToString("D19", CultureInfo.InvariantCulture);

    private static IReadOnlyList<string> Tags(string? ruleResultJson)
    {
        if (ruleResultJson is null)
        {
            return [];
        }

        try
        {
            return JsonNode.Parse(ruleResultJson)?["tags"] is JsonArray tags
                ? tags.Select(t => t?.GetValue<string>()).OfType<string>().ToList()
                : [];
        }
        catch (System.Text.Json.JsonException)
        {
            return [];
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }
}

/// <summary>The index rows of one claim: their keys and the columns the filters read.</summary>
public sealed record IndexRows(string SinceKey, string DueKey, string Rule, string Payer, IReadOnlyList<string> Tags, DateTimeOffset Since);
