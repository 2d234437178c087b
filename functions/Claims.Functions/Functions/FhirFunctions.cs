using Claims.Application.Tenants;
using System.Reflection;
using Claims.Application.Intake;
using Claims.Core.Fhir;
using Claims.Functions.Http;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>The FHIR system endpoints: POST /fhir (Bundles) and GET /fhir/metadata (CapabilityStatement).</summary>
public sealed class FhirFunctions(HttpDoor door, BundleIntakeHandler handler, IOptions<ClaimIntakeOptions> options)
{
    [Function("FhirBundle")]
    public Task<IResult> PostBundle(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "fhir")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "FhirBundle", ApiRole.Ingest, () => PostBundleCore(request.HttpContext, handler, options, cancellationToken));

    [Function("FhirMetadata")]
    public Task<IResult> Metadata(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fhir/metadata")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "FhirMetadata", null, () => Task.FromResult(MetadataCore(request.HttpContext)));

    private static readonly string SoftwareVersion =
        typeof(FhirFunctions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "1.0.0";

    /// <summary>When this process started: the CapabilityStatement's date (it describes the running build).</summary>
    private static readonly DateTimeOffset Started = DateTimeOffset.UtcNow;

    private static async Task<IResult> PostBundleCore(
        HttpContext context,
        BundleIntakeHandler handler,
        IOptions<ClaimIntakeOptions> options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (request, refusal) = await IntakeFunctions.ReadRequestAsync(context, options, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return refusal!;
        }

        var result = await handler.AcceptBundleAsync(request, cancellationToken).ConfigureAwait(false);
        return result switch
        {
            BundleIntakeResult.Responded responded => FhirResults.Fhir(StatusCodes.Status200OK, FhirJson.BatchResponse(responded.ResponseType, responded.Entries)),
            BundleIntakeResult.Refused { Status: IntakeStatus.Malformed } refused => FhirResults.Outcome(StatusCodes.Status400BadRequest, refused.Outcome),
            BundleIntakeResult.Refused refused => FhirResults.Outcome(StatusCodes.Status422UnprocessableEntity, refused.Outcome),
            BundleIntakeResult.KeyConflict conflict => FhirResults.Outcome(StatusCodes.Status409Conflict, conflict.Outcome),
            _ => throw new InvalidOperationException("Unknown Bundle intake result."),
        };
    }

    /// <summary>GET /fhir/metadata, anonymous as FHIR requires (http://hl7.org/fhir/R4/http.html#capabilities).</summary>
    private static IResult MetadataCore(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var baseUrl = $"{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}/api/fhir";
        return FhirResults.Fhir(StatusCodes.Status200OK, FhirJson.CapabilityStatement(baseUrl, SoftwareVersion, Started));
    }
}
