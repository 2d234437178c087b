using Claims.Core.Fhir;

namespace Claims.Functions.Http;

/// <summary>The one place outcomes become HTTP: FHIR JSON bodies, OperationOutcome for every error.</summary>
public static class FhirResults
{
    public const string FhirJsonContentType = "application/fhir+json";

    public static IResult Outcome(int status, OperationOutcome outcome) => new FhirBody(status, FhirJson.Serialize(outcome));

    public static IResult Problem(int status, string code, string diagnostics, string? expression = null) =>
        Outcome(status, OperationOutcome.Single(code, diagnostics, expression));

    public static IResult Fhir(int status, byte[] body) => new FhirBody(status, body);

    /// <summary>Storage could not be reached: nothing was stored, try again.</summary>
    public static IResult Unavailable(HttpContext context, int retryAfterSeconds)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problem(
            StatusCodes.Status503ServiceUnavailable,
            "transient",
            "Storage is unavailable; nothing was stored. Retry after the Retry-After interval with the same request.");
    }

    /// <summary>A FHIR JSON body with a status code.</summary>
    private sealed class FhirBody(int status, byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            ArgumentNullException.ThrowIfNull(httpContext);
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = FhirJsonContentType;
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body).AsTask();
        }
    }
}
