using Claims.Application.Tenants;
using Claims.Application.Claims;
using Claims.Core.Claims;
using Claims.Functions.Http;

namespace Claims.Functions.Functions;

/// <summary>GET /claims/{id}: status, tags, hold reason, rule result and trace, pipeline history.</summary>
public sealed class ClaimsFunctions(HttpDoor door, ClaimQueries queries)
{
    [Function("ClaimGet")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "claims/{id}")] HttpRequest request,
        string id,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "ClaimGet", ApiRole.Ingest, () => GetCore(request.HttpContext, id, queries, cancellationToken));

    private static async Task<IResult> GetCore(HttpContext context, string id, ClaimQueries queries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(queries);
        var caller = HttpDoor.GetCaller(context);

        // A malformed id and another tenant's id both answer 404: nothing reveals what exists elsewhere.
        if (!ClaimId.TryParse(id, out var claimId)
            || await queries.GetAsync(caller.Tenant, claimId, cancellationToken).ConfigureAwait(false) is not { } view)
        {
            return FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such claim.");
        }

        return Results.Text(view, "application/json", System.Text.Encoding.UTF8, StatusCodes.Status200OK);
    }
}
