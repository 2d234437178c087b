using Claims.Functions.Http;
using Claims.Storage;

namespace Claims.Functions.Functions;

/// <summary>GET /health: liveness and storage reachability (200 when storage answers, 503 when it does not).</summary>
public static class HealthFunctions
{
    public static async Task<IResult> Get(StorageHealthProbe storage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        var reachable = await storage.PingAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(
            new HealthBody(reachable ? "Healthy" : "Degraded", new StorageHealth(reachable)),
            FunctionsJson.Default.HealthBody,
            statusCode: reachable ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}

public sealed record HealthBody(string Status, StorageHealth Storage);

public sealed record StorageHealth(bool Reachable);
