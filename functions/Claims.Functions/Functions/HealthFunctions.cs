using Claims.Application.Tenants;
using Claims.Functions.Hosting;
using Claims.Functions.Http;
using Claims.Storage;

namespace Claims.Functions.Functions;

/// <summary>
/// GET /health: 200 "Healthy" when the app has created its storage (and seeded the dev tenant, locally) and storage
/// answers now; 503 "Starting" until that start-up work is done (storage is not probed then: the start-up itself is
/// retrying against it), 503 "Degraded" when storage does not answer.
/// </summary>
public sealed class HealthFunctions(HttpDoor door, StorageHealthProbe storage, StorageStartup startup)
{
    [Function("Health")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken) =>
        door.ServeAsync(request, "Health", null, () => GetCore(storage, startup, cancellationToken));

    internal static async Task<IResult> GetCore(StorageHealthProbe storage, StorageStartup startup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(startup);
        if (!startup.Ready.IsCompletedSuccessfully)
        {
            return Answer(new HealthBody("Starting", Storage: null));
        }

        var reachable = await storage.PingAsync(cancellationToken).ConfigureAwait(false);
        return Answer(new HealthBody(reachable ? "Healthy" : "Degraded", new StorageHealth(reachable)));
    }

    private static IResult Answer(HealthBody body) => Results.Json(
        body,
        FunctionsJson.Default.HealthBody,
        statusCode: body.Status == "Healthy" ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
}

/// <summary>The health answer; <see cref="Storage"/> is null while the app is starting (not probed).</summary>
public sealed record HealthBody(string Status, StorageHealth? Storage);

public sealed record StorageHealth(bool Reachable);
