using System.Net;
using System.Text.Json.Nodes;
using Claims.Application.Rules;
using Claims.Functions.Functions;
using Claims.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Claims.Functions.Tests.PipelineSupport;

namespace Claims.Functions.Tests;

/// <summary>Holds through HTTP: release (both modes), cancel, the worklist and alerts, against the real app and Azurite.</summary>
[Collection(AppCollection.Name)]
public sealed class ClaimAdminTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly AppFactory app = new(azurite);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await app.DisposeAsync();

    [Fact]
    public async Task Release_Override_SubmitsOnceAndAuditsTheOverrideWithNoteAndKeyId()
    {
        var (tenant, ingest, admin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-OVR-1");

        using var response = await admin.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "override", "note": "Auth confirmed by phone" }"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answered = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        // The answer is the row after the release (Submitting); the claim's orchestration submits it next.
        Assert.Equal("Submitting", answered["status"]!.GetValue<string>());
        var view = await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Submitted");
        var history = view["history"]!.AsArray();
        var release = history.Single(h => h!["cause"]!.GetValue<string>().Contains("override", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("test-admin", release!["actor"]!.GetValue<string>());
        Assert.Equal([$"{tenant.Value}/{claimId}.json"], await OutboundAsync(app.Storage, tenant));
        var audit = await AuditRowsAsync(app.Storage, tenant);
        var row = Assert.Single(audit, r => r.GetString("Action") == "pipeline.release.override" && r.GetString("ClaimId") == claimId);
        Assert.Equal("test-admin", row.GetString("Actor"));
        Assert.Equal("Auth confirmed by phone", row.GetString("Note"));
    }

    [Fact]
    public async Task Release_Reevaluate_RunsTheRulesAgainAndHoldsWithTheNextGeneration()
    {
        var (tenant, ingest, admin) = await TenantAsync(holdEverything: true);
        var claimId = await HeldClaimAsync(ingest, "CLM-REEVAL-1");

        using var response = await admin.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "reevaluate" }"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var view = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Contains(view["status"]!.GetValue<string>(), new[] { "Evaluating", "Held" });
        var held = await EventuallyAsync(
            async () => await ViewAsync(admin, claimId) is { } v && v["history"]!.AsArray().Count(h => h!["to"]!.GetValue<string>() == "Held") == 2 ? v : null,
            TimeSpan.FromSeconds(30),
            "the second hold");
        var path = held["history"]!.AsArray().Select(h => h!["to"]!.GetValue<string>()).ToArray();
        Assert.Equal(["Received", "Evaluating", "Held", "Evaluating", "Held"], path);
        Assert.Empty(await OutboundAsync(app.Storage, tenant));
    }

    [Fact]
    public async Task Release_Twice_SecondAnswers409WithBusinessRuleOutcome()
    {
        var (_, ingest, admin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-TWICE-1");
        using var first = await admin.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "override", "note": "ok" }"""));

        using var second = await admin.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "override", "note": "ok" }"""));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        var outcome = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.Equal("business-rule", outcome["issue"]![0]!["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{ "note": "x" }""", "mode")]
    [InlineData("""{ "mode": "later" }""", "mode")]
    [InlineData("""{ "mode": "override" }""", "note")]
    [InlineData("""{ "mode": "override", "note": 5 }""", "note")]
    [InlineData("""[1]""", null)]
    [InlineData("""{ "mode": """, null)]
    [InlineData("", null)]
    public async Task Release_BadBody_Answers400NamingTheProblem(string body, string? expression)
    {
        var (_, ingest, admin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-BAD-" + Guid.NewGuid().ToString("N")[..6]);

        using var response = await admin.PostAsync($"/api/claims/{claimId}/release", JsonBody(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        if (expression is not null)
        {
            var expressions = outcome["issue"]!.AsArray().SelectMany(i => i!["expression"]?.AsArray().Select(e => e!.GetValue<string>()) ?? []);
            Assert.Contains(expression, expressions);
        }

        Assert.Equal("Held", (await ViewAsync(admin, claimId))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cancel_HeldClaim_CancelsThenRepeatIs200AndReleaseIs409()
    {
        var (tenant, ingest, admin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-CANCEL-1");

        using var cancel = await admin.PostAsync($"/api/claims/{claimId}/cancel", JsonBody("""{ "note": "Duplicate of another claim" }"""));
        using var again = await admin.PostAsync($"/api/claims/{claimId}/cancel", content: null);
        using var release = await admin.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "reevaluate" }"""));

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("Cancelled", JsonNode.Parse(await cancel.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("Cancelled", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, release.StatusCode);
        var audit = await AuditRowsAsync(app.Storage, tenant);
        var row = Assert.Single(audit, r => r.GetString("Action") == "pipeline.cancel" && r.GetString("ClaimId") == claimId);
        Assert.Equal("Duplicate of another claim", row.GetString("Note"));
    }

    [Fact]
    public async Task Cancel_SubmittedClaim_Answers409()
    {
        var (_, ingest, admin) = await TenantAsync();
        var claimId = await PostClaimAsync(ingest, Claim("CLM-SUB-1"));
        await ClaimFlowTests.WaitForStatusAsync(admin, claimId, "Submitted");

        using var response = await admin.PostAsync($"/api/claims/{claimId}/cancel", JsonBody("{}"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("Submitted", (await ViewAsync(admin, claimId))!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task ReleaseAndCancel_OtherTenantsOrUnknownClaim_Answer404()
    {
        var (_, ingest, _) = await TenantAsync();
        var (_, _, otherAdmin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-404-1");

        using var release = await otherAdmin.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "reevaluate" }"""));
        using var cancel = await otherAdmin.PostAsync($"/api/claims/{claimId}/cancel", JsonBody("{}"));
        using var unknown = await otherAdmin.PostAsync($"/api/claims/{Guid.NewGuid():N}/cancel", JsonBody("{}"));
        using var malformed = await otherAdmin.PostAsync("/api/claims/not-an-id/cancel", JsonBody("{}"));

        Assert.Equal(HttpStatusCode.NotFound, release.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, cancel.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
    }

    [Fact]
    public async Task Release_IngestKey_Answers403()
    {
        var (_, ingest, _) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-403-1");

        using var response = await ingest.PostAsync($"/api/claims/{claimId}/release", JsonBody("""{ "mode": "reevaluate" }"""));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Worklist_HeldClaims_PagesWithAContinuationToken()
    {
        var (_, ingest, admin) = await TenantAsync();
        var held = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            held.Add(await HeldClaimAsync(ingest, $"CLM-WL-{i}"));
        }

        var passed = await PostClaimAsync(ingest, Claim("CLM-WL-PASS"));
        await ClaimFlowTests.WaitForStatusAsync(admin, passed, "Submitted");

        using var first = await admin.GetAsync("/api/claims?status=Held&pageSize=2");
        var firstPage = JsonNode.Parse(await first.Content.ReadAsStringAsync())!;
        var token = firstPage["continuationToken"]!.GetValue<string>();
        using var second = await admin.GetAsync($"/api/claims?status=held&pageSize=2&continuationToken={Uri.EscapeDataString(token)}");
        var secondPage = JsonNode.Parse(await second.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var ids = firstPage["items"]!.AsArray().Concat(secondPage["items"]!.AsArray()).Select(i => i!["claimId"]!.GetValue<string>()).ToList();
        Assert.Equal(held.Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.Equal(2, firstPage["items"]!.AsArray().Count);
        Assert.Null(secondPage["continuationToken"]);
        Assert.All(firstPage["items"]!.AsArray(), i => Assert.Equal("test-hold", i!["hold"]!["ruleId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Worklist_OldestHoldFirst_FiltersByRulePayerAgeAndCountsPerRule_FromTheIndex()
    {
        var (_, ingest, admin) = await TenantAsync();
        var held = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            // One after the other: each hold starts after the one before.
            held.Add(await HeldClaimAsync(ingest, $"CLM-OLD-{i}"));
        }

        async Task<JsonNode> PageAsync(string query)
        {
            using var response = await admin.GetAsync("/api/claims?" + query);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        }

        static List<string> Ids(JsonNode page) => page["items"]!.AsArray().Select(i => i!["claimId"]!.GetValue<string>()).ToList();

        var first = await PageAsync("status=Held&pageSize=2");
        var second = await PageAsync($"status=Held&pageSize=2&continuationToken={Uri.EscapeDataString(first["continuationToken"]!.GetValue<string>())}");
        Assert.Equal(held, Ids(first).Concat(Ids(second)));
        Assert.Equal(3, first["countsByRule"]!["test-hold"]!.GetValue<int>());
        Assert.Null(second["countsByRule"]);
        Assert.Equal(HeldPayer, first["items"]![0]!["payer"]!.GetValue<string>());
        Assert.Equal(held, Ids(await PageAsync("sort=escalationDue")));
        Assert.Equal(held, Ids(await PageAsync($"rule=test-hold&payer={HeldPayer}")));
        Assert.Empty(Ids(await PageAsync("rule=another-rule")));
        Assert.Empty(Ids(await PageAsync("payer=NOPE")));
        Assert.Empty(Ids(await PageAsync("minAgeHours=1")));
        Assert.Equal(held, Ids(await PageAsync("minAgeHours=0")));
        Assert.Empty(Ids(await PageAsync("tag=no-such-tag")));

        // A released claim leaves the index in the same save that moves it.
        using var release = await admin.PostAsync($"/api/claims/{held[0]}/release", JsonBody("""{ "mode": "override", "note": "ok" }"""));
        Assert.Equal(HttpStatusCode.OK, release.StatusCode);
        var after = await PageAsync("status=Held");
        Assert.Equal(held.Skip(1), Ids(after));
        Assert.Equal(2, after["countsByRule"]!["test-hold"]!.GetValue<int>());
    }

    [Fact]
    public async Task WorklistReindex_AClaimHeldBeforeTheIndexExisted_IsIndexedOnce()
    {
        var (tenant, ingest, admin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-REINDEX-1");

        await AsSavedBeforeTheIndexAsync(tenant, claimId);

        async Task<int> CountAsync() => JsonNode.Parse(await admin.GetStringAsync("/api/claims?status=Held"))!["count"]!.GetValue<int>();
        async Task<int> ReindexAsync()
        {
            using var response = await admin.PostAsync("/api/admin/worklist/reindex", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["indexed"]!.GetValue<int>();
        }

        Assert.Equal(0, await CountAsync());
        Assert.Equal(1, await ReindexAsync());
        Assert.Equal(1, await CountAsync());
        Assert.Equal(0, await ReindexAsync());
    }

    [Fact]
    public async Task WorklistBackfill_AClaimHeldBeforeTheUpgrade_ReachesTheWorklistThroughTheSweepWithoutAManualCall()
    {
        var (tenant, ingest, admin) = await TenantAsync();
        var claimId = await HeldClaimAsync(ingest, "CLM-BACKFILL-1");
        await AsSavedBeforeTheIndexAsync(tenant, claimId);
        async Task<List<string>> HeldIdsAsync() =>
            JsonNode.Parse(await admin.GetStringAsync("/api/claims?status=Held"))!["items"]!.AsArray().Select(i => i!["claimId"]!.GetValue<string>()).ToList();
        Assert.Empty(await HeldIdsAsync());

        // The timer StuckClaimSweep, as the host runs it (every 5 minutes in Azure): nobody calls the reindex.
        var durable = app.Services.GetRequiredService<Microsoft.DurableTask.Client.DurableTaskClient>();
        var sweep = ActivatorUtilities.CreateInstance<StuckClaimSweepFunction>(app.Services);
        await sweep.Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), durable, CancellationToken.None);

        Assert.Equal([claimId], await HeldIdsAsync());
        var tenantRow = await app.Storage.Table(Application.Storage.StorageNames.TenantsTable).GetEntityAsync<Azure.Data.Tables.TableEntity>("tenant", tenant.Value);
        Assert.Equal(Application.Claims.WorklistIndex.Version, tenantRow.Value.GetInt32(Application.Claims.WorklistReindexer.VersionColumn));
        var audited = Assert.Single(await RulesApiTests.AuditRowsAsync(app, tenant, claim: null), r => r.GetString("Action") == "worklist.backfilled");
        Assert.StartsWith("1 claims", audited.GetString("Details"), StringComparison.Ordinal);

        // Recorded: a second claim stripped the same way is not picked up again by the next sweep (it would be by an
        // index version bump or POST /admin/worklist/reindex), so a current tenant costs the sweep nothing more.
        var second = await HeldClaimAsync(ingest, "CLM-BACKFILL-2");
        await AsSavedBeforeTheIndexAsync(tenant, second, keepTenantVersion: true);
        await sweep.Run(new Microsoft.Azure.Functions.Worker.TimerInfo(), durable, CancellationToken.None);
        Assert.DoesNotContain(second, await HeldIdsAsync());
        Assert.Single(await RulesApiTests.AuditRowsAsync(app, tenant, claim: null), r => r.GetString("Action") == "worklist.backfilled");
    }

    /// <summary>
    /// Makes the tenant's rows look as they did before the worklist index: no index rows, no WorklistKey on
    /// <paramref name="claimId"/>, and (unless kept) no index version on the tenant's row.
    /// </summary>
    private async Task AsSavedBeforeTheIndexAsync(Core.Claims.TenantId tenant, string claimId, bool keepTenantVersion = false)
    {
        var table = app.Storage.Table(Application.Storage.StorageNames.ClaimsTable);
        await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>($"PartitionKey eq '{tenant.Value}'"))
        {
            if (Application.Claims.WorklistIndex.IsIndexRow(row.RowKey) && row.RowKey.EndsWith(claimId, StringComparison.Ordinal))
            {
                await table.DeleteEntityAsync(row.PartitionKey, row.RowKey);
            }
            else if (row.RowKey == claimId)
            {
                row.Remove("WorklistKey");
                await table.UpdateEntityAsync(row, row.ETag, Azure.Data.Tables.TableUpdateMode.Replace);
            }
        }

        if (!keepTenantVersion)
        {
            var tenants = app.Storage.Table(Application.Storage.StorageNames.TenantsTable);
            var tenantRow = (await tenants.GetEntityAsync<Azure.Data.Tables.TableEntity>("tenant", tenant.Value)).Value;
            tenantRow.Remove(Application.Claims.WorklistReindexer.VersionColumn);
            await tenants.UpdateEntityAsync(tenantRow, tenantRow.ETag, Azure.Data.Tables.TableUpdateMode.Replace);
        }
    }

    [Theory]
    [InlineData("status=Pending")]
    [InlineData("status=3")]
    [InlineData("pageSize=0")]
    [InlineData("pageSize=abc")]
    [InlineData("continuationToken=garbage")]
    [InlineData("sort=newest")]
    [InlineData("minAgeHours=-1")]
    [InlineData("status=Submitted&rule=x")]
    public async Task Worklist_BadQuery_Answers400(string query)
    {
        var (_, _, admin) = await TenantAsync();

        using var response = await admin.GetAsync($"/api/claims?{query}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationOutcome", JsonNode.Parse(await response.Content.ReadAsStringAsync())!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Worklist_IngestKey_Answers403()
    {
        var (_, ingest, _) = await TenantAsync();

        using var response = await ingest.GetAsync("/api/claims?status=Held");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<(Core.Claims.TenantId Tenant, HttpClient Ingest, HttpClient Admin)> TenantAsync(bool holdEverything = false)
    {
        var tenant = await app.NewTenantAsync();
        await UseTestRulesAsync(app.Services.GetRequiredService<RuleSetStore>(), tenant.Tenant, holdEverything);
        return (tenant.Tenant, Client(tenant.IngestKey), Client(tenant.AdminKey));
    }

    private async Task<string> HeldClaimAsync(HttpClient ingest, string identifier)
    {
        var claimId = await PostClaimAsync(ingest, Claim(identifier, held: true));
        await ClaimFlowTests.WaitForStatusAsync(ingest, claimId, "Held");
        return claimId;
    }

    private static async Task<JsonNode?> ViewAsync(HttpClient client, string claimId)
    {
        using var response = await client.GetAsync($"/api/claims/{claimId}");
        return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
    }

    private HttpClient Client(string key)
    {
        var client = app.CreateClient();
        client.DefaultRequestHeaders.Add("x-api-key", key);
        return client;
    }
}
