using Claims.Application.Audit;
using Claims.Application.Intake;
using Azure;
using Claims.Application.Tenants;
using Claims.Storage;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Http;

/// <summary>
/// The door of every non-anonymous function, in this order:
/// <list type="number">
/// <item>the key from <c>x-api-key</c> (or <c>Authorization: Bearer</c>): none or unknown/revoked is 401, a key
/// without the needed role is 403 (operator endpoints take only the operator key);</item>
/// <item>the tenant's rate limit: 429 with Retry-After;</item>
/// <item>the audit context (trigger <c>http:{function}</c>, correlation id = a well-formed <c>x-request-id</c> or the
/// request's trace id, echoed back as <c>x-request-id</c>);</item>
/// <item>for POSTs to ingest endpoints of a tenant that has a signing secret, the webhook signature
/// (<see cref="WebhookSignature"/>): missing, malformed, outside the 5-minute window, wrong or replayed is 401.</item>
/// </list>
/// The caller lands in HttpContext.Items and every handler scopes its reads and writes to the caller's tenant.
/// Every HTTP function runs inside <see cref="ServeAsync"/>, under both hosts (Azure's and functions/Claims.LocalHost),
/// which also maps what escapes the function: a storage outage (or a storage error the retries could not cure) is
/// 503 + Retry-After — never a 202, never a bare 500 — and anything else a 500 OperationOutcome with no details.
/// </summary>
public sealed partial class HttpDoor(IOptions<ClaimIntakeOptions> intakeOptions, ILogger<HttpDoor> logger)
{
    private const string CallerKey = "claims.caller";

    public static Caller GetCaller(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items[CallerKey] as Caller
            ?? throw new InvalidOperationException("The function did not pass the HttpDoor.");
    }

    /// <summary>Serves one request of the function <paramref name="function"/>: the door checks for
    /// <paramref name="required"/> (anonymous when null), then <paramref name="serve"/>, with its failures mapped.</summary>
    public async Task<IResult> ServeAsync(HttpRequest request, string function, ApiRole? required, Func<Task<IResult>> serve)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(serve);
        var http = request.HttpContext;
        try
        {
            return required is { } role
                ? await AuthorizeAsync(http, "http:" + function, role, serve).ConfigureAwait(false)
                : await serve().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is StorageUnavailableException or RequestFailedException)
        {
            Logs.HttpDoorStorageFailure(logger, exception.GetType().Name, function);
            return FhirResults.Unavailable(http, intakeOptions.Value.RetryAfterSeconds);
        }
        catch (BadHttpRequestException bad)
        {
            return FhirResults.Problem(bad.StatusCode, "structure", "The request could not be read.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !http.RequestAborted.IsCancellationRequested)
        {
            Logs.HttpDoorUnhandled(logger, exception, function);
            return FhirResults.Problem(StatusCodes.Status500InternalServerError, "exception", "An internal error occurred; it has been logged.");
        }
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, string trigger, ApiRole required, Func<Task<IResult>> next)
    {
        var services = http.RequestServices;
        var key = PresentedKey(http.Request);
        if (key is null)
        {
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "An API key is required (x-api-key header).");
        }

        var correlationId = CorrelationId(http);
        if (required == ApiRole.Operator)
        {
            if (!services.GetRequiredService<OperatorKey>().IsValid(key))
            {
                return await services.GetRequiredService<ApiKeyStore>().FindAsync(key, http.RequestAborted).ConfigureAwait(false) is null
                    ? FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "The operator key is not valid.")
                    : FhirResults.Problem(StatusCodes.Status403Forbidden, "forbidden", "Tenant keys may not call operator endpoints.");
            }

            using var operatorScope = AuditContext.Begin(trigger, correlationId);
            return await next().ConfigureAwait(false);
        }

        var caller = await services.GetRequiredService<ApiKeyStore>().FindAsync(key, http.RequestAborted).ConfigureAwait(false);
        if (caller is null)
        {
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "The API key is not valid.");
        }

        if (required == ApiRole.Admin && !caller.CanAdminister)
        {
            return FhirResults.Problem(StatusCodes.Status403Forbidden, "forbidden", "This key's role may not call this endpoint.");
        }

        if (services.GetRequiredService<TenantRateLimiter>().TryAcquire(http, caller.Tenant) is { } throttled)
        {
            return throttled;
        }

        using var scope = AuditContext.Begin(trigger, correlationId);
        if (required == ApiRole.Ingest && HttpMethods.IsPost(http.Request.Method)
            && await CheckSignatureAsync(http, caller).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        http.Items[CallerKey] = caller;
        return await next().ConfigureAwait(false);
    }

    private static async Task<IResult?> CheckSignatureAsync(HttpContext http, Caller caller)
    {
        var services = http.RequestServices;
        var secret = await services.GetRequiredService<TenantSigningSecrets>().GetAsync(caller.Tenant, http.RequestAborted).ConfigureAwait(false);
        if (secret is null)
        {
            return null;
        }

        // Read the body once here (buffered, rewound for the function). Over the size limit the function answers
        // 413 without storing anything, so there is nothing to verify.
        var maxBytes = services.GetRequiredService<IOptions<ClaimIntakeOptions>>().Value.MaxBodyBytes;
        http.Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: maxBytes + 1L);
        if (await RequestBody.ReadAsync(http.Request, maxBytes, http.RequestAborted).ConfigureAwait(false) is not { } body)
        {
            http.Request.Body.Position = 0;
            return null;
        }

        http.Request.Body.Position = 0;
        var time = services.GetRequiredService<TimeProvider>();
        var logger = services.GetRequiredService<ILogger<HttpDoor>>();
        var check = WebhookSignature.Verify(http.Request.Headers[WebhookSignature.Header].ToString(), body.Span, secret, time.GetUtcNow(), out var timestamp, out var signature);
        if (check == SignatureCheck.Valid
            && !await services.GetRequiredService<SignatureReplayGuard>().TryRecordAsync(caller.Tenant, timestamp, signature, http.RequestAborted).ConfigureAwait(false))
        {
            Logs.HttpDoorSignatureRefused(logger, caller.Tenant.Value, caller.KeyId, "Replayed");
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "security", "This signature was already used; sign every attempt with a fresh timestamp.");
        }

        if (check == SignatureCheck.Valid)
        {
            return null;
        }

        Logs.HttpDoorSignatureRefused(logger, caller.Tenant.Value, caller.KeyId, check.ToString());
        return FhirResults.Problem(StatusCodes.Status401Unauthorized, "security", check switch
        {
            SignatureCheck.Missing => "This tenant signs its webhooks: the x-signature header is required.",
            SignatureCheck.Malformed => "The x-signature header must be t=<unix seconds>,v1=<64 hex digits>.",
            SignatureCheck.OutsideWindow => "The signature timestamp is more than 5 minutes away from the server's clock.",
            _ => "The signature does not match the body.",
        });
    }

    private static string CorrelationId(HttpContext http)
    {
        var presented = http.Request.Headers["x-request-id"].ToString();
        var id = presented.Length is > 0 and <= 128 && presented.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':')
            ? presented
            : http.TraceIdentifier;
        http.Response.Headers["x-request-id"] = id;
        return id;
    }

    private static string? PresentedKey(HttpRequest request)
    {
        var header = request.Headers["x-api-key"].ToString();
        if (!string.IsNullOrWhiteSpace(header))
        {
            return header.Trim();
        }

        var authorization = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
            ? authorization[bearer.Length..].Trim()
            : null;
    }
}
