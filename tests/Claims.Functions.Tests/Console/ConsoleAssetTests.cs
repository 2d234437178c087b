using System.Net;
using System.Text.RegularExpressions;
using Claims.Functions.Http;
using Claims.Testing;

namespace Claims.Functions.Tests.ConsoleUi;

/// <summary>The console's static files as the app serves them: content types, cache validators, the CSP.</summary>
[Collection(AppCollection.Name)]
public sealed partial class ConsoleAssetTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Theory]
    [InlineData("/api/console", "text/html")]
    [InlineData("/api/console/app.js", "text/javascript")]
    [InlineData("/api/console/api.js", "text/javascript")]
    [InlineData("/api/console/app.css", "text/css")]
    public async Task Asset_IsServedWithItsTypeAStrictCspAndAValidator_WithoutAKey(string path, string contentType)
    {
        using var client = app.ClientWithKey(null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType!.MediaType);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-cache", response.Headers.CacheControl!.ToString());
        Assert.NotNull(response.Headers.ETag);

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag!);
        using var revalidated = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
    }

    [Fact]
    public async Task Page_HasNoInlineScriptOrStyleAndNothingFromAnotherOrigin()
    {
        using var client = app.ClientWithKey(null);

        var html = await client.GetStringAsync("/api/console");

        Assert.DoesNotMatch(InlineScript(), html);
        Assert.DoesNotContain("<style", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(" style=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
        foreach (var name in new ConsoleAssets().Names.Where(n => n.EndsWith(".js", StringComparison.Ordinal)))
        {
            var script = await client.GetStringAsync("/api/console/" + name);
            Assert.DoesNotContain("innerHTML", script, StringComparison.Ordinal);
            Assert.DoesNotContain("eval(", script, StringComparison.Ordinal);
            Assert.DoesNotMatch(RemoteUrl(), script);
        }
    }

    [Theory]
    [InlineData("/api/console/nope.js")]
    [InlineData("/api/console/../host.json")]
    [InlineData("/api/console/Claims.Functions.dll")]
    public async Task UnknownFile_Answers404(string path)
    {
        using var client = app.ClientWithKey(null);

        using var response = await client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task TrailingSlash_RedirectsToThePage()
    {
        using var client = app.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var response = await client.GetAsync("/api/console/");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/api/console", response.Headers.Location!.ToString());
    }

    [GeneratedRegex("<script(?![^>]*\\bsrc=)", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();

    [GeneratedRegex("https?://", RegexOptions.IgnoreCase)]
    private static partial Regex RemoteUrl();
}
