using Claims.Application.Tenants;
using System.Globalization;
using System.Text.Json.Serialization;
using Claims.Application.Rules;
using Claims.Functions.Http;
using Microsoft.Extensions.Options;

namespace Claims.Functions.Functions;

/// <summary>
/// The tenant's rule set (admin): GET/PUT /rules (ETag = version; PUT needs If-Match), GET /rules/versions[/{v}],
/// POST /rules/run-tests (a draft's tests, nothing saved), POST /rules/dry-run (a pasted claim or a stored claim id).
/// Rule-set bodies are application/json; every error is an OperationOutcome.
/// </summary>
public sealed class RulesFunctions(HttpDoor door, RuleSetAdminHandler handler, IOptions<RuleSetOptions> options)
{
    [Function("RulesGet")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rules")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "RulesGet", ApiRole.Admin, () => GetCore(request.HttpContext, handler, cancellationToken));

    [Function("RulesPut")]
    public Task<IResult> Put(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "rules")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "RulesPut", ApiRole.Admin, () => PutCore(request.HttpContext, handler, options, cancellationToken));

    [Function("RuleVersionsList")]
    public Task<IResult> ListVersions(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rules/versions")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "RuleVersionsList", ApiRole.Admin, () => ListVersionsCore(request.HttpContext, handler, options, cancellationToken));

    [Function("RuleVersionGet")]
    public Task<IResult> GetVersion(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rules/versions/{version}")] HttpRequest request,
        string version,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "RuleVersionGet", ApiRole.Admin, () => GetVersionCore(request.HttpContext, version, handler, cancellationToken));

    [Function("RulesDryRun")]
    public Task<IResult> DryRun(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rules/dry-run")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "RulesDryRun", ApiRole.Admin, () => DryRunCore(request.HttpContext, handler, options, cancellationToken));

    [Function("RulesRunTests")]
    public Task<IResult> RunTests(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rules/run-tests")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "RulesRunTests", ApiRole.Admin, () => RunTestsCore(request.HttpContext, handler, options, cancellationToken));

    private const string JsonContentType = "application/json";

    private static async Task<IResult> GetCore(HttpContext context, RuleSetAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        var caller = HttpDoor.GetCaller(context);
        var current = await handler.GetAsync(caller.Tenant, cancellationToken).ConfigureAwait(false);
        return Document(context, current);
    }

    private static async Task<IResult> PutCore(HttpContext context, RuleSetAdminHandler handler, IOptions<RuleSetOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        var ifMatch = context.Request.Headers.IfMatch.ToString();
        if (string.IsNullOrWhiteSpace(ifMatch))
        {
            return FhirResults.Problem(
                StatusCodes.Status428PreconditionRequired,
                "required",
                "PUT /rules needs If-Match with the version you edited (the ETag of GET /rules), so a concurrent edit is never overwritten.",
                "If-Match");
        }

        var (body, refusal) = await ReadJsonAsync(context.Request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        var caller = HttpDoor.GetCaller(context);
        var result = await handler.SaveAsync(caller.Tenant, ParseIfMatch(ifMatch), body, caller.KeyId, cancellationToken).ConfigureAwait(false);
        switch (result)
        {
            case RuleSetSaveResult.Saved saved:
                return Document(context, saved.RuleSet);
            case RuleSetSaveResult.Stale stale:
                context.Response.Headers.ETag = Quote(stale.CurrentVersion);
                return FhirResults.Problem(
                    StatusCodes.Status412PreconditionFailed,
                    "conflict",
                    $"The rule set changed since you read it: the current version is {stale.CurrentVersion}. GET /rules, reapply your edits and PUT again with its ETag.",
                    "If-Match");
            case RuleSetSaveResult.Invalid invalid:
                return FhirResults.Outcome(StatusCodes.Status400BadRequest, invalid.Outcome);
            case RuleSetSaveResult.TestsFailed failed:
                return FhirResults.Outcome(StatusCodes.Status422UnprocessableEntity, failed.Outcome);
            default:
                throw new InvalidOperationException("Unknown save result.");
        }
    }

    private static async Task<IResult> ListVersionsCore(
        HttpContext context, RuleSetAdminHandler handler, IOptions<RuleSetOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        var max = options.Value.MaxVersionsPageSize;
        var pageSize = max;
        var sizeText = context.Request.Query["pageSize"].ToString();
        if (sizeText.Length > 0 && (!int.TryParse(sizeText, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > max))
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "value", $"pageSize must be a whole number from 1 to {max}.", "pageSize");
        }

        var token = context.Request.Query["continuationToken"].ToString();
        RuleSetVersionPage page;
        try
        {
            var caller = HttpDoor.GetCaller(context);
            page = await handler.ListVersionsAsync(caller.Tenant, pageSize, token.Length == 0 ? null : token, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            return FhirResults.Problem(StatusCodes.Status400BadRequest, "value", "The continuationToken is not one this API issued.", "continuationToken");
        }

        var body = new VersionsBody(
            page.Items.Select(v => new VersionBody(v.Version, v.SavedAt, v.SavedBy, v.RuleCount, v.TestCount)).ToList(),
            page.ContinuationToken);
        return Results.Json(body, RulesJson.Default.VersionsBody);
    }

    private static async Task<IResult> GetVersionCore(HttpContext context, string version, RuleSetAdminHandler handler, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        var caller = HttpDoor.GetCaller(context);
        if (!long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            || await handler.GetVersionAsync(caller.Tenant, number, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return FhirResults.Problem(StatusCodes.Status404NotFound, "not-found", "No such rule-set version.");
        }

        return Document(context, stored);
    }

    private static async Task<IResult> DryRunCore(HttpContext context, RuleSetAdminHandler handler, IOptions<RuleSetOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        var (body, refusal) = await ReadJsonAsync(context.Request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        var caller = HttpDoor.GetCaller(context);
        return await handler.DryRunAsync(caller.Tenant, body, cancellationToken).ConfigureAwait(false) switch
        {
            DryRunResult.Evaluated evaluated => Results.Bytes(evaluated.ResultJson, JsonContentType),
            DryRunResult.Malformed malformed => FhirResults.Outcome(StatusCodes.Status400BadRequest, malformed.Outcome),
            DryRunResult.InvalidClaim invalid => FhirResults.Outcome(StatusCodes.Status422UnprocessableEntity, invalid.Outcome),
            DryRunResult.ClaimNotFound missing => FhirResults.Outcome(StatusCodes.Status404NotFound, missing.Outcome),
            _ => throw new InvalidOperationException("Unknown dry-run result."),
        };
    }

    private static async Task<IResult> RunTestsCore(HttpContext context, RuleSetAdminHandler handler, IOptions<RuleSetOptions> options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        var (body, refusal) = await ReadJsonAsync(context.Request, options.Value.MaxBodyBytes, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            return refusal;
        }

        var caller = HttpDoor.GetCaller(context);
        return await handler.RunTestsAsync(caller.Tenant, body, cancellationToken).ConfigureAwait(false) switch
        {
            RuleTestRunResult.Ran ran => Results.Json(
                new TestRunBody(
                    ran.Tests.Count(t => t.Passed),
                    ran.Tests.Count(t => !t.Passed),
                    ran.Tests.Select(t => new TestResultBody(t.Name, t.Path, t.Passed, t.Difference)).ToList()),
                RulesJson.Default.TestRunBody),
            RuleTestRunResult.Invalid invalid => FhirResults.Outcome(StatusCodes.Status400BadRequest, invalid.Outcome),
            _ => throw new InvalidOperationException("Unknown test-run result."),
        };
    }

    /// <summary>
    /// The versions If-Match names: <c>*</c>, or entity tags such as <c>"3"</c> (weak <c>W/"3"</c> and a bare 3 are
    /// accepted too, since the version is the whole validator).
    /// </summary>
    internal static IReadOnlyCollection<string> ParseIfMatch(string header) =>
        header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(tag => tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag)
            .Select(tag => tag.Length >= 2 && tag[0] == '"' && tag[^1] == '"' ? tag[1..^1] : tag)
            .ToHashSet(StringComparer.Ordinal);

    private static string Quote(string version) => "\"" + version + "\"";

    private static IResult Document(HttpContext context, StoredRuleSet stored)
    {
        context.Response.Headers.ETag = Quote(stored.VersionText);
        return Results.Bytes(stored.Json, JsonContentType);
    }

    /// <summary>The request's JSON body (application/json or application/fhir+json, at most <paramref name="maxBytes"/>),
    /// or the refusal to answer instead: 415 for another media type, 413 for a larger body.</summary>
    private static async Task<(ReadOnlyMemory<byte> Body, IResult? Refusal)> ReadJsonAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        var mediaType = request.ContentType?.Split(';', 2)[0].Trim();
        if (!string.Equals(mediaType, JsonContentType, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(mediaType, FhirResults.FhirJsonContentType, StringComparison.OrdinalIgnoreCase))
        {
            return (default, FhirResults.Problem(StatusCodes.Status415UnsupportedMediaType, "not-supported", "Send the body as application/json."));
        }

        return await RequestBody.ReadAsync(request, maxBytes, cancellationToken).ConfigureAwait(false) is { } body
            ? (body, null)
            : (default, RequestBody.TooLarge(maxBytes));
    }
}

/// <summary>GET /rules/versions: newest first; pass <c>continuationToken</c> back for the next page.</summary>
public sealed record VersionsBody(IReadOnlyList<VersionBody> Versions, string? ContinuationToken);

/// <summary>One saved version: who (the key id) saved it, when, and its size.</summary>
public sealed record VersionBody(string Version, DateTimeOffset SavedAt, string SavedBy, int RuleCount, int TestCount);

/// <summary>POST /rules/run-tests: how many of the draft's tests passed and failed, and each test in document order.</summary>
public sealed record TestRunBody(int Passed, int Failed, IReadOnlyList<TestResultBody> Tests);

/// <summary>One test: its name, its path in the document (<c>tests[i]</c>), and why it failed (absent when it passed).</summary>
public sealed record TestResultBody(
    string Name,
    string Path,
    bool Passed,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Difference);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(VersionsBody))]
[JsonSerializable(typeof(TestRunBody))]
internal sealed partial class RulesJson : JsonSerializerContext;
