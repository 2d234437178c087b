using Claims.Application.Audit;
using Claims.Application.Intake;
using Claims.Application.Tenants;
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
/// </summary>
public sealed partial class ApiKeyFilter(ApiRole required) : IEndpointFilter
{
    private const string CallerKey = "claims.caller";

    public static Caller GetCaller(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items[CallerKey] as Caller
            ?? throw new InvalidOperationException("The endpoint has no ApiKeyFilter.");
    }

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.HttpContext;
        var services = http.RequestServices;
        var key = PresentedKey(http.Request);
        if (key is null)
        {
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "An API key is required (x-api-key header).");
        }

        var correlationId = CorrelationId(http);
        var trigger = "http:" + (http.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName ?? "unknown");
        if (required == ApiRole.Operator)
        {
            if (!services.GetRequiredService<OperatorKey>().IsValid(key))
            {
                return await services.GetRequiredService<ApiKeyStore>().FindAsync(key, http.RequestAborted).ConfigureAwait(false) is null
                    ? FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "The operator key is not valid.")
                    : FhirResults.Problem(StatusCodes.Status403Forbidden, "forbidden", "Tenant keys may not call operator endpoints.");
            }

            using var operatorScope = AuditContext.Begin(trigger, correlationId);
            return await next(context).ConfigureAwait(false);
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
        return await next(context).ConfigureAwait(false);
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
        var logger = services.GetRequiredService<ILogger<ApiKeyFilter>>();
        var check = WebhookSignature.Verify(http.Request.Headers[WebhookSignature.Header].ToString(), body.Span, secret, time.GetUtcNow(), out var timestamp, out var signature);
        if (check == SignatureCheck.Valid
            && !await services.GetRequiredService<SignatureReplayGuard>().TryRecordAsync(caller.Tenant, timestamp, signature, http.RequestAborted).ConfigureAwait(false))
        {
            LogSignatureRefused(logger, caller.Tenant.Value, caller.KeyId, "Replayed");
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "security", "This signature was already used; sign every attempt with a fresh timestamp.");
        }

        if (check == SignatureCheck.Valid)
        {
            return null;
        }

        LogSignatureRefused(logger, caller.Tenant.Value, caller.KeyId, check.ToString());
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

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Tenant {Tenant}: webhook signature refused ({Reason}) for key {KeyId}")]
    private static partial void LogSignatureRefused(ILogger logger, string tenant, string keyId, string reason);
}
