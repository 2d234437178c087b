using Claims.Application.Tenants;
using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Claims.Application.Authorizations;
using Claims.Core.Authorizations;
using Claims.Core.Fhir;
using Claims.Core.Rules;
using Claims.Functions.Hosting;
using Claims.Functions.Http;

namespace Claims.Functions.Functions;

/// <summary>
/// Prior authorizations (admin): POST/GET /authorizations, GET/PUT/DELETE /authorizations/{number} (ETag header; PUT
/// needs If-Match: 428 without, 412 stale), and POST /admin/sweeps/authorizations (run the sweep now for the caller's
/// tenant). Bodies are application/json; errors are OperationOutcomes.
/// </summary>
public sealed class AuthorizationFunctions(HttpDoor door, AuthorizationAdminHandler handler, AuthorizationSweeper sweeper)
{
    [Function("AuthorizationList")]
    public Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "authorizations")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuthorizationList", ApiRole.Admin, () => ListCore(request.HttpContext, handler, cancellationToken));

    [Function("AuthorizationCreate")]
    public Task<IResult> Create(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "authorizations")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuthorizationCreate", ApiRole.Admin, () => CreateCore(request.HttpContext, handler, cancellationToken));

    [Function("AuthorizationGet")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "authorizations/{number}")] HttpRequest request,
        string number,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuthorizationGet", ApiRole.Admin, () => GetCore(request.HttpContext, number, handler, cancellationToken));

    [Function("AuthorizationPut")]
    public Task<IResult> Put(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "authorizations/{number}")] HttpRequest request,
        string number,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuthorizationPut", ApiRole.Admin, () => PutCore(request.HttpContext, number, handler, cancellationToken));

    [Function("AuthorizationDelete")]
    public Task<IResult> Delete(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "authorizations/{number}")] HttpRequest request,
        string number,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuthorizationDelete", ApiRole.Admin, () => DeleteCore(request.HttpContext, number, handler, cancellationToken));

    [Function("AuthorizationSweepNow")]
    public Task<IResult> SweepNow(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "admin/sweeps/authorizations")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "AuthorizationSweepNow", ApiRole.Admin, () => SweepNowCore(request.HttpContext, sweeper, cancellationToken));

    private const int MaxBodyBytes = 64 * 1024;
    private const string JsonContentType = "application/json";

    private static async Task<IResult> CreateCore(HttpContext context, AuthorizationAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        if (RequestBody.CheckContentType(context.Request) is { } unsupported)
        {
            return unsupported;
        }

        if (await RequestBody.ReadAsync(context.Request, MaxBodyBytes, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.TooLarge(MaxBodyBytes);
        }

        var caller = HttpDoor.GetCaller(context);
        var outcome = await handler.CreateAsync(caller.Tenant, body, caller.KeyId, cancellationToken).ConfigureAwait(false);
        if (outcome is AuthorizationOutcome.Created created)
        {
            context.Response.Headers.Location = "/api/authorizations/" + created.Authorization.Value.AuthNumber;
        }

        return ToResult(context, outcome);
    }

    private static async Task<IResult> GetCore(HttpContext context, string number, AuthorizationAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        var caller = HttpDoor.GetCaller(context);
        return ToResult(context, await handler.GetAsync(caller.Tenant, number, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> PutCore(HttpContext context, string number, AuthorizationAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        if (RequestBody.CheckContentType(context.Request) is { } unsupported)
        {
            return unsupported;
        }

        if (await RequestBody.ReadAsync(context.Request, MaxBodyBytes, cancellationToken).ConfigureAwait(false) is not { } body)
        {
            return RequestBody.TooLarge(MaxBodyBytes);
        }

        var caller = HttpDoor.GetCaller(context);
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        return ToResult(context, await handler.ReplaceAsync(caller.Tenant, number, ifMatch, body, caller.KeyId, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> DeleteCore(HttpContext context, string number, AuthorizationAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        var caller = HttpDoor.GetCaller(context);
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        return ToResult(context, await handler.DeleteAsync(caller.Tenant, number, ifMatch, caller.KeyId, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>GET /authorizations?status=&amp;payer=&amp;patient=&amp;expiringBefore=yyyy-MM-dd&amp;pageSize=&amp;continuationToken=.</summary>
    private static async Task<IResult> ListCore(HttpContext context, AuthorizationAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        var query = context.Request.Query;
        var issues = new List<OutcomeIssue>();
        string? status = query["status"].ToString() is { Length: > 0 } s ? s : null;
        if (status is not null && status is not (AuthorizationStatuses.Active or AuthorizationStatuses.ExpiringSoon or AuthorizationStatuses.Expired or AuthorizationStatuses.Renewed))
        {
            issues.Add(OutcomeIssue.Error("value", "status must be ACTIVE, EXPIRING_SOON, EXPIRED or RENEWED.", "status"));
        }

        DateOnly? before = null;
        if (query["expiringBefore"].ToString() is { Length: > 0 } b)
        {
            if (DateOnly.TryParseExact(b, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                before = day;
            }
            else
            {
                issues.Add(OutcomeIssue.Error("value", "expiringBefore must be a date (yyyy-MM-dd).", "expiringBefore"));
            }
        }

        var pageSize = 50;
        if (query["pageSize"].ToString() is { Length: > 0 } p && (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > AuthorizationAdminHandler.MaxPageSize))
        {
            issues.Add(OutcomeIssue.Error("value", "pageSize must be from 1 to 200.", "pageSize"));
        }

        if (issues.Count > 0)
        {
            return FhirResults.Outcome(StatusCodes.Status400BadRequest, new OperationOutcome(issues));
        }

        var filter = new AuthorizationFilter(
            status,
            query["payer"].ToString() is { Length: > 0 } payer ? payer : null,
            query["patient"].ToString() is { Length: > 0 } patient ? patient : null,
            before);
        var token = query["continuationToken"].ToString() is { Length: > 0 } t ? t : null;
        var caller = HttpDoor.GetCaller(context);
        (IReadOnlyList<Authorization> Items, string? ContinuationToken) page;
        try
        {
            page = await handler.ListAsync(caller.Tenant, filter, pageSize, token, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "value", "The continuation token is not valid.", "continuationToken");
        }

        return Json(StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("items");
            foreach (var item in page.Items)
            {
                AuthorizationJson.WriteTo(writer, item);
            }

            writer.WriteEndArray();
            if (page.ContinuationToken is null)
            {
                writer.WriteNull("continuationToken");
            }
            else
            {
                writer.WriteString("continuationToken", page.ContinuationToken);
            }

            writer.WriteEndObject();
        });
    }

    /// <summary>POST /admin/sweeps/authorizations: the sweep, now, for the caller's tenant; answers what it changed.</summary>
    private static async Task<IResult> SweepNowCore(HttpContext context, AuthorizationSweeper sweeper, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(sweeper);
        var caller = HttpDoor.GetCaller(context);
        var result = await sweeper.SweepTenantAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        return Json(StatusCodes.Status200OK, writer => WriteSweep(writer, result));
    }

    private static void WriteSweep(Utf8JsonWriter writer, AuthorizationSweepResult result)
    {
        writer.WriteStartObject();
        writer.WriteString("day", AuthorizationJson.Date(result.Day));
        writer.WriteNumber("reviewed", result.Reviewed);
        writer.WriteStartArray("changes");
        foreach (var c in result.Changes)
        {
            writer.WriteStartObject();
            writer.WriteString("authNumber", c.AuthNumber);
            writer.WriteString("from", c.From);
            writer.WriteString("to", c.To);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("alerts");
        foreach (var a in result.Alerts)
        {
            writer.WriteStartObject();
            writer.WriteString("authNumber", a.AuthNumber);
            writer.WriteString("kind", a.Kind);
            writer.WriteString("key", a.Key);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteNumber("storageCalls", result.StorageCalls);
        writer.WriteEndObject();
    }

    private static IResult ToResult(HttpContext context, AuthorizationOutcome outcome)
    {
        switch (outcome)
        {
            case AuthorizationOutcome.Found found:
                context.Response.Headers.ETag = found.Authorization.ETag;
                return Json(StatusCodes.Status200OK, w => AuthorizationJson.WriteTo(w, found.Authorization.Value));
            case AuthorizationOutcome.Created created:
                context.Response.Headers.ETag = created.Authorization.ETag;
                return Json(StatusCodes.Status201Created, w => AuthorizationJson.WriteTo(w, created.Authorization.Value));
            case AuthorizationOutcome.Deleted:
                return Results.NoContent();
            case AuthorizationOutcome.Invalid invalid:
                return FhirResults.Outcome(StatusCodes.Status400BadRequest, new OperationOutcome(invalid.Issues));
            case AuthorizationOutcome.Conflict conflict:
                return FhirResults.Problem(StatusCodes.Status409Conflict, "duplicate", conflict.Diagnostics, "authNumber");
            case AuthorizationOutcome.PreconditionRequired:
                return FhirResults.Problem(StatusCodes.Status428PreconditionRequired, "required", "PUT needs If-Match with the ETag of the authorization you edited.", "If-Match");
            case AuthorizationOutcome.PreconditionFailed:
                return FhirResults.Problem(StatusCodes.Status412PreconditionFailed, "conflict", "The authorization changed since you read it: GET it again and reapply your change.", "If-Match");
            default:
                return FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such authorization.");
        }
    }

    private static IResult Json(int status, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Results.Text(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), JsonContentType, System.Text.Encoding.UTF8, status);
    }
}
