using Claims.Application.Tenants;
using Claims.Application.Intake;
using Claims.Core.Fhir;
using Claims.Functions.Http;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>The FHIR webhook: POST /fhir/Claim. Binds the request, calls the intake handler, maps the result.</summary>
public sealed class IntakeFunctions(HttpDoor door, ClaimIntakeHandler handler, IOptions<ClaimIntakeOptions> options)
{
    [Function("FhirClaimCreate")]
    public Task<IResult> PostClaim(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/Claim")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "FhirClaimCreate", ApiRole.Ingest, () => PostClaimCore(request.HttpContext, handler, options, cancellationToken));

    private static async Task<IResult> PostClaimCore(
        HttpContext context,
        ClaimIntakeHandler handler,
        IOptions<ClaimIntakeOptions> options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (request, refusal) = await ReadRequestAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return refusal!;
        }

        var result = await handler.AcceptClaimAsync(request, cancellationToken).ConfigureAwait(false);
        return ToHttp(context, result);
    }

    /// <summary>The webhook's door checks, shared by /fhir/Claim and /fhir: content type (415), size (413), then the
    /// caller's tenant and idempotency key.</summary>
    internal static async Task<(IntakeRequest? Request, IResult? Refusal)> ReadRequestAsync(
        HttpContext context, IOptions<ClaimIntakeOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(options);
        if (RequestBody.CheckContentType(context.Request) is { } unsupported)
        {
            return (null, unsupported);
        }

        var maxBytes = options.Value.MaxBodyBytes;
        if (await RequestBody.ReadAsync(context.Request, maxBytes, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return (null, RequestBody.TooLarge(maxBytes));
        }

        var caller = HttpDoor.GetCaller(context);
        return (new IntakeRequest(caller.Tenant, body, IdempotencyKey(context.Request), "ehr_webhook"), null);
    }

    internal static string? IdempotencyKey(HttpRequest request)
    {
        var key = request.Headers["Idempotency-Key"].ToString();
        return string.IsNullOrWhiteSpace(key) ? null : "header:" + key.Trim();
    }

    internal static IResult ToHttp(HttpContext context, IntakeResult result) => result switch
    {
        IntakeResult.Accepted accepted => Accepted(context, accepted),
        IntakeResult.Refused { Status: IntakeStatus.Malformed } refused => FhirResults.Outcome(StatusCodes.Status400BadRequest, refused.Outcome),
        IntakeResult.Refused refused => FhirResults.Outcome(StatusCodes.Status422UnprocessableEntity, refused.Outcome),
        IntakeResult.KeyConflict conflict => FhirResults.Outcome(StatusCodes.Status409Conflict, conflict.Outcome),
        _ => throw new InvalidOperationException("Unknown intake result."),
    };

    private static IResult Accepted(HttpContext context, IntakeResult.Accepted accepted)
    {
        var location = $"/api/claims/{accepted.Claim.Value}";
        context.Response.Headers.ContentLocation = location;
        if (accepted.Replayed)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return Results.Json(
            new AcceptedBody(accepted.Claim.Value, accepted.Status),
            FunctionsJson.Default.AcceptedBody,
            statusCode: StatusCodes.Status202Accepted);
    }
}

/// <summary>The 202 body: where the claim is and how far it got.</summary>
public sealed record AcceptedBody(string ClaimId, string Status);
