using System.Text.Json;
using Claims.Application.Tenants;
using Claims.Core.Claims;
using Claims.Functions.Http;

namespace Claims.Functions.Functions;

/// <summary>
/// Operator endpoints (operator key only, setting Operator:ApiKeyHash): create tenants, issue, list and revoke
/// their keys, rotate or remove their webhook signing secrets. Secrets appear in a response exactly once.
/// </summary>
public sealed class OperatorFunctions(HttpDoor door, TenantAdminHandler handler)
{
    [Function("OperatorTenantCreate")]
    public Task<IResult> CreateTenant(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/tenants")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "OperatorTenantCreate", ApiRole.Operator, () => CreateTenantCore(request.HttpContext, handler, cancellationToken));

    [Function("OperatorKeyList")]
    public Task<IResult> ListKeys(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "operator/tenants/{tenant}/keys")] HttpRequest request,
        string tenant,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "OperatorKeyList", ApiRole.Operator, () => ListKeysCore(tenant, handler, cancellationToken));

    [Function("OperatorKeyIssue")]
    public Task<IResult> IssueKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/tenants/{tenant}/keys")] HttpRequest request,
        string tenant,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "OperatorKeyIssue", ApiRole.Operator, () => IssueKeyCore(request.HttpContext, tenant, handler, cancellationToken));

    [Function("OperatorKeyRevoke")]
    public Task<IResult> RevokeKey(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "operator/tenants/{tenant}/keys/{keyId}")] HttpRequest request,
        string tenant,
        string keyId,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "OperatorKeyRevoke", ApiRole.Operator, () => RevokeKeyCore(tenant, keyId, handler, cancellationToken));

    [Function("OperatorSigningSecretRotate")]
    public Task<IResult> RotateSigningSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "operator/tenants/{tenant}/signing-secret")] HttpRequest request,
        string tenant,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "OperatorSigningSecretRotate", ApiRole.Operator, () => RotateSigningSecretCore(tenant, handler, cancellationToken));

    [Function("OperatorSigningSecretRemove")]
    public Task<IResult> RemoveSigningSecret(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "operator/tenants/{tenant}/signing-secret")] HttpRequest request,
        string tenant,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "OperatorSigningSecretRemove", ApiRole.Operator, () => RemoveSigningSecretCore(tenant, handler, cancellationToken));

    private static async Task<IResult> CreateTenantCore(HttpContext context, TenantAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        var request = await ReadAsync(context, SecurityJson.Default.CreateTenantRequest, cancellationToken).ConfigureAwait(false);
        if (request is null || !TenantId.TryParse(request.TenantId, out var tenant))
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "invalid", "Send { \"tenantId\": \"[A-Za-z0-9-]{1,64}\", \"displayName\": \"…\" }.");
        }

        var displayName = string.IsNullOrWhiteSpace(request.DisplayName) ? tenant.Value : request.DisplayName.Trim();
        if (displayName.Length > 200)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "invalid", "displayName is at most 200 characters.");
        }

        var created = await handler.CreateTenantAsync(tenant, displayName, cancellationToken).ConfigureAwait(false);
        return Results.Json(new TenantBody(tenant.Value, created), SecurityJson.Default.TenantBody, statusCode: created ? StatusCodes.Status201Created : StatusCodes.Status200OK);
    }

    private static async Task<IResult> ListKeysCore(string tenant, TenantAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!TenantId.TryParse(tenant, out var id) || await handler.ListKeysAsync(id, cancellationToken).ConfigureAwait(false) is not { } keys)
        {
            return NoSuchTenant();
        }

        return Results.Json(new KeyListBody([.. keys.Select(ToBody)]), SecurityJson.Default.KeyListBody);
    }

    private static async Task<IResult> IssueKeyCore(HttpContext context, string tenant, TenantAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        if (!TenantId.TryParse(tenant, out var id))
        {
            return NoSuchTenant();
        }

        var request = await ReadAsync(context, SecurityJson.Default.IssueKeyRequest, cancellationToken).ConfigureAwait(false);
        ApiRole? role = request?.Role?.ToLowerInvariant() switch
        {
            "ingest" => ApiRole.Ingest,
            "admin" => ApiRole.Admin,
            _ => null,
        };
        var name = string.IsNullOrWhiteSpace(request?.Name) ? null : request.Name.Trim();
        if (role is null || name is null || name.Length > 100)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "invalid", "Send { \"role\": \"ingest\" | \"admin\", \"name\": \"what the key is for (≤ 100 characters)\" }.");
        }

        return await handler.IssueKeyAsync(id, role.Value, name, cancellationToken).ConfigureAwait(false) switch
        {
            null => NoSuchTenant(),
            IssueKeyResult.Issued issued => Issued(context, id, issued.Key),
            IssueKeyResult.TooManyActiveKeys full => FhirResults.Problem(
                StatusCodes.Status409Conflict,
                "conflict",
                $"Role {full.Role.ToString().ToLowerInvariant()} already has {ApiKeyStore.MaxActiveKeysPerRole} active keys; revoke one before issuing another."),
            _ => throw new InvalidOperationException("Unknown issue result."),
        };
    }

    private static async Task<IResult> RevokeKeyCore(string tenant, string keyId, TenantAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return TenantId.TryParse(tenant, out var id) && keyId.Length <= 100 && await handler.RevokeKeyAsync(id, keyId, cancellationToken).ConfigureAwait(false)
            ? Results.NoContent()
            : FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such key.");
    }

    private static async Task<IResult> RotateSigningSecretCore(string tenant, TenantAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!TenantId.TryParse(tenant, out var id) || await handler.RotateSigningSecretAsync(id, cancellationToken).ConfigureAwait(false) is not { } secret)
        {
            return NoSuchTenant();
        }

        return Results.Json(new SigningSecretBody(id.Value, secret), SecurityJson.Default.SigningSecretBody, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> RemoveSigningSecretCore(string tenant, TenantAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return TenantId.TryParse(tenant, out var id) && await handler.RemoveSigningSecretAsync(id, cancellationToken).ConfigureAwait(false)
            ? Results.NoContent()
            : NoSuchTenant();
    }

    private static IResult Issued(HttpContext context, TenantId tenant, IssuedApiKey key)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.Location = $"/api/operator/tenants/{tenant.Value}/keys/{key.Info.KeyId}";
        return Results.Json(new IssuedKeyBody(ToBody(key.Info), key.Key), SecurityJson.Default.IssuedKeyBody, statusCode: StatusCodes.Status201Created);
    }

    private static IResult NoSuchTenant() => FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such tenant.");

    private static KeyBody ToBody(ApiKeyInfo info) =>
        new(info.KeyId, info.Role.ToString().ToLowerInvariant(), info.Name, info.CreatedAt, info.RevokedAt, info.Active);

    private static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        if (context.Request.ContentLength is > 16 * 1024)
        {
            return null;
        }

        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>POST /operator/tenants.</summary>
public sealed record CreateTenantRequest(string? TenantId, string? DisplayName);

/// <summary>The tenant and whether this call created it.</summary>
public sealed record TenantBody(string TenantId, bool Created);

/// <summary>POST /operator/tenants/{tenant}/keys.</summary>
public sealed record IssueKeyRequest(string? Role, string? Name);

/// <summary>A key without its secret.</summary>
public sealed record KeyBody(string KeyId, string Role, string Name, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt, bool Active);

/// <summary>The tenant's keys.</summary>
public sealed record KeyListBody(IReadOnlyList<KeyBody> Keys);

/// <summary>A new key: <paramref name="Key"/> is shown only here.</summary>
public sealed record IssuedKeyBody(KeyBody Info, string Key);

/// <summary>A new webhook signing secret, shown only here.</summary>
public sealed record SigningSecretBody(string TenantId, string SigningSecret);
