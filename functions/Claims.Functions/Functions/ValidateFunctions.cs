using Claims.Application.Tenants;
using Claims.Application.Intake;
using Claims.Application.Validation;
using Claims.Functions.Http;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>
/// $validate (http://hl7.org/fhir/R4/resource-operation-validate.html): POST /fhir/Claim/$validate and POST /fhir/$validate
/// (a Bundle), the resource posted as it is or in a Parameters resource. Same door checks and key as intake; nothing stored.
/// </summary>
public sealed class ValidateFunctions(HttpDoor door, FhirValidationHandler handler, IOptions<ClaimIntakeOptions> options)
{
    [Function("FhirClaimValidate")]
    public Task<IResult> ValidateClaim(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/Claim/$validate")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "FhirClaimValidate", ApiRole.Ingest, () => ValidateClaimCore(request.HttpContext, handler, options, cancellationToken));

    [Function("FhirValidate")]
    public Task<IResult> ValidateBundle(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir/$validate")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "FhirValidate", ApiRole.Ingest, () => ValidateBundleCore(request.HttpContext, handler, options, cancellationToken));

    private static Task<IResult> ValidateClaimCore(HttpContext context, FhirValidationHandler handler, IOptions<ClaimIntakeOptions> options, CancellationToken cancellationToken) =>
        ValidateAsync(context, handler, options, ValidateScope.Claim, cancellationToken);

    private static Task<IResult> ValidateBundleCore(HttpContext context, FhirValidationHandler handler, IOptions<ClaimIntakeOptions> options, CancellationToken cancellationToken) =>
        ValidateAsync(context, handler, options, ValidateScope.Bundle, cancellationToken);

    private static async Task<IResult> ValidateAsync(
        HttpContext context, FhirValidationHandler handler, IOptions<ClaimIntakeOptions> options, ValidateScope scope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (request, refusal) = await IntakeFunctions.ReadRequestAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return refusal!;
        }

        var result = await handler.ValidateAsync(request.Body, scope, cancellationToken).ConfigureAwait(false);
        return FhirResults.Outcome(result.BadRequest ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK, result.Outcome);
    }
}
