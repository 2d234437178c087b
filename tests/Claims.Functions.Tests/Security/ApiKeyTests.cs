using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Claims.Application.Storage;
using Claims.Application.Tenants;
using Claims.Storage;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Claims.Functions.Tests.Security;

/// <summary>Tenants and keys: operator endpoints, salted hashes, a key shown once, two per role, revocation, 401/403.</summary>
[Collection(AppCollection.Name)]
public sealed class ApiKeyTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite, SecurityTestKit.OperatorSettings());

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task OperatorFlow_CreateTenantIssueUseRevoke_KeyWorksUntilRevokedThen401()
    {
        _ = await app.NewTenantAsync();
        using var op = SecurityTestKit.Client(app, SecurityTestKit.OperatorKey);
        var tenant = "ops-" + Guid.NewGuid().ToString("N")[..8];

        using var created = await op.PostAsync("/api/operator/tenants", SecurityTestKit.Json($$"""{"tenantId":"{{tenant}}","displayName":"Ops test"}"""));
        using var again = await op.PostAsync("/api/operator/tenants", SecurityTestKit.Json($$"""{"tenantId":"{{tenant}}"}"""));
        var (ingestId, ingestKey) = await SecurityTestKit.IssueKeyAsync(op, tenant, "ingest", "EHR webhook");
        var (_, adminKey) = await SecurityTestKit.IssueKeyAsync(op, tenant, "admin", "billing lead");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Matches("^cf_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$", ingestKey);
        Assert.StartsWith("cf_" + ingestId + "_", ingestKey, StringComparison.Ordinal);
        using var ingest = SecurityTestKit.Client(app, ingestKey);
        var claimId = await SecurityTestKit.PostClaimAsync(ingest);
        using var admin = SecurityTestKit.Client(app, adminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/claims/{claimId}")).StatusCode);

        using var revoked = await op.DeleteAsync($"/api/operator/tenants/{tenant}/keys/{ingestId}");
        using var afterRevoke = await ingest.GetAsync($"/api/claims/{claimId}");

        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, afterRevoke.StatusCode);
        var list = JsonNode.Parse(await op.GetStringAsync($"/api/operator/tenants/{tenant}/keys"))!["keys"]!.AsArray();
        Assert.Equal(2, list.Count);
        Assert.False(list.Single(k => k!["keyId"]!.GetValue<string>() == ingestId)!["active"]!.GetValue<bool>());
        Assert.DoesNotContain(ingestKey, list.ToJsonString(), StringComparison.Ordinal);
        var actions = JsonNode.Parse(await admin.GetStringAsync("/api/audit?pageSize=50"))!["entries"]!.AsArray()
            .Where(e => e!["actor"]!.GetValue<string>() == "operator").Select(e => e!["action"]!.GetValue<string>()).ToList();
        Assert.Equal(["key.revoked", "key.issued", "key.issued", "tenant.created"], actions);
    }

    [Fact]
    public async Task IssueKey_ThirdActiveKeyForARole_Answers409UntilOneIsRevoked()
    {
        var tenant = await app.NewTenantAsync();
        using var op = SecurityTestKit.Client(app, SecurityTestKit.OperatorKey);

        // NewTenantAsync registered one admin key already.
        var (secondId, _) = await SecurityTestKit.IssueKeyAsync(op, tenant.Tenant.Value, "admin", "rotation");
        using var third = await op.PostAsync($"/api/operator/tenants/{tenant.Tenant.Value}/keys", SecurityTestKit.Json("""{"role":"admin","name":"one too many"}"""));
        Assert.Equal(HttpStatusCode.Conflict, third.StatusCode);

        using var revoke = await op.DeleteAsync($"/api/operator/tenants/{tenant.Tenant.Value}/keys/{secondId}");
        var (_, replacement) = await SecurityTestKit.IssueKeyAsync(op, tenant.Tenant.Value, "admin", "replacement");

        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using var admin = SecurityTestKit.Client(app, replacement);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/audit")).StatusCode);
    }

    [Fact]
    public async Task IssueKey_StoredRows_HoldNeitherTheKeyNorItsPlainHash()
    {
        var tenant = await app.NewTenantAsync();
        using var op = SecurityTestKit.Client(app, SecurityTestKit.OperatorKey);
        var (_, key) = await SecurityTestKit.IssueKeyAsync(op, tenant.Tenant.Value, "ingest", "scan");
        var secret = key[20..];
        var forbidden = new[]
        {
            key,
            secret,
            Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))),
            Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(key))),
        };

        var stored = new StringBuilder();
        await foreach (var row in app.Storage.Table(StorageNames.ApiKeysTable).QueryAsync<Azure.Data.Tables.TableEntity>((string?)null))
        {
            stored.Append(row.PartitionKey).Append(row.RowKey);
            foreach (var (name, value) in row)
            {
                stored.Append(name).Append(value);
            }
        }

        Assert.All(forbidden, f => Assert.DoesNotContain(f, stored.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Register_DevSeededFreeFormKey_IsSaltedAndStillAuthenticates()
    {
        var tenant = await app.NewTenantAsync();
        var row = await app.Storage.Table(StorageNames.ApiKeysTable).GetEntityOrDefaultAsync("key", ApiKeyStore.LookupRowKey(tenant.AdminKey)!);

        Assert.NotNull(row);
        Assert.Equal(16, Convert.FromBase64String(row.GetString("Salt")!).Length);
        Assert.NotEqual(ApiKeyStore.LookupRowKey(tenant.AdminKey), Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(tenant.AdminKey))));
        using var admin = SecurityTestKit.Client(app, tenant.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/audit")).StatusCode);
    }

    [Fact]
    public async Task Register_SameKeyIdWithANewKey_RevokesTheOldKey()
    {
        var tenant = await app.NewTenantAsync();
        var keys = app.Services.GetRequiredService<ApiKeyStore>();
        var newKey = "rotated-" + Guid.NewGuid().ToString("N");

        await keys.RegisterAsync(tenant.Tenant, ApiRole.Admin, newKey, "test-admin", CancellationToken.None);

        using var oldClient = SecurityTestKit.Client(app, tenant.AdminKey);
        using var newClient = SecurityTestKit.Client(app, newKey);
        Assert.Equal(HttpStatusCode.Unauthorized, (await oldClient.GetAsync("/api/audit")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await newClient.GetAsync("/api/audit")).StatusCode);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("cf_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", HttpStatusCode.Unauthorized)]
    [InlineData("ingest", HttpStatusCode.Forbidden)]
    [InlineData("admin", HttpStatusCode.Forbidden)]
    public async Task OperatorEndpoints_WithoutTheOperatorKey_Answer401Or403(string? who, HttpStatusCode expected)
    {
        var tenant = await app.NewTenantAsync();
        var key = who switch { "ingest" => tenant.IngestKey, "admin" => tenant.AdminKey, _ => who };
        using var client = SecurityTestKit.Client(app, key);

        using var list = await client.GetAsync($"/api/operator/tenants/{tenant.Tenant.Value}/keys");
        using var create = await client.PostAsync("/api/operator/tenants", SecurityTestKit.Json("""{"tenantId":"sneaky"}"""));

        Assert.Equal(expected, list.StatusCode);
        Assert.Equal(expected, create.StatusCode);
    }

    [Fact]
    public async Task AdminEndpoints_WithAnIngestKey_Answer403()
    {
        var tenant = await app.NewTenantAsync();
        using var ingest = SecurityTestKit.Client(app, tenant.IngestKey);
        var adminRoutes = TestFunctions.Http.Where(t => t.Role == ApiRole.Admin).ToList();

        Assert.NotEmpty(adminRoutes);
        foreach (var trigger in adminRoutes)
        {
            var route = TenantIsolationTests.FillRoute(trigger.Route, _ => "x");
            using var request = new HttpRequestMessage(new HttpMethod(trigger.Methods[0]), "/api/" + route) { Content = SecurityTestKit.Json("{}") };
            using var response = await ingest.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Forbidden, $"{trigger.Methods[0]} {trigger.Route} answered {(int)response.StatusCode}");
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    [InlineData("revoked")]
    public async Task TenantEndpoints_MissingUnknownOrRevokedKey_Answer401(string? which)
    {
        var tenant = await app.NewTenantAsync();
        var key = which;
        if (which == "revoked")
        {
            key = tenant.IngestKey;
            Assert.True(await app.Services.GetRequiredService<ApiKeyStore>().RevokeAsync(tenant.Tenant, "test-ingest", CancellationToken.None));
        }

        using var client = SecurityTestKit.Client(app, key);
        foreach (var trigger in TestFunctions.Http.Where(t => t.Role is ApiRole.Ingest or ApiRole.Admin))
        {
            var route = TenantIsolationTests.FillRoute(trigger.Route, _ => "x");
            using var request = new HttpRequestMessage(new HttpMethod(trigger.Methods[0]), "/api/" + route) { Content = SecurityTestKit.Json("{}") };
            using var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{trigger.Methods[0]} {trigger.Route} answered {(int)response.StatusCode}");
        }
    }
}
