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

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? throttled = null;
        for (var i = 0; i < 8 && throttled is null; i++)
        {
            var response = await busyClient.GetAsync("/api/audit");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throttled = response;
            }
            else
            {
                response.Dispose();
            }
        }

        using var quietResponse = await quietClient.GetAsync("/api/audit");

        Assert.NotNull(throttled);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) >= 3, string.Join(",", statuses));
        Assert.True(throttled.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(HttpStatusCode.OK, quietResponse.StatusCode);
        throttled.Dispose();
    }
}
