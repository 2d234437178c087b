using Claims.Application.Tenants;

namespace Claims.Functions.Http;

/// <summary>
/// Resolves the caller from <c>x-api-key</c> (or <c>Authorization: Bearer</c>) for every non-anonymous function:
/// no key or an unknown key is 401, a key without the needed role is 403. The caller lands in HttpContext.Items
/// and every handler scopes its reads and writes to the caller's tenant.
/// </summary>
public sealed class ApiKeyFilter(ApiRole required) : IEndpointFilter
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
        var key = PresentedKey(http.Request);
        if (key is null)
        {
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "An API key is required (x-api-key header).");
        }

        var keys = http.RequestServices.GetRequiredService<ApiKeyStore>();
        var caller = await keys.FindAsync(key, http.RequestAborted).ConfigureAwait(false);
        if (caller is null)
        {
            return FhirResults.Problem(StatusCodes.Status401Unauthorized, "login", "The API key is not valid.");
        }

        if (required == ApiRole.Admin && !caller.CanAdminister)
        {
            return FhirResults.Problem(StatusCodes.Status403Forbidden, "forbidden", "This key's role may not call this endpoint.");
        }

        http.Items[CallerKey] = caller;
        return await next(context).ConfigureAwait(false);
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
