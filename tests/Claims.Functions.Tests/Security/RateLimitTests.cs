using System.Net;
using Claims.Testing;

namespace Claims.Functions.Tests.Security;

/// <summary>Per-tenant rate limit (OWASP API4): 429 with Retry-After, other tenants unaffected.</summary>
[Collection(AppCollection.Name)]
public sealed class RateLimitTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, new Dictionary<string, string?> { ["RateLimit:PermitsPerSecond"] = "1", ["RateLimit:Burst"] = "3" });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task AnyEndpoint_TenantOverItsBurst_Answers429WithRetryAfterWhileOthersGoOn()
    {
        var busy = await app.NewTenantAsync();
        var quiet = await app.NewTenantAsync();
        using var busyClient = SecurityTestKit.Client(app, busy.AdminKey);
        using var quietClient = SecurityTestKit.Client(app, quiet.AdminKey);

        // Concurrent, so replenishment (1 token/s) cannot keep up however slow the machine is.
        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => busyClient.GetAsync("/api/audit")));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        var throttled = responses.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests);

        using var quietResponse = await quietClient.GetAsync("/api/audit");

        Assert.NotNull(throttled);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 3, string.Join(",", statuses));
        Assert.True(throttled.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, quietResponse.StatusCode);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }
}
