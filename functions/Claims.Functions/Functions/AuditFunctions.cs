using Claims.Application.Tenants;
using System.Globalization;
using Claims.Application.Audit;
using Claims.Core.Claims;
using Claims.Functions.Http;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>GET /audit (the execution log, newest first, paged) and GET /audit/verify (the hash chains), caller's tenant only.</summary>
public sealed class AuditFunctions(HttpDoor door, AuditLog audit, IOptions<AuditOptions> options, TimeProvider time)
{
    [Function("AuditList")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuditList", ApiRole.Admin, () => ListCore(request.HttpContext, audit, options, time, cancellationToken));

    [Function("AuditVerify")]
    public Task<IResult> Verify(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "audit/verify")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuditVerify", ApiRole.Admin, () => VerifyCore(request.HttpContext, audit, options, time, cancellationToken));

    private static async Task<IResult> ListCore(
        HttpContext context,
        AuditLog audit,
        IOptions<AuditOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var caller = HttpDoor.GetCaller(context);
        var q = context.Request.Query;
        var problems = new List<string>();
        var (from, to) = Window(q["from"], q["to"], options.Value, time, problems);
        ClaimId? claim = null;
        if (q["claimId"].ToString() is { Length: > 0 } claimText)
        {
            if (ClaimId.TryParse(claimText, out var parsed))
            {
                claim = parsed;
            }
            else
            {
                problems.Add("claimId must be 32 lowercase hex digits.");
            }
        }

        string? result = null;
        if (q["result"].ToString() is { Length: > 0 } resultText)
        {
            result = resultText.ToUpperInvariant();
            if (!AuditResults.IsValid(result))
            {
                problems.Add("result must be SUCCESS, FAILED or ESCALATED.");
            }
        }

        var ruleId = q["ruleId"].ToString() is { Length: > 0 } r ? r : null;
        if (ruleId is { Length: > 128 })
        {
            problems.Add("ruleId is at most 128 characters.");
        }

        var pageSize = 50;
        if (q["pageSize"].ToString() is { Length: > 0 } sizeText
            && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > options.Value.MaxPageSize))
        {
            problems.Add($"pageSize must be 1 to {options.Value.MaxPageSize}.");
        }

        if (problems.Count > 0)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "invalid", string.Join(" ", problems));
        }

        var token = q["continuationToken"].ToString() is { Length: > 0 } t ? t : null;
        AuditPage page;
        try
        {
            page = await audit.QueryAsync(new AuditQuery(caller.Tenant, from, to, claim, ruleId, result, pageSize, token), cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "invalid", "The continuation token is not one this endpoint issued.");
        }

        return Results.Json(
            new AuditPageBody(page.Entries, page.ContinuationToken),
            SecurityJson.Default.AuditPageBody);
    }

    private static async Task<IResult> VerifyCore(
        HttpContext context,
        AuditLog audit,
        IOptions<AuditOptions> options,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        var caller = HttpDoor.GetCaller(context);
        var problems = new List<string>();
        var (from, to) = Window(context.Request.Query["from"], context.Request.Query["to"], options.Value, time, problems);
        if (problems.Count > 0)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "invalid", string.Join(" ", problems));
        }

        var verification = await audit.VerifyAsync(caller.Tenant, from, to, cancellationToken).ConfigureAwait(false);
        return Results.Json(
            new AuditVerifyBody(
                verification.Ok ? "OK" : "BROKEN",
                from,
                to,
                verification.PartitionsChecked,
                verification.RowsChecked,
                verification.FirstBreak is { } b ? new AuditBreakBody(b.Partition, b.Sequence, b.RowKey, b.Problem) : null),
            SecurityJson.Default.AuditVerifyBody);
    }

    private static (DateTimeOffset From, DateTimeOffset To) Window(string? fromText, string? toText, AuditOptions options, TimeProvider time, List<string> problems)
    {
        var to = time.GetUtcNow();
        if (!string.IsNullOrEmpty(toText) && !TryParseTime(toText, endOfDay: true, out to))
        {
            problems.Add("to must be an ISO 8601 date or date-time.");
        }

        var from = to.AddDays(-options.DefaultDays);
        if (!string.IsNullOrEmpty(fromText) && !TryParseTime(fromText, endOfDay: false, out from))
        {
            problems.Add("from must be an ISO 8601 date or date-time.");
        }

        if (problems.Count == 0 && from > to)
        {
            problems.Add("from must not be after to.");
        }
        else if (problems.Count == 0 && (to - from).TotalDays > options.MaxDays)
        {
            problems.Add($"The window from..to is at most {options.MaxDays} days; page through longer periods window by window.");
        }

        return (from, to);
    }

    // A bare date means the whole day: from = its start, to = its end (UTC).
    private static bool TryParseTime(string text, bool endOfDay, out DateTimeOffset value)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            var start = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            value = endOfDay ? start.AddDays(1).AddTicks(-1) : start;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
            && text.Contains('T', StringComparison.Ordinal);
    }
}

/// <summary>GET /audit: a page of entries and the token for the next (absent on the last page).</summary>
public sealed record AuditPageBody(IReadOnlyList<AuditRecord> Entries, string? ContinuationToken);

/// <summary>GET /audit/verify: OK or BROKEN with the first broken link.</summary>
public sealed record AuditVerifyBody(string Status, DateTimeOffset From, DateTimeOffset To, int PartitionsChecked, long RowsChecked, AuditBreakBody? FirstBreak);

/// <summary>Where a chain breaks.</summary>
public sealed record AuditBreakBody(string Partition, long Sequence, string? RowKey, string Problem);
