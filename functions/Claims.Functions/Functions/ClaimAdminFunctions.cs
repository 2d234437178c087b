using Claims.Application.Tenants;
using Claims.Application.Claims;
using Claims.Core.Claims;
using Claims.Core.Pipeline;
using Claims.Functions.Http;
using Microsoft.DurableTask.Client;

namespace Claims.Functions.Functions;

/// <summary>
/// Admin functions on claims: POST /claims/{id}/release, POST /claims/{id}/cancel, the worklist GET /claims and
/// GET /alerts. Each binds the request, calls one handler and maps the result (docs/PIPELINE.md, "HTTP").
/// </summary>
public sealed class ClaimAdminFunctions(HttpDoor door, ClaimWorklist worklist, ClaimActions actions, TimeProvider time, WorklistReindexer reindexer)
{
    [Function("ClaimList")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "ClaimList", ApiRole.Admin, () => ListCore(request.HttpContext, worklist, time, cancellationToken));

    [Function("ClaimRelease")]
    public Task<IResult> Release(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "claims/{id}/release")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "ClaimRelease", ApiRole.Admin, () => ReleaseCore(request.HttpContext, id, actions, durable, cancellationToken));

    [Function("ClaimCancel")]
    public Task<IResult> Cancel(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "claims/{id}/cancel")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient durable,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "ClaimCancel", ApiRole.Admin, () => CancelCore(request.HttpContext, id, actions, durable, cancellationToken));

    [Function("AlertList")]
    public Task<IResult> Alerts(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "alerts")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AlertList", ApiRole.Admin, () => AlertsCore(request.HttpContext, worklist, cancellationToken));

    /// <summary>POST /admin/worklist/reindex: indexes the caller's held, failed and rejected claims saved before the worklist index existed.</summary>
    [Function("WorklistReindex")]
    public Task<IResult> Reindex(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/worklist/reindex")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "WorklistReindex", ApiRole.Admin, async () =>
        {
            var indexed = await reindexer.ReindexAsync(HttpDoor.GetCaller(request.HttpContext).Tenant, cancellationToken).ConfigureAwait(false);
            return Json(new System.Text.Json.Nodes.JsonObject { ["indexed"] = indexed }.ToJsonString());
        });

    /// <summary>Release and cancel bodies are small JSON objects; anything larger is refused unread.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    private static async Task<IResult> ReleaseCore(HttpContext context, string id, ClaimActions actions, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(actions);
        if (!ClaimId.TryParse(id, out var claimId))
        {
            return NotFound();
        }

        if (RequestBody.CheckContentType(context.Request) is { } unsupported)
        {
            return unsupported;
        }

        if (await ReadBodyAsync(context.Request, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.TooLarge(MaxBodyBytes);
        }

        var (request, problems) = ClaimActionRequests.ParseRelease(body);
        if (request is null)
        {
            return FhirResults.Outcome(StatusCodes.Status400BadRequest, problems!);
        }

        var caller = HttpDoor.GetCaller(context);
        return ToHttp(await actions.ReleaseAsync(durable, caller.Tenant, claimId, caller.KeyId, request, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> CancelCore(HttpContext context, string id, ClaimActions actions, DurableTaskClient durable, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(actions);
        if (!ClaimId.TryParse(id, out var claimId))
        {
            return NotFound();
        }

        if (await ReadBodyAsync(context.Request, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.TooLarge(MaxBodyBytes);
        }

        // An empty body is a cancel without a note; a body must be JSON.
        if (!body.IsEmpty && RequestBody.CheckContentType(context.Request) is { } unsupported)
        {
            return unsupported;
        }

        var (request, problems) = ClaimActionRequests.ParseCancel(body);
        if (request is null)
        {
            return FhirResults.Outcome(StatusCodes.Status400BadRequest, problems!);
        }

        var caller = HttpDoor.GetCaller(context);
        return ToHttp(await actions.CancelAsync(durable, caller.Tenant, claimId, caller.KeyId, request, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> ListCore(HttpContext context, ClaimWorklist worklist, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(worklist);
        var query = context.Request.Query;
        var caller = HttpDoor.GetCaller(context);
        var request = new WorklistQuery(
            query["status"].ToString(), query["pageSize"].ToString(), query["continuationToken"].ToString(), query["sort"].ToString(),
            query["rule"].ToString(), query["payer"].ToString(), query["tag"].ToString(), query["minAgeHours"].ToString());
        var result = await worklist.ListAsync(caller.Tenant, request, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return result.PageJson is { } page
            ? Json(page)
            : FhirResults.Outcome(StatusCodes.Status400BadRequest, result.Problems!);
    }

    private static async Task<IResult> AlertsCore(HttpContext context, ClaimWorklist worklist, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(worklist);
        var caller = HttpDoor.GetCaller(context);
        return Json(await worklist.OpenAlertsAsync(caller.Tenant, cancellationToken).ConfigureAwait(false));
    }

    private static IResult ToHttp(ClaimActionResult result) => result switch
    {
        ClaimActionResult.Done done => Json(done.ViewJson),
        ClaimActionResult.NotFound => NotFound(),
        ClaimActionResult.Refused { Code: RefusalCode.Conflict } refused => FhirResults.Outcome(StatusCodes.Status409Conflict, refused.Outcome),
        ClaimActionResult.Refused refused => FhirResults.Outcome(StatusCodes.Status400BadRequest, refused.Outcome),
        _ => throw new InvalidOperationException("Unknown claim action result."),
    };

    // Content-Length: 0 is an empty body (the reader sizes its buffer from the header and needs a positive size).
    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken) =>
        request.ContentLength == 0
            ? ReadOnlyMemory<byte>.Empty
            : await RequestBody.ReadAsync(request, MaxBodyBytes, cancellationToken).ConfigureAwait(false);

    // A malformed id and another tenant's id both answer 404: nothing reveals what exists elsewhere.
    private static IResult NotFound() => FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such claim.");

    private static IResult Json(string body) => Results.Text(body, "application/json", System.Text.Encoding.UTF8, StatusCodes.Status200OK);
}
