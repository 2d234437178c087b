using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Claims.Functions.Http;

/// <summary>
/// The billing console's static files (functions/Claims.Functions/Console, embedded in this assembly at build, so the
/// publish output carries them inside Claims.Functions.dll: nothing is fetched from elsewhere at run time). Each file is
/// served with its content type, a strong ETag (its SHA-256), <c>Cache-Control: no-cache</c> (the browser revalidates
/// and gets 304 while the file is unchanged, so a deploy is seen at once) and the console's Content-Security-Policy.
/// </summary>
public sealed class ConsoleAssets
{
    /// <summary>
    /// Scripts and styles only from the app itself, no inline script or style, no plugins, no framing; the API is the
    /// same origin. docs/CONSOLE.md "Security".
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private const string ResourcePrefix = "console/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".json"] = "application/json; charset=utf-8",
        [".png"] = "image/png",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, Asset> assets;

    public ConsoleAssets()
        : this(typeof(ConsoleAssets).Assembly)
    {
    }

    internal ConsoleAssets(Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        var found = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var normalized = name.Replace('\\', '/');
            if (!normalized.StartsWith(ResourcePrefix, StringComparison.Ordinal)
                || !ContentTypes.TryGetValue(Path.GetExtension(normalized), out var contentType))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            found[normalized[ResourcePrefix.Length..]] = new Asset(bytes, contentType, "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32] + "\"");
        }

        assets = found.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The file names served (relative to /api/console/).</summary>
    public IEnumerable<string> Names => assets.Keys;

    /// <summary>
    /// The answer for GET /api/console/{path}: the file, 304 when the browser's copy is current, 404 for anything else.
    /// An empty path is the app's page (index.html); a path with a trailing slash is redirected to the page without it
    /// (the page's relative asset links resolve under /api/console/ from /api/console).
    /// </summary>
    public IResult Serve(HttpRequest request, string? path)
    {
        ArgumentNullException.ThrowIfNull(request);
        var headers = request.HttpContext.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.XFrameOptions = "DENY";
        if (string.IsNullOrEmpty(path) && request.Path.HasValue && request.Path.Value!.EndsWith('/'))
        {
            return Results.Redirect(request.Path.Value.TrimEnd('/'), permanent: false);
        }

        var name = string.IsNullOrEmpty(path) ? "index.html" : path;
        if (!assets.TryGetValue(name, out var asset))
        {
            return Results.Text("Not found.", "text/plain; charset=utf-8", statusCode: StatusCodes.Status404NotFound);
        }

        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == asset.ETag)))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);
}
