using Claims.Functions.Http;

namespace Claims.Functions.Functions;

/// <summary>
/// GET /console/{*path}: the billing console's static files (docs/CONSOLE.md). No key: the page asks for the admin key
/// and calls the API with it; the files hold no tenant data.
/// </summary>
public sealed class ConsoleFunctions(HttpDoor door, ConsoleAssets assets)
{
    [Function("Console")]
    public Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "console/{*path}")] HttpRequest request,
        string? path) =>
        door.ServeAsync(request, "Console", null, () => Task.FromResult(assets.Serve(request, path)));
}
