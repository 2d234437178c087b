using Claims.Application.Tenants;
using Claims.Application.X12;
using Claims.Core.Claims;
using Claims.Functions.Http;

namespace Claims.Functions.Functions;

/// <summary>
/// The tenant's outbound settings and 837P files (admin): GET/PUT /x12/profile (the outbound format and the X12
/// submitter profile, ETag = version; PUT needs If-Match) and GET /claims/{id}/x12 (the interchange the claim went
/// out in). Every error is an OperationOutcome (docs/X12.md "Integration").
/// </summary>
public sealed class X12Functions(HttpDoor door, X12ProfileAdminHandler profiles, X12ClaimFiles files)
{
    [Function("X12ProfileGet")]
    public Task<IResult> GetProfile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "x12/profile")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "X12ProfileGet", ApiRole.Admin, () => GetProfileCore(request.HttpContext, profiles, cancellationToken));

    [Function("X12ProfilePut")]
    public Task<IResult> PutProfile(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "x12/profile")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "X12ProfilePut", ApiRole.Admin, () => PutProfileCore(request.HttpContext, profiles, cancellationToken));

    [Function("ClaimX12Get")]
    public Task<IResult> GetClaimX12(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims/{id}/x12")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "ClaimX12Get", ApiRole.Admin, () => GetClaimX12Core(request.HttpContext, id, files, cancellationToken));

    /// <summary>A profile document is a few hundred bytes; anything larger is refused unread.</summary>
    private const int MaxBodyBytes = 16 * 1024;

    private static async Task<IResult> GetProfileCore(HttpContext context, X12ProfileAdminHandler handler, CancellationToken cancellationToken)
    {
        var caller = HttpDoor.GetCaller(context);
        return Document(context, await handler.GetAsync(caller.Tenant, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> PutProfileCore(HttpContext context, X12ProfileAdminHandler handler, CancellationToken cancellationToken)
    {
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return FhirResults.Problem(
                StatusCodes.Status428PreconditionRequired,
                "required",
                "PUT /x12/profile needs If-Match with the version you edited (the ETag of GET /x12/profile, \"0\" before the first save), so a concurrent edit is never overwritten.",
                "If-Match");
        }

        if (RequestBody.CheckContentType(context.Request) is { } unsupported)
        {
            return unsupported;
        }

        if (await RequestBody.ReadAsync(context.Request, MaxBodyBytes, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.TooLarge(MaxBodyBytes);
        }

        var caller = HttpDoor.GetCaller(context);
        var result = await handler.SaveAsync(caller.Tenant, RulesFunctions.ParseIfMatch(ifMatch), body, caller.KeyId, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case X12ProfileSaveResult.Saved saved:
                return Document(context, saved.Settings);
            case X12ProfileSaveResult.Stale stale:
                context.Response.Headers.ETag = Quote(stale.CurrentVersion);
                return FhirResults.Problem(
                    StatusCodes.Status412PreconditionFailed,
                    "conflict",
                    $"The X12 profile changed since you read it: the current version is {stale.CurrentVersion}. GET /x12/profile, reapply your edits and PUT again with its ETag.",
                    "If-Match");
            case X12ProfileSaveResult.Malformed malformed:
                return FhirResults.Outcome(StatusCodes.Status400BadRequest, malformed.Outcome);
            case X12ProfileSaveResult.Invalid invalid:
                return FhirResults.Outcome(StatusCodes.Status422UnprocessableEntity, invalid.Outcome);
            default:
                throw new InvalidOperationException("Unknown save result.");
        }
    }

    private static async Task<IResult> GetClaimX12Core(HttpContext context, string id, X12ClaimFiles files, CancellationToken cancellationToken)
    {
        var caller = HttpDoor.GetCaller(context);
        if (!ClaimId.TryParse(id, out var claimId)
            || await files.GetAsync(caller.Tenant, claimId, cancellationToken).ConfigureAwait(false) is not { } text)
        {
            return FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such claim, or the claim was not submitted as an 837P.");
        }

        return Results.Text(text, "application/edi-x12");
    }

    private static string Quote(long version) => "\"" + TenantOutboundSettingsStore.VersionText(version) + "\"";

    private static IResult Document(HttpContext context, TenantOutboundSettings settings)
    {
        context.Response.Headers.ETag = Quote(settings.Version);
        return Results.Text(X12ProfileAdminHandler.ToJson(settings).ToJsonString(), "application/json");
    }
}
